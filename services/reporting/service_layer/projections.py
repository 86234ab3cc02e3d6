"""What reporting consumes and how each event lands in the read models (SPEC §3.6: the
reports are built only from the topics). One table for the service's consumers and for
``atr reporting rebuild``, so the replay applies exactly what the consumers apply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from contracts.claims import ClaimAdjudicated, ClaimAdjudicatedEvent, ClaimCorrected
from contracts.clients import ChoiceExceptionRecorded, ClientEvent
from contracts.envelope import Event
from contracts.payments import (
    AdministrativeCostRecorded,
    FiscalYearOpened,
    FundingAdjusted,
    HoldbackForfeited,
    HoldbackReleased,
    IncentiveAwarded,
    InvoiceIssued,
    LineFunded,
    PaymentEvent,
)
from contracts.providers import ProviderEvent, ProviderRegistered
from contracts.topics import CLAIMS_ADJUDICATED, CLIENTS, PAYMENTS, PROVIDERS, VOUCHERS, Topic
from contracts.vouchers import VoucherEvent, VoucherIssued, VoucherProviderSelected
from services.kit.unit_of_work import UnitOfWork
from services.reporting.adapters import projections as write
from services.reporting.adapters.rebuild_lock import wait_for_rebuild
from services.reporting.service_layer.capacity import count_provider_designated
from services.reporting.service_layer.outcomes import CLIENT_HANDLERS, VOUCHER_HANDLERS

EventHandler = Callable[[UnitOfWork, Any], Awaitable[None]]


async def on_provider_registered(uow: UnitOfWork, event: ProviderRegistered) -> None:
    """Providers designated (SPEC §3.6 access/capacity): the counter and the registry."""
    await count_provider_designated(uow, event)
    await write.provider_designated(uow, event)


def _each(*handlers: EventHandler) -> EventHandler:
    """One handler applying ``handlers`` in turn (two read models fed by one event)."""

    async def apply(uow: UnitOfWork, event: Any) -> None:
        for handler in handlers:
            await handler(uow, event)

    return apply


@dataclass(frozen=True)
class Projection:
    """One consumed topic: its event union and a handler per event type; ``batched``
    topics are applied a batch at a time by :func:`apply_batch`."""

    topic: Topic
    adapter: TypeAdapter[Any]
    handlers: dict[type[Event], EventHandler] = field(default_factory=dict)
    batched: bool = False

    @property
    def consumer(self) -> str:
        """The consumer name its processed-events rows carry."""
        return f"reporting.{self.topic.name}"

    @property
    def accepts(self) -> tuple[type[Event], ...]:
        """The event types it applies."""
        return tuple(self.handlers)


CLAIMS_PROJECTION = Projection(
    CLAIMS_ADJUDICATED,
    TypeAdapter(ClaimAdjudicatedEvent),
    {ClaimAdjudicated: write.apply_claim_events, ClaimCorrected: write.apply_claim_events},
    batched=True,
)

PROJECTIONS: tuple[Projection, ...] = (
    CLAIMS_PROJECTION,
    Projection(
        PAYMENTS,
        TypeAdapter(PaymentEvent),
        {
            FiscalYearOpened: _each(write.fiscal_year_opened, write.proposed_costs_of_year),
            LineFunded: write.line_funded,
            FundingAdjusted: write.funding_adjusted,
            HoldbackReleased: write.holdback_released,
            HoldbackForfeited: write.holdback_forfeited,
            IncentiveAwarded: write.incentive_awarded,
            InvoiceIssued: write.invoice_issued,
            AdministrativeCostRecorded: write.administrative_cost_recorded,
        },
    ),
    Projection(
        VOUCHERS,
        TypeAdapter(VoucherEvent),
        VOUCHER_HANDLERS
        | {
            VoucherIssued: _each(write.voucher_issued, VOUCHER_HANDLERS[VoucherIssued]),
            VoucherProviderSelected: _each(
                write.provider_selected, VOUCHER_HANDLERS[VoucherProviderSelected]
            ),
        },
    ),
    Projection(PROVIDERS, TypeAdapter(ProviderEvent), {ProviderRegistered: on_provider_registered}),
    Projection(
        CLIENTS,
        TypeAdapter(ClientEvent),
        CLIENT_HANDLERS | {ChoiceExceptionRecorded: write.choice_exception_recorded},
    ),
)
"""Every topic reporting reads, in the order a replay applies them."""


async def apply_claims(uow: UnitOfWork, events: list[Any]) -> None:
    """The batch handler of the claims topic (decisions and corrections in order)."""
    await write.apply_claim_events(uow, events)


async def apply_events(
    uow: UnitOfWork, projection: Projection, events: Sequence[Event], *, replaying: bool = False
) -> int:
    """Apply ``events`` of one topic once each (the processed-events guard, as the
    kit's consumers do); how many were new. The caller commits. A consumer's write first
    waits for a running rebuild (:mod:`~services.reporting.adapters.rebuild_lock`); the
    rebuild's own replay (``replaying``) holds that lock already."""
    if not replaying:
        await wait_for_rebuild(uow.session)
    by_id = {str(e.id): e for e in events}
    fresh = await uow.first_time_many(projection.consumer, projection.topic.name, list(by_id))
    new = [e for i, e in by_id.items() if i in fresh and isinstance(e, projection.accepts)]
    if not new:
        return 0
    if projection.batched:
        await apply_claims(uow, new)
        return len(new)
    for event in new:
        await projection.handlers[type(event)](uow, event)
    return len(new)
