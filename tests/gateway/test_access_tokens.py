"""JWT access tokens of the configured OAuth2 issuer (SPEC §4; README "OAuth2 client
credentials"): a token signed by the issuer's key authenticates and maps to a role and
provider; a wrong audience or issuer, an expired token, another key, an unaccepted
algorithm or missing role claims are refused with a reason and a detail that names no
token, key or claim value. Keys come from a file or from a JWKS served on loopback (or
an httpx mock transport): nothing leaves the machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import ValidationError

from services.gateway.adapters.access_tokens import (
    MIN_REFRESH_S,
    AccessTokenVerifier,
    IssuerKeysUnavailableError,
    JwksKeys,
    KeyFileKeys,
    access_token_verifier,
)
from services.gateway.domain.access_tokens import (
    AccessTokenError,
    ClaimNames,
    looks_like_jwt,
    principal_from_claims,
    token_id_of,
)
from services.gateway.domain.tokens import Role, Scope
from services.gateway.settings import GatewaySettings
from tests.gateway.issuer import (
    AUDIENCE,
    ISSUER,
    IssuerKey,
    claims,
    jwks,
    write_jwks,
    write_pem,
)


@pytest.fixture(scope="module")
def rsa_key() -> IssuerKey:
    return IssuerKey.rsa()


@pytest.fixture(scope="module")
def other_key() -> IssuerKey:
    return IssuerKey.rsa("rsa-1")  # same key id, another key


@pytest.fixture(scope="module")
def ec_key() -> IssuerKey:
    return IssuerKey.ec()


def verifier_for(path: Path, **settings: Any) -> AccessTokenVerifier:
    configured = GatewaySettings(
        jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key_file=path, **settings
    )
    verifier = access_token_verifier(configured)
    assert verifier is not None
    return verifier


@pytest.fixture
def verifier(rsa_key: IssuerKey, tmp_path: Path) -> AccessTokenVerifier:
    return verifier_for(write_pem(rsa_key, tmp_path))


async def refusal(verifier: AccessTokenVerifier, token: str) -> AccessTokenError:
    with pytest.raises(AccessTokenError) as refused:
        await verifier.verify(token)
    for part in (token, *token.split(".")):
        assert len(part) < 8 or part not in refused.value.detail
    return refused.value


async def test_a_token_signed_by_the_issuer_key_authenticates_as_its_provider(
    verifier: AccessTokenVerifier, rsa_key: IssuerKey
) -> None:
    principal = await verifier.verify(rsa_key.sign(claims()))
    assert principal.role is Role.PROVIDER
    assert principal.provider_id == "PRV-0001"
    assert principal.token_id == "jwt:hope-ehr-client"
    assert principal.scopes == frozenset({Scope.READ, Scope.WRITE})


async def test_an_es256_token_verifies_with_a_jwks_file(ec_key: IssuerKey, tmp_path: Path) -> None:
    verifier = verifier_for(write_jwks(tmp_path, ec_key))
    principal = await verifier.verify(
        ec_key.sign(claims(role="state_system", provider_id=None, scope=None))
    )
    assert principal.role is Role.STATE_SYSTEM
    assert principal.provider_id is None
    assert principal.scopes is None  # no platform scope: the role's full rights


@pytest.mark.parametrize(
    ("changes", "reason", "words"),
    [
        ({"aud": "another-api"}, "audience", "audience"),
        ({"iss": "https://other-idp.test"}, "issuer", "issuer"),
        ({"exp": int(time.time()) - 120}, "expired", "expired"),
        ({"nbf": int(time.time()) + 86_400}, "not_yet_valid", "not valid yet"),
        ({"exp": None}, "missing_claim", "'exp'"),
        ({"sub": None}, "missing_claim", "'sub'"),
        ({"role": None}, "role", "'role'"),
        ({"role": "superuser"}, "role", "exactly one"),
        ({"role": ["admin", "assessor"], "provider_id": None}, "role", "exactly one"),
        ({"provider_id": None}, "provider_binding", "'provider_id'"),
        ({"role": "admin"}, "provider_binding", "only provider"),
        ({"provider_id": "PRV 1/../x"}, "malformed", "'provider_id'"),
    ],
)
async def test_a_token_whose_claims_do_not_fit_is_refused_with_the_reason(
    verifier: AccessTokenVerifier,
    rsa_key: IssuerKey,
    changes: dict[str, Any],
    reason: str,
    words: str,
) -> None:
    refused = await refusal(verifier, rsa_key.sign(claims(**changes)))
    assert refused.reason == reason
    assert words in refused.detail
    for value in ("another-api", "other-idp", "superuser", "PRV 1"):
        assert value not in refused.detail  # the claim is named, never its value


async def test_a_token_signed_by_another_key_is_refused(
    verifier: AccessTokenVerifier, other_key: IssuerKey
) -> None:
    refused = await refusal(verifier, other_key.sign(claims()))
    assert refused.reason == "signature"
    assert "signature" in refused.detail


async def test_expiry_allows_the_configured_clock_skew(rsa_key: IssuerKey, tmp_path: Path) -> None:
    lenient = verifier_for(write_pem(rsa_key, tmp_path), jwt_leeway_s=60)
    strict = verifier_for(write_pem(rsa_key, tmp_path), jwt_leeway_s=0)
    token = rsa_key.sign(claims(exp=int(time.time()) - 20))
    assert (await lenient.verify(token)).role is Role.PROVIDER
    assert (await refusal(strict, token)).reason == "expired"


def _unsigned(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_none_and_hmac_tokens_are_refused_whatever_their_key(
    verifier: AccessTokenVerifier, rsa_key: IssuerKey
) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none")
    assert (await refusal(verifier, unsigned)).reason == "algorithm"
    # the classic confusion: an HMAC keyed with the issuer's public key
    confused = _unsigned({"alg": "HS256", "typ": "JWT"}, claims(), rsa_key.public_pem())
    assert (await refusal(verifier, confused)).reason == "algorithm"


async def test_a_token_with_an_algorithm_unlike_its_key_is_refused(
    ec_key: IssuerKey, rsa_key: IssuerKey, tmp_path: Path
) -> None:
    verifier = verifier_for(write_pem(rsa_key, tmp_path))
    refused = await refusal(verifier, ec_key.sign(claims(), headers={"kid": rsa_key.kid}))
    assert refused.reason == "algorithm"


async def test_garbage_is_malformed(verifier: AccessTokenVerifier) -> None:
    assert (await refusal(verifier, "not.a.jwt")).reason == "malformed"


def test_role_claims_map_to_a_principal_with_configured_claim_names() -> None:
    names = ClaimNames(role="roles", provider_id="atr_provider")
    principal = principal_from_claims(
        {
            "sub": "x",
            "roles": ["offline_access", "provider"],
            "atr_provider": "PRV-9",
            "scp": ["atr:read", "openid"],
        },
        names,
    )
    assert (principal.role, principal.provider_id) == (Role.PROVIDER, "PRV-9")
    assert principal.scopes == frozenset({Scope.READ})
    assert principal.may("GET")
    assert not principal.may("POST")


def test_token_ids_fit_the_audit_columns() -> None:
    assert token_id_of("client-1") == "jwt:client-1"
    long_id = token_id_of("x" * 200)
    assert long_id.startswith("jwt:")
    assert len(long_id) == 64
    assert token_id_of("name with spaces") != "jwt:name with spaces"
    assert looks_like_jwt("a.b.c")
    assert not looks_like_jwt("atr_abcdef")


# -- keys from the issuer's JWKS URL


def _jwks_transport(documents: list[dict[str, Any]], seen: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if not documents:
            return httpx.Response(503)
        return httpx.Response(200, json=documents[0])

    return httpx.MockTransport(answer)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _verifier(keys: JwksKeys) -> AccessTokenVerifier:
    return AccessTokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=["RS256", "ES256"],
        leeway_s=30,
        keys=keys,
        claim_names=ClaimNames(),
    )


async def test_jwks_keys_are_cached_and_fetched_again_for_a_rotated_key(
    rsa_key: IssuerKey, ec_key: IssuerKey
) -> None:
    documents, seen, clock = [jwks(rsa_key)], [], Clock()
    url = "https://idp.test/jwks"
    client = httpx.AsyncClient(transport=_jwks_transport(documents, seen))
    keys = JwksKeys(url, cache_s=300, client=client, clock=clock)
    verifier = _verifier(keys)
    for _ in range(3):
        await verifier.verify(rsa_key.sign(claims()))
    assert seen == [url]  # cached
    documents[0] = jwks(rsa_key, ec_key)  # the issuer rotates in a new key
    # a fetch for an unknown key id at most every MIN_REFRESH_S
    assert (await refusal(verifier, ec_key.sign(claims()))).reason == "unknown_key"
    assert len(seen) == 1
    clock.now += MIN_REFRESH_S
    assert (await verifier.verify(ec_key.sign(claims()))).role is Role.PROVIDER
    assert len(seen) == 2
    assert (await refusal(verifier, rsa_key.sign(claims(), headers={"kid": "made-up"}))).reason == (
        "unknown_key"
    )
    assert len(seen) == 2
    clock.now += 301  # the cache lifetime: fetched again
    await verifier.verify(rsa_key.sign(claims()))
    assert len(seen) == 3
    await client.aclose()


async def test_unreachable_jwks_is_unavailable_not_unauthorised_and_stale_keys_serve(
    rsa_key: IssuerKey,
) -> None:
    documents: list[dict[str, Any]] = []
    seen: list[str] = []
    clock = Clock()
    client = httpx.AsyncClient(transport=_jwks_transport(documents, seen))
    verifier = _verifier(JwksKeys("https://idp.test/jwks", 300, client=client, clock=clock))
    with pytest.raises(IssuerKeysUnavailableError):
        await verifier.verify(rsa_key.sign(claims()))
    documents.append(jwks(rsa_key))
    clock.now += 2
    await verifier.verify(rsa_key.sign(claims()))
    documents.clear()  # the issuer goes away: the cached keys keep serving
    clock.now += 301
    assert (await verifier.verify(rsa_key.sign(claims()))).role is Role.PROVIDER
    await client.aclose()


async def test_a_redirect_is_not_followed(rsa_key: IssuerKey) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/jwks"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), follow_redirects=True)
    verifier = _verifier(JwksKeys("https://idp.test/jwks", 300, client=client))
    with pytest.raises(IssuerKeysUnavailableError):
        await verifier.verify(rsa_key.sign(claims()))
    assert seen == ["https://idp.test/jwks"]
    await client.aclose()


@pytest.fixture
def loopback_jwks(rsa_key: IssuerKey) -> Iterator[str]:
    body = json.dumps(jwks(rsa_key)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/jwks" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    finally:
        server.shutdown()
        server.server_close()


async def test_keys_are_fetched_from_a_jwks_url_on_loopback(
    loopback_jwks: str, rsa_key: IssuerKey, other_key: IssuerKey
) -> None:
    verifier = access_token_verifier(
        GatewaySettings(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_url=loopback_jwks)
    )
    assert verifier is not None
    try:
        assert (await verifier.verify(rsa_key.sign(claims()))).provider_id == "PRV-0001"
        assert (await refusal(verifier, other_key.sign(claims()))).reason == "signature"
    finally:
        await verifier.keys.aclose()


# -- settings


def test_no_issuer_configured_means_no_jwt_verifier() -> None:
    assert access_token_verifier(GatewaySettings()) is None


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"jwt_issuer": ISSUER}, "ATR_JWT_AUDIENCE"),
        ({"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}, "exactly one"),
        (
            {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwt_jwks_url": "http://idp.test/k"},
            "https",
        ),
        ({"jwt_jwks_url": "https://idp.test/k"}, "ATR_JWT_ISSUER"),
        ({"jwt_algorithms": ["HS256"]}, "jwt_algorithms"),
    ],
)
def test_an_incomplete_or_unsafe_issuer_configuration_is_refused(
    settings: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        GatewaySettings(**settings)


def test_a_key_file_that_holds_no_key_is_refused_naming_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ValueError, match="ATR_JWT_PUBLIC_KEY_FILE") as refused:
        KeyFileKeys(path)
    assert "not a key" not in str(refused.value)
