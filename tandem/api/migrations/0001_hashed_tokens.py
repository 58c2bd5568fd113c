"""API tokens are stored as their hash (issue 15, finding 9; tandem/api/tokens.py): each
token made before is replaced by its hash, so scripts holding it keep working."""

import hashlib

from django.db import migrations


def hash_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    for key in list(Token.objects.values_list("key", flat=True)):
        Token.objects.filter(key=key).update(key=hashlib.sha256(key.encode()).hexdigest()[:40])


def forget_tokens(apps, schema_editor):
    # A hash gives no token back: going back, tokens are forgotten (api_token makes new ones).
    apps.get_model("authtoken", "Token").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("authtoken", "0004_alter_tokenproxy_options")]

    operations = [migrations.RunPython(hash_tokens, forget_tokens)]
