"""RS256 id_tokens and the certificates that verify them.

Google serves its keys as a JWK Set at ``/oauth2/v3/certs`` and as ``{kid: X.509 PEM}`` at
``/oauth2/v1/certs`` (https://developers.google.com/identity/openid-connect/openid-connect);
google-auth's ``verify_token`` reads the second without extra libraries.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey


class Signer:
    def __init__(self, private_pem: str = "", kid: str = "") -> None:
        if private_pem:
            loaded = serialization.load_pem_private_key(private_pem.encode(), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            self._private = loaded
        else:
            self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid or secrets.token_hex(20)
        self.private_pem = self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self._jwk = RSAKey.import_key(
            self.private_pem, parameters={"kid": self.kid, "use": "sig", "alg": "RS256"}
        )
        self._certificate_pem = self._self_signed_certificate()

    def _self_signed_certificate(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fakegoogle.local")])
        now = datetime(2020, 1, 1, tzinfo=UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._private.public_key())
            .serial_number(int(self.kid[:16], 16))
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=365 * 30))
            .sign(self._private, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims, self._jwk)

    def jwks(self) -> dict[str, Any]:
        public = self._jwk.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def pem_certs(self) -> dict[str, str]:
        return {self.kid: self._certificate_pem}


def at_hash(access_token: str) -> str:
    """OpenID Connect Core §3.1.3.6: left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
