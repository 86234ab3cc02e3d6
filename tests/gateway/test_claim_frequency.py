"""Claim frequency at the gateway: a void or replacement finds the provider's earlier
claim by ``claim_ref`` and voids it through the correction path before any new line is
accepted; an unknown earlier claim is a 422 naming ``replaces_claim_ref`` (nothing
done), an undecided one a 409 (nothing accepted). The 837P's ``CLM05-3`` 7/8 with
``REF*F8`` make the same lines as the JSON API, and an original line keeps the
fingerprint it had before frequencies existed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contracts.claims import ClaimFrequency, SubmitClaim
from services.gateway.domain.tokens import Principal, Role
from services.gateway.domain.x12_837 import read_837
from services.gateway.entrypoints import claims as claim_routes
from services.gateway.entrypoints.auth import current_principal
from services.gateway.service_layer import frequency
from services.gateway.service_layer.claims import (
    Accepted,
    ClaimRefConflictError,
    body_hash,
    check_conflicts,
)
from services.gateway.service_layer.intake import ClaimIntake
from services.gateway.service_layer.x12 import service_resolver, take_837
from services.kit.http import install_validation_errors
from services.kit.settings import Settings
from tests.gateway.test_x12_837 import MO, NOW, TODAY, intake, validate
from tests.gateway.x12_build import Claim, Line, build_837

__all__ = ["intake"]  # the fixture, shared with the 837P tests

SERVED = date(2026, 11, 16)


def line(ref: str, **changes: Any) -> SubmitClaim:
    body: dict[str, Any] = {
        "claim_ref": ref,
        "provider_id": "PRV-1",
        "client_id": "CL-1",
        "voucher_id": "VCH-1",
        "service_code": "RECOVERY_MENTORING_IND",
        "service_date": SERVED.isoformat(),
        "units": 2,
        "staff_id": "STF-1",
    }
    return SubmitClaim.model_validate({**body, **changes})


class Platform:
    """The gateway's keys and the claims service's corrections, as fakes."""

    def __init__(self, known: dict[str, str], pending: frozenset[str] = frozenset()) -> None:
        self.known = known
        self.pending = pending
        self.voided: list[str] = []
        self.accepted: list[list[str]] = []

    async def look_up(self, provider_id: str, refs: Sequence[str]) -> dict[str, str]:
        assert provider_id == "PRV-1"
        return {ref: self.known[ref] for ref in refs if ref in self.known}

    async def void(self, claim_id: str) -> None:
        if claim_id in self.pending:
            raise frequency.EarlierClaimPendingError(claim_id)
        self.voided.append(claim_id)

    async def accept(self, lines: list[SubmitClaim]) -> list[Accepted]:
        self.accepted.append([x.claim_ref for x in lines])
        return [Accepted(x.claim_ref, f"CLM-{x.claim_ref}", False) for x in lines]

    async def vet(self, lines: list[SubmitClaim]) -> None:
        for x in lines:
            if x.claim_ref in self.known:
                raise ClaimRefConflictError(x.claim_ref, self.known[x.claim_ref])

    async def take(self, lines: list[SubmitClaim], *, batch: bool = True) -> list[Accepted]:
        return await frequency.take_lines(
            lines, self.look_up, self.void, self.accept, batch=batch, vet=self.vet
        )


async def test_a_void_voids_the_earlier_claim_and_submits_nothing() -> None:
    platform = Platform({"EHR-1": "CLM-OLD"})
    [answer] = await platform.take([line("EHR-1", frequency="void", replaces_claim_ref="EHR-1")])
    assert platform.voided == ["CLM-OLD"]
    assert platform.accepted == []
    assert answer == Accepted("EHR-1", "CLM-OLD", False, "voided", "CLM-OLD")


async def test_a_replacement_voids_the_earlier_claim_then_is_accepted_as_new() -> None:
    platform = Platform({"EHR-1": "CLM-OLD"})
    lines = [
        line("EHR-0"),
        line("EHR-1R", frequency="replacement", replaces_claim_ref="EHR-1"),
    ]
    original, replacement = await platform.take(lines)
    assert platform.voided == ["CLM-OLD"]
    assert platform.accepted == [["EHR-0", "EHR-1R"]]  # one all-or-none acceptance
    assert original == Accepted("EHR-0", "CLM-EHR-0", False)
    assert replacement == Accepted("EHR-1R", "CLM-EHR-1R", False, voided_claim_id="CLM-OLD")


async def test_an_earlier_claim_named_twice_is_voided_once() -> None:
    platform = Platform({"EHR-1": "CLM-OLD"})
    lines = [
        line("EHR-1", frequency="void", replaces_claim_ref="EHR-1"),
        line("EHR-1R", frequency="replacement", replaces_claim_ref="EHR-1"),
    ]
    answers = await platform.take(lines)
    assert platform.voided == ["CLM-OLD"]
    assert [a.status for a in answers] == ["voided", "received"]


async def test_an_unknown_earlier_claim_refuses_the_request_naming_each_line() -> None:
    platform = Platform({"EHR-1": "CLM-OLD"})
    lines = [
        line("EHR-1R", frequency="replacement", replaces_claim_ref="EHR-1"),
        line("EHR-9", frequency="void", replaces_claim_ref="EHR-404"),
    ]
    with pytest.raises(frequency.UnknownEarlierClaimError) as caught:
        await platform.take(lines)
    assert [e["loc"] for e in caught.value.errors] == [("body", "claims", 1, "replaces_claim_ref")]
    assert (platform.voided, platform.accepted) == ([], [])  # nothing done
    with pytest.raises(frequency.UnknownEarlierClaimError) as single:
        await platform.take([lines[1]], batch=False)
    assert [e["loc"] for e in single.value.errors] == [("body", "replaces_claim_ref")]


async def test_an_undecided_earlier_claim_accepts_nothing() -> None:
    platform = Platform({"EHR-1": "CLM-OLD"}, pending=frozenset({"CLM-OLD"}))
    with pytest.raises(frequency.EarlierClaimPendingError):
        await platform.take([line("EHR-1R", frequency="replacement", replaces_claim_ref="EHR-1")])
    assert platform.accepted == []


async def test_a_replacement_whose_claim_ref_conflicts_voids_nothing() -> None:
    platform = Platform({"EHR-1": "CLM-OLD", "EHR-USED": "CLM-USED"})
    with pytest.raises(ClaimRefConflictError):
        await platform.take([line("EHR-USED", frequency="replacement", replaces_claim_ref="EHR-1")])
    assert (platform.voided, platform.accepted) == ([], [])


async def test_the_conflict_check_finds_what_acceptance_would_refuse(
    intake: ClaimIntake,
) -> None:
    first = line("EHR-1")
    await intake.accept([first], NOW, TODAY)
    units = intake._unit_of_work
    async with units() as uow:
        await check_conflicts(uow, [first, line("EHR-2")])  # a duplicate and a new line
        with pytest.raises(ClaimRefConflictError):
            await check_conflicts(uow, [line("EHR-1", units=3)])
        with pytest.raises(ClaimRefConflictError):
            await check_conflicts(uow, [line("EHR-3"), line("EHR-3", units=3)])


def test_an_original_keeps_the_fingerprint_it_had_before_frequencies() -> None:
    original = line("EHR-1")
    before = original.model_dump_json(
        exclude={
            name
            for name in (*claim_routes.intake.LATER_OPTIONAL_FIELDS, "frequency")
            if getattr(original, name) is None or name == "frequency"
        }
    )
    assert body_hash(original) == hashlib.sha256(before.encode()).hexdigest()
    replacement = line("EHR-1", frequency="void", replaces_claim_ref="EHR-0")
    assert body_hash(replacement) != body_hash(original)


@pytest.fixture
def gateway() -> TestClient:
    """The real claim routes with a provider principal; only refused bodies are sent."""
    app = FastAPI()
    install_validation_errors(app)
    app.include_router(claim_routes.router)
    app.state.runtime = SimpleNamespace(settings=Settings(program="missouri_atr2"))
    principal = Principal(token_id="T1", role=Role.PROVIDER, provider_id="PRV-1")
    app.dependency_overrides[current_principal] = lambda: principal
    return TestClient(app)


def test_the_routes_refuse_a_void_without_its_earlier_claim_naming_the_field(
    gateway: TestClient,
) -> None:
    body = line("EHR-1").model_dump(mode="json")
    answer = gateway.post("/v1/claims", json={**body, "frequency": "void"})
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "replaces_claim_ref"]]
    batch = {"claims": [body, {**body, "claim_ref": "EHR-2", "replaces_claim_ref": "EHR-1"}]}
    answer = gateway.post("/v1/claims/batch", json=batch)
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [
        ["body", "claims", 1, "replaces_claim_ref"]
    ]


def _claims(*claims: Claim) -> str:
    return build_837(list(claims))


def test_clm05_3_and_ref_f8_make_a_void_and_a_replacement() -> None:
    text = _claims(
        Claim(
            "EHR-1", "CL-1", "VCH-1", [Line("H0006", 4, SERVED)], frequency="8", earlier_ref="EHR-1"
        ),
        Claim(
            "EHR-2R",
            "CL-1",
            "VCH-1",
            [Line("H0006", 1, SERVED), Line("H0006", 2, SERVED)],
            frequency="7",
            earlier_ref="EHR-2",
        ),
    )
    reading = read_837(text, service_resolver(MO))
    assert "IK5*A" in reading.ack999  # pyx12 takes CLM05-3 7/8 and REF*F8
    void, replacement = reading.claims
    assert (void.error, replacement.error) == (None, None)
    [voiding] = void.lines
    assert (voiding.frequency, voiding.claim_ref, voiding.replaces_claim_ref) == (
        ClaimFrequency.VOID,
        "EHR-1",
        "EHR-1",
    )
    # several lines: each replaces the earlier claim's line of the same number
    assert [(x.frequency, x.claim_ref, x.replaces_claim_ref) for x in replacement.lines] == [
        (ClaimFrequency.REPLACEMENT, "EHR-2R-1", "EHR-2-1"),
        (ClaimFrequency.REPLACEMENT, "EHR-2R-2", "EHR-2-2"),
    ]


@pytest.mark.parametrize(
    ("claim", "element"),
    [
        (Claim("EHR-1", "CL-1", "VCH-1", [Line("H0006", 4, SERVED)], frequency="7"), "REF*F8"),
        (
            Claim(
                "EHR-1",
                "CL-1",
                "VCH-1",
                [Line("H0006", 4, SERVED)],
                frequency="7",
                earlier_ref="EHR-1",
            ),
            "REF*F8",
        ),
        (
            Claim(
                "EHR-1",
                "CL-1",
                "VCH-1",
                [Line("H0006", 4, SERVED)],
                frequency="6",
                earlier_ref="EHR-0",
            ),
            "CLM05-3",
        ),
    ],
)
def test_a_claim_whose_frequency_cannot_be_taken_is_rejected_naming_the_element(
    claim: Claim, element: str
) -> None:
    [read] = read_837(_claims(claim), service_resolver(MO)).claims
    assert read.error is not None
    assert element in read.error
    assert read.lines == []


async def test_an_837p_replacement_voids_through_the_same_path_and_is_acknowledged(
    intake: ClaimIntake,
) -> None:
    known: dict[str, str] = {}
    voided: list[str] = []

    async def look_up(provider_id: str, refs: Sequence[str]) -> dict[str, str]:
        return {ref: known[ref] for ref in refs if ref in known}

    async def void(claim_id: str) -> None:
        voided.append(claim_id)

    async def accept(lines: list[SubmitClaim]) -> list[Accepted]:
        async def new(batch: list[SubmitClaim]) -> list[Accepted]:
            answers = await intake.accept(batch, NOW, TODAY)
            known.update({a.claim_ref: a.claim_id for a in answers})
            return answers

        return await frequency.take_lines(lines, look_up, void, new, batch=True)

    async def take(*claims: Claim) -> Any:
        return await take_837(
            _claims(*claims),
            provider_id="PRV-1",
            catalog=MO,
            today=TODAY,
            accept=accept,
            control=41,
            now=NOW,
        )

    first = await take(Claim("EHR-1", "CL-1", "VCH-1", [Line("H0006", 4, SERVED)]))
    [original] = first.claims[0].lines
    replaced = await take(
        Claim(
            "EHR-1R",
            "CL-1",
            "VCH-1",
            [Line("H0006", 3, SERVED)],
            frequency="7",
            earlier_ref="EHR-1",
        ),
        Claim(
            "EHR-X",
            "CL-1",
            "VCH-1",
            [Line("H0006", 3, SERVED)],
            frequency="8",
            earlier_ref="EHR-404",
        ),
    )
    assert voided == [original.claim_id]
    accepted, unknown = replaced.claims
    assert accepted.status == "accepted"
    [new] = accepted.lines
    assert (new.claim_ref, new.voided_claim_id, new.status) == (
        "EHR-1R",
        original.claim_id,
        "received",
    )
    assert new.claim_id != original.claim_id
    assert unknown.status == "rejected"
    assert unknown.reason is not None
    assert "REF*F8" in unknown.reason
    assert replaced.ack277ca is not None
    assert validate(replaced.ack277ca)[0]
    assert replaced.ack277ca.count("STC*A2:20*") == 1
    assert replaced.ack277ca.count("STC*A7:21*") == 1

    # the void again: harmless, the same earlier claim voided (a correction to 0 again)
    again = await take(
        Claim(
            "EHR-1", "CL-1", "VCH-1", [Line("H0006", 4, SERVED)], frequency="8", earlier_ref="EHR-1"
        ),
    )
    [line_answer] = again.claims[0].lines
    assert (line_answer.status, line_answer.claim_id) == ("voided", original.claim_id)
