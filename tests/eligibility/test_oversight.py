"""Oversight that binds at assessment (seed 003 App. E §3-4), on SQLite and PostgreSQL:
the 30-day assessment voucher and the written choice notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from contracts.api.clients import Assess, DetermineEligibility, EligibilityInputs
from contracts.api.providers import UpdateProvider
from programs.loader import load_catalog
from services.eligibility.domain.assessment_voucher import Determination, redeemable_voucher
from services.eligibility.domain.errors import (
    AssessmentVoucherNotValidError,
    ChoiceNoticeInvalidError,
)
from services.eligibility.service_layer import assessments, clients, providers
from tests.eligibility.test_use_cases import ASSESSOR, SERVICE, TODAY, Service, enrol, service

__all__ = ["service"]  # the fixture, shared with the use-case tests
from tests.phi_fixtures import ALICE

DETERMINED = date(2026, 8, 1)


def _assessment(assessed_on: date, notice_on: date | None = None) -> Assess:
    notice = notice_on or assessed_on
    return Assess(
        instrument="ASI",
        diagnosis="dependence",
        level_of_care="outpatient",
        treatment_status="level_1",
        assessed_on=assessed_on,
        religious_objection_notice_given_at=datetime(
            notice.year, notice.month, notice.day, 10, tzinfo=UTC
        ),
    )


async def _eligible_on(service: Service, client_id: str, day: date) -> None:
    inputs = EligibilityInputs(
        annual_household_income=Decimal("12000.00"),
        household_size=1,
        state_resident=True,
        substance_use_disorder=True,
    )
    async with service.uow() as uow:
        await clients.determine_eligibility(
            uow,
            client_id,
            DetermineEligibility(inputs=inputs, eligible=True, determined_on=day),
            ASSESSOR,
            TODAY,
        )
        await uow.commit()


async def _assess(service: Service, client_id: str, command: Assess) -> None:
    async with service.uow() as uow:
        await assessments.assess(uow, client_id, command, ASSESSOR, TODAY)
        await uow.commit()


async def test_app_e_4_assessment_within_the_30_day_assessment_voucher(service: Service) -> None:
    """Seed 003 App. E §4: "clients who were determined to be financially eligible for
    subsidies had 30-day vouchers for an assessment created for them by the State. Once
    an assessment occurred, the assessor created a treatment/recovery services voucher".
    The assessment redeems that voucher: on the determination's day up to its 30th day,
    not before the determination and not after its 30 days."""
    client_id = (await enrol(service, ALICE)).client_id
    await _eligible_on(service, client_id, DETERMINED)
    for refused in (DETERMINED - timedelta(days=1), DETERMINED + timedelta(days=30)):
        with pytest.raises(AssessmentVoucherNotValidError) as caught:
            await _assess(service, client_id, _assessment(refused))
        assert caught.value.http_status == 409
        assert caught.value.problems[0]["item"] == "assessed_on"
    await _assess(service, client_id, _assessment(DETERMINED + timedelta(days=29)))
    await _assess(service, client_id, _assessment(DETERMINED))


def test_app_e_4_a_new_determination_gives_a_new_assessment_voucher() -> None:
    """Seed 003 App. E §4 "30-day vouchers for an assessment": each eligible
    determination gives one; an ineligible outcome gives none."""
    first = Determination(date(2026, 1, 1), eligible=True)
    refused = Determination(date(2026, 3, 1), eligible=False)
    again = Determination(date(2026, 5, 1), eligible=True)
    history = [first, refused, again]
    assert redeemable_voucher(history, date(2026, 1, 30)) == first
    assert redeemable_voucher(history, date(2026, 1, 31)) is None
    assert redeemable_voucher(history, date(2026, 3, 2)) is None
    assert redeemable_voucher(history, date(2026, 5, 30)) == again


async def test_app_e_3_written_notice_of_the_right_to_a_provider_without_religious_objection(
    service: Service,
) -> None:
    """Seed 003 App. E §3: "The client was then given a voucher for an assessment ... The
    client was also provided with notice of the right to genuine and independent choice
    among eligible providers, including the right to an alternative provider to whom the
    client had no religious objection. After the client redeemed the assessment voucher,
    the client received a full assessment". The assessment records when the notice was
    given; without it the request is invalid, and a notice dated after the assessment
    is refused naming the field."""
    with pytest.raises(ValidationError) as missing:
        Assess.model_validate(
            {
                "instrument": "ASI",
                "diagnosis": "dependence",
                "level_of_care": "outpatient",
                "treatment_status": "level_1",
            }
        )
    assert [e["loc"] for e in missing.value.errors()] == [("religious_objection_notice_given_at",)]
    client_id = (await enrol(service, ALICE)).client_id
    await _eligible_on(service, client_id, DETERMINED)
    assessed_on = DETERMINED + timedelta(days=3)
    with pytest.raises(ChoiceNoticeInvalidError) as late:
        await _assess(service, client_id, _assessment(assessed_on, assessed_on + timedelta(days=1)))
    assert late.value.problems[0]["item"] == "religious_objection_notice_given_at"
    await _assess(service, client_id, _assessment(assessed_on, DETERMINED))
    async with service.uow() as uow:
        summary = await assessments.assessment_summary(uow, client_id, ASSESSOR, TODAY)
    assert summary is None  # no consent: the notice is stored, the summary stays gated


async def test_app_e_6_ineligible_next_fiscal_year_stays_on_choice_lists_until_july_1(
    service: Service,
) -> None:
    """Seed 003 App. E §6: "At the end of the first year, however, four of the six
    providers were still unable to provide the outcomes information in each of the seven
    domains. As a result, PIB declared these four providers ineligible for the voucher
    program for the next year." The decision takes effect when the next fiscal year
    ("the fiscal year (July 1 to June 30)") begins: until then the provider is on
    choice lists and in the directory; from July 1 it is on neither."""
    decided_on = date(2026, 9, 1)
    async with service.uow() as uow:
        snapshot = await providers.update_provider(
            uow, "PRV-B", UpdateProvider(status="ineligible_next_fiscal_year"), decided_on
        )
        await uow.commit()
    assert snapshot.ineligible_from == date(2027, 7, 1)
    client_id = (await enrol(service, ALICE)).client_id

    async def offered(on: date) -> tuple[list[str], list[str]]:
        async with service.uow() as uow:
            listed = await clients.choices(uow, client_id, SERVICE, None, ASSESSOR, on)
            entries = await providers.directory(
                uow, service=SERVICE, county=None, faith_based=None, on=on
            )
            await uow.commit()
        return (
            [p["provider_id"] for p in listed["providers"]],
            [e["provider_id"] for e in entries],
        )

    assert await offered(date(2027, 6, 30)) == (["PRV-A", "PRV-B"], ["PRV-A", "PRV-B"])
    assert await offered(date(2027, 7, 1)) == (["PRV-A"], ["PRV-A"])
    # reinstated before the year turns: never ineligible
    async with service.uow() as uow:
        again = await providers.update_provider(
            uow, "PRV-B", UpdateProvider(status="active"), date(2027, 1, 5)
        )
        await uow.commit()
    assert again.ineligible_from is None


def test_app_e_4_an_assessment_authorising_a_service_no_voucher_can_carry_is_refused() -> None:
    """Seed 003 App. E §4: "Once an assessment occurred, the assessor created a
    treatment/recovery services voucher" — the voucher is made of the services the
    assessment authorises, so one it cannot carry is refused at assessment (the route
    answers 422 naming ``authorized_services[i].service_code``), not dropped from the
    voucher while the assessment answers 201: an unknown code, an unpriced one (SPEC
    §3.4, seed 001 gives no prices), and seed 001 Recovery Home without the referral
    ("Only National Guard referrals are eligible for recovery home services")."""
    catalog = load_catalog(
        "illinois_atr3", {"RECOVERY_COACHING": Decimal("20.00"), "RECOVERY_HOME": Decimal("30")}
    )
    assert catalog.voucher_refusal("RECOVERY_COACHING", []) is None
    assert catalog.voucher_refusal("NO_SUCH_SERVICE", []) == "not a priced service of the program"
    assert catalog.voucher_refusal("PEER_COACHING", []) == "not a priced service of the program"
    assert catalog.voucher_refusal("RECOVERY_HOME", []) == (
        "the assessment does not record national_guard_referral"
    )
    assert catalog.voucher_refusal("RECOVERY_HOME", ["national_guard_referral"]) is None
