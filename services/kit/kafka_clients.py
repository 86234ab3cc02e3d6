"""How every Kafka client of the platform connects, and how its topics are created.

One place turns the ``KAFKA_*`` settings into client options: the FastStream broker
(:func:`broker_security`), the plain aiokafka producers, consumers and admin clients
(:func:`client_options`) and topic creation (:func:`new_topic`). The defaults
(``PLAINTEXT``, replication factor 1, the registry's partition counts) are what the
embedded broker takes; a state's cluster sets TLS, SASL (PLAIN, SCRAM or OAUTHBEARER
with the client-credentials grant), replication and retention by environment.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

import httpx
from aiokafka.abc import AbstractTokenProvider
from aiokafka.admin import NewTopic
from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import (
    BaseSecurity,
    SASLOAuthBearer,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

from contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED, Topic
from services.kit.settings import Settings

CLAIMS_TOPICS = frozenset({CLAIMS_SUBMITTED.name, CLAIMS_ADJUDICATED.name})
"""Topics keyed by client whose partition count is ``KAFKA_CLAIMS_PARTITIONS``."""

TOKEN_REFRESH_MARGIN_S = 60.0


class ClientCredentialsTokens(AbstractTokenProvider):  # type: ignore[misc]
    """OAUTHBEARER tokens from an OAuth2 token endpoint (client-credentials grant),
    reused until a minute before they expire."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._transport = transport
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """aiokafka's token-provider contract: a current access token for the broker."""
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                form = {"grant_type": "client_credentials"}
                if self._scope:
                    form["scope"] = self._scope
                async with httpx.AsyncClient(transport=self._transport, timeout=10.0) as http:
                    answer = await http.post(
                        self._token_url,
                        data=form,
                        auth=(self._client_id, self._client_secret),
                    )
                answer.raise_for_status()
                body = answer.json()
                lifetime = float(body.get("expires_in", 300))
                self._token = str(body["access_token"])
                self._expires_at = time.monotonic() + max(lifetime - TOKEN_REFRESH_MARGIN_S, 0)
            return self._token


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of an ``SSL`` or ``SASL_SSL`` connection (aiokafka's
    ``create_ssl_context`` with the configured CA and client certificate), else None."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    context: ssl.SSLContext = create_ssl_context(
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
        certfile=str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None,
        keyfile=str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
    )
    return context


def broker_security(settings: Settings) -> BaseSecurity | None:
    """FastStream's security object for the settings (None: plaintext, today's default)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings)
    use_ssl = protocol == "SASL_SSL"
    mechanism = settings.kafka_sasl_mechanism
    if mechanism is None:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if mechanism == "OAUTHBEARER":
        return SASLOAuthBearer(ssl_context=context, use_ssl=use_ssl)
    username = settings.kafka_sasl_username or ""
    password = (
        settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    )
    kinds: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }
    return kinds[mechanism](username, password, ssl_context=context, use_ssl=use_ssl)


def token_provider(settings: Settings) -> ClientCredentialsTokens | None:
    """The OAUTHBEARER token provider, or None for any other mechanism."""
    if settings.kafka_sasl_mechanism != "OAUTHBEARER":
        return None
    # the settings validator made sure all three are set
    assert settings.kafka_oauth_token_url
    assert settings.kafka_oauth_client_id
    assert settings.kafka_oauth_client_secret is not None
    return ClientCredentialsTokens(
        settings.kafka_oauth_token_url,
        settings.kafka_oauth_client_id,
        settings.kafka_oauth_client_secret.get_secret_value(),
        settings.kafka_oauth_scope,
    )


def security_options(settings: Settings) -> dict[str, Any]:
    """aiokafka keyword arguments for TLS and SASL (empty for plaintext)."""
    options = parse_security(broker_security(settings))
    provider = token_provider(settings)
    if provider is not None:
        options["sasl_oauth_token_provider"] = provider
    return options


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments every aiokafka producer, consumer and admin client of a
    service is built with: bootstrap servers plus :func:`security_options`."""
    return {"bootstrap_servers": settings.kafka_bootstrap_servers, **security_options(settings)}


def partitions_of(topic: Topic, settings: Settings | None) -> int:
    """Partitions a created topic gets: ``KAFKA_CLAIMS_PARTITIONS`` for the claims
    topics, the registry's count for the others."""
    if settings is not None and topic.name in CLAIMS_TOPICS:
        return settings.kafka_claims_partitions
    return topic.partitions


def topic_configs(topic: Topic, settings: Settings | None) -> dict[str, str]:
    """Topic-level configuration: the registry's cleanup policy, and from settings the
    topic's retention and ``min.insync.replicas``."""
    configs: dict[str, str] = {"cleanup.policy": topic.cleanup_policy}
    if settings is None:
        return configs
    retention = settings.kafka_retention_ms.get(topic.name)
    if retention is not None:
        configs["retention.ms"] = str(retention)
    if settings.kafka_min_insync_replicas is not None:
        configs["min.insync.replicas"] = str(settings.kafka_min_insync_replicas)
    return configs


def new_topic(topic: Topic, settings: Settings | None) -> NewTopic:
    """The creation request of a registry topic (None settings: embedded defaults)."""
    return NewTopic(
        topic.name,
        num_partitions=partitions_of(topic, settings),
        replication_factor=settings.kafka_replication_factor if settings is not None else 1,
        topic_configs=topic_configs(topic, settings),
    )
