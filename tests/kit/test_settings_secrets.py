"""Development keys never leave a loopback development process (the development
secret was the default everywhere except ``production``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.settings import GatewaySettings
from services.kit.settings import Settings

REAL = {
    "bootstrap_admin_token": None,  # the integration fixture may have set it in os.environ
    "secret_key": "a-real-token-key-from-the-vault",
    "internal_key": "a-real-internal-key-from-the-vault",
    "ssn_hash_key": "a-real-ssn-key-from-the-vault",
}


def test_development_on_loopback_may_use_the_development_keys() -> None:
    assert Settings(environment="development", host="127.0.0.1").secret_key


@pytest.mark.parametrize(
    ("environment", "host"),
    [("production", "127.0.0.1"), ("development", "0.0.0.0"), ("test", "10.1.2.3")],
)
def test_default_keys_refuse_to_start_when_exposed(environment: str, host: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment=environment, host=host)  # type: ignore[arg-type]
    message = str(refused.value)
    for variable in ("ATR_SECRET_KEY", "ATR_INTERNAL_KEY", "ATR_SSN_HASH_KEY"):
        assert variable in message
    assert Settings(environment=environment, host=host, **REAL)  # type: ignore[arg-type]


def test_each_default_key_is_named_on_its_own() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production", **{**REAL, "ssn_hash_key": Settings().ssn_hash_key})
    assert "ATR_SSN_HASH_KEY" in str(refused.value)
    assert "ATR_SECRET_KEY" not in str(refused.value)


def test_the_bootstrap_admin_token_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="ATR_BOOTSTRAP_ADMIN_TOKEN"):
        GatewaySettings(environment="production", **{**REAL, "bootstrap_admin_token": "let-me-in"})
    assert GatewaySettings(
        environment="test", bootstrap_admin_token="let-me-in"
    ).bootstrap_admin_token
