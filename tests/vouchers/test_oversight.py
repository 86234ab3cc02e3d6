"""Oversight that binds when a voucher is issued or used, on SQLite and PostgreSQL:
Illinois recovery home only for National Guard referrals (seed 001), and a provider
ineligible next fiscal year (seed 003 App. E §6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from contracts.api.vouchers import CreateVoucher, ReportAdmission, SelectProvider
from contracts.clients import AuthorizedService, ClientAssessed, ClientAssessedData
from contracts.providers import ProviderSnapshot, ProviderUpdated
from programs.loader import load_catalog
from services.kit.clock import FixedClock
from services.vouchers.domain.lifecycle import InvalidTransitionError, RuleViolationError
from services.vouchers.service_layer import use_cases
from tests.vouchers.test_use_cases import (
    ASSESSOR,
    MENTORING,
    PROVIDER_A,
    Service,
    service,
    service_voucher,
)

__all__ = ["service"]  # the fixture, shared with the use-case tests

AFTER_THE_TURN = FixedClock(datetime(2027, 7, 2, 12, tzinfo=UTC))
RECOVERY_HOME = "RECOVERY_HOME"
ILLINOIS = load_catalog("illinois_atr3", {RECOVERY_HOME: Decimal("40.00")})


def _assessed(client_id: str, attributes: list[str], services: list[str]) -> ClientAssessed:
    return ClientAssessed(
        subject=client_id,
        data=ClientAssessedData(
            client_id=client_id,
            assessment_id=f"A-{client_id}",
            case_number=1,
            assessed_on=date(2026, 8, 1),
            level_of_care="outpatient",
            treatment_status="none",
            authorized_services=[AuthorizedService(service_code=c, units=30) for c in services],
            attributes=attributes,  # type: ignore[arg-type]
            assessed_by="tok-assessor",
        ),
    )


async def test_seed_001_recovery_home_only_for_national_guard_referrals_at_issuance(
    service: Service,
) -> None:
    """Seed 001 Recovery Home: "NOTE: Only National Guard referrals are eligible for
    recovery home services." No voucher carries the service for a client whose
    assessment does not record the referral: ``POST /v1/vouchers`` is refused naming the
    service (422), and the assessment's own voucher leaves it off."""
    home = [AuthorizedService(service_code=RECOVERY_HOME, units=30)]
    async with service.uow() as uow:
        await use_cases.on_assessment(
            uow, _assessed("CL-CIVIL", [], [RECOVERY_HOME]), ILLINOIS, service.clock
        )
        await use_cases.on_assessment(
            uow,
            _assessed("CL-GUARD", ["national_guard_referral"], []),
            ILLINOIS,
            service.clock,
        )
        await uow.commit()
    assert await service.events() == []  # the civilian's assessment issued no voucher

    for client_id in ("CL-CIVIL", "CL-UNKNOWN"):
        async with service.uow() as uow:
            with pytest.raises(RuleViolationError) as refused:
                await use_cases.create_voucher(
                    uow,
                    CreateVoucher(client_id=client_id, authorized_services=home),
                    ASSESSOR,
                    ILLINOIS,
                    service.clock,
                )
        assert refused.value.field == "authorized_services.0.service_code"
        assert "national_guard_referral" in refused.value.message

    async with service.uow() as uow:
        voucher = await use_cases.create_voucher(
            uow,
            CreateVoucher(client_id="CL-GUARD", authorized_services=home),
            ASSESSOR,
            ILLINOIS,
            service.clock,
        )
        await uow.commit()
    assert [s.service_code for s in voucher.authorized_services] == [RECOVERY_HOME]


async def test_app_e_6_ineligible_next_fiscal_year_admits_until_the_year_turns(
    service: Service,
) -> None:
    """Seed 003 App. E §6: "PIB declared these four providers ineligible for the voucher
    program for the next year" (the fiscal year runs "July 1 to June 30"). Decided in
    September 2026, the provider may still be selected and admit clients with an
    admission dated up to June 30, 2027 (reported in July); an admission dated July 1,
    2027 is refused. Selecting it after the turn is refused too."""
    async with service.uow() as uow:
        await use_cases.on_provider(
            uow,
            ProviderUpdated(
                subject="PRV-A",
                data=ProviderSnapshot(
                    provider_id="PRV-A",
                    name="PRV-A",
                    services=[MENTORING],
                    counties=["Boone"],
                    faith_based=False,
                    status="ineligible_next_fiscal_year",
                    ineligible_from=date(2027, 7, 1),
                ),
            ),
        )
        await uow.commit()
    admitted, reasons = [], []
    for client_id, admitted_on in (("CL-1", date(2027, 6, 30)), ("CL-2", date(2027, 7, 1))):
        async with service.uow() as uow:
            voucher = await use_cases.create_voucher(
                uow, service_voucher(client_id), ASSESSOR, service.catalog, service.clock
            )
            await use_cases.select_provider(
                uow,
                voucher.voucher_id,
                SelectProvider(provider_id="PRV-A"),
                ASSESSOR,
                service.clock,
            )
            await uow.commit()
        async with service.uow() as uow:
            try:
                await use_cases.admit(
                    uow,
                    voucher.voucher_id,
                    ReportAdmission(admitted_on=admitted_on),
                    PROVIDER_A,
                    AFTER_THE_TURN,
                )
                await uow.commit()
                admitted.append(client_id)
            except InvalidTransitionError as refused:
                reasons.append(str(refused))
    assert admitted == ["CL-1"]
    assert len(reasons) == 1
    assert "ineligible" in reasons[0]
    async with service.uow() as uow:
        late = await use_cases.create_voucher(
            uow, service_voucher("CL-3"), ASSESSOR, service.catalog, AFTER_THE_TURN
        )
        with pytest.raises(RuleViolationError) as refused:
            await use_cases.select_provider(
                uow, late.voucher_id, SelectProvider(provider_id="PRV-A"), ASSESSOR, AFTER_THE_TURN
            )
    assert refused.value.field == "provider_id"
