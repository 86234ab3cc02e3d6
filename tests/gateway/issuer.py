"""A test OAuth2 issuer: key pairs made in the test, tokens signed with them (PyJWT)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.test/realms/atr"
AUDIENCE = "atr-gateway"


@dataclass
class IssuerKey:
    """One signing key of the test issuer: RS256 (RSA 2048) or ES256 (P-256)."""

    algorithm: str
    kid: str
    private: Any = field(repr=False)

    @classmethod
    def rsa(cls, kid: str = "rsa-1") -> IssuerKey:
        return cls("RS256", kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str = "ec-1") -> IssuerKey:
        return cls("ES256", kid, ec.generate_private_key(ec.SECP256R1()))

    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def jwk(self) -> dict[str, Any]:
        tool = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        public: dict[str, Any] = tool.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims,
            self.private,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )


def jwks(*keys: IssuerKey) -> dict[str, Any]:
    """A JWKS document publishing ``keys``."""
    return {"keys": [key.jwk() for key in keys]}


def write_pem(key: IssuerKey, directory: Path) -> Path:
    path = directory / f"{key.kid}.pem"
    path.write_bytes(key.public_pem())
    return path


def write_jwks(directory: Path, *keys: IssuerKey) -> Path:
    path = directory / "jwks.json"
    path.write_text(json.dumps(jwks(*keys)))
    return path


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid provider access token's claims, valid for five minutes; ``None`` drops one."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "hope-ehr-client",
        "iat": now,
        "exp": now + 300,
        "role": "provider",
        "provider_id": "PRV-0001",
        "scope": "atr:read atr:write",
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}
