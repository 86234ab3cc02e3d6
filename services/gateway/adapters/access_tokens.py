"""Verifying JWT access tokens of the configured OAuth2 issuer (SPEC §4) with PyJWT.

A token is accepted when its header names an accepted asymmetric algorithm (``RS256``,
``ES256``; never ``none`` or HMAC), its signature verifies with one of the issuer's
keys, ``iss`` is the issuer, ``aud`` names this API, and ``exp`` (required), ``nbf`` and
``iat`` hold within ``ATR_JWT_LEEWAY_S`` of clock skew. Its claims then map to a
principal (:mod:`services.gateway.domain.access_tokens`).

Keys come from a file (a PEM public key or certificate, or a JWKS document) read once,
or from the issuer's JWKS URL: fetched with httpx from that URL only (redirects are not
followed), cached for ``ATR_JWT_JWKS_CACHE_S``, fetched again sooner only for a key id
it does not know (rotation), at most every :data:`MIN_REFRESH_S`. While a refresh
fails the cached keys stay in use; with no keys at all the gateway answers 503
(:class:`IssuerKeysUnavailableError`), not 401: the caller's token may be fine.
PyJWT's own ``PyJWKClient`` fetches with blocking ``urllib`` and follows redirects,
hence this small cache on the gateway's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from services.gateway.domain.access_tokens import (
    AccessTokenError,
    ClaimNames,
    principal_from_claims,
)
from services.gateway.domain.tokens import Principal
from services.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

MIN_REFRESH_S = 30.0
"""Least time between two JWKS fetches for unknown key ids (a flood of made-up key ids
must not become a flood of requests to the issuer)."""
FAILED_FETCH_BACKOFF_S = 1.0
"""With no keys cached, how long a failed fetch is answered 503 before trying again."""
MAX_JWKS_BYTES = 1_000_000
REQUIRED_CLAIMS = ("exp", "iss", "aud", "sub")


def unknown_key_error() -> AccessTokenError:
    """The refusal of a token whose key id the issuer does not publish."""
    return AccessTokenError(
        "unknown_key", "access token is signed by a key the issuer does not publish"
    )


class IssuerKeysUnavailableError(Exception):
    """The issuer's keys cannot be fetched and none are cached (HTTP 503, retry)."""


class KeySource(Protocol):
    """Where verification keys come from: a key file or the issuer's JWKS URL."""

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The key with id ``kid`` (None: the token names none)."""
        ...

    async def aclose(self) -> None:
        """Release what the source holds open."""
        ...


def select_key(keys: Sequence[jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    """The key with id ``kid``; a token without ``kid`` only matches a lone key."""
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.key_id == kid), None)


def _jwk_of_public_key(key: Any) -> jwt.PyJWK:
    if isinstance(key, RSAPublicKey):
        return jwt.PyJWK(RSAAlgorithm.to_jwk(key, as_dict=True))
    if isinstance(key, EllipticCurvePublicKey):
        return jwt.PyJWK(ECAlgorithm.to_jwk(key, as_dict=True))
    raise ValueError("ATR_JWT_PUBLIC_KEY_FILE must hold an RSA or EC public key")


def load_key_file(path: Path) -> list[jwt.PyJWK]:
    """The keys of a PEM public key, a PEM certificate or a JWKS JSON file."""
    text = path.read_text()
    try:
        if text.lstrip().startswith("{"):
            return list(jwt.PyJWKSet.from_json(text).keys)
        data = text.encode()
        if b"BEGIN CERTIFICATE" in data:
            return [_jwk_of_public_key(x509.load_pem_x509_certificate(data).public_key())]
        return [_jwk_of_public_key(load_pem_public_key(data))]
    except (ValueError, jwt.PyJWTError) as exc:
        raise ValueError(
            f"ATR_JWT_PUBLIC_KEY_FILE ({path}) is not a PEM public key, certificate or "
            f"JWKS document: {type(exc).__name__}"
        ) from None


class KeyFileKeys:
    """Keys read once from ``ATR_JWT_PUBLIC_KEY_FILE``."""

    def __init__(self, path: Path) -> None:
        self._keys = load_key_file(path)

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        """A lone key verifies any token; with several, the one with id ``kid``."""
        key = self._keys[0] if len(self._keys) == 1 else select_key(self._keys, kid)
        if key is None:
            raise unknown_key_error()
        return key

    async def aclose(self) -> None:
        """Nothing is held open."""


class JwksKeys:
    """Keys fetched from the issuer's JWKS URL and cached (see the module docstring)."""

    def __init__(
        self,
        url: str,
        cache_s: float,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._cache_s = cache_s
        self._client = client
        self._owns_client = client is None
        self._clock = clock
        self._keys: list[jwt.PyJWK] | None = None
        self._fetched_at = float("-inf")
        self._next_fetch_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The cached key ``kid``, fetching the set when the cache is stale or, at most
        every :data:`MIN_REFRESH_S`, when ``kid`` is unknown."""
        if self._clock() >= self._next_fetch_at:
            await self._refresh()
        if self._keys is None:
            raise IssuerKeysUnavailableError("the token issuer's keys cannot be fetched")
        key = select_key(self._keys, kid)
        if key is None and kid is not None and self._clock() - self._fetched_at >= MIN_REFRESH_S:
            await self._refresh(force=True)
            key = select_key(self._keys, kid)
        if key is None:
            raise unknown_key_error()
        return key

    async def _refresh(self, *, force: bool = False) -> None:
        async with self._lock:
            now = self._clock()
            if now < self._next_fetch_at and not force:
                return  # another request refreshed while this one waited
            if force and now - self._fetched_at < MIN_REFRESH_S:
                return
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.warning("fetching the token issuer's JWKS failed: %s", type(exc).__name__)
                backoff = MIN_REFRESH_S if self._keys is not None else FAILED_FETCH_BACKOFF_S
                self._next_fetch_at = now + backoff
                return
            self._keys = keys
            self._fetched_at = now
            self._next_fetch_at = now + self._cache_s

    async def _fetch(self) -> list[jwt.PyJWK]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0, follow_redirects=False)
        self.fetches += 1
        answer = await self._client.get(self._url, follow_redirects=False)
        if answer.status_code != 200:
            raise ValueError(f"JWKS answer {answer.status_code}")
        if len(answer.content) > MAX_JWKS_BYTES:
            raise ValueError("JWKS document too large")
        document = json.loads(answer.content)
        if not isinstance(document, dict):
            raise ValueError("JWKS document is not an object")
        return list(jwt.PyJWKSet.from_dict(document).keys)

    async def aclose(self) -> None:
        """Close the HTTP client this source opened."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None


class AccessTokenVerifier:
    """Checks a JWT access token of the configured issuer and maps it to a principal."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str],
        leeway_s: float,
        keys: KeySource,
        claim_names: ClaimNames,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        self.leeway_s = leeway_s
        self.keys = keys
        self.claim_names = claim_names

    async def verify(self, token: str) -> Principal:
        """The principal of ``token``.

        Raises :class:`AccessTokenError` (401) for a token that does not authenticate and
        :class:`IssuerKeysUnavailableError` (503) when the issuer's keys cannot be had.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AccessTokenError("malformed", "access token is not a well-formed JWT") from None
        if header.get("alg") not in self.algorithms:
            raise AccessTokenError(
                "algorithm",
                "access token is signed with an algorithm this API does not accept "
                f"(accepted: {', '.join(self.algorithms)})",
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AccessTokenError("malformed", "access token's 'kid' header is not a text")
        key = await self.keys.key_for(kid)
        claims = self._decode(token, key)
        return principal_from_claims(claims, self.claim_names)

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS), "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError:
            raise AccessTokenError("expired", "access token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AccessTokenError("not_yet_valid", "access token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise AccessTokenError(
                "audience", "access token is not issued for this API (audience)"
            ) from None
        except jwt.InvalidIssuerError:
            raise AccessTokenError(
                "issuer", "access token is not from the configured issuer"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise AccessTokenError(
                "missing_claim", f"access token has no '{exc.claim}' claim"
            ) from None
        except jwt.InvalidSignatureError:
            raise AccessTokenError(
                "signature", "access token signature does not verify with the issuer's key"
            ) from None
        except jwt.InvalidAlgorithmError:
            raise AccessTokenError(
                "algorithm", "access token algorithm does not match the issuer's key"
            ) from None
        except jwt.PyJWTError:
            raise AccessTokenError("invalid", "access token is invalid") from None
        return claims


def access_token_verifier(
    settings: GatewaySettings, *, client: httpx.AsyncClient | None = None
) -> AccessTokenVerifier | None:
    """The verifier the settings configure, or None when no OAuth2 issuer is configured
    (then only opaque tokens authenticate, exactly as before)."""
    if not settings.jwt_issuer or not settings.jwt_audience:
        return None
    keys: KeySource
    if settings.jwt_public_key_file is not None:
        keys = KeyFileKeys(settings.jwt_public_key_file)
    elif settings.jwt_jwks_url is not None:
        keys = JwksKeys(settings.jwt_jwks_url, settings.jwt_jwks_cache_s, client=client)
    else:  # the settings refuse an issuer without keys
        return None
    return AccessTokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithms=settings.jwt_algorithms,
        leeway_s=settings.jwt_leeway_s,
        keys=keys,
        claim_names=ClaimNames(
            role=settings.jwt_role_claim, provider_id=settings.jwt_provider_claim
        ),
    )
