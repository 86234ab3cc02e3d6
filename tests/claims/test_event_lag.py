"""SPEC §3.4 event lag: a claim whose voucher admission the platform acknowledged before
the claim was submitted is never denied because this worker has not yet seen it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from contracts.clients import AuthorizedService
from contracts.vouchers import VoucherSnapshot
from programs.loader import load_catalog
from services.claims.domain.checks import ProviderFacts
from services.claims.domain.model import ClaimLine
from services.claims.service_layer.adjudication import UNREACHABLE, Received, decide
from services.claims.service_layer.state import BatchState

MO = load_catalog("missouri_atr2")
TODAY = date(2026, 9, 15)
SUBMITTED = datetime(2026, 9, 15, 12, tzinfo=UTC)
SERVICE = "RECOVERY_MENTORING_IND"


def voucher(status: str, recorded: datetime | None) -> VoucherSnapshot:
    return VoucherSnapshot(
        voucher_id="V1",
        client_id="C1",
        kind="service",
        status=status,  # type: ignore[arg-type]
        version=3 if recorded else 2,
        issued_on=date(2026, 9, 1),
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
        authorized_services=[AuthorizedService(service_code=SERVICE, units=40)],
        provider_id="P1",
        admitted_on=date(2026, 9, 10) if recorded else None,
        admission_recorded_at=recorded,
    )


def received() -> Received:
    line = ClaimLine(
        claim_id="K1",
        provider_id="P1",
        client_id="C1",
        voucher_id="V1",
        service_code=SERVICE,
        service_date=date(2026, 9, 14),
        units=2,
        staff_id="S1",
        start_time=time(9),
        end_time=time(9, 30),
        client_signature=True,
        face_to_face=True,
    )
    return Received(line=line, data={}, claim_ref="R1", submitted_at=SUBMITTED)


def state(replica: VoucherSnapshot | None) -> BatchState:
    batch = BatchState(
        providers={
            "P1": ProviderFacts(
                "P1",
                "active",
                frozenset({SERVICE}),
                {"S1": {"staff_id": "S1", "credentials": ["addictions_academy_graduate"]}},
            )
        }
    )
    if replica is not None:
        batch.vouchers["V1"] = replica
    return batch


def test_admission_acknowledged_before_submission_is_decided_on_the_vouchers_answer() -> None:
    truth = voucher("active", SUBMITTED - timedelta(seconds=2))
    for replica in (None, voucher("provider_selected", None)):
        decision = decide(received(), state(replica), MO, TODAY, {"V1": truth})
        assert decision is not None
        assert decision.outcome == "approved"
        assert decision.allowed_amount == Decimal("10.00")


def test_admission_after_submission_is_denied_as_not_active() -> None:
    truth = voucher("active", SUBMITTED + timedelta(seconds=5))
    decision = decide(
        received(), state(voucher("provider_selected", None)), MO, TODAY, {"V1": truth}
    )
    assert decision is not None
    assert decision.reasons == ("VOUCHER_NOT_ACTIVE",)


def test_unreachable_vouchers_service_pends_instead_of_denying() -> None:
    assert decide(received(), state(None), MO, TODAY, {"V1": UNREACHABLE}) is None
    assert decide(received(), state(None), MO, TODAY, {}, lag_pends=True) is None


def test_unknown_voucher_everywhere_is_denied() -> None:
    decision = decide(received(), state(None), MO, TODAY, {"V1": None})
    assert decision is not None
    assert decision.reasons == ("VOUCHER_NOT_FOUND",)


def test_a_client_with_a_pending_line_keeps_later_lines_behind_it() -> None:
    batch = state(voucher("active", SUBMITTED - timedelta(days=1)))
    batch.pending_clients.add("C1")
    assert decide(received(), batch, MO, TODAY, {}) is None
