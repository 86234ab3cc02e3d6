"""Reviews of documented unusual circumstances (seed 004 (A)2 "Unless there are unusual
circumstances that are documented in the client record, CSWs should bill no more than
one unit of Community Support Work per client per meeting"), on SQLite and PostgreSQL:
the administrative agency's review is kept with the client in the claims service and
read back into what lines are decided on, so a reviewed meeting's line passes the
per-meeting cap; a meeting not reviewed is still cut to one unit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from contracts.api.claims import UnusualCircumstancesReview
from programs.loader import load_catalog
from services.claims.adapters.claim_lines import client_from_row
from services.claims.adapters.orm import client_replica
from services.claims.domain.adjudicate import _client_history
from services.claims.domain.engine import evaluate
from services.claims.domain.facts import Facts, History
from services.claims.service_layer.replicas import record_review
from services.claims.service_layer.worker import ClaimWorker
from tests.claims.test_worker import worker  # noqa: F401 (fixture)
from tests.programs.builders import line

CS = load_catalog("missouri_community_support", {"COMMUNITY_SUPPORT": Decimal("9.00")})
MEETING = date(2026, 9, 16)


def _review(day: date, reference: str = "NOTE-4") -> UnusualCircumstancesReview:
    return UnusualCircumstancesReview(
        client_id="C1",
        service_code="COMMUNITY_SUPPORT",
        service_date=day,
        record_reference=reference,
        reviewed_by="tok-admin",
        recorded_at=datetime(2026, 9, 17, 9, tzinfo=UTC),
    )


async def test_seed_004_a2_a_recorded_review_lets_the_meeting_line_pass(
    worker: ClaimWorker,  # noqa: F811
) -> None:
    async with worker.runtime.unit_of_work() as uow:
        await record_review(uow, _review(MEETING).model_dump(mode="json"))
        await record_review(uow, _review(MEETING, "NOTE-5").model_dump(mode="json"))
        await uow.commit()
    async with worker.runtime.db.read_sessions() as session:
        row = (
            await session.execute(select(client_replica).where(client_replica.c.client_id == "C1"))
        ).one()
    client = client_from_row(row)
    assert client.reviewed == frozenset({(MEETING, "COMMUNITY_SUPPORT")})
    assert len(row.reviewed) == 1  # the same service and date reviewed again: replaced
    assert row.reviewed[0]["record_reference"] == "NOTE-5"
    history = _client_history(Facts(today=MEETING, client=client), None, History())
    reviewed = evaluate(
        CS, line("COMMUNITY_SUPPORT", 3, MEETING, activity="plan_review_meeting"), history
    )
    assert (reviewed.outcome, reviewed.allowed_units) == ("approved", 3)
    other = evaluate(
        CS,
        line("COMMUNITY_SUPPORT", 3, date(2026, 9, 23), activity="plan_review_meeting"),
        history,
    )
    assert (other.allowed_units, other.reasons) == (1, ("DAILY_LIMIT",))
