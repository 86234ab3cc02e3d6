"""Provider report cards (SPEC §3.6), hand-computed, on SQLite and PostgreSQL: lines and
amounts, denials by reason, holdbacks released and forfeited, incentive awards,
outcome-reporting completeness and the ineligibility flag."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contracts.envelope import Event
from services.reporting.domain.periods import Period
from services.reporting.service_layer.reports import provider_report, report_csv
from tests.reporting.builders import awarded, decided, funded, invoiced, registered, settled
from tests.reporting.conftest import Reporting

D = Decimal


def scenario() -> list[Event]:
    k1 = decided("K1", date(2026, 10, 5))  # P1 approved 10.00
    k3 = decided("K3", date(2026, 10, 7), allowed=0, reasons=("DAILY_LIMIT",))  # 10.00 denied
    k5 = decided("K5", date(2026, 11, 2), billed=4, allowed=2, reasons=("WEEKLY_LIMIT",))
    k4 = decided("K4", date(2026, 11, 9), provider="P2", client="C3", billed=1, allowed=1)
    old = decided("K0", date(2026, 9, 30))  # Q1: not in the Q2 card
    return [
        registered("P1"),
        registered("P2"),
        registered("P3"),
        k1,
        k3,
        k5,
        k4,
        old,
        funded(k1),
        funded(k5),
        funded(k4),
        funded(old),
        settled("released", "P1", "V1", "1.00", date(2026, 11, 20)),
        settled("released", "P1", "V2", "0.50", date(2026, 12, 1)),
        settled("released", "P2", "V4", "2.00", date(2026, 10, 20)),
        settled("forfeited", "P2", "V3", "0.50", date(2026, 12, 10)),
        awarded("P1", "3.00", date(2026, 11, 30)),
        invoiced("P1", "2026-11", "9.00"),
        invoiced("P1", "2026-12", "8.10"),
        invoiced("P1", "2026-09", "4.00"),  # Q1's run
    ]


async def test_report_cards(reporting: Reporting) -> None:
    await reporting.feed(scenario())
    async with reporting.uow() as uow:
        q2 = await provider_report(uow, Period.parse("2027Q2"))
        q1 = await provider_report(uow, Period.parse("2027Q1"))
    p1, p2, p3 = q2.providers
    assert p1.model_dump(exclude={"denials"}) == {
        "provider_id": "P1",
        "claim_lines": 3,
        "allowed_amount": D("20.00"),  # K1 10 + K5 10
        "denied_lines": 1,  # K3 whole; K5 in part
        "denied_amount": D("20.00"),  # K3 10 + K5 10
        "corrected_lines": 0,
        "funded": D("20.00"),
        "holdbacks_released": D("1.50"),
        "released_episodes": 2,
        "holdbacks_forfeited": D("0.00"),
        "forfeited_episodes": 0,
        "incentive_awards": D("3.00"),
        "invoiced": D("17.10"),
        "outcome_reporting_completeness": D("1.0000"),
        "ineligible_next_year": False,
        "ineligibility_reason": None,
        # no GPRA interviews in this scenario
        "clients_followed_up": 0,
        "abstinent": 0,
        "abstinence_rate": None,
        "completions": 0,
    }
    assert [(d.reason, d.lines, d.amount) for d in p1.denials] == [
        ("DAILY_LIMIT", 1, D("10.00")),
        ("WEEKLY_LIMIT", 1, D("10.00")),
    ]
    assert (p2.claim_lines, p2.funded, p2.released_episodes, p2.forfeited_episodes) == (
        1,
        D("5.00"),
        1,
        1,
    )
    assert (p2.holdbacks_forfeited, p2.outcome_reporting_completeness) == (D("0.50"), D("0.5000"))
    assert p2.ineligible_next_year is True
    assert p2.ineligibility_reason == "forfeited 1 FY2027 holdback(s): outcomes not reported"
    assert (p3.provider_id, p3.claim_lines, p3.outcome_reporting_completeness) == ("P3", 0, None)
    assert p3.ineligible_next_year is False

    # Q1: only K0; P2's forfeiture (December) is after Q1's end, so no flag yet
    assert [(c.provider_id, c.claim_lines, c.ineligible_next_year) for c in q1.providers] == [
        ("P1", 1, False),
        ("P2", 0, False),
        ("P3", 0, False),
    ]
    text = report_csv(q2)
    assert "P1,WEEKLY_LIMIT,1,10.00\r\n" in text
    assert text.count("\r\nP") == 3 + 2  # three cards, two denial rows
