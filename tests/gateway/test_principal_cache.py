"""The gateway's memory of verified tokens (services/gateway/domain/principal_cache.py):
a remembered token answers for ``ttl_s`` seconds, never past its own expiry, and is
forgotten at once when revoked through the process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.gateway.domain.principal_cache import PrincipalCache
from services.gateway.domain.tokens import Principal, Role

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _principal(token_id: str = "tok-1") -> Principal:  # noqa: S107 (an id, not a secret)
    return Principal(token_id=token_id, role=Role.PROVIDER, provider_id="PRV-1")


def test_a_verified_token_is_remembered_for_ttl_seconds_only() -> None:
    cache = PrincipalCache(ttl_s=5)
    cache.remember("h1", _principal(), None, now=100.0)
    assert cache.get("h1", now=104.9, wall=NOW) == _principal()
    assert cache.get("h1", now=105.0, wall=NOW) is None
    assert cache.get("h1", now=100.0, wall=NOW) is None  # dropped once stale


def test_a_remembered_token_is_refused_from_its_own_expiry() -> None:
    cache = PrincipalCache(ttl_s=60)
    cache.remember("h1", _principal(), NOW + timedelta(seconds=2), now=0.0)
    assert cache.get("h1", now=1.0, wall=NOW + timedelta(seconds=1)) is not None
    assert cache.get("h1", now=1.0, wall=NOW + timedelta(seconds=2)) is None


def test_forget_drops_every_entry_of_the_revoked_token_only() -> None:
    cache = PrincipalCache(ttl_s=60)
    cache.remember("h1", _principal("tok-1"), None, now=0.0)
    cache.remember("h2", _principal("tok-2"), None, now=0.0)
    cache.forget("tok-1")
    assert cache.get("h1", now=1.0, wall=NOW) is None
    assert cache.get("h2", now=1.0, wall=NOW) == _principal("tok-2")


def test_ttl_zero_remembers_nothing() -> None:
    cache = PrincipalCache(ttl_s=0)
    cache.remember("h1", _principal(), None, now=0.0)
    assert cache.get("h1", now=0.0, wall=NOW) is None


def test_memory_is_bounded_least_recently_used_first() -> None:
    cache = PrincipalCache(ttl_s=60, max_tokens=2)
    cache.remember("h1", _principal("tok-1"), None, now=0.0)
    cache.remember("h2", _principal("tok-2"), None, now=0.0)
    assert cache.get("h1", now=1.0, wall=NOW) is not None  # h1 now most recent
    cache.remember("h3", _principal("tok-3"), None, now=1.0)
    assert cache.get("h2", now=1.0, wall=NOW) is None
    assert cache.get("h1", now=1.0, wall=NOW) is not None
    assert cache.get("h3", now=1.0, wall=NOW) is not None
