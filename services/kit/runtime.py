"""A service process: settings, database, broker, outbox relay and HTTP app, wired once.

Each service builds one :class:`ServiceRuntime` in its ``app`` module (the module-level
``broker`` and ``app`` FastStream and uvicorn expect) and registers its consumers and
routes on it. Nothing else in a service constructs infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import TypeAdapter
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Event
from contracts.topics import Topic
from services.kit.broker import ensure_topics, make_broker
from services.kit.caller import require_caller
from services.kit.consumer import EventConsumer, EventHandler, subscribe_events
from services.kit.database import Database
from services.kit.http import health_router, install_problem_details, install_request_metrics
from services.kit.kafka_clients import security_options
from services.kit.kafka_sender import KafkaSender
from services.kit.logs import configure_logging
from services.kit.metrics import ServiceMetrics
from services.kit.migrations import upgrade_to_head
from services.kit.outbox_relay import OutboxRelay
from services.kit.schema import add_kit_tables
from services.kit.settings import Settings
from services.kit.subject_versions import versions_router
from services.kit.telemetry import configure_tracing
from services.kit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

BackgroundTask = Callable[[], Coroutine[Any, Any, None]]

PUBLIC_EDGE = "gateway"
"""The one service that authenticates bearer tokens; every other one trusts only signed
caller assertions (:mod:`services.kit.caller`)."""


@dataclass(frozen=True)
class BatchConsumerDoc:
    """A consumer that reads with aiokafka, not FastStream, for the AsyncAPI document."""

    topic: Topic
    name: str
    group_id: str
    event_types: tuple[str, ...]


SettingsT = TypeVar("SettingsT", bound=Settings)


class ServiceRuntime(Generic[SettingsT]):
    """Everything one service process needs, built from its settings: the kit's
    :class:`Settings` or the service's own subclass (``ClaimsSettings`` …), which the
    runtime keeps with its type (``runtime.settings.claim_batch_size`` type-checks in
    the claims service only)."""

    def __init__(self, service: str, metadata: MetaData, settings: SettingsT) -> None:
        self.settings: SettingsT = settings
        configure_logging(service, self.settings.log_level)
        self.metrics = ServiceMetrics.create(service)
        self.tracer_provider = configure_tracing(self.settings)
        self.tables = add_kit_tables(metadata)
        self.metadata = metadata
        self.db = Database(self.settings.resolved_database_url)
        self.broker = make_broker(self.settings, self.metrics, self.tracer_provider)
        self.sender = KafkaSender(
            self.settings.kafka_bootstrap_servers,
            self.tracer_provider if self.settings.otel_traces != "none" else None,
            security=security_options(self.settings),
        )
        self.relay = OutboxRelay(
            self.db,
            self.tables,
            self.sender,
            self.metrics,
            poll_interval_s=self.settings.outbox_poll_interval_s,
        )
        self.background_tasks: list[BackgroundTask] = [self.relay.run]
        self.batch_consumers: list[BatchConsumerDoc] = []
        self.consumer_prelude: Callable[[AsyncSession], Awaitable[None]] | None = None
        """Runs first in every consumer's unit of work, before the processed-events
        check (reporting waits there for a running rebuild); None for most services."""
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def service(self) -> str:
        """The service name (``claims``, ``gateway``, …)."""
        return self.settings.service

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work whose committed events go straight to the outbox relay."""
        return UnitOfWork(self.db, self.tables, publisher=self.relay)

    async def begin_consumer_write(self, uow: UnitOfWork) -> None:
        """Open a consumer's unit of work with the service's :attr:`consumer_prelude`."""
        if self.consumer_prelude is not None:
            await self.consumer_prelude(uow.session)

    def consume(
        self,
        topic: Topic,
        adapter: TypeAdapter[Any],
        handlers: dict[type[Event], EventHandler],
        *,
        name: str | None = None,
    ) -> EventConsumer:
        """Subscribe this service's consumer group to ``topic`` with idempotent handlers."""
        consumer = EventConsumer(
            runtime=self,
            topic=topic,
            name=name or f"{self.service}.{topic.name}",
            adapter=adapter,
            handlers=handlers,
        )
        subscribe_events(
            self.broker,
            consumer,
            group_id=f"atr-{self.service}.{topic.name}",
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.kafka_heartbeat_interval_ms,
        )
        return consumer

    def document_batch_consumer(
        self, topic: Topic, name: str, group_id: str, event_types: tuple[str, ...]
    ) -> None:
        """Record a batched consumer of this service for ``atr asyncapi`` (FastStream
        documents only its own subscribers)."""
        self.batch_consumers.append(BatchConsumerDoc(topic, name, group_id, event_types))

    async def readiness(self) -> dict[str, str]:
        """Reachability of the database and, but for the gateway, the broker (``/readyz``).

        The gateway writes what it accepts to its outbox, so it takes claims through a
        broker outage (the relay sends them once the broker is back): only its database
        decides whether it is ready. The other services consume, so they need both.
        """
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.ping(), timeout=3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        if self.service == PUBLIC_EDGE:
            return checks
        try:
            ok = await self.broker.ping(timeout=3)
            checks["broker"] = "ok" if ok else "unreachable"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
        return checks

    async def prestart(self) -> None:
        """Migrate the database to head and create the registry's topics."""
        await asyncio.to_thread(upgrade_to_head, self.service, self.db.url)
        await ensure_topics(self.settings.kafka_bootstrap_servers, settings=self.settings)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        """Start broker and background tasks with the HTTP server; stop them after."""
        await self.prestart()
        await self.broker.start()
        self._tasks = [
            asyncio.create_task(self._supervised(task)) for task in self.background_tasks
        ]
        log.info("service %s started", self.service)
        try:
            yield
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.sender.stop()
            await self.broker.stop()
            await self.db.dispose()
            self.tracer_provider.shutdown()

    async def _supervised(self, task: BackgroundTask) -> None:
        """Run a background task for the life of the process, restarting it if it fails.

        A consumer loop or relay that raised would otherwise end silently while its
        partitions stay assigned (non-negotiable 5: never a crashed consumer). Restarting
        is safe: offsets are committed only after durable work, so the restarted loop
        gets the unfinished batch again and skips what was already written.
        """
        name = getattr(task, "__qualname__", repr(task))
        while True:
            try:
                await task()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s failed; restarting in 1 s", name)
                self.metrics.background_restarts.labels(self.metrics.service, name).inc()
                await asyncio.sleep(1.0)

    def http_app(self, *routers: APIRouter, title: str, description: str = "") -> FastAPI:
        """The service's FastAPI app with health, readiness, metrics and its routes.

        Every route of an internal service (all but ``/healthz``, ``/readyz`` and
        ``/metrics``) needs a valid signed caller assertion (:mod:`services.kit.caller`),
        else 401; its API docs are off. Each internal service also answers
        ``POST /internal/subject-versions`` (:mod:`services.kit.subject_versions`).
        The gateway authenticates bearer tokens itself.
        """
        internal = self.service != PUBLIC_EDGE
        docs: dict[str, Any] = (
            {"openapi_url": None, "docs_url": None, "redoc_url": None} if internal else {}
        )
        app = FastAPI(
            title=title,
            description=description,
            version="0.1.0",
            lifespan=self.lifespan,
            **docs,
        )
        app.include_router(health_router(self))
        guard = [Depends(require_caller(self.settings.internal_key))] if internal else []
        every = (*routers, versions_router()) if internal else routers
        for router in every:
            app.include_router(router, dependencies=guard)
        app.state.runtime = self
        install_request_metrics(app, self)
        install_problem_details(app)
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.tracer_provider, excluded_urls="healthz,readyz,metrics"
        )
        return app
