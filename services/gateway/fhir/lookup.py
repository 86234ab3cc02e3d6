"""Which lines a FHIR read covers, from the gateway's own claim keys (every line the
gateway accepted: provider, reference, claim id, client)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from services.gateway.adapters.orm import claim_keys
from services.gateway.fhir.claim_in import GROUP_SEPARATOR, group_of
from services.kit.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Key:
    """A line the gateway accepted."""

    claim_id: str
    claim_ref: str
    provider_id: str
    client_id: str


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def claim_group(uow: UnitOfWork, claim_id: str) -> list[Key]:
    """The lines of the FHIR Claim that line ``claim_id`` belongs to, in item order:
    the provider's lines whose ``claim_ref`` is ``<identifier>:<sequence>`` for the
    same identifier (just the line for a one-item Claim's); empty for an unknown id."""
    row = (
        await uow.session.execute(select(claim_keys).where(claim_keys.c.claim_id == claim_id))
    ).first()
    if row is None:
        return []
    found = Key(row.claim_id, row.claim_ref, row.provider_id, row.client_id)
    base, _ = group_of(found.claim_ref)
    if base == found.claim_ref:
        return [found]
    rows = await uow.session.execute(
        select(claim_keys).where(
            claim_keys.c.provider_id == found.provider_id,
            claim_keys.c.claim_ref.like(_escaped(base + GROUP_SEPARATOR) + "%", escape="\\"),
        )
    )
    keys = [
        Key(r.claim_id, r.claim_ref, r.provider_id, r.client_id)
        for r in rows
        if group_of(r.claim_ref)[0] == base and r.claim_ref != base
    ]
    return sorted(keys, key=lambda key: group_of(key.claim_ref)[1])


async def client_lines(
    uow: UnitOfWork, client_id: str, provider_id: str | None, limit: int
) -> tuple[list[Key], int]:
    """The client's lines (one provider's when ``provider_id`` is given), newest first,
    at most ``limit``, and how many there are in all."""
    where = [claim_keys.c.client_id == client_id]
    if provider_id is not None:
        where.append(claim_keys.c.provider_id == provider_id)
    count = select(func.count()).select_from(claim_keys).where(*where)
    total = (await uow.session.execute(count)).scalar_one()
    rows = await uow.session.execute(
        select(claim_keys)
        .where(*where)
        .order_by(claim_keys.c.received_at.desc(), claim_keys.c.claim_id.desc())
        .limit(limit)
    )
    keys = [Key(r.claim_id, r.claim_ref, r.provider_id, r.client_id) for r in rows]
    return keys, int(total)
