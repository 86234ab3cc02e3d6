"""FastStream ``KafkaBroker`` factory and startup topic creation.

Producers use ``acks="all"`` without idempotence: the embedded broker (Tansu) does not
implement ``InitProducerId`` (docs/embedded-broker.md rule 7), so exactly-once comes from idempotent
consumers instead. Topics are created explicitly at startup from the registry
(docs/embedded-broker.md rule 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider

from contracts.topics import ALL_TOPICS, Topic
from services.kit.kafka_clients import broker_security, new_topic, security_options, token_provider
from services.kit.metrics import ServiceMetrics
from services.kit.settings import Settings

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def make_broker(
    settings: Settings, metrics: ServiceMetrics, tracer_provider: TracerProvider | None
) -> KafkaBroker:
    """The service's broker: ``acks=all``, no idempotence, tracing and metrics on, TLS
    and SASL as the ``KAFKA_*`` settings say (:mod:`services.kit.kafka_clients`)."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=broker_security(settings),
        sasl_oauth_token_provider=token_provider(settings),
        client_id=f"atr-{settings.service}",
        acks="all",
        enable_idempotence=False,
        max_request_size=MAX_MESSAGE_BYTES,
        max_batch_size=1024 * 1024,
        linger_ms=2,
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(
                registry=metrics.registry,
                app_name=f"atr-{settings.service}",
                metrics_prefix="atr",
                custom_labels={"service": settings.service},
            ),
        ],
        logger=logging.getLogger(f"atr.{settings.service}.broker"),
        description=f"ATR {settings.service} service",
    )


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[Topic] = ALL_TOPICS,
    *,
    timeout_s: float = 30.0,
    settings: Settings | None = None,
) -> None:
    """Create every registry topic that does not exist yet (idempotent).

    With ``settings`` the admin client connects with their TLS/SASL options and topics
    get their replication factor, claims partition count and retention
    (:func:`~services.kit.kafka_clients.new_topic`); without, the embedded defaults.
    Retries while the broker is still coming up, up to ``timeout_s``.
    """
    security = security_options(settings) if settings is not None else {}
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000, **security
        )
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [topic for topic in topics if topic.name not in existing]
            if missing:
                # another service may create one between list and create
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics([new_topic(topic, settings) for topic in missing])
                log.info("created topics %s", [topic.name for topic in missing])
            return
        except (KafkaConnectionError, OSError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Kafka at {bootstrap_servers} not reachable: {exc}") from exc
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
