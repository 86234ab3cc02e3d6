"""The claim worker: batched, ordered, exactly once in effect (issue 6 items 4-8).

One loop per process, in the consumer group ``atr-claims-workers`` of
``atr.claims.submitted.v1`` (keyed by ``client_id``, so each client's lines reach one
worker in order). For every batch the worker:

1. takes up to ``claim_batch_size`` records (``getmany``) and dead-letters the ones
   that are not valid ``ClaimSubmitted`` events (the loop keeps going);
2. reads, without the write lock, a fingerprint of the stored state (the highest line
   and decision numbers, the replicas' versions), then which claim ids are new and the
   state they are decided on (replicas, histories, ledgers);
3. asks the vouchers service, only for lines whose voucher this worker has not seen
   active, whether the admission was acknowledged before the claim (SPEC §3.4 lag);
4. decides the new lines in memory, in key order, and prepares their events and rows;
5. in ONE short transaction (on SQLite inside the writer's turn, which the workers
   sharing the file queue for): checks the fingerprint (if another worker stored lines
   of these clients meanwhile — a partition hand-over, even lines of this very batch —
   it re-reads and re-decides under the lock), numbers the decisions, writes every
   line and every outgoing event (outbox, serialised before the turn), commits;
6. only then commits the offsets. The outbox relay publishes the results pipelined.

Deciding and serialising outside the writing transaction is what lets several workers
sharing one SQLite file work in parallel: the write lock is held only to store, and the
results are handed to the relay after the commit without waiting for the producer.
A crash anywhere before step 6 redelivers the batch; step 5 makes the redelivery a
no-op for lines already written, so no line is lost or decided twice (BROKER.md: no
idempotent producer here, so consumers are idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
from aiokafka import ConsumerRecord
from opentelemetry import propagate, trace
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.claims import ClaimSubmitted
from contracts.topics import CLAIMS_SUBMITTED
from contracts.vouchers import VoucherSnapshot
from programs.catalog import Catalog
from services.claims.adapters.orm import claims
from services.claims.domain import checks
from services.claims.service_layer import adjudication
from services.claims.service_layer.adjudication import UNREACHABLE, Received
from services.claims.service_layer.history import HistoryCache, lock_claim_writes
from services.claims.service_layer.state import (
    BatchState,
    Watermark,
    changed_since,
    load_state,
    watermark,
)
from services.kit.batch_consumer import consume_in_batches
from services.kit.bulk import PreparedInsert, execute_prepared, prepare_rows
from services.kit.clock import Clock
from services.kit.dead_letter import dead_letter_record, describe_validation_error
from services.kit.failures import describe_failure, is_transient
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

GROUP_ID = "atr-claims-workers"
MAX_LINKS = 32
"""The batch span links to the traces of its first 32 claims (enough to follow a request)."""


class VoucherLookup:
    """Asks the vouchers service for a voucher's current state (the lag check only).

    ``auth`` signs every request (``services.kit.caller.CallerAuth``, as ``system``):
    the vouchers service refuses unsigned callers.
    """

    def __init__(self, base_url: str, auth: httpx.Auth, timeout_s: float = 2.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, auth=auth, timeout=timeout_s)

    async def fetch(self, voucher_ids: set[str]) -> dict[str, VoucherSnapshot | str | None]:
        """Each voucher's snapshot, ``None`` when unknown, ``UNREACHABLE`` on failure."""

        async def one(voucher_id: str) -> tuple[str, VoucherSnapshot | str | None]:
            try:
                answer = await self._client.get(f"/vouchers/{voucher_id}")
            except httpx.HTTPError:
                return voucher_id, UNREACHABLE
            if answer.status_code == 404:
                return voucher_id, None
            if answer.status_code != 200:
                # 401/403 mean the internal key differs between services: say so, the
                # lines stay pending until it is fixed
                log.warning("voucher lookup answered %d; line stays pending", answer.status_code)
                return voucher_id, UNREACHABLE
            return voucher_id, VoucherSnapshot.model_validate(answer.json())

        return dict(await asyncio.gather(*(one(v) for v in sorted(voucher_ids))))

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


class ClaimWorker:
    """The adjudication loop of one claims process."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        catalog: Callable[[], Catalog],
        clock: Clock,
        lookup: VoucherLookup,
    ) -> None:
        self.runtime = runtime
        self.catalog = catalog
        self.clock = clock
        self.lookup = lookup
        self.tracer = trace.get_tracer(__name__, tracer_provider=runtime.tracer_provider)
        self.settings = runtime.settings
        self.history = HistoryCache(runtime.settings.claim_history_cache_clients)
        runtime.document_batch_consumer(
            CLAIMS_SUBMITTED,
            "claims.worker",
            GROUP_ID,
            (ClaimSubmitted.model_fields["type"].default,),
        )

    async def run(self) -> None:
        """Consume, decide, write, commit — until cancelled."""
        await consume_in_batches(
            self.settings,
            CLAIMS_SUBMITTED.name,
            group_id=GROUP_ID,
            max_records=self.settings.claim_batch_size,
            process=self.process,
            metrics=self.runtime.metrics,
            dead_letter=self._dead_letter,
        )

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        await dead_letter_record(self.runtime, record, error, GROUP_ID)

    async def process(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> int:
        """Decide one batch of records; returns how many lines were new.

        Never raises for a message: records that are not valid events, and lines that
        fail to be decided or stored on their own, are dead-lettered. Only an outage
        (:func:`~services.kit.failures.is_transient`) propagates, for the loop to rewind.
        """
        batch: list[tuple[Received, ConsumerRecord[bytes, bytes]]] = []
        links: list[trace.Link] = []
        for record in records:
            try:
                event = ClaimSubmitted.model_validate_json(record.value or b"")
            except ValidationError as exc:
                await dead_letter_record(
                    self.runtime, record, describe_validation_error(exc), GROUP_ID
                )
                continue
            batch.append((adjudication.to_line(event.data), record))
            if len(links) >= MAX_LINKS:
                continue
            context = trace.get_current_span(
                propagate.extract(
                    {k: (v or b"").decode(errors="replace") for k, v in record.headers or ()}
                )
            ).get_span_context()
            if context.is_valid:
                links.append(trace.Link(context))
        if not batch:
            return 0
        with self.tracer.start_as_current_span(
            "adjudicate claims batch", links=links, attributes={"atr.batch": len(batch)}
        ):
            try:
                new = await self._adjudicate([received for received, _ in batch])
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning(
                    "claims batch failed (%s); deciding its lines one by one",
                    describe_failure(exc),
                )
                new = await self._one_by_one(batch)
        self.runtime.metrics.events_processed.labels(CLAIMS_SUBMITTED.name, "batch").inc(len(batch))
        return new

    async def _one_by_one(
        self, batch: Sequence[tuple[Received, ConsumerRecord[bytes, bytes]]]
    ) -> int:
        """Each line alone (read, decide, store, its own transaction), in order; a line
        that fails alone is dead-lettered with its error and the others carry on."""
        new = 0
        for received, record in batch:
            try:
                new += await self._adjudicate([received])
            except Exception as exc:
                if is_transient(exc):
                    raise
                error = describe_failure(exc)
                log.error(
                    "claim %s could not be decided (%s); dead-lettered",
                    received.line.claim_id,
                    error,
                )
                await dead_letter_record(self.runtime, record, error, GROUP_ID)
        return new

    async def _adjudicate(self, batch: Sequence[Received]) -> int:
        """Read, decide and store ``batch`` in one writing transaction; how many were new."""
        async with self.runtime.db.read_sessions() as session:
            fresh, state, seen = await self._read(session, batch)
        if not fresh:
            return 0
        authoritative = await self._lag_truth(fresh, state)
        results = self._decide(fresh, state, authoritative)
        async with self.runtime.unit_of_work() as uow:
            rows = self._prepare(uow, results)
            async with self.runtime.db.writer_turn():
                await lock_claim_writes(uow.session)
                if await changed_since(uow.session, seen, *_ids(batch)):
                    # another worker stored or decided lines of these clients since the
                    # snapshot (a partition hand-over): decide again on what is stored
                    log.info("claims batch changed under it; deciding again")
                    fresh, state, _ = await self._read(uow.session, fresh)
                    results = self._decide(fresh, state, authoritative)
                    uow.discard_events()
                    rows = self._prepare(uow, results)
                await self._store(uow, results, rows)
                await uow.commit()
        self._remember(results)
        return len(fresh)

    async def _read(
        self, session: AsyncSession, batch: Sequence[Received]
    ) -> tuple[list[Received], BatchState, Watermark]:
        """The lines of ``batch`` not stored yet, the state they are decided on, and
        where the stored state stood (read first: a line stored after it, even one of
        this batch, is newer than the mark, so :func:`changed_since` sees it)."""
        _, vouchers, providers = _ids(batch)
        mark = await watermark(session, vouchers, providers)
        fresh = await self._new_only(session, batch)
        if not fresh:
            return fresh, BatchState(), mark
        state = await load_state(
            session,
            *_ids(fresh),
            history=self.history,
            decided_through=mark.max_decision_seq,
        )
        return fresh, state, mark

    async def _lag_truth(self, batch: Sequence[Received], state: BatchState) -> Mapping[str, Any]:
        """Ask vouchers about the vouchers this worker has not seen admitted (rare)."""
        suspects = set()
        today = self.clock.today()
        for received in batch:
            voucher = state.vouchers.get(received.line.voucher_id)
            reasons = checks.voucher_reasons(
                received.line, voucher, None, today=today, client_eligible=None
            )
            if set(reasons) & checks.LAG_REASONS:
                suspects.add(received.line.voucher_id)
        return await self.lookup.fetch(suspects) if suspects else {}

    async def _new_only(self, session: AsyncSession, batch: Sequence[Received]) -> list[Received]:
        """The lines of ``batch`` not stored yet, first occurrence of each claim id."""
        ids = [r.line.claim_id for r in batch]
        known = set(
            await session.scalars(select(claims.c.claim_id).where(claims.c.claim_id.in_(ids)))
        )
        seen: set[str] = set()
        fresh = []
        for received in batch:
            if received.line.claim_id in known or received.line.claim_id in seen:
                self.runtime.metrics.events_duplicate.labels(CLAIMS_SUBMITTED.name).inc()
                continue
            seen.add(received.line.claim_id)
            fresh.append(received)
        return fresh

    def _decide(
        self, batch: Sequence[Received], state: BatchState, authoritative: Mapping[str, Any]
    ) -> list[tuple[Received, dict[str, Any]]]:
        return adjudication.decide_all(
            batch,
            state,
            self.catalog(),
            today=self.clock.today(),
            now=self.clock.now(),
            authoritative=authoritative,
        )

    def _prepare(
        self, uow: UnitOfWork, results: Sequence[tuple[Received, dict[str, Any]]]
    ) -> PreparedInsert | None:
        """Emit the decisions' events and bind them and the claims rows, before the
        writer's turn (only the decision numbers are left for it)."""
        adjudication.emit_decisions(uow, results)
        uow.prepare()
        if not results:
            return None
        now = self.clock.now()
        rows = [
            {
                "claim_id": received.line.claim_id,
                "claim_ref": received.claim_ref,
                "provider_id": received.line.provider_id,
                "client_id": received.line.client_id,
                "voucher_id": received.line.voucher_id,
                "service_code": received.line.service_code,
                "service_date": received.line.service_date,
                "billed_units": received.line.units,
                "line": dict(received.data),
                "start_time": received.line.start_time,
                "end_time": received.line.end_time,
                "miles": received.line.miles,
                "pass_type": received.line.pass_type,
                "activity": received.line.activity,
                "face_to_face": received.line.face_to_face,
                "submitted_at": received.submitted_at,
                "received_at": now,
                **values,
            }
            for received, values in results
        ]
        return prepare_rows(claims, self.runtime.db.engine.dialect, rows)

    def _remember(self, results: Sequence[tuple[Received, dict[str, Any]]]) -> None:
        """Add the committed allowed lines to the history cache (no read-back)."""
        for received, values in results:
            # the history holds lines with allowed units, as read_histories reads them
            if values["decision_seq"] is not None and values["allowed_units"] > 0:
                line = received.line
                self.history.remember(
                    line.client_id,
                    adjudication.allowed_line(
                        line, values["allowed_units"], values["allowed_amount"]
                    ),
                    values["decision_seq"],
                )

    async def _store(
        self,
        uow: UnitOfWork,
        results: Sequence[tuple[Received, dict[str, Any]]],
        rows: PreparedInsert | None,
    ) -> None:
        """Number the decisions and store every line (in the writer's turn)."""
        if rows is None:
            return
        await adjudication.number_decisions(uow, results)
        rows.set_column("decision_seq", [values["decision_seq"] for _, values in results])
        await execute_prepared(uow.session, rows)


def _ids(batch: Sequence[Received]) -> tuple[set[str], set[str], set[str]]:
    """The client, voucher and provider ids a batch is decided on."""
    return (
        {r.line.client_id for r in batch},
        {r.line.voucher_id for r in batch},
        {r.line.provider_id for r in batch},
    )
