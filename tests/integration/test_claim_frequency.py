"""Claim frequency on the real platform: a funded line voided by a ``void`` line (by its
``claim_ref``) is corrected to 0 units through the correction path: the voucher gets
its units back and payments records the reversal as an adjustment, queued for the next
invoice run; a ``replacement`` voids the earlier line the same way and is decided as a
new claim. Repeating either changes nothing; an unknown earlier claim is a 422.

The invoice run itself is not made here: the current month's run belongs to the X12
test and a later month's has not begun (its adjustment is asserted queued, ``run_id``
empty, which is what the next run takes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.payments.domain.funding import fiscal_year_of
from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform

PROVIDER = "PRV-FREQ"
SERVICE = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-FREQ", "credentials": ["addictions_academy_graduate"]}


def _line(ref: str, voucher: dict[str, Any], start: str, end: str, **extra: Any) -> Any:
    return {
        "claim_ref": ref,
        "provider_id": PROVIDER,
        "client_id": voucher["client_id"],
        "voucher_id": voucher["voucher_id"],
        "service_code": SERVICE,
        "service_date": utc_today().isoformat(),
        "units": 1,
        "staff_id": STAFF["staff_id"],
        "start_time": start,
        "end_time": end,
        "client_signature": True,
        "face_to_face": True,
        **extra,
    }


async def _adjustments(platform: RunningPlatform, claim_id: str) -> list[Any]:
    engine = create_async_engine(platform.database_urls["payments"])
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT amount_delta, run_id FROM adjustments WHERE claim_id = :c"),
                {"c": claim_id},
            )
            return list(rows)
    finally:
        await engine.dispose()


async def test_a_void_and_a_replacement_by_claim_ref_go_through_the_correction_path(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    await register_provider(gateway, platform, PROVIDER, [SERVICE], [STAFF])
    assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-FREQ")
    provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
    voucher = await active_voucher(
        gateway,
        assessor=assessor,
        provider=provider,
        provider_id=PROVIDER,
        client_id="CL-FREQ-1",
        services=[{"service_code": SERVICE, "units": 100}],
    )
    opened = await gateway.post(  # opened already when the funding test ran first
        "/v1/fiscal-years",
        json={"fiscal_year": fiscal_year_of(utc_today()), "total": "100000.00"},
        headers=platform.admin,
    )
    assert opened.status_code in (201, 409), opened.text

    ids = {}
    for ref, start, end in (("FREQ-1", "09:00", "09:15"), ("FREQ-2", "10:00", "10:15")):
        answer = await gateway.post(
            "/v1/claims", json=_line(ref, voucher, start, end), headers=provider
        )
        assert answer.status_code == 202, answer.text
        ids[ref] = answer.json()["claim_id"]

    async def decided(claim_id: str) -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await gateway.get(f"/v1/claims/{claim_id}", headers=provider)
        ).json()
        return body if body["status"] == "approved" and body.get("funding") else None

    first = await wait_until(lambda: decided(ids["FREQ-1"]), timeout_s=120, interval_s=0.3)
    assert first, "FREQ-1 was never approved and given its funding decision"
    assert await wait_until(lambda: decided(ids["FREQ-2"]), timeout_s=120, interval_s=0.3)
    funding = first["funding"]
    # the quarter's funds may be spent by earlier tests on this platform: an unfunded line
    # has nothing paid to reverse, a funded one its whole amount
    funded = Decimal(funding["amount"]) if funding["funded"] else Decimal("0.00")

    async def used_units() -> int:
        answer = await gateway.get(f"/v1/vouchers/{voucher['voucher_id']}", headers=provider)
        (balance,) = answer.json()["balances"]
        return int(balance["used_units"])

    assert await wait_until(lambda: _is(used_units, 2), timeout_s=120, interval_s=0.3)

    # an unknown earlier claim: 422 naming the field, nothing voided
    unknown = await gateway.post(
        "/v1/claims",
        json=_line(
            "FREQ-9", voucher, "09:00", "09:15", frequency="void", replaces_claim_ref="FREQ-404"
        ),
        headers=provider,
    )
    assert unknown.status_code == 422, unknown.text
    assert [e["loc"] for e in unknown.json()["errors"]] == [["body", "replaces_claim_ref"]]

    # void FREQ-1 (the EHR repeats its claim_ref, as an 837P void repeats CLM01)
    void = _line("FREQ-1", voucher, "09:00", "09:15", frequency="void", replaces_claim_ref="FREQ-1")
    voided = await gateway.post("/v1/claims", json=void, headers=provider)
    assert voided.status_code == 202, voided.text
    assert voided.json()["status"] == "voided"
    assert voided.json()["claim_id"] == voided.json()["voided_claim_id"] == ids["FREQ-1"]
    status = (await gateway.get(f"/v1/claims/{ids['FREQ-1']}", headers=provider)).json()
    assert (status["status"], status["billed_units"], status["allowed_amount"]) == (
        "voided",
        0,
        "0.00",
    )
    assert await wait_until(lambda: _is(used_units, 1), timeout_s=120, interval_s=0.3)

    async def reversed_() -> list[Any] | None:
        rows = await _adjustments(platform, ids["FREQ-1"])
        return rows or None

    rows = await wait_until(reversed_, timeout_s=120, interval_s=0.3)
    assert rows, "payments never recorded the void's adjustment"
    [(amount_delta, run_id)] = rows
    assert run_id is None  # queued for the next invoice run
    assert Decimal(amount_delta) == -funded  # the whole funded amount reversed
    if first["funding"]["funded"]:  # alone, or while the quarter still has funds
        assert funded > 0

    # the void again: harmless (a correction to 0 again changes nothing)
    again = await gateway.post("/v1/claims", json=void, headers=provider)
    assert again.status_code == 202, again.text
    assert again.json()["claim_id"] == ids["FREQ-1"]
    assert len(await _adjustments(platform, ids["FREQ-1"])) == 1

    # replace FREQ-2 by FREQ-2R: FREQ-2 voided, FREQ-2R a new claim, decided
    replacement = _line(
        "FREQ-2R",
        voucher,
        "11:00",
        "11:15",
        frequency="replacement",
        replaces_claim_ref="FREQ-2",
    )
    replaced = await gateway.post("/v1/claims", json=replacement, headers=provider)
    assert replaced.status_code == 202, replaced.text
    new_id = replaced.json()["claim_id"]
    assert new_id not in ids.values()
    assert (replaced.json()["status"], replaced.json()["voided_claim_id"]) == (
        "received",
        ids["FREQ-2"],
    )
    old = (await gateway.get(f"/v1/claims/{ids['FREQ-2']}", headers=provider)).json()
    assert old["status"] == "voided"
    assert await wait_until(lambda: decided(new_id), timeout_s=120, interval_s=0.3)
    repeated = await gateway.post("/v1/claims", json=replacement, headers=provider)
    assert repeated.status_code == 202, repeated.text
    assert (repeated.json()["claim_id"], repeated.json()["duplicate"]) == (new_id, True)
    assert await wait_until(lambda: _is(used_units, 1), timeout_s=120, interval_s=0.3)


async def _is(read: Any, expected: int) -> bool:
    return bool(await read() == expected)
