"""Property: whatever the edge accepts, the claim worker decides or sets aside — never
loses a line and never raises.

Hypothesis draws batches of claim bodies that pass ``SubmitClaim`` (every field, with
``None``s, odd times, huge units, codes the catalog lacks, ids the replicas do not
know), wraps each as a ``ClaimSubmitted`` event and feeds the batch through
``ClaimWorker.process`` on a real SQLite database and the real broker. Every line must
then be stored with a final status (approved / partially_approved / denied / pending)
or be on the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from contracts.claims import ClaimSubmitted, ClaimSubmittedData, SubmitClaim
from contracts.clients import AuthorizedService
from contracts.fields import ID_PATTERN
from contracts.topics import CLAIMS_SUBMITTED, DEAD_LETTER
from contracts.vouchers import VoucherSnapshot
from programs.loader import load_catalog
from services.claims.adapters.orm import claims, metadata, provider_replica, voucher_replica
from services.claims.domain.facts import UNREACHABLE
from services.claims.service_layer.worker import ClaimWorker
from services.claims.settings import ClaimsSettings
from services.kit.clock import FixedClock
from services.kit.runtime import ServiceRuntime
from tests.claims.fakes import NoNewerFacts

MO = load_catalog("missouri_atr2")
CODES = sorted(MO.services)
NOW = datetime(2026, 9, 15, 12, tzinfo=UTC)
FINAL = {"approved", "partially_approved", "denied", "pending"}
CREDENTIALS = [
    "addictions_academy_graduate",
    "agency_recognized_spiritual",
    "ordained_minister",
    "qualified_substance_abuse_professional",
]
ACTIVITIES = sorted(
    {a for s in MO.services.values() if s.activities for a in s.activities.billable}
)


class Lookup:
    """The vouchers service: V-LAGGING cannot be asked (lines pend), others unknown."""

    async def fetch(self, voucher_ids: set[str]) -> dict[str, Any]:
        return {v: UNREACHABLE if v == "V-LAGGING" else None for v in voucher_ids}


# --- strategies ----------------------------------------------------------------------

ids = st.from_regex(ID_PATTERN, fullmatch=True)
text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=64)
money = st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2)
codes = st.from_regex(r"[A-Za-z0-9_]{1,64}", fullmatch=True)
times = st.times()  # naive, to the microsecond, midnight included


@st.composite
def start_and_end(draw: st.DrawFn) -> tuple[time | None, time | None]:
    shape = draw(st.sampled_from(["none", "start", "end", "both"]))
    if shape == "none":
        return None, None
    if shape == "start":
        return draw(times), None
    if shape == "end":
        return None, draw(times)
    first, second = sorted(draw(st.lists(times, min_size=2, max_size=2, unique=True)))
    return first, second


@st.composite
def claim_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON body ``SubmitClaim`` accepts, biased towards what the replicas know."""
    start, end = draw(start_and_end())
    # C2's voucher cannot be looked up (its lines pend, and so does every later line of
    # C2); C1 keeps being decided
    client, voucher_id = draw(
        st.sampled_from([("C1", "V1"), ("C1", "V1"), ("C1", "V-OTHER"), ("C2", "V-LAGGING")])
        | st.tuples(ids, ids)
    )
    known_day = st.dates(date(2026, 8, 25), date(2026, 9, 20))
    body: dict[str, Any] = {
        "claim_ref": draw(ids),
        "provider_id": draw(st.sampled_from(["P1", "P1", "P2"]) | ids),
        "client_id": client,
        "voucher_id": voucher_id,
        "service_code": draw(st.sampled_from(CODES) | codes),
        "service_date": draw(known_day | st.dates(date(1, 1, 1), date(9999, 12, 31))).isoformat(),
        "units": draw(st.integers(1, 4) | st.integers(1, 10_000)),
        "staff_id": draw(st.sampled_from(["S1", "S2"]) | ids),
        "start_time": start.isoformat() if start else None,
        "end_time": end.isoformat() if end else None,
        "group_size": draw(st.none() | st.integers(1, 1000)),
        "client_signature": draw(st.none() | st.booleans()),
        "face_to_face": draw(st.none() | st.booleans()),
        "miles": draw(st.none() | money.map(str)),
        "pass_type": draw(st.none() | st.sampled_from(["daily", "weekly", "monthly"])),
        "pass_serial": draw(st.none() | text),
        "pass_price": draw(st.none() | money.map(str)),
        "activity": draw(st.none() | st.sampled_from(ACTIVITIES) | text),
    }  # fmt: skip
    SubmitClaim.model_validate(body)  # the strategy only draws accepted bodies
    return body


# --- the worker, one event loop for all examples -------------------------------------


class Harness:
    """A claim worker on a SQLite file with client C1's voucher V1 at provider P1
    (every Missouri service authorised), and a reader of the dead-letter topic."""

    def __init__(self, loop: asyncio.AbstractEventLoop, worker: ClaimWorker) -> None:
        self.loop = loop
        self.worker = worker
        self.dead: set[str] = set()
        self.reader: AIOKafkaConsumer | None = None

    async def dead_lettered(self, claim_ids: set[str]) -> set[str]:
        """Which of ``claim_ids`` are on the dead-letter topic (waits up to 20 s)."""
        assert self.reader is not None
        deadline = asyncio.get_running_loop().time() + 20
        while not claim_ids <= self.dead and asyncio.get_running_loop().time() < deadline:
            for records in (await self.reader.getmany(timeout_ms=300)).values():
                for record in records:
                    body = json.loads(record.value or b"{}")
                    data = body.get("data") if isinstance(body, dict) else None
                    if isinstance(data, dict) and isinstance(data.get("claim_id"), str):
                        self.dead.add(data["claim_id"])
        return claim_ids & self.dead


async def _start(bootstrap_servers: str, database_url: str) -> ClaimWorker:
    runtime = ServiceRuntime(
        "claims",
        metadata,
        settings=ClaimsSettings(
            service="claims", database_url=database_url, kafka_bootstrap_servers=bootstrap_servers
        ),
    )
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    snapshots = [
        voucher("V1", "C1"),
        voucher("V-PLAIN", "C-PLAIN"),  # the harness check's own client: nothing pends it
    ]
    async with runtime.db.sessions() as session, session.begin():
        await session.execute(
            provider_replica.insert().values(
                provider_id="P1",
                status="active",
                services=CODES,
                staff=[
                    {"staff_id": "S1", "credentials": CREDENTIALS, "months_experience": 60},
                    {"staff_id": "S2", "credentials": []},
                ],
                as_of=NOW,
            )
        )
        for snapshot in snapshots:
            await session.execute(
                voucher_replica.insert().values(
                    voucher_id=snapshot.voucher_id,
                    client_id=snapshot.client_id,
                    version=1,
                    snapshot=snapshot.model_dump(mode="json"),
                )
            )
    await runtime.broker.start()
    return ClaimWorker(runtime, lambda: MO, FixedClock(NOW), Lookup(), NoNewerFacts())


def voucher(voucher_id: str, client_id: str) -> VoucherSnapshot:
    """An admitted service voucher at P1 authorising every Missouri service."""
    return VoucherSnapshot(
        voucher_id=voucher_id,
        client_id=client_id,
        kind="service",
        status="active",
        version=1,
        issued_on=date(2026, 9, 1),
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
        authorized_services=[AuthorizedService(service_code=c, units=40) for c in CODES],
        provider_id="P1",
        admitted_on=date(2026, 9, 2),
        admission_recorded_at=datetime(2026, 9, 2, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def harness(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    loop = asyncio.new_event_loop()
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('property') / 'claims.db'}"
    worker = loop.run_until_complete(_start(bootstrap_servers, url))
    setup = Harness(loop, worker)

    async def reader() -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            DEAD_LETTER.name, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest"
        )
        await consumer.start()
        return consumer

    setup.reader = loop.run_until_complete(reader())
    try:
        yield setup
    finally:
        loop.run_until_complete(setup.reader.stop())
        loop.run_until_complete(worker.runtime.broker.stop())
        loop.run_until_complete(worker.runtime.sender.stop())
        loop.run_until_complete(worker.runtime.db.dispose())
        loop.close()


def as_record(body: dict[str, Any], offset: int) -> tuple[str, ConsumerRecord[bytes, bytes]]:
    claim_id = f"CLM-{uuid.uuid4().hex}"
    event = ClaimSubmitted(
        subject=body["client_id"],
        time=NOW,
        data=ClaimSubmittedData(
            **SubmitClaim.model_validate(body).model_dump(), claim_id=claim_id, submitted_at=NOW
        ),
    )
    raw = event.to_bytes()
    key = body["client_id"].encode()
    record = ConsumerRecord(
        CLAIMS_SUBMITTED.name, 0, offset, 0, 0, key, raw, None, len(key), len(raw), []
    )
    return claim_id, record


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(bodies=st.lists(claim_bodies(), min_size=1, max_size=8))
def test_every_accepted_line_is_decided_or_dead_lettered(
    harness: Harness, bodies: list[dict[str, Any]]
) -> None:
    made = [as_record(body, offset) for offset, body in enumerate(bodies)]
    claim_ids = {claim_id for claim_id, _ in made}

    async def run() -> None:
        worker = harness.worker
        await worker.process([record for _, record in made])  # never raises
        async with worker.runtime.db.sessions() as session:
            rows = await session.execute(
                select(claims.c.claim_id, claims.c.status).where(claims.c.claim_id.in_(claim_ids))
            )
            statuses = {row.claim_id: row.status for row in rows}
        assert set(statuses.values()) <= FINAL, statuses
        missing = claim_ids - statuses.keys()
        if missing:
            assert await harness.dead_lettered(missing) == missing, "lines lost"

    harness.loop.run_until_complete(run())


def test_the_harness_reaches_real_decisions(harness: Harness) -> None:
    """The property is not vacuous: a plain line of the known client is approved."""
    body = {
        "claim_ref": "R-plain",
        "provider_id": "P1",
        "client_id": "C-PLAIN",
        "voucher_id": "V-PLAIN",
        "service_code": "RECOVERY_MENTORING_IND",
        "service_date": "2026-09-14",
        "units": 1,
        "staff_id": "S1",
        "start_time": "09:00",
        "end_time": "09:15",
        "client_signature": True,
        "face_to_face": True,
    }
    claim_id, record = as_record(body, 0)

    async def run() -> str | None:
        assert await harness.worker.process([record]) == 1
        async with harness.worker.runtime.db.sessions() as session:
            return await session.scalar(
                select(claims.c.status).where(claims.c.claim_id == claim_id)
            )

    assert harness.loop.run_until_complete(run()) == "approved"
