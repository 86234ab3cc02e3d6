"""Funding on the real platform (SPEC §3.5): an admin opens the current fiscal year;
approved lines are funded whole under the quarter's cumulative ceiling — 90 % payable,
10 % held back — or not at all with ``FUNDS_EXHAUSTED``; the claim shows its funding and
the fiscal year what is obligated, payable, held back and left.

The module runs first among the platform tests (its name): it opens the current fiscal
year, which the schema test's generated requests could otherwise open before it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.payments.domain.funding import fiscal_year_of, quarter_of
from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform

PROVIDER = "PRV-FUND"
SERVICE = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-FUND", "credentials": ["addictions_academy_graduate"]}
CEILING = Decimal("25.00")


async def _count(url: str, sql: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


async def _payments_caught_up(platform: RunningPlatform) -> bool:
    """Every approved line decided so far has its funding decision, none is pending:
    no line of an earlier test can be funded against the year this test opens."""
    claims = platform.database_urls["claims"]
    approved = await _count(claims, "SELECT count(*) FROM claims WHERE allowed_amount > 0")
    pending = await _count(claims, "SELECT count(*) FROM claims WHERE status = 'pending'")
    funded = await _count(platform.database_urls["payments"], "SELECT count(*) FROM fundings")
    return pending == 0 and funded >= approved


def _line(ref: str, client_id: str, voucher_id: str, start: str, end: str, units: int) -> Any:
    return {
        "claim_ref": ref,
        "provider_id": PROVIDER,
        "client_id": client_id,
        "voucher_id": voucher_id,
        "service_code": SERVICE,
        "service_date": utc_today().isoformat(),
        "units": units,
        "staff_id": STAFF["staff_id"],
        "start_time": start,
        "end_time": end,
        "client_signature": True,
        "face_to_face": True,
    }


async def test_lines_are_funded_whole_until_the_quarter_ceiling_then_not_at_all(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    today = utc_today()
    year, quarter = fiscal_year_of(today), quarter_of(today)
    await register_provider(gateway, platform, PROVIDER, [SERVICE], [STAFF])
    assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-F")
    provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
    intake = await gateway.post(
        "/v1/clients",
        json={
            "given_name": "Fundora",
            "family_name": "Ledgerwick",
            "date_of_birth": "1971-05-04",
            "county": "Boone",
        },
        headers=assessor,
    )
    assert intake.status_code == 201, intake.text
    client_id = intake.json()["client_id"]
    voucher = await active_voucher(
        gateway,
        assessor=assessor,
        provider=provider,
        provider_id=PROVIDER,
        client_id=client_id,
        services=[{"service_code": SERVICE, "units": 100}],
    )
    assert await wait_until(lambda: _payments_caught_up(platform), timeout_s=300, interval_s=1)

    # the current quarter releases 25.00; earlier ones nothing, later ones plenty
    allotments = [
        str(CEILING if q == quarter else Decimal("0.00") if q < quarter else Decimal("100.00"))
        for q in (1, 2, 3, 4)
    ]
    opened = await gateway.post(
        "/v1/fiscal-years",
        json={"fiscal_year": year, "allotments": allotments},
        headers=platform.admin,
    )
    assert opened.status_code == 201, opened.text
    again = await gateway.post(
        "/v1/fiscal-years", json={"fiscal_year": year, "total": "5.00"}, headers=platform.admin
    )
    assert again.status_code == 409, again.text
    refused = await gateway.post(
        "/v1/fiscal-years", json={"fiscal_year": year + 40, "total": "5.00"}, headers=provider
    )
    assert refused.status_code == 403

    # one client: its lines reach payments in this order (one partition)
    lines = [
        ("FUND-1", "09:00:00", "09:30:00", 2),  # 10.00 -> 10.00 of 25.00
        ("FUND-2", "10:00:00", "10:30:00", 2),  # 10.00 -> 20.00
        ("FUND-3", "11:00:00", "11:30:00", 2),  # 10.00 would make 30.00: not at all
        ("FUND-4", "12:00:00", "12:15:00", 1),  # 5.00 -> 25.00 exactly
    ]
    ids = []
    for ref, start, end, units in lines:
        answer = await gateway.post(
            "/v1/claims",
            json=_line(ref, client_id, voucher["voucher_id"], start, end, units),
            headers=provider,
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["claim_id"])

    async def funding_of(claim_id: str) -> dict[str, Any] | None:
        answer = await gateway.get(f"/v1/claims/{claim_id}", headers=provider)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body if body.get("funding") else None

    shown = []
    for claim_id in ids:
        body = await wait_until(lambda c=claim_id: funding_of(c), timeout_s=120, interval_s=0.3)
        assert body, claim_id
        shown.append(body)
    summary = [
        (
            b["status"],
            b["funding_status"],
            Decimal(b["funding"]["payable"]),
            Decimal(b["funding"]["holdback"]),
            b["funding"]["reason"],
        )
        for b in shown
    ]
    assert summary == [
        ("approved", "funded", Decimal("9.00"), Decimal("1.00"), None),
        ("approved", "funded", Decimal("9.00"), Decimal("1.00"), None),
        ("approved", "unfunded", Decimal("0.00"), Decimal("0.00"), "FUNDS_EXHAUSTED"),
        ("approved", "funded", Decimal("4.50"), Decimal("0.50"), None),
    ]
    assert {(b["funding"]["fiscal_year"], b["funding"]["quarter"]) for b in shown} == {
        (year, quarter)
    }

    state = await gateway.get(f"/v1/fiscal-years/{year}", headers=platform.admin)
    assert state.status_code == 200, state.text
    funds = state.json()
    assert [Decimal(funds[k]) for k in ("obligated", "payable", "held_back")] == [
        Decimal("25.00"),
        Decimal("22.50"),
        Decimal("2.50"),
    ]
    mine = funds["quarters"][quarter - 1]
    assert mine["released"] is True
    assert (Decimal(mine["allotment"]), Decimal(mine["left"])) == (CEILING, Decimal("0.00"))

    # the provider reports the discharge and a complete GPRA discharge interview: the
    # episode's 2.50 held back is released to it
    discharged = await gateway.post(
        f"/v1/vouchers/{voucher['voucher_id']}/discharge",
        json={"discharged_on": today.isoformat(), "reason": "completed"},
        headers=provider,
    )
    assert discharged.status_code == 200, discharged.text
    interview = await gateway.post(
        f"/v1/clients/{client_id}/gpra",
        json=_discharge_interview(today.isoformat()),
        headers=provider,
    )
    assert interview.status_code == 201, interview.text
    assert interview.json()["complete"] is True, interview.text

    async def released() -> bool:
        answer = await gateway.get(f"/v1/fiscal-years/{year}", headers=platform.admin)
        return Decimal(answer.json()["released"]) == Decimal("2.50")

    assert await wait_until(released, timeout_s=120, interval_s=0.5)

    # corrections: FUND-2 delivered 1 unit of 2, FUND-4 voided. The voucher gets the
    # units back, the quarter the money, and the released holdback's part is taken back
    more = await gateway.post(
        f"/v1/claims/{ids[1]}/corrections", json={"units": 3}, headers=provider
    )
    assert more.status_code == 422, more.text
    assert more.json()["errors"][0]["loc"][-1] == "units"
    reduced = await gateway.post(
        f"/v1/claims/{ids[1]}/corrections",
        json={"units": 1, "reason": "billed in error"},
        headers=provider,
    )
    assert reduced.status_code == 200, reduced.text
    assert (reduced.json()["status"], reduced.json()["allowed_units"]) == ("approved", 1)
    voided = await gateway.post(
        f"/v1/claims/{ids[3]}/corrections", json={"units": 0}, headers=provider
    )
    assert voided.status_code == 200, voided.text
    assert (voided.json()["status"], voided.json()["allowed_amount"]) == ("voided", "0.00")

    async def reversed_() -> dict[str, Any] | None:
        answer = await gateway.get(f"/v1/fiscal-years/{year}", headers=platform.admin)
        body: dict[str, Any] = answer.json()
        return body if Decimal(body["obligated"]) == Decimal("15.00") else None

    funds = await wait_until(reversed_, timeout_s=120, interval_s=0.5)
    assert funds is not None
    # 10.00 + 5.00 funded; the 1.00 less held back came out of the released 2.50
    assert [Decimal(funds[k]) for k in ("payable", "held_back", "released")] == [
        Decimal("13.50"),
        Decimal("1.50"),
        Decimal("1.50"),
    ]
    status = (await gateway.get(f"/v1/claims/{ids[1]}", headers=provider)).json()
    assert (Decimal(status["funding"]["payable"]), Decimal(status["funding"]["holdback"])) == (
        Decimal("4.50"),
        Decimal("0.50"),
    )

    async def balance_back() -> bool:
        answer = await gateway.get(f"/v1/vouchers/{voucher['voucher_id']}", headers=provider)
        (balance,) = answer.json()["balances"]
        return int(balance["used_units"]) == 5  # 2 + 1 + 2 (FUND-3: allowed, unfunded) + 0

    assert await wait_until(balance_back, timeout_s=120, interval_s=0.5)


def _discharge_interview(day: str) -> dict[str, Any]:
    """A complete GPRA discharge interview (seed 003 App. C §5a: domains 1-5 and 7)."""
    return {
        "kind": "discharge",
        "conducted_on": day,
        "provider_id": PROVIDER,
        "alcohol_drug_use": {"any_alcohol": 0, "illegal_drugs": 0},
        "employment_education": {"employment": "part_time", "education": "not_enrolled"},
        "crime_criminal_justice": {"arrests": 0},
        "family_living_conditions": {"living": "independent_living", "has_children": False},
        "social_support": {
            "self_help_groups": True,
            "faith_recovery_groups": False,
            "other_recovery_organisations": False,
            "supportive_family_friends": True,
        },
        "retention": {
            "sessions": {"recovery_coaching": 3},
            "last_service_date": day,
            "discharge_date": day,
            "discharge_reason": "treatment_completed",
        },
    }
