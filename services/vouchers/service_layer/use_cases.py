"""Voucher use cases: load, decide (pure domain), save, emit — one transaction each.

SPEC §3.3. Every change is published on ``atr.vouchers.v1`` through the outbox in the
transaction that made it, so state systems see exactly the committed history in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select

from contracts.api.vouchers import (
    CloseVoucher,
    CreateVoucher,
    DischargeClient,
    ExtendVoucher,
    ReportAdmission,
    SelectProvider,
)
from contracts.claims import ClaimAdjudicated, ClaimCorrected, ClaimCorrectedData
from contracts.clients import (
    AuthorizedService,
    ChoiceListOffered,
    ClientAssessed,
    EligibilityDetermined,
)
from contracts.payments import next_fiscal_year_start
from contracts.providers import ProviderRegistered, ProviderUpdated
from contracts.vouchers import (
    ActivatedData,
    BalanceChangedData,
    BalanceLine,
    ClosedData,
    DischargedData,
    ExpiredData,
    ExtendedData,
    ProviderSelectedData,
    VoucherActivated,
    VoucherBalanceChanged,
    VoucherClosed,
    VoucherDischarged,
    VoucherExpired,
    VoucherExtended,
    VoucherIssued,
    VoucherIssuedData,
    VoucherProviderSelected,
    VoucherSnapshot,
)
from services.kit.actor import Actor
from services.kit.clock import Clock
from services.kit.provider_status import receives_vouchers_on
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.adapters.orm import offered_choice_lists, voucher_providers, vouchers
from services.vouchers.domain import lifecycle
from services.vouchers.domain.lifecycle import RuleViolationError
from services.vouchers.service_layer import repository

REENTRY_SERVICE = "REENTRY_COORDINATION"
SYSTEM = Actor(role="system", token_id="system")  # noqa: S106 - an actor id, not a secret


class PricedCatalog(Protocol):
    """What vouchers needs from the active program catalog (``programs``)."""

    def is_priced(self, code: str) -> bool:
        """Whether the program prices the service (``KeyError`` when it has none)."""
        ...

    def may_create_voucher(self, code: str, role: str) -> bool:
        """Whether ``role`` may create vouchers for the service."""
        ...

    def missing_for_voucher(self, code: str, attributes: Iterable[str]) -> list[str]:
        """The client attributes a voucher for the service needs and the client lacks."""
        ...


class ForbiddenError(Exception):
    """The actor may not do this (HTTP 403) or may not see the voucher (HTTP 404)."""


def new_voucher_id(seed: str | None = None) -> str:
    """A voucher id; derived from ``seed`` (an upstream event's id) when given, so replays
    of the same upstream fact issue the same voucher."""
    value = uuid.uuid5(uuid.NAMESPACE_URL, f"atr:voucher:{seed}") if seed else uuid.uuid4()
    return f"VCH-{value.hex[:12].upper()}"


def check_services(
    services: list[AuthorizedService],
    catalog: PricedCatalog,
    role: str,
    attributes: Iterable[str] = (),
) -> None:
    """Refuse unknown, unpriced or role-restricted services (SPEC §3.4 Illinois; seed 000
    §2), and services the client's assessed attributes do not open (seed 001 Recovery
    Home: "Only National Guard referrals are eligible for recovery home services" —
    refused when the voucher is issued, not only denied at claim time)."""
    attributes = frozenset(attributes)
    for index, service in enumerate(services):
        field = f"authorized_services.{index}.service_code"
        try:
            priced = catalog.is_priced(service.service_code)
        except KeyError as exc:
            raise RuleViolationError(field, "not a service of the active program") from exc
        if not priced:
            raise RuleViolationError(field, "the program has no price for this service")
        if not catalog.may_create_voucher(service.service_code, role):
            raise RuleViolationError(field, f"role {role} may not create vouchers for this service")
        missing = catalog.missing_for_voucher(service.service_code, attributes)
        if missing:
            raise RuleViolationError(
                field, f"the client's assessment does not record {', '.join(missing)}"
            )


async def create_voucher(
    uow: UnitOfWork, command: CreateVoucher, actor: Actor, catalog: PricedCatalog, clock: Clock
) -> VoucherSnapshot:
    """``POST /v1/vouchers``: service vouchers (assessor) and re-entry vouchers (doc_thu).

    Re-entry coordination vouchers only by ``doc_thu`` and only when release is 14 days
    away or less (seed 000 §2); every service must be priced by the program.
    """
    today = clock.today()
    codes = {s.service_code for s in command.authorized_services}
    if command.kind == "reentry":
        if actor.role != "doc_thu":
            raise ForbiddenError("only doc_thu creates re-entry vouchers")
        if command.release_date is None:
            raise RuleViolationError("release_date", "required for re-entry vouchers")
        lifecycle.check_reentry_window(command.release_date, today)
        if codes != {REENTRY_SERVICE}:
            raise RuleViolationError(
                "authorized_services", f"a re-entry voucher authorises {REENTRY_SERVICE} only"
            )
    elif actor.role not in ("assessor", "system"):
        raise ForbiddenError("only assessors create service vouchers")
    check_services(
        command.authorized_services,
        catalog,
        actor.role,
        await repository.client_attributes_of(uow, command.client_id),
    )
    voucher = lifecycle.issue(
        voucher_id=new_voucher_id(),
        client_id=command.client_id,
        kind=command.kind,
        today=today,
        valid_from=command.assessed_on or today,
        authorized_services=command.authorized_services,
        max_value=command.max_value,
        assessment_id=command.assessment_id,
    )
    await _insert(uow, voucher, actor, clock)
    return voucher


async def _insert(uow: UnitOfWork, voucher: VoucherSnapshot, actor: Actor, clock: Clock) -> None:
    event = VoucherIssued(
        subject=voucher.voucher_id,
        data=VoucherIssuedData(voucher=voucher, issued_by=actor.token_id),
    )
    await repository.insert(uow, voucher, event, clock.now())


async def on_eligibility(uow: UnitOfWork, event: EligibilityDetermined, clock: Clock) -> None:
    """An eligible client receives an assessment voucher valid 30 days (seed 003 App. E §4)."""
    if not event.data.eligible:
        return
    voucher_id = new_voucher_id(f"eligibility:{event.data.determination_id}")
    if await repository.exists(uow, voucher_id):
        return
    voucher = lifecycle.issue(
        voucher_id=voucher_id,
        client_id=event.data.client_id,
        kind="assessment",
        today=clock.today(),
        valid_from=event.data.determined_on,
        authorized_services=[],
        max_value=None,
    )
    await _insert(uow, voucher, SYSTEM, clock)


async def on_assessment(
    uow: UnitOfWork, event: ClientAssessed, catalog: PricedCatalog, clock: Clock
) -> None:
    """An assessment with authorised services creates the 365-day service voucher.

    The assessment's attributes are kept as the client's (``client_attributes``): a
    voucher created later for the client checks them (seed 001 Recovery Home). A service
    the voucher may not carry (unpriced, or lacking a required attribute; the assessment
    route refuses both with 422) is left off it.
    """
    data = event.data
    await repository.record_client_attributes(
        uow, data.client_id, data.attributes, data.assessed_on, data.assessment_id
    )
    if not data.authorized_services:
        return
    voucher_id = new_voucher_id(f"assessment:{data.assessment_id}")
    if await repository.exists(uow, voucher_id):
        return
    priced = [
        s
        for s in data.authorized_services
        if _priced(catalog, s.service_code)
        and not catalog.missing_for_voucher(s.service_code, data.attributes)
    ]
    if not priced:
        return
    voucher = lifecycle.issue(
        voucher_id=voucher_id,
        client_id=data.client_id,
        kind="service",
        today=clock.today(),
        valid_from=data.assessed_on,
        authorized_services=priced,
        max_value=data.max_value,
        assessment_id=data.assessment_id,
    )
    await _insert(uow, voucher, Actor(role="assessor", token_id=data.assessed_by), clock)


def _priced(catalog: PricedCatalog, code: str) -> bool:
    try:
        return catalog.is_priced(code)
    except KeyError:
        return False


def visible_to(voucher: VoucherSnapshot, actor: Actor) -> bool:
    """A provider sees only vouchers whose packet was made available to it (SPEC §4)."""
    if actor.role == "provider":
        return voucher.provider_id is not None and voucher.provider_id == actor.provider_id
    return actor.role in ("admin", "assessor", "state_system", "doc_thu", "system")


async def get_voucher(uow: UnitOfWork, voucher_id: str, actor: Actor) -> VoucherSnapshot:
    """The voucher with its balance; 404 for a provider that was not selected."""
    voucher = await repository.load(uow, voucher_id, for_update=False)
    if not visible_to(voucher, actor):
        raise repository.VoucherNotFoundError(voucher_id)
    return voucher


async def select_provider(
    uow: UnitOfWork, voucher_id: str, command: SelectProvider, actor: Actor, clock: Clock
) -> VoucherSnapshot:
    """The client's choice, recorded with who recorded it; self-referrals flagged (§3.2).

    Only a provider eligible today may be chosen: not a suspended one (SPEC §3.2), and
    one declared ineligible for the next fiscal year only until that year begins (seed
    003 App. E §6; ``services.kit.provider_status``); and only one on the choice list
    offered to the client for each of the voucher's services (:func:`check_offered`).
    """
    voucher = await repository.load(uow, voucher_id)
    provider = (
        await uow.session.execute(
            select(voucher_providers).where(voucher_providers.c.provider_id == command.provider_id)
        )
    ).first()
    if provider is None:
        raise RuleViolationError("provider_id", "unknown provider")
    if not receives_vouchers_on(provider.status, provider.ineligible_from, clock.today()):
        raise RuleViolationError("provider_id", "the provider may not receive vouchers")
    missing = {s.service_code for s in voucher.authorized_services} - set(provider.services)
    if missing:
        raise RuleViolationError("provider_id", f"the provider does not offer {sorted(missing)[0]}")
    await check_offered(uow, voucher, command.provider_id)
    updated = lifecycle.select_provider(voucher, command.provider_id)
    self_referral = (
        actor.organisation_id is not None and actor.organisation_id == command.provider_id
    )
    event = VoucherProviderSelected(
        subject=voucher_id,
        data=ProviderSelectedData(
            voucher=updated,
            provider_id=command.provider_id,
            selected_by=actor.token_id,
            self_referral=self_referral,
        ),
    )
    await repository.save(
        uow,
        updated,
        event,
        clock.now(),
        action="provider_selected",
        actor=actor.token_id,
        actor_role=actor.role,
        detail={"provider_id": command.provider_id, "self_referral": self_referral},
    )
    return updated


async def check_offered(uow: UnitOfWork, voucher: VoucherSnapshot, provider_id: str) -> None:
    """The client's selection must be one of the providers on the choice list offered,
    or a choice exception was recorded (seed 003 App. E §4(2) "Assessment staff provided
    the client with a recommendation regarding level of care and a list of the various
    eligible providers. The client selected a provider"; SPEC §3.2 choice rule).

    For every service on the voucher the latest list offered to the client for it
    (``offered_choice_lists``, from ``ChoiceListOffered``) must name ``provider_id``,
    unless that offer recorded a choice exception: then the network could not give the
    choice the rule asks for, and any eligible provider offering the service may be
    selected. No list offered yet (or its event not yet arrived) is a 409 telling to
    offer the list first, retryable; a provider not on it a 422 naming ``provider_id``.
    """
    codes = [s.service_code for s in voucher.authorized_services]
    rows = (
        await uow.session.execute(
            select(
                offered_choice_lists.c.service_code,
                offered_choice_lists.c.provider_ids,
                offered_choice_lists.c.choice_exception_id,
            ).where(
                offered_choice_lists.c.client_id == voucher.client_id,
                offered_choice_lists.c.service_code.in_(codes),
            )
        )
    ).all()
    offers = {row.service_code: row for row in rows}
    for code in codes:
        offer = offers.get(code)
        if offer is None:
            raise lifecycle.InvalidTransitionError(
                voucher,
                "select a provider for",
                f"no choice list has been offered to the client for {code}: offer it first "
                f"(POST /v1/clients/{voucher.client_id}/choice-lists) and retry",
            )
        if offer.choice_exception_id is None and provider_id not in offer.provider_ids:
            raise RuleViolationError(
                "provider_id",
                f"the provider is not on the choice list offered to the client for {code}: "
                "the client selects one of the providers offered",
            )


async def on_choice_list_offered(uow: UnitOfWork, event: ChoiceListOffered) -> None:
    """Keep the latest choice list offered to each client for each service (seed 003
    App. E §4(2)); an older offer arriving late (a replay) does not replace a newer one."""
    data = event.data
    key = (
        offered_choice_lists.c.client_id == data.client_id,
        offered_choice_lists.c.service_code == data.service_code,
    )
    current = await uow.session.scalar(select(offered_choice_lists.c.offered_at).where(*key))
    values = {
        "offer_id": data.offer_id,
        "provider_ids": data.provider_ids,
        "choice_exception_id": data.choice_exception_id,
        "offered_at": data.offered_at,
    }
    if current is None:
        await uow.session.execute(
            offered_choice_lists.insert().values(
                client_id=data.client_id, service_code=data.service_code, **values
            )
        )
    elif _aware(current) <= data.offered_at:
        await uow.session.execute(offered_choice_lists.update().where(*key).values(**values))


def _aware(moment: datetime) -> datetime:
    """``moment`` with a time zone (SQLite hands back naive UTC datetimes)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def admit(
    uow: UnitOfWork, voucher_id: str, command: ReportAdmission, actor: Actor, clock: Clock
) -> VoucherSnapshot:
    """The selected provider reports admission: the voucher becomes chargeable (§3.3).

    Refused when another provider already subsidises one of the voucher's services for
    this client (no concurrent subsidy, SPEC §3.3), and when the provider is suspended:
    "suspending a provider removes it from choice lists and stops new admissions" (SPEC
    §3.2). A provider ineligible next fiscal year still admits in this one: an admission
    dated before ``ineligible_from`` is accepted, one on or after it refused (seed 003
    App. E §6 "ineligible for the voucher program for the next year").
    """
    voucher = await repository.load(uow, voucher_id)
    if not visible_to(voucher, actor):
        raise repository.VoucherNotFoundError(voucher_id)
    provider_id = actor.provider_id or voucher.provider_id or ""
    provider = (
        await uow.session.execute(
            select(voucher_providers.c.status, voucher_providers.c.ineligible_from).where(
                voucher_providers.c.provider_id == provider_id
            )
        )
    ).first()
    if provider is not None and provider.status == "suspended":
        raise lifecycle.InvalidTransitionError(
            voucher, "admit on", "the provider is suspended: it may not admit new clients"
        )
    if provider is not None and not receives_vouchers_on(
        provider.status, provider.ineligible_from, command.admitted_on
    ):
        raise lifecycle.InvalidTransitionError(
            voucher,
            "admit on",
            "the provider is ineligible from the fiscal year the admission falls in",
        )
    others = await repository.client_vouchers(uow, voucher.client_id)
    clash = lifecycle.concurrent_conflict(voucher, provider_id, others)
    if clash is not None:
        raise lifecycle.InvalidTransitionError(
            voucher, "admit on", f"another provider is subsidised for {clash} (CONCURRENT_PROVIDER)"
        )
    updated = lifecycle.admit(
        voucher, provider_id, command.admitted_on, today=clock.today(), now=clock.now()
    )
    event = VoucherActivated(
        subject=voucher_id, data=ActivatedData(voucher=updated, admitted_on=command.admitted_on)
    )
    await repository.save(
        uow,
        updated,
        event,
        clock.now(),
        action="activated",
        actor=actor.token_id,
        actor_role=actor.role,
        detail={"admitted_on": command.admitted_on.isoformat()},
    )
    return updated


async def extend(
    uow: UnitOfWork, voucher_id: str, command: ExtendVoucher, actor: Actor, clock: Clock
) -> VoucherSnapshot:
    """A utilisation-review decision moves the expiry: who, why, new date (§3.3)."""
    voucher = await repository.load(uow, voucher_id)
    updated = lifecycle.extend(voucher, command.new_valid_until)
    event = VoucherExtended(
        subject=voucher_id,
        data=ExtendedData(
            voucher=updated,
            previous_valid_until=voucher.valid_until,
            new_valid_until=command.new_valid_until,
            decided_by=actor.token_id,
            reason=command.reason,
        ),
    )
    await repository.save(
        uow,
        updated,
        event,
        clock.now(),
        action="extended",
        actor=actor.token_id,
        actor_role=actor.role,
        reason=command.reason,
        detail={
            "previous_valid_until": voucher.valid_until.isoformat(),
            "new_valid_until": command.new_valid_until.isoformat(),
        },
    )
    return updated


async def close(
    uow: UnitOfWork, voucher_id: str, command: CloseVoucher, actor: Actor, clock: Clock
) -> VoucherSnapshot:
    """Early closure: moved out of state or death only (seed 003 App. E §4)."""
    voucher = await repository.load(uow, voucher_id)
    closed_on = command.closed_on or clock.today()
    updated = lifecycle.close(voucher, command.reason, closed_on)
    event = VoucherClosed(
        subject=voucher_id,
        data=ClosedData(
            voucher=updated, reason=command.reason, closed_on=closed_on, closed_by=actor.token_id
        ),
    )
    await repository.save(
        uow,
        updated,
        event,
        clock.now(),
        action="closed",
        actor=actor.token_id,
        actor_role=actor.role,
        reason=command.reason,
        detail={"closed_on": closed_on.isoformat()},
    )
    return updated


async def discharge(
    uow: UnitOfWork, voucher_id: str, command: DischargeClient, actor: Actor, clock: Clock
) -> VoucherSnapshot:
    """Separation from the provider (§3.3): by that provider, or by the program office."""
    voucher = await repository.load(uow, voucher_id)
    if actor.role == "provider" and not visible_to(voucher, actor):
        raise repository.VoucherNotFoundError(voucher_id)
    provider_id = voucher.provider_id or ""
    updated = lifecycle.discharge(voucher, provider_id, command.discharged_on)
    event = VoucherDischarged(
        subject=voucher_id,
        data=DischargedData(
            voucher=updated,
            provider_id=provider_id,
            discharged_on=command.discharged_on,
            reason=command.reason,
        ),
    )
    await repository.save(
        uow,
        updated,
        event,
        clock.now(),
        action="discharged",
        actor=actor.token_id,
        actor_role=actor.role,
        reason=command.reason,
        detail={"discharged_on": command.discharged_on.isoformat()},
    )
    return updated


async def expire_due(uow: UnitOfWork, clock: Clock, limit: int = 500) -> int:
    """The scheduler: expire open vouchers whose validity ended before today (§3.3)."""
    today = clock.today()
    ids = (
        await uow.session.scalars(
            select(vouchers.c.voucher_id)
            .where(
                vouchers.c.valid_until < today,
                vouchers.c.status.in_(lifecycle.OPEN_STATES),
            )
            .limit(limit)
        )
    ).all()
    for voucher_id in ids:
        voucher = await repository.load(uow, voucher_id)
        if not lifecycle.is_due_to_expire(voucher, today):
            continue
        updated = lifecycle.expire(voucher, today)
        event = VoucherExpired(
            subject=voucher_id, data=ExpiredData(voucher=updated, expired_on=today)
        )
        await repository.save(
            uow,
            updated,
            event,
            clock.now(),
            action="expired",
            actor="scheduler",
            actor_role="system",
        )
    return len(ids)


async def on_claims_adjudicated(
    uow: UnitOfWork, events: list[ClaimAdjudicated | ClaimCorrected], clock: Clock
) -> None:
    """Keep balances current from ``atr.claims.adjudicated.v1``.

    A decision adds its allowed units and amount; a correction (a line reduced or
    voided by its provider) adds the difference, giving units back (SPEC §3.3 balances).
    A batch is applied per voucher in topic order: one new version and one
    ``VoucherBalanceChanged`` (listing the claims) per voucher per batch.
    """
    by_voucher: dict[str, list[BalanceLine]] = {}
    for event in events:
        data = event.data
        if isinstance(data, ClaimCorrectedData):
            line = BalanceLine(
                claim_id=data.claim_id,
                service_code=data.service_code,
                units=data.allowed_units - data.previous_allowed_units,
                amount=data.allowed_amount - data.previous_allowed_amount,
            )
        else:
            line = BalanceLine(
                claim_id=data.claim_id,
                service_code=data.service_code,
                units=data.allowed_units,
                amount=data.allowed_amount,
            )
        if line.units != 0 or line.amount != 0:
            by_voucher.setdefault(data.voucher_id, []).append(line)
    current = await repository.load_many(uow, sorted(by_voucher))
    changes = []
    for voucher_id, lines in by_voucher.items():
        voucher = current.get(voucher_id)
        if voucher is None:
            continue
        updated = lifecycle.apply_adjudications(
            voucher, ((line.service_code, line.units, line.amount) for line in lines)
        )
        updated = updated.model_copy(update={"version": voucher.version + 1})
        change = VoucherBalanceChanged(
            subject=voucher_id, data=BalanceChangedData(voucher=updated, lines=lines)
        )
        changes.append((updated, change, {"claims": [line.claim_id for line in lines]}))
    await repository.save_many(
        uow, changes, clock.now(), action="balance_changed", actor="claims", actor_role="system"
    )


async def on_provider(uow: UnitOfWork, event: ProviderRegistered | ProviderUpdated) -> None:
    """Replica of the provider registry: status and, for a provider ineligible next
    fiscal year, the day that takes effect (SPEC §3.2; seed 003 App. E §6)."""
    snapshot = event.data
    current = await uow.session.scalar(
        select(voucher_providers.c.as_of).where(
            voucher_providers.c.provider_id == snapshot.provider_id
        )
    )
    ineligible_from = snapshot.ineligible_from
    if snapshot.status == "ineligible_next_fiscal_year" and ineligible_from is None:
        # a snapshot from before the registry published the date: the year after the event
        ineligible_from = next_fiscal_year_start(event.time.date())
    values = {
        "status": snapshot.status,
        "ineligible_from": ineligible_from,
        "services": snapshot.services,
        "as_of": event.time,
    }
    if current is None:
        await uow.session.execute(
            voucher_providers.insert().values(provider_id=snapshot.provider_id, **values)
        )
    else:
        await uow.session.execute(
            voucher_providers.update()
            .where(voucher_providers.c.provider_id == snapshot.provider_id)
            .values(**values)
        )
