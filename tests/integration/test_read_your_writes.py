"""Claims are decided on every fact acknowledged before them (README "When a claim is
decided"), with two claim workers on the real broker and PostgreSQL.

For 200 clients, four facts are each immediately followed by a claim that depends on
it: the voucher's provider selection (the claim must be ``VOUCHER_NOT_ACTIVE``, not
``PROVIDER_NOT_SELECTED``), the admission (approved), a staff addition (approved for
that staff member, not ``STAFF_NOT_QUALIFIED``) and a level-one assessment (capped by
``LEVEL_ONE_LIMIT``, not approved). Twin clients go through the same steps but post
each claim only once the claims service's replica visibly holds the fact — "the same
claim posted a minute later". Every decision of the first group must equal its twin's
(status, units, amount, reasons), and the twins' must be the expected ones. Five
repetitions, zero differences.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.infrastructure import wait_until
from tests.integration.actors import (
    grant,
    offer_choices,
    register_provider,
    selection_pending,
    utc_today,
)
from tests.integration.conftest import RunningPlatform

REPETITIONS = 5
CLIENTS = 200
CONCURRENCY = 32
SERVICE = "CARE_COORDINATION"
ACADEMY = ["addictions_academy_graduate"]

Decision = tuple[str, int, Decimal, tuple[str, ...]]
"""status, allowed units, allowed amount, reasons."""

EXPECTED: dict[int, Decision] = {
    1: ("denied", 0, Decimal("0.00"), ("VOUCHER_NOT_ACTIVE",)),
    2: ("approved", 4, Decimal("20.00"), ()),
    3: ("approved", 2, Decimal("10.00"), ()),
    4: ("denied", 0, Decimal("0.00"), ("LEVEL_ONE_LIMIT",)),
}
"""Claim k's decision on the facts of steps 1..k (CARE_COORDINATION, $5.00 a unit)."""


def _day(days_ago: int) -> str:
    return (utc_today() - timedelta(days=days_ago)).isoformat()


def _person(tag: str) -> dict[str, Any]:
    """A fictitious person, unique per tag (letters only: names refuse digits)."""
    letters = "".join(string.ascii_lowercase[int(c)] for c in tag if c.isdigit())
    return {
        "given_name": f"Ryw{letters}",
        "family_name": f"Fence{tag[0]}{letters}".title(),
        "date_of_birth": "1970-01-01",
        "county": "Boone",
    }


class Scenario:
    """One repetition: a provider, its tokens, and the two cohorts' clients."""

    def __init__(
        self, gateway: httpx.AsyncClient, platform: RunningPlatform, repetition: int
    ) -> None:
        self.gateway = gateway
        self.platform = platform
        self.rep = repetition
        self.provider_id = f"PRV-RYW-{repetition}"
        self.assessor: dict[str, str] = {}
        self.provider: dict[str, str] = {}
        self.admin = platform.admin

    async def prepare(self) -> None:
        await register_provider(
            self.gateway,
            self.platform,
            self.provider_id,
            [SERVICE],
            [{"staff_id": "STF-RYW-0", "credentials": ACADEMY}],
        )
        self.assessor = await grant(
            self.gateway, self.platform, "assessor", organisation_id="ORG-R"
        )
        self.provider = await grant(
            self.gateway, self.platform, "provider", provider_id=self.provider_id
        )

    async def _ok(self, answer: Awaitable[httpx.Response], *codes: int) -> dict[str, Any]:
        response = await answer
        assert response.status_code in (codes or (200, 201)), response.text
        body: dict[str, Any] = response.json()
        return body

    async def enrol(self, cohort: str, n: int) -> tuple[str, str]:
        """An eligible client with a service voucher for the provider's service."""
        tag = f"{cohort}{self.rep}{n:03d}"
        client = await self._ok(
            self.gateway.post("/v1/clients", json=_person(tag), headers=self.assessor), 201
        )
        client_id = str(client["client_id"])
        await self._ok(
            self.gateway.post(
                f"/v1/clients/{client_id}/eligibility",
                json={
                    "inputs": {
                        "annual_household_income": "14000.00",
                        "household_size": 2,
                        "state_resident": True,
                        "substance_use_disorder": True,
                    },
                    "eligible": True,
                    # the assessment (30 days ago) redeems this 30-day assessment
                    # voucher (seed 003 App. E §4)
                    "determined_on": _day(40),
                },
                headers=self.assessor,
            )
        )
        voucher = await self._ok(
            self.gateway.post(
                "/v1/vouchers",
                json={
                    "client_id": client_id,
                    "assessed_on": _day(90),
                    "authorized_services": [{"service_code": SERVICE, "units": 100}],
                },
                headers=self.assessor,
            ),
            201,
        )
        await offer_choices(self.gateway, self.assessor, client_id, [SERVICE])
        return client_id, str(voucher["voucher_id"])

    # the four facts ------------------------------------------------------------------

    async def select(self, voucher_id: str) -> None:
        async def selected() -> bool:
            answer = await self.gateway.post(
                f"/v1/vouchers/{voucher_id}/selection",
                json={"provider_id": self.provider_id},
                headers=self.assessor,
            )
            if selection_pending(answer):
                return False  # the registration or the offer has not reached vouchers yet
            assert answer.status_code == 200, answer.text
            return True

        assert await wait_until(selected, timeout_s=120)

    async def admit(self, voucher_id: str) -> None:
        await self._ok(
            self.gateway.post(
                f"/v1/vouchers/{voucher_id}/admission",
                json={"admitted_on": _day(60)},
                headers=self.provider,
            )
        )

    async def add_staff(self, staff_id: str) -> None:
        await self._ok(
            self.gateway.post(
                f"/v1/providers/{self.provider_id}/staff",
                json={"staff_id": staff_id, "credentials": ACADEMY},
                headers=self.admin,
            )
        )

    async def assess_level_one(self, client_id: str) -> None:
        await self._ok(
            self.gateway.post(
                f"/v1/clients/{client_id}/assessments",
                json={
                    "instrument": "ASI",
                    "diagnosis": "dependence",
                    "level_of_care": "outpatient",
                    "treatment_status": "level_1",
                    "assessed_on": _day(30),
                    "religious_objection_notice_given_at": f"{_day(40)}T12:00:00Z",
                },
                headers=self.assessor,
            ),
            201,
        )

    # the claims ------------------------------------------------------------------------

    async def claim(
        self, ref: str, client_id: str, voucher_id: str, step: int, staff_id: str
    ) -> None:
        """Claim ``step``: 1 unit 20 days ago, 4 units 21 days ago, 2 units 19 and 18
        days ago (one client's week stays under 12 units, each day under 4); returns
        once it is decided, so the next fact is not part of its view."""
        days, units = {1: (20, 1), 2: (21, 4), 3: (19, 2), 4: (18, 2)}[step]
        minutes = units * 15
        accepted = await self._ok(
            self.gateway.post(
                "/v1/claims",
                json={
                    "claim_ref": ref,
                    "provider_id": self.provider_id,
                    "client_id": client_id,
                    "voucher_id": voucher_id,
                    "service_code": SERVICE,
                    "service_date": _day(days),
                    "units": units,
                    "staff_id": staff_id,
                    "start_time": "09:00:00",
                    "end_time": f"{9 + minutes // 60:02d}:{minutes % 60:02d}:00",
                    "client_signature": True,
                    "face_to_face": True,
                    "activity": "care_coordination",
                },
                headers=self.provider,
            ),
            202,
        )

        async def decided() -> bool:
            answer = await self._ok(
                self.gateway.get(f"/v1/claims/{accepted['claim_id']}", headers=self.provider)
            )
            return answer["status"] not in ("received", "pending")

        assert await wait_until(decided, timeout_s=120, interval_s=0.25), ref


def _ref(rep: int, cohort: str, n: int, step: int) -> str:
    return f"RYW-{rep}-{cohort}-{n:03d}-{step}"


def _staff(rep: int, cohort: str, n: int) -> str:
    return f"STF-RYW-{rep}{cohort}{n:03d}"


async def _bounded(work: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in work)))


async def _claims_db(platform: RunningPlatform, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(platform.database_urls["claims"])
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def immediate(s: Scenario, clients: list[tuple[str, str]]) -> None:
    """Each client: fact, then at once the claim that depends on it, four times."""

    async def client(n: int, client_id: str, voucher_id: str) -> None:
        staff = _staff(s.rep, "N", n)
        await s.select(voucher_id)
        await s.claim(_ref(s.rep, "N", n, 1), client_id, voucher_id, 1, "STF-RYW-0")
        await s.admit(voucher_id)
        await s.claim(_ref(s.rep, "N", n, 2), client_id, voucher_id, 2, "STF-RYW-0")
        await s.add_staff(staff)
        await s.claim(_ref(s.rep, "N", n, 3), client_id, voucher_id, 3, staff)
        await s.assess_level_one(client_id)
        await s.claim(_ref(s.rep, "N", n, 4), client_id, voucher_id, 4, "STF-RYW-0")

    await _bounded([lambda n=n, c=c, v=v: client(n, c, v) for n, (c, v) in enumerate(clients)])


async def settled(s: Scenario, clients: list[tuple[str, str]]) -> None:
    """The twins: each fact for every client, then — once the claims replica shows all
    of them — the claims that depend on it."""
    platform, rep = s.platform, s.rep
    vouchers = [v for _, v in clients]
    clients_ids = [c for c, _ in clients]

    async def replica_shows(sql: str, expected: int, **params: Any) -> None:
        async def shown() -> bool:
            return int((await _claims_db(platform, sql, **params))[0][0]) >= expected

        assert await wait_until(shown, timeout_s=120, interval_s=0.5), sql

    async def claims(step: int, staff: Callable[[int], str]) -> None:
        await _bounded(
            [
                lambda n=n, c=c, v=v: s.claim(_ref(rep, "L", n, step), c, v, step, staff(n))
                for n, (c, v) in enumerate(clients)
            ]
        )

    await _bounded([lambda v=v: s.select(v) for v in vouchers])
    await replica_shows(
        "SELECT count(*) FROM voucher_replica WHERE voucher_id = ANY(:ids)"
        " AND snapshot->>'provider_id' = :provider",
        len(clients),
        ids=vouchers,
        provider=s.provider_id,
    )
    await claims(1, lambda _: "STF-RYW-0")
    await _bounded([lambda v=v: s.admit(v) for v in vouchers])
    await replica_shows(
        "SELECT count(*) FROM voucher_replica WHERE voucher_id = ANY(:ids)"
        " AND snapshot->>'status' = 'active'",
        len(clients),
        ids=vouchers,
    )
    await claims(2, lambda _: "STF-RYW-0")
    for n in range(len(clients)):
        await s.add_staff(_staff(rep, "L", n))
    await replica_shows(
        "SELECT count(*) FROM provider_replica, json_array_elements(staff) AS member"
        " WHERE provider_id = :provider AND member->>'staff_id' LIKE :pattern",
        len(clients),
        provider=s.provider_id,
        pattern=f"STF-RYW-{rep}L%",
    )
    await claims(3, lambda n: _staff(rep, "L", n))
    await _bounded([lambda c=c: s.assess_level_one(c) for c in clients_ids])
    await replica_shows(
        "SELECT count(*) FROM client_replica WHERE client_id = ANY(:ids)"
        " AND statuses::text LIKE '%level_1%'",
        len(clients),
        ids=clients_ids,
    )
    await claims(4, lambda _: "STF-RYW-0")


async def decisions(platform: RunningPlatform, rep: int, count: int) -> dict[str, Decision]:
    """Every claim of the repetition once none is pending, by claim_ref."""

    async def all_decided() -> dict[str, Decision] | None:
        found = await _claims_db(
            platform,
            "SELECT claim_ref, status, allowed_units, allowed_amount, reasons FROM claims"
            " WHERE claim_ref LIKE :pattern",
            pattern=f"RYW-{rep}-%",
        )
        if len(found) < count or any(row[1] == "pending" for row in found):
            return None
        return {row[0]: (row[1], row[2], Decimal(row[3]), tuple(row[4])) for row in found}

    result: dict[str, Decision] = await wait_until(all_decided, timeout_s=300, interval_s=1)
    return result


@pytest.mark.timeout(2700)  # 4,000 dependent steps and 2,000 choice-list offers
async def test_each_claim_is_decided_on_the_facts_acknowledged_before_it(
    platform: RunningPlatform, gateway: httpx.AsyncClient
) -> None:
    differences: list[str] = []
    for rep in range(REPETITIONS):
        s = Scenario(gateway, platform, rep)
        await s.prepare()
        now = await _bounded([partial(s.enrol, "N", n) for n in range(CLIENTS)])
        later = await _bounded([partial(s.enrol, "L", n) for n in range(CLIENTS)])
        await immediate(s, now)
        await settled(s, later)
        decided = await decisions(platform, rep, 2 * 4 * CLIENTS)
        for n in range(CLIENTS):
            for step in (1, 2, 3, 4):
                twin = decided[_ref(rep, "L", n, step)]
                assert twin == EXPECTED[step], (rep, n, step, twin)
                first = decided[_ref(rep, "N", n, step)]
                if first != twin:
                    differences.append(f"rep {rep} client {n} claim {step}: {first} != {twin}")
    assert not differences, f"{len(differences)} differences, e.g. {differences[:5]}"
