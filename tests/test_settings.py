from django.conf import settings


def test_embedded_default_uses_a_generated_secret_key_kept_out_of_git():
    """Without SECRET_KEY in the environment, a random key is generated once into var/."""
    key_file = settings.VAR_DIR / "secret_key"
    assert key_file.exists()
    assert key_file.read_text().strip() == settings.SECRET_KEY
    assert len(settings.SECRET_KEY) >= 50
