"""The claim worker: batched, ordered, exactly once in effect.

One loop per process, in the consumer group ``atr-claims-workers`` of
``atr.claims.submitted.v1`` (keyed by ``client_id``, so each client's lines reach one
worker in order). Every batch goes consume → load → decide → store:

1. **consume**: up to ``claim_batch_size`` records (``getmany``); the ones that are not
   valid ``ClaimSubmitted`` events are dead-lettered (the loop keeps going);
2. **load** (:meth:`SqlClaimStore.load`, no write lock): a watermark of the stored
   state (the highest line and decision numbers, the replicas' versions), which claim
   ids are new, and the state they are decided on (replicas, histories, ledgers),
   through the fence (:mod:`~services.claims.service_layer.fence`): the owners of the
   facts are asked for their versions and the load repeats until the replicas hold
   every fact acknowledged before the batch (lines still behind pend); then,
   only for lines whose decision depends on voucher state this worker may not have seen
   yet, the vouchers service's answer (:class:`VoucherLookup`, SPEC §3.4);
3. **decide** the new lines in memory, in key order
   (:func:`~services.claims.service_layer.adjudication.decide_batch`);
4. **store** (:meth:`SqlClaimStore.save`) in ONE short transaction that locks the
   batch's clients (their heads): if another writer stored or decided lines of these
   clients since the watermark — a partition hand-over, even lines of this very
   batch — load and decide again under those locks; number the decisions, write every
   line and outgoing event (outbox), commit;
5. only then the offsets are committed. The outbox relay publishes the results.

Deciding and serialising outside the writing transaction keeps the locks short, and
workers lock only their own clients, so several workers write in parallel. A crash
anywhere before step 5 redelivers the batch; step 4 makes the redelivery a no-op for
lines already written, so no line is lost or decided twice (the embedded broker has no
idempotent producer, so consumers are idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial

from aiokafka import ConsumerRecord
from opentelemetry import propagate, trace
from pydantic import ValidationError

from contracts.claims import ClaimSubmitted
from contracts.topics import CLAIMS_SUBMITTED
from programs.catalog import Catalog
from services.claims.adapters import vouchers
from services.claims.adapters.claim_lines import line_from_submitted
from services.claims.adapters.claim_store import SqlClaimStore
from services.claims.adapters.fact_owners import FactOwners
from services.claims.adapters.history import HistoryCache
from services.claims.domain.model import ClaimLine
from services.claims.service_layer.adjudication import decide_batch, vouchers_to_ask
from services.claims.service_layer.fence import Confirmed, fenced
from services.claims.settings import ClaimsSettings
from services.kit.batch_consumer import consume_in_batches
from services.kit.clock import Clock
from services.kit.dead_letter import dead_letter_record, describe_validation_error
from services.kit.failures import describe_failure, is_transient
from services.kit.runtime import ServiceRuntime

__all__ = ["GROUP_ID", "ClaimWorker"]

log = logging.getLogger(__name__)

GROUP_ID = "atr-claims-workers"
MAX_LINKS = 32
"""The batch span links to the traces of its first 32 claims (enough to follow a request)."""


class ClaimWorker:
    """The adjudication loop of one claims process."""

    def __init__(
        self,
        runtime: ServiceRuntime[ClaimsSettings],
        catalog: Callable[[], Catalog],
        clock: Clock,
        lookup: vouchers.VoucherLookup,
        owners: FactOwners,
    ) -> None:
        self.runtime = runtime
        self.catalog = catalog
        self.clock = clock
        self.lookup = lookup
        self.owners = owners
        self.confirmed = Confirmed(timedelta(seconds=runtime.settings.claim_clock_skew_s))
        self.tracer = trace.get_tracer(__name__, tracer_provider=runtime.tracer_provider)
        self.settings = runtime.settings
        self.history = HistoryCache(runtime.settings.claim_history_cache_clients)
        self.store = SqlClaimStore(runtime, self.history)
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
        batch: list[tuple[ClaimLine, ConsumerRecord[bytes, bytes]]] = []
        links: list[trace.Link] = []
        for record in records:
            try:
                event = ClaimSubmitted.model_validate_json(record.value or b"")
            except ValidationError as exc:
                await dead_letter_record(
                    self.runtime, record, describe_validation_error(exc), GROUP_ID
                )
                continue
            batch.append((line_from_submitted(event.data), record))
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
                new = await self._adjudicate([line for line, _ in batch])
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning(
                    "claims batch failed (%s); deciding its lines one by one",
                    describe_failure(exc),
                )
                new = await self._one_by_one(batch)
        self.runtime.metrics.events_processed.labels(
            self.runtime.metrics.service, CLAIMS_SUBMITTED.name, "batch"
        ).inc(len(batch))
        return new

    async def _one_by_one(
        self, batch: Sequence[tuple[ClaimLine, ConsumerRecord[bytes, bytes]]]
    ) -> int:
        """Each line alone (read, decide, store, its own transaction), in order; a line
        that fails alone is dead-lettered with its error and the others carry on."""
        new = 0
        for line, record in batch:
            try:
                new += await self._adjudicate([line])
            except Exception as exc:
                if is_transient(exc):
                    raise
                error = describe_failure(exc)
                log.error(
                    "claim %s could not be decided (%s); dead-lettered",
                    line.claim_id,
                    error,
                )
                await dead_letter_record(self.runtime, record, error, GROUP_ID)
        return new

    async def _adjudicate(self, lines: Sequence[ClaimLine]) -> int:
        """Load (through the fence), decide and store ``lines`` (one writing
        transaction); how many were new."""
        loaded, stale = await fenced(
            partial(self.store.load, lines),
            self.owners,
            self.settings.claim_fact_wait_s,
            self.confirmed,
        )
        if not loaded.lines:
            return 0
        today = self.clock.today()
        suspects = vouchers_to_ask(loaded, today)
        authoritative = await self.lookup.fetch(suspects) if suspects else {}
        decide = partial(
            decide_batch,
            catalog=self.catalog(),
            today=today,
            authoritative=authoritative,
            stale=stale,
        )
        stored = await self.store.save(decide(loaded), loaded, decide, self.clock.now())
        return len(stored)
