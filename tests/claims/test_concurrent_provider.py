"""One client, one provider per service at a time, checked at claim time (seed 003
App. E §6; SPEC §3.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from contracts.reasons import Reason
from programs.loader import load_catalog
from services.claims.domain.adjudicate import adjudicate
from services.claims.domain.facts import History, Provider
from services.claims.domain.model import ClaimLine, StaffRecord
from tests.claims.test_checks import PROVIDER, SERVICE, claim, facts, voucher

MO = load_catalog("missouri_atr2")
FIRST = voucher()  # P1 admitted 2026-07-10
SECOND = voucher(
    voucher_id="V2",
    provider_id="P2",
    admitted_on=date(2026, 8, 1),
    admission_recorded_at=datetime(2026, 8, 1, tzinfo=UTC),
)
GRADUATE = StaffRecord("S1", frozenset({"addictions_academy_graduate"}))
P2 = replace(PROVIDER, provider_id="P2")


def _line(provider_id: str, voucher_id: str, **changes: object) -> ClaimLine:
    """A line that passes every catalog rule (documented, by a qualified member)."""
    return claim(
        provider_id=provider_id,
        voucher_id=voucher_id,
        client_signature=True,
        face_to_face=True,
        **changes,
    )


def _reasons(provider: Provider, own: object, line_voucher: str, **line: object) -> list[str]:
    decision = adjudicate(
        _line(provider.provider_id, line_voucher, **line),
        facts(voucher=own, provider=provider, staff=GRADUATE, client_vouchers=(FIRST, SECOND)),
        History(),
        MO,
    )
    return [str(r) for r in decision.reasons]


def test_app_e_6_no_subsidy_for_the_same_service_from_two_providers_at_a_time() -> None:
    """Seed 003 App. E §6: "Clients could not receive subsidies for the same type of
    clinical treatment or recovery support service from more than one provider at a
    time, so separation information was necessary if a client was being re-placed and
    the new provider was expecting the client to be subsidized with a voucher." A claim
    from the second provider for a day the first still held the client's active voucher
    for that service is denied ``CONCURRENT_PROVIDER``; the first provider is paid."""
    assert _reasons(P2, SECOND, "V2") == [Reason.CONCURRENT_PROVIDER]
    assert _reasons(PROVIDER, FIRST, "V1") == []


def test_app_e_6_after_separation_the_new_provider_is_subsidised() -> None:
    """Seed 003 App. E §6 "separation information was necessary if a client was being
    re-placed": once the first provider discharged the client, the second provider's
    services after the discharge date are paid, those on or before it are not."""
    separated = (replace(FIRST, status="discharged", discharged_on=date(2026, 8, 20)), SECOND)
    decision = adjudicate(
        _line("P2", "V2", service_date=date(2026, 8, 21)),
        facts(voucher=SECOND, provider=P2, staff=GRADUATE, client_vouchers=separated),
        History(),
        MO,
    )
    assert decision.reasons == ()
    before = adjudicate(
        _line("P2", "V2", service_date=date(2026, 8, 20)),
        facts(voucher=SECOND, provider=P2, staff=GRADUATE, client_vouchers=separated),
        History(),
        MO,
    )
    assert before.reasons == (Reason.CONCURRENT_PROVIDER,)


def test_app_e_6_another_service_from_another_provider_is_no_conflict() -> None:
    """Seed 003 App. E §6 speaks of "the same type of ... service": a second provider
    subsidised for a different service of the client is not denied."""
    other_service = replace(FIRST, authorised={"CARE_COORDINATION": FIRST.authorised[SERVICE]})
    decision = adjudicate(
        _line("P2", "V2"),
        facts(voucher=SECOND, provider=P2, staff=GRADUATE, client_vouchers=(other_service, SECOND)),
        History(),
        MO,
    )
    assert Reason.CONCURRENT_PROVIDER not in decision.reasons
