"""Oversight that binds when a voucher is issued or used, on SQLite and PostgreSQL:
Illinois recovery home only for National Guard referrals (seed 001), and a provider
ineligible next fiscal year (seed 003 App. E §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.api.vouchers import CreateVoucher
from contracts.clients import AuthorizedService, ClientAssessed, ClientAssessedData
from programs.loader import load_catalog
from services.vouchers.domain.lifecycle import RuleViolationError
from services.vouchers.service_layer import use_cases
from tests.vouchers.test_use_cases import ASSESSOR, Service, service

__all__ = ["service"]  # the fixture, shared with the use-case tests

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
