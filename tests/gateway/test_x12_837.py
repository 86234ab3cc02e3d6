"""837P in (services/gateway/service_layer/x12.py): the sample interchanges under
``x12_samples/`` through pyx12's validation, the claim mapping and the gateway's real
intake loop (SQLite), answered with a 999 (or a TA1) and a 277CA that pyx12 validates.

The same line sent as X12 and as JSON gets the same claim id (a duplicate the second
time); a malformed interchange is a 999 rejection naming the segment and no claim of it
is taken.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import pyx12.params
import pyx12.x12n_document

from contracts.api.x12 import X12Acknowledgement
from contracts.claims import SubmitClaim
from programs.loader import load_catalog
from services.gateway.adapters.orm import metadata
from services.gateway.domain.x12_837 import NotX12Error, read_837
from services.gateway.service_layer.claims import Accepted
from services.gateway.service_layer.intake import ClaimIntake
from services.gateway.service_layer.x12 import service_resolver, take_837
from services.gateway.settings import GatewaySettings
from services.kit.runtime import ServiceRuntime
from services.kit.unit_of_work import UnitOfWork

SAMPLES = Path(__file__).parent / "x12_samples"
MO = load_catalog("missouri_atr2")
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def validate(text: str) -> tuple[bool, dict[str, object]]:
    """pyx12's verdict on an X12 document and its error summary."""
    summary = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None, None, summary
    )
    return bool(ok), json.loads(summary.getvalue())


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[ClaimIntake]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    settings = GatewaySettings(service="gateway", data_dir=tmp_path, database_url=url)
    runtime = ServiceRuntime("gateway", metadata, settings)
    await asyncio.to_thread(_migrate, runtime)
    loop = ClaimIntake(lambda: UnitOfWork(runtime.db, runtime.tables))
    try:
        yield loop
    finally:
        await loop.close()
        await runtime.db.dispose()


def _migrate(service: ServiceRuntime) -> None:
    from services.kit.migrations import upgrade_to_head

    upgrade_to_head("gateway", service.db.url)


async def take(text: str, intake: ClaimIntake | None = None) -> X12Acknowledgement:
    async def accept(lines: list[SubmitClaim]) -> list[Accepted]:
        assert intake is not None, "no claim of this interchange may be taken"
        return await intake.accept(lines, NOW, TODAY)

    return await take_837(
        text,
        provider_id="PRV-1",
        catalog=MO,
        today=TODAY,
        accept=accept,
        control=41,
        now=NOW,
    )


def test_each_service_line_becomes_a_submit_claim() -> None:
    reading = read_837(sample("valid_two_claims.x12"), service_resolver(MO))
    assert reading.accepted
    assert "IK5*A" in reading.ack999
    first, second = reading.claims
    assert first.error is None
    assert second.error is None
    [line] = first.lines
    assert line.model_dump(exclude_none=True) == {
        "claim_ref": "EHR-0001",
        "provider_id": "PENDING",
        "client_id": "CL-0001",
        "voucher_id": "VCH-0001",
        "service_code": "CARE_COORDINATION",  # the one service billed under H0006
        "service_date": date(2026, 11, 16),
        "units": 4,
        "staff_id": "STF-1",
        "rendering_npi": "1245319599",
        "billing_npi": "1234567893",
        "procedure_code": "H0006",
        "diagnosis_codes": ["F11.20"],
        "place_of_service": "57",
        "client_signature": True,  # CLM09 Y
        "face_to_face": True,  # not telehealth
        "frequency": "original",  # CLM05-3 1
    }
    assert [(x.claim_ref, x.service_code, x.modifiers, x.units) for x in second.lines] == [
        ("EHR-0002-A", "RECOVERY_MENTORING_GRP", ["HQ"], 2),  # REF*6R, SV101-7
        ("EHR-0002-B", "RECOVERY_MENTORING_GRP", ["HQ"], 1),
    ]


async def test_accepted_claims_get_the_json_apis_ids_and_idempotency(
    intake: ClaimIntake,
) -> None:
    answer = await take(sample("valid_two_claims.x12"), intake)
    assert answer.accepted
    assert answer.ta1 is None
    assert [c.status for c in answer.claims] == ["accepted", "accepted"]
    ids = {line.claim_ref: line.claim_id for c in answer.claims for line in c.lines}
    assert set(ids) == {"EHR-0001", "EHR-0002-A", "EHR-0002-B"}
    assert not any(line.duplicate for c in answer.claims for line in c.lines)

    # The same line through the JSON intake: the same claim, a duplicate.
    reading = read_837(sample("valid_two_claims.x12"), service_resolver(MO))
    as_json = reading.claims[0].lines[0].model_copy(update={"provider_id": "PRV-1"})
    [again] = await intake.accept([SubmitClaim.model_validate(as_json.model_dump())], NOW, TODAY)
    assert again.duplicate
    assert again.claim_id == ids["EHR-0001"]

    # The interchange again: every line a duplicate with its id.
    repeat = await take(sample("valid_two_claims.x12"), intake)
    assert {line.claim_ref: line.claim_id for c in repeat.claims for line in c.lines} == ids
    assert all(line.duplicate for c in repeat.claims for line in c.lines)


async def test_the_277ca_acknowledges_each_claim_and_validates(intake: ClaimIntake) -> None:
    answer = await take(sample("valid_two_claims.x12"), intake)
    assert answer.ack277ca is not None
    ok, _ = validate(answer.ack277ca)
    assert ok
    assert answer.ack277ca.count("STC*A2:20*") == 2
    first_id = answer.claims[0].lines[0].claim_id
    assert f"REF*1K*{first_id}~" in answer.ack277ca
    assert "TRN*2*EHR-0001~" in answer.ack277ca
    assert "TRN*2*EHR-0002~" in answer.ack277ca
    ok, _ = validate(answer.ack999)
    assert ok


async def test_a_claim_that_cannot_be_made_is_rejected_alone(intake: ClaimIntake) -> None:
    answer = await take(sample("claim_without_voucher.x12"), intake)
    assert answer.accepted
    by_ref = {c.patient_control_number: c for c in answer.claims}
    assert by_ref["EHR-0003"].status == "rejected"
    assert "voucher_id (REF*G1)" in (by_ref["EHR-0003"].reason or "")
    assert by_ref["EHR-0004"].status == "accepted"  # H0038 HR: FAMILY_ENGAGEMENT_IND
    assert by_ref["EHR-0005"].status == "rejected"  # H0038 HQ: two services
    assert "SV101-7" in (by_ref["EHR-0005"].reason or "")
    assert answer.ack277ca is not None
    assert validate(answer.ack277ca)[0]
    assert answer.ack277ca.count("STC*A7:21*") == 2
    assert "QTY*90*1~" in answer.ack277ca
    assert "QTY*AA*2~" in answer.ack277ca


async def test_a_reused_claim_ref_rejects_that_claim(intake: ClaimIntake) -> None:
    await take(sample("valid_two_claims.x12"), intake)
    changed = sample("valid_two_claims.x12").replace("SV1*HC:H0006*20*UN*4", "SV1*HC:H0006*20*UN*3")
    answer = await take(changed, intake)
    first, second = answer.claims
    assert first.status == "rejected"
    assert "claim_ref" in (first.reason or "")
    assert second.status == "accepted"
    assert all(line.duplicate for line in second.lines)


async def test_a_line_outside_the_program_window_is_rejected_naming_the_element(
    intake: ClaimIntake,
) -> None:
    text = sample("valid_two_claims.x12")
    old = text.replace("DTP*472*D8*20261116", "DTP*472*D8*19990101", 1)
    answer = await take(old, intake)
    rejected = [c for c in answer.claims if c.status == "rejected"]
    assert [c.patient_control_number for c in rejected] == ["EHR-0001"]
    assert "service_date (DTP*472)" in (rejected[0].reason or "")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("malformed_missing_dtp.x12", ["IK3*DTP*", "**3~", "IK5*R*", "AK9*R*1*1*0~"]),
        ("malformed_se_count.x12", ["IK5*R*4~", "AK9*R*1*1*0~"]),
        ("malformed_unknown_segment.x12", ["IK3*ZZZ*", "**1~", "IK5*R*", "AK9*R*"]),
    ],
)
async def test_a_malformed_transaction_set_is_a_999_rejection(
    name: str, expected: list[str]
) -> None:
    answer = await take(sample(name))  # no intake: nothing may be accepted
    assert not answer.accepted
    assert answer.claims == []
    assert answer.ack277ca is None
    for piece in expected:
        assert piece in answer.ack999, piece
    assert validate(answer.ack999)[0]


async def test_a_bad_iea_count_is_a_ta1_rejection_and_nothing_is_taken() -> None:
    answer = await take(sample("malformed_iea_count.x12"))
    assert not answer.accepted
    assert answer.claims == []
    assert answer.ta1 is not None
    assert "TA1*000000101*261201*1200*R*021~" in answer.ta1


async def test_another_version_is_rejected_by_the_gateways_own_999() -> None:
    answer = await take(sample("malformed_version_4010.x12"))
    assert not answer.accepted
    assert answer.claims == []
    assert "AK1*HC*101*004010X098A1~" in answer.ack999
    assert "IK3*GS*" in answer.ack999
    assert "IK5*R*5~" in answer.ack999
    assert validate(answer.ack999)[0]


async def test_a_missing_group_is_a_999_naming_it() -> None:
    lines = [x for x in sample("valid_two_claims.x12").splitlines() if not x.startswith("GS*")]
    answer = await take("\n".join(lines))
    assert not answer.accepted
    assert "IK3*ST*" in answer.ack999
    assert "**3~" in answer.ack999


async def test_what_is_not_x12_raises() -> None:
    with pytest.raises(NotX12Error):
        await take(sample("not_x12.txt"))
    with pytest.raises(NotX12Error):
        await take("ISA*00*" + "x" * 20)


@pytest.mark.parametrize("cut", [120, 400, 900, -40])
async def test_a_truncated_or_garbled_interchange_never_raises(cut: int) -> None:
    text = sample("valid_two_claims.x12")
    answer = await take(text[:cut] + "@@@*&^~QQ")
    assert not answer.accepted
    assert answer.ack999.startswith("ISA*")
