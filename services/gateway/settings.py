"""The gateway's settings: the kit's (:class:`services.kit.settings.Settings`) plus the
public edge's: request size, authentication throttling, OAuth2 access tokens and the
development bootstrap token."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from services.kit.settings import JWT_ALGORITHMS, LOOPBACK_HOSTS, JwtAlgorithm, Settings


class GatewaySettings(Settings):
    """Settings of the gateway process."""

    bootstrap_admin_token: str | None = None
    auth_failure_limit: int = Field(
        default=20,
        ge=1,
        description="Failed authentications one client address may make per window "
        "before the gateway answers 429.",
    )
    auth_failure_window_s: float = Field(default=60.0, gt=0)
    auth_cache_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds a verified opaque token is remembered by a gateway process "
        "(no database lookup meanwhile). Revoking through a gateway forgets it there at "
        "once; other gateway replicas stop accepting it within this time. 0: no memory.",
    )
    jwt_issuer: str | None = Field(
        default=None,
        description="OAuth2 client credentials: the issuer (``iss``) whose JWT access "
        "tokens the gateway accepts beside its opaque tokens. Unset: no JWT is accepted.",
    )
    jwt_audience: str | None = Field(
        default=None,
        description="The audience (``aud``) an access token must name: this API's "
        "identifier at the issuer. Required with ATR_JWT_ISSUER.",
    )
    jwt_jwks_url: str | None = Field(
        default=None,
        description="The issuer's JWKS URL (https, or http on loopback); the only place "
        "keys are fetched from, cached for ATR_JWT_JWKS_CACHE_S. One of this or "
        "ATR_JWT_PUBLIC_KEY_FILE with ATR_JWT_ISSUER.",
    )
    jwt_public_key_file: Path | None = Field(
        default=None,
        description="The issuer's verification key(s) as a file: a PEM public key or "
        "certificate, or a JWKS JSON document.",
    )
    jwt_algorithms: list[JwtAlgorithm] = Field(
        default_factory=lambda: list(JWT_ALGORITHMS),
        min_length=1,
        description="Signature algorithms accepted (asymmetric only; never `none` or HMAC).",
    )
    jwt_leeway_s: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="Clock skew allowed between the issuer and the gateway when checking "
        "``exp``, ``nbf`` and ``iat``.",
    )
    jwt_jwks_cache_s: float = Field(
        default=300.0,
        gt=0,
        description="How long fetched JWKS keys are used before they are fetched again "
        "(a token naming an unknown key id fetches them sooner, at most every 30 s).",
    )
    jwt_role_claim: str = Field(
        default="role",
        min_length=1,
        description="The access-token claim naming the platform role (a string, or a "
        "list holding exactly one platform role).",
    )
    jwt_provider_claim: str = Field(
        default="provider_id",
        min_length=1,
        description="The access-token claim naming a provider token's provider id.",
    )
    max_body_bytes: int = Field(
        default=2_000_000, description="Largest request body the gateway accepts (413 above)."
    )

    @model_validator(mode="after")
    def _no_bootstrap_token_in_production(self) -> GatewaySettings:
        """The bootstrap admin token is a development convenience, refused in production."""
        if self.environment == "production" and self.bootstrap_admin_token:
            raise ValueError(
                "ATR_BOOTSTRAP_ADMIN_TOKEN is a development convenience and is refused in "
                "production: create tokens with `atr token create`"
            )
        return self

    @model_validator(mode="after")
    def _jwt_issuer_is_complete(self) -> GatewaySettings:
        """An OAuth2 issuer names the audience and exactly one source of its keys; a
        JWKS URL is https unless it is on loopback."""
        parts = (self.jwt_issuer, self.jwt_audience, self.jwt_jwks_url, self.jwt_public_key_file)
        if not any(parts):
            return self
        if not self.jwt_issuer or not self.jwt_audience:
            raise ValueError("ATR_JWT_ISSUER and ATR_JWT_AUDIENCE go together")
        if (self.jwt_jwks_url is None) == (self.jwt_public_key_file is None):
            raise ValueError(
                "ATR_JWT_ISSUER needs exactly one of ATR_JWT_JWKS_URL and ATR_JWT_PUBLIC_KEY_FILE"
            )
        if self.jwt_jwks_url is not None:
            url = urlsplit(self.jwt_jwks_url)
            loopback = url.scheme == "http" and url.hostname in LOOPBACK_HOSTS
            if url.scheme != "https" and not loopback:
                raise ValueError("ATR_JWT_JWKS_URL must be https (http only on loopback)")
        return self
