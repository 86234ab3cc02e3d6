"""The choice rule (seed 003 App. C §1a; SPEC §3.2) and the consent gate (42 CFR Part 2;
seed 003 App. E §3), table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from services.eligibility.domain.choice import Objections, ProviderFacts, choice_list
from services.eligibility.domain.consent import Consent, consent_for

SERVICE = "RECOVERY_MENTORING_IND"


def provider(
    pid: str,
    *,
    status: str = "active",
    services: tuple[str, ...] = (SERVICE,),
    counties: tuple[str, ...] = ("Boone",),
    faith: str | None = None,
) -> ProviderFacts:
    return ProviderFacts(pid, pid, status, services, counties, faith is not None, faith)


SECULAR_A = provider("A")
SECULAR_B = provider("B")
METHODIST = provider("M", faith="Methodist")
BAPTIST = provider("P", faith="Baptist")
SUSPENDED = provider("S", status="suspended")
OTHER_SERVICE = provider("O", services=("CHILD_CARE",))
COLE = provider("C", counties=("Cole",))


@pytest.mark.parametrize(
    ("network", "objections", "county", "offered", "shortfalls"),
    [
        ([SECULAR_A, SECULAR_B], Objections(), None, ["A", "B"], ()),
        # suspended providers and providers without the service are not offered
        (
            [SECULAR_A, SUSPENDED, OTHER_SERVICE],
            Objections(),
            None,
            ["A"],
            ("FEWER_THAN_TWO_PROVIDERS",),
        ),
        ([], Objections(), None, [], ("FEWER_THAN_TWO_PROVIDERS", "NO_PROVIDER_WITHOUT_OBJECTION")),
        # two providers, both objected to: the religious half fails
        (
            [METHODIST, BAPTIST],
            Objections(all_faith_based=True),
            None,
            ["M", "P"],
            ("NO_PROVIDER_WITHOUT_OBJECTION",),
        ),
        # one acceptable is enough; objected ones stay listed, after the others
        (
            [METHODIST, BAPTIST],
            Objections(affiliations=frozenset({"methodist"})),
            None,
            ["P", "M"],
            (),
        ),
        ([METHODIST, SECULAR_A], Objections(provider_ids=frozenset({"A"})), None, ["M", "A"], ()),
        ([METHODIST, SECULAR_A], Objections(all_faith_based=True), None, ["A", "M"], ()),
        # county narrows the list
        ([SECULAR_A, COLE], Objections(), "Boone", ["A"], ("FEWER_THAN_TWO_PROVIDERS",)),
        ([SECULAR_A, COLE, SECULAR_B], Objections(), "Boone", ["A", "B"], ()),
    ],
)
def test_choice_rule(
    network: list[ProviderFacts],
    objections: Objections,
    county: str | None,
    offered: list[str],
    shortfalls: tuple[str, ...],
) -> None:
    verdict = choice_list(network, SERVICE, objections, county)
    assert [o.provider.provider_id for o in verdict.options] == offered
    assert verdict.shortfalls == shortfalls
    assert verdict.satisfied is (not shortfalls)


TODAY = date(2026, 9, 1)


@pytest.mark.parametrize(
    ("consents", "provider_id", "allowed"),
    [
        ([Consent("c1", "A", "assessment_summary", date(2026, 8, 1))], "A", "c1"),
        ([Consent("c1", "A", "assessment_summary", date(2026, 8, 1))], "B", None),  # other
        ([], "A", None),  # none on record
        ([Consent("c1", "A", "assessment_summary", date(2026, 8, 1))], None, None),  # no provider
        ([Consent("c1", "A", "assessment_summary", date(2026, 9, 2))], "A", None),  # not yet
        (
            [Consent("c1", "A", "assessment_summary", date(2026, 1, 1), date(2026, 8, 31))],
            "A",
            None,
        ),  # expired
        (
            [Consent("c1", "A", "assessment_summary", date(2026, 1, 1), date(2026, 9, 1))],
            "A",
            "c1",
        ),  # last day
        (
            [Consent("c1", "A", "assessment_summary", date(2026, 1, 1), None, date(2026, 9, 1))],
            "A",
            None,
        ),  # revoked
        (
            [
                Consent("c1", "A", "assessment_summary", date(2026, 1, 1), None, date(2026, 9, 1)),
                Consent("c2", "A", "assessment_summary", date(2026, 9, 1)),
            ],
            "A",
            "c2",
        ),
        ([Consent("c1", "A", "treatment_records", date(2026, 8, 1))], "A", None),  # purpose
    ],
)
def test_consent_gate(
    consents: list[Consent], provider_id: str | None, allowed: str | None
) -> None:
    found = consent_for(consents, provider_id, "assessment_summary", TODAY)
    assert (found.consent_id if found else None) == allowed
