"""Loading and saving voucher snapshots, with their events and decision log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, select

from contracts.envelope import Event
from contracts.topics import VOUCHERS
from contracts.vouchers import VoucherSnapshot
from services.kit.bulk import insert_rows
from services.kit.unit_of_work import UnitOfWork
from services.vouchers.adapters.orm import client_attributes, voucher_decisions, vouchers


class VoucherNotFoundError(Exception):
    """No voucher with this id (HTTP 404)."""


async def load(uow: UnitOfWork, voucher_id: str, *, for_update: bool = True) -> VoucherSnapshot:
    """The voucher's current snapshot, locked for the transaction on PostgreSQL."""
    query = select(vouchers.c.snapshot).where(vouchers.c.voucher_id == voucher_id)
    if for_update:
        query = query.with_for_update()
    raw = await uow.session.scalar(query)
    if raw is None:
        raise VoucherNotFoundError(voucher_id)
    return VoucherSnapshot.model_validate(raw)


async def load_many(uow: UnitOfWork, voucher_ids: list[str]) -> dict[str, VoucherSnapshot]:
    """Current snapshots of several vouchers in one query, locked like :func:`load`."""
    rows = await uow.session.execute(
        select(vouchers.c.voucher_id, vouchers.c.snapshot)
        .where(vouchers.c.voucher_id.in_(voucher_ids))
        .with_for_update()
    )
    return {row.voucher_id: VoucherSnapshot.model_validate(row.snapshot) for row in rows}


async def exists(uow: UnitOfWork, voucher_id: str) -> bool:
    """True when the voucher id is taken."""
    found = await uow.session.scalar(
        select(vouchers.c.voucher_id).where(vouchers.c.voucher_id == voucher_id)
    )
    return found is not None


async def client_vouchers(uow: UnitOfWork, client_id: str) -> list[VoucherSnapshot]:
    """Every voucher of one client."""
    rows = await uow.session.scalars(
        select(vouchers.c.snapshot).where(vouchers.c.client_id == client_id)
    )
    return [VoucherSnapshot.model_validate(raw) for raw in rows]


def _columns(voucher: VoucherSnapshot, now: datetime) -> dict[str, Any]:
    return {
        "client_id": voucher.client_id,
        "kind": voucher.kind,
        "status": voucher.status,
        "provider_id": voucher.provider_id,
        "valid_until": voucher.valid_until,
        "version": voucher.version,
        "snapshot": voucher.model_dump(mode="json"),
        "updated_at": now,
    }


async def insert(uow: UnitOfWork, voucher: VoucherSnapshot, event: Event, now: datetime) -> None:
    """Store a new voucher and emit its ``VoucherIssued`` event in the same transaction."""
    await uow.session.execute(
        vouchers.insert().values(
            voucher_id=voucher.voucher_id, created_at=now, **_columns(voucher, now)
        )
    )
    uow.emit(VOUCHERS, event)


async def save(
    uow: UnitOfWork,
    voucher: VoucherSnapshot,
    event: Event,
    now: datetime,
    *,
    action: str,
    actor: str,
    actor_role: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Store the new state, log who decided what, and emit the lifecycle event."""
    result = await uow.session.execute(
        vouchers.update()
        .where(
            vouchers.c.voucher_id == voucher.voucher_id,
            vouchers.c.version == voucher.version - 1,
        )
        .values(**_columns(voucher, now))
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError(f"voucher {voucher.voucher_id} changed concurrently")
    await uow.session.execute(
        voucher_decisions.insert().values(
            voucher_id=voucher.voucher_id,
            action=action,
            actor=actor,
            actor_role=actor_role,
            reason=reason,
            detail=detail or {},
            version=voucher.version,
            decided_at=now,
        )
    )
    uow.emit(VOUCHERS, event)


async def save_many(
    uow: UnitOfWork,
    changes: Sequence[tuple[VoucherSnapshot, Event, dict[str, Any]]],
    now: datetime,
    *,
    action: str,
    actor: str,
    actor_role: str,
) -> None:
    """:func:`save` for many vouchers at once: one UPDATE and one INSERT for all.

    Each change is (new snapshot, its event, decision detail); the snapshots must have
    been read with :func:`load_many` in this transaction.
    """
    if not changes:
        return
    result = await uow.session.execute(
        vouchers.update()
        .where(
            and_(
                vouchers.c.voucher_id == bindparam("b_voucher_id"),
                vouchers.c.version == bindparam("b_previous"),
            )
        )
        .values(
            status=bindparam("status"),
            version=bindparam("version"),
            snapshot=bindparam("snapshot"),
            updated_at=bindparam("updated_at"),
        ),
        [
            {
                "b_voucher_id": voucher.voucher_id,
                "b_previous": voucher.version - 1,
                "status": voucher.status,
                "version": voucher.version,
                "snapshot": voucher.model_dump(mode="json"),
                "updated_at": now,
            }
            for voucher, _, _ in changes
        ],
    )
    if result.rowcount not in (-1, len(changes)):  # type: ignore[attr-defined]
        raise RuntimeError("a voucher changed concurrently")
    await insert_rows(
        uow.session,
        voucher_decisions,
        [
            {
                "voucher_id": voucher.voucher_id,
                "action": action,
                "actor": actor,
                "actor_role": actor_role,
                "reason": None,
                "detail": detail,
                "version": voucher.version,
                "decided_at": now,
            }
            for voucher, _, detail in changes
        ],
    )
    for _, event, _ in changes:
        uow.emit(VOUCHERS, event)


async def client_attributes_of(uow: UnitOfWork, client_id: str) -> frozenset[str]:
    """The attributes of the client's latest assessment seen (none before one)."""
    found = await uow.session.scalar(
        select(client_attributes.c.attributes).where(client_attributes.c.client_id == client_id)
    )
    return frozenset(found or ())


async def record_client_attributes(
    uow: UnitOfWork,
    client_id: str,
    attributes: Sequence[str],
    assessed_on: date,
    assessment_id: str,
) -> None:
    """Keep the attributes of the client's latest assessment (by assessment date, then
    id: a replayed older assessment never replaces a newer one)."""
    current = (
        await uow.session.execute(
            select(client_attributes.c.assessed_on, client_attributes.c.assessment_id).where(
                client_attributes.c.client_id == client_id
            )
        )
    ).first()
    values = {
        "attributes": sorted(set(attributes)),
        "assessed_on": assessed_on,
        "assessment_id": assessment_id,
    }
    if current is None:
        await uow.session.execute(client_attributes.insert().values(client_id=client_id, **values))
    elif (assessed_on, assessment_id) >= (current.assessed_on, current.assessment_id):
        await uow.session.execute(
            client_attributes.update()
            .where(client_attributes.c.client_id == client_id)
            .values(**values)
        )
