"""The ``KAFKA_*`` settings become the right client options (TLS, SASL, topics), and
the defaults stay exactly what the embedded broker takes. No network: clients are
built, never started."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import certifi
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import AbstractTokenProvider
from pydantic import ValidationError

from contracts.topics import ALL_TOPICS, CLAIMS_SUBMITTED, DEAD_LETTER, PROVIDERS
from services.kit.broker import make_broker
from services.kit.kafka_clients import (
    ClientCredentialsTokens,
    broker_security,
    client_options,
    new_topic,
)
from services.kit.metrics import ServiceMetrics
from services.kit.settings import Settings

CA = Path(certifi.where())


def test_defaults_are_plaintext_with_the_registry_topics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.startswith(("KAFKA_", "ATR_KAFKA_"))]:
        monkeypatch.delenv(name)  # an earlier test of the session may have set them
    settings = Settings(service="claims")
    assert client_options(settings) == {"bootstrap_servers": "127.0.0.1:9092"}
    assert broker_security(settings) is None
    for topic in ALL_TOPICS:
        created = new_topic(topic, settings)
        assert created.num_partitions == topic.partitions
        assert created.replication_factor == 1
        assert created.topic_configs == {"cleanup.policy": topic.cleanup_policy}


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl_with_a_password_mechanism(
    mechanism: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", mechanism)
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "atr-claims")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(CA))
    options = client_options(Settings(service="claims"))
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism
    assert options["sasl_plain_username"] == "atr-claims"
    assert options["sasl_plain_password"] == "s3cret"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.get_ca_certs()  # the configured CA file was loaded


def test_tls_only_and_sasl_without_tls() -> None:
    tls = client_options(Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=CA))
    assert tls["security_protocol"] == "SSL"
    assert isinstance(tls["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in tls
    plain = client_options(
        Settings(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-256",
            kafka_sasl_username="u",
            kafka_sasl_password="p",
        )
    )
    assert plain["security_protocol"] == "SASL_PLAINTEXT"
    assert plain["ssl_context"] is None


def _oauth_settings() -> Settings:
    return Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="OAUTHBEARER",
        kafka_oauth_token_url="https://idp.example/oauth2/token",
        kafka_oauth_client_id="atr-claims",
        kafka_oauth_client_secret="s3cret",
    )


def test_oauthbearer_gets_a_token_provider() -> None:
    options = client_options(_oauth_settings())
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(options["sasl_oauth_token_provider"], AbstractTokenProvider)


async def test_client_credentials_tokens_are_fetched_once_and_reused() -> None:
    requests: list[httpx.Request] = []

    def idp(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600})

    tokens = ClientCredentialsTokens(
        "https://idp.example/token", "atr", "s3cret", "kafka", httpx.MockTransport(idp)
    )
    assert await tokens.token() == "tok-1"
    assert await tokens.token() == "tok-1"
    assert len(requests) == 1
    body = requests[0].content.decode()
    assert "grant_type=client_credentials" in body
    assert "scope=kafka" in body
    assert requests[0].headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    "fields",
    [
        {"kafka_security_protocol": "SASL_SSL"},
        {"kafka_sasl_mechanism": "PLAIN"},
        {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
        {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "OAUTHBEARER"},
    ],
)
def test_incomplete_security_settings_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="KAFKA_"):
        Settings(**fields)  # type: ignore[arg-type]


def test_topics_take_replication_partitions_and_retention_from_settings() -> None:
    settings = Settings(
        kafka_replication_factor=3,
        kafka_min_insync_replicas=2,
        kafka_claims_partitions=24,
        kafka_retention_ms={DEAD_LETTER.name: 2_592_000_000},
    )
    claims = new_topic(CLAIMS_SUBMITTED, settings)
    assert (claims.num_partitions, claims.replication_factor) == (24, 3)
    assert claims.topic_configs == {"cleanup.policy": "delete", "min.insync.replicas": "2"}
    dead = new_topic(DEAD_LETTER, settings)
    assert dead.num_partitions == DEAD_LETTER.partitions
    assert dead.topic_configs["retention.ms"] == "2592000000"
    assert new_topic(PROVIDERS, settings).topic_configs["cleanup.policy"] == "compact"


async def test_clients_accept_the_options_without_connecting() -> None:
    for settings in (Settings(), _oauth_settings()):
        options = client_options(settings)
        producer = AIOKafkaProducer(**options, acks="all")
        consumer = AIOKafkaConsumer("t", group_id="g", **options)
        assert producer.client._security_protocol == settings.kafka_security_protocol
        assert consumer._client._security_protocol == settings.kafka_security_protocol
        broker = make_broker(settings, ServiceMetrics.create("claims"), None)
        connection = broker._connection_kwargs
        for name in ("security_protocol", "sasl_mechanism", "sasl_oauth_token_provider"):
            assert (connection.get(name) is None) == (options.get(name) is None)
        assert connection["acks"] == "all"
        assert connection["enable_idempotence"] is False
