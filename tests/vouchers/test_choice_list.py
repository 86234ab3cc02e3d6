"""A voucher's selection is held to the choice list offered (seed 003 App. E §4(2);
SPEC §3.2), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.api.vouchers import SelectProvider
from services.kit.actor import Actor
from services.vouchers.domain.lifecycle import InvalidTransitionError, RuleViolationError
from services.vouchers.service_layer import use_cases
from tests.vouchers.test_use_cases import (
    ASSESSOR,
    Service,
    offer,
    service,
    service_voucher,
)

__all__ = ["service"]  # the fixture, shared with the use-case tests

EARLY = datetime(2026, 8, 1, 9, tzinfo=UTC)
LATER = datetime(2026, 8, 20, 9, tzinfo=UTC)


async def _voucher(service: Service, client_id: str) -> str:
    async with service.uow() as uow:
        voucher = await use_cases.create_voucher(
            uow, service_voucher(client_id), ASSESSOR, service.catalog, service.clock
        )
        await uow.commit()
    return voucher.voucher_id


async def _offer(service: Service, client_id: str, provider_ids: list[str], **kw: object) -> None:
    async with service.uow() as uow:
        await offer(uow, client_id, provider_ids, **kw)  # type: ignore[arg-type]
        await uow.commit()


async def _select(
    service: Service, voucher_id: str, provider_id: str, actor: Actor = ASSESSOR
) -> str:
    async with service.uow() as uow:
        chosen = await use_cases.select_provider(
            uow, voucher_id, SelectProvider(provider_id=provider_id), actor, service.clock
        )
        await uow.commit()
    return chosen.provider_id or ""


async def test_seed_003_app_e_4_selection_must_be_on_the_choice_list_offered(
    service: Service,
) -> None:
    """Seed 003 App. E §4(2): "Assessment staff provided the client with a
    recommendation regarding level of care and a list of the various eligible providers.
    The client selected a provider". The client's selection must be one of the providers
    on the choice list offered: PRV-B, eligible and offering the service but not offered
    to this client, is refused (422 naming ``provider_id``); PRV-A, offered, is chosen."""
    voucher_id = await _voucher(service, "CL-OFFERED")
    await _offer(service, "CL-OFFERED", ["PRV-A", "PRV-SELF"])
    with pytest.raises(RuleViolationError) as refused:
        await _select(service, voucher_id, "PRV-B")
    assert refused.value.field == "provider_id"
    assert "not on the choice list offered" in refused.value.message
    assert await _select(service, voucher_id, "PRV-A") == "PRV-A"


async def test_seed_003_app_e_4_no_list_offered_yet_is_a_conflict_to_retry(
    service: Service,
) -> None:
    """No list offered to the client for the voucher's service (or its event not yet
    arrived): 409 saying to offer the choice list first; once offered, the same call
    goes through."""
    voucher_id = await _voucher(service, "CL-NEW")
    with pytest.raises(InvalidTransitionError, match="offer it first") as refused:
        await _select(service, voucher_id, "PRV-A")
    assert refused.value.voucher.status == "issued"
    await _offer(service, "CL-NEW", ["PRV-A", "PRV-B"])
    assert await _select(service, voucher_id, "PRV-A") == "PRV-A"


async def test_seed_003_app_e_4_the_latest_list_offered_governs(service: Service) -> None:
    """A list offered again replaces the earlier one for that service: a provider on the
    first list but not on the latest is refused. An older offer arriving late (a
    replay) does not bring it back."""
    voucher_id = await _voucher(service, "CL-AGAIN")
    await _offer(service, "CL-AGAIN", ["PRV-A", "PRV-B"], offered_at=EARLY)
    await _offer(service, "CL-AGAIN", ["PRV-A", "PRV-SELF"], offered_at=LATER)
    await _offer(service, "CL-AGAIN", ["PRV-A", "PRV-B"], offered_at=EARLY)  # replayed
    with pytest.raises(RuleViolationError, match="not on the choice list"):
        await _select(service, voucher_id, "PRV-B")
    assert await _select(service, voucher_id, "PRV-SELF") == "PRV-SELF"


async def test_seed_003_app_e_4_a_recorded_choice_exception_admits_another_provider(
    service: Service,
) -> None:
    """SPEC §3.2: "When the network cannot satisfy this, the system records a choice
    exception". With the exception recorded on the offer, the client may select an
    eligible provider offering the service that the (short) list did not name; the
    provider's own eligibility is still checked."""
    voucher_id = await _voucher(service, "CL-SHORT")
    await _offer(
        service, "CL-SHORT", ["PRV-A"], exception_id="4b7c6a52-1d1e-4c1e-9f0e-000000000001"
    )
    with pytest.raises(RuleViolationError, match="may not receive"):
        await _select(service, voucher_id, "PRV-X")  # suspended: never selectable
    assert await _select(service, voucher_id, "PRV-B") == "PRV-B"


async def test_seed_003_app_e_4_an_offer_counts_for_its_service_and_client_only(
    service: Service,
) -> None:
    """A list offered to another client, or to this client for another service, does
    not open the selection."""
    voucher_id = await _voucher(service, "CL-ALONE")
    await _offer(service, "CL-SOMEONE-ELSE", ["PRV-A", "PRV-B"])
    await _offer(service, "CL-ALONE", ["PRV-A", "PRV-B"], service_code="OTHER_SERVICE")
    with pytest.raises(InvalidTransitionError, match="RECOVERY_MENTORING_IND"):
        await _select(service, voucher_id, "PRV-A")
