"""Local replicas of other services' facts, kept from their topics (SPEC §2).

Vouchers and clients feed adjudication; when a voucher's new state arrives, the
client's pending lines are decided at once (SPEC §3.4 event lag).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from contracts.clients import (
    ClientAssessed,
    ClientEnrolled,
    EligibilityDetermined,
    TreatmentStatusChanged,
)
from contracts.providers import ProviderRegistered, ProviderSnapshot, ProviderUpdated
from contracts.topics import CLIENTS, PROVIDERS
from contracts.vouchers import VoucherSnapshot
from services.claims.adapters.orm import client_replica, provider_replica, voucher_replica
from services.claims.domain.facts import INELIGIBLE
from services.kit.unit_of_work import UnitOfWork


def scheduled_history(
    history: list[list[str]], day: date, snapshot: ProviderSnapshot
) -> list[list[str]]:
    """The status history with ``snapshot``'s status from ``day``.

    A provider ineligible next fiscal year (seed 003 App. E §6) gets two entries: the
    decision from ``day`` (still eligible) and ``ineligible`` from the snapshot's
    ``ineligible_from``. A later status replaces what was scheduled after its own day
    (a provider reinstated before the year turns is never ineligible).
    """
    kept = [entry for entry in history if date.fromisoformat(entry[0]) <= day]
    kept.append([day.isoformat(), snapshot.status])
    if snapshot.status == "ineligible_next_fiscal_year" and snapshot.ineligible_from:
        kept.append([snapshot.ineligible_from.isoformat(), INELIGIBLE])
    return kept


async def apply_provider_snapshot(
    uow: UnitOfWork, event: ProviderRegistered | ProviderUpdated
) -> None:
    """Upsert the provider snapshot unless a newer one is already applied (counted
    either way: the fact was seen); a changed status is added to the provider's status
    history from the event's day (SPEC §3.2: a status binds from when it was set)."""
    uow.applied(PROVIDERS, event)
    snapshot = event.data
    row = (
        await uow.session.execute(
            select(
                provider_replica.c.as_of,
                provider_replica.c.status,
                provider_replica.c.status_history,
            ).where(provider_replica.c.provider_id == snapshot.provider_id)
        )
    ).first()
    current = row.as_of if row is not None else None
    history = list(row.status_history or []) if row is not None else []
    if row is None or row.status != snapshot.status or not history:
        history = scheduled_history(history, event.time.date(), snapshot)
    values = {
        "status": snapshot.status,
        "services": snapshot.services,
        "staff": [member.model_dump(mode="json") for member in snapshot.staff],
        "as_of": event.time,
        "status_history": history,
    }
    if current is None:
        await uow.session.execute(
            provider_replica.insert().values(provider_id=snapshot.provider_id, **values)
        )
    elif _aware(current) <= event.time:
        await uow.session.execute(
            provider_replica.update()
            .where(provider_replica.c.provider_id == snapshot.provider_id)
            .values(**values)
        )


async def apply_voucher_snapshot(uow: UnitOfWork, snapshot: VoucherSnapshot) -> bool:
    """Keep the highest version of each voucher; True when the replica changed."""
    current = await uow.session.scalar(
        select(voucher_replica.c.version).where(voucher_replica.c.voucher_id == snapshot.voucher_id)
    )
    values = {
        "client_id": snapshot.client_id,
        "version": snapshot.version,
        "snapshot": snapshot.model_dump(mode="json"),
    }
    if current is None:
        await uow.session.execute(
            voucher_replica.insert().values(voucher_id=snapshot.voucher_id, **values)
        )
        return True
    if current < snapshot.version:
        await uow.session.execute(
            voucher_replica.update()
            .where(voucher_replica.c.voucher_id == snapshot.voucher_id)
            .values(**values)
        )
        return True
    return False


ClientChange = Callable[[dict[str, object]], None]


async def _update_client(uow: UnitOfWork, client_id: str, change: ClientChange) -> None:
    row = (
        await uow.session.execute(
            select(client_replica).where(client_replica.c.client_id == client_id)
        )
    ).first()
    values: dict[str, object] = (
        dict(row._mapping)
        if row is not None
        else {
            "client_id": client_id,
            "eligible": None,
            "minor": False,
            "turns_18_in": None,
            "reviewed": [],
            "statuses": [],
            "attributes": [],
        }
    )
    change(values)
    if row is None:
        await uow.session.execute(client_replica.insert().values(**values))
    else:
        await uow.session.execute(
            client_replica.update().where(client_replica.c.client_id == client_id).values(**values)
        )


def _with_status(values: dict[str, object], status: str, effective_from: str) -> None:
    periods = [p for p in values["statuses"] if p["effective_from"] != effective_from]  # type: ignore[attr-defined]
    periods.append({"status": status, "effective_from": effective_from})
    values["statuses"] = sorted(periods, key=lambda p: p["effective_from"])


async def apply_client_event(
    uow: UnitOfWork,
    event: ClientEnrolled | EligibilityDetermined | ClientAssessed | TreatmentStatusChanged,
) -> None:
    """Eligibility, age group, treatment statuses and program attributes (no PHI)."""
    uow.applied(CLIENTS, event)
    data = event.data
    if isinstance(event, ClientEnrolled):
        minor, turns_18_in = event.data.minor, event.data.turns_18_in

        def change(values: dict[str, object]) -> None:
            values["minor"] = minor
            values["turns_18_in"] = turns_18_in
    elif isinstance(event, EligibilityDetermined):
        eligible = event.data.eligible

        def change(values: dict[str, object]) -> None:
            values["eligible"] = eligible
    elif isinstance(event, ClientAssessed):
        assessed = event.data

        def change(values: dict[str, object]) -> None:
            _with_status(values, assessed.treatment_status, assessed.assessed_on.isoformat())
            values["attributes"] = sorted(
                set(values["attributes"]) | set(assessed.attributes)  # type: ignore[call-overload]
            )
    else:
        status = event.data

        def change(values: dict[str, object]) -> None:
            _with_status(values, status.treatment_status, status.effective_from.isoformat())

    await _update_client(uow, data.client_id, change)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def record_review(uow: UnitOfWork, review: Mapping[str, Any]) -> None:
    """Keep a review of documented unusual circumstances with the client (seed 004 (A)2
    "Unless there are unusual circumstances that are documented in the client record"):
    lines of its service and date decided afterwards are not cut by reviewable limits.
    A repeated review of the same service and date replaces the earlier one."""

    def change(values: dict[str, object]) -> None:
        key = (review["service_date"], review["service_code"])
        kept = [
            r
            for r in values.get("reviewed") or []  # type: ignore[attr-defined]
            if (r["service_date"], r["service_code"]) != key
        ]
        values["reviewed"] = [*kept, review]

    await _update_client(uow, review["client_id"], change)
