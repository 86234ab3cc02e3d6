"""Missouri ATR II (seed 000_d17cfdecc07f0a32.txt): each rule read as its source says it.

Each test is named after the seed section it encodes and quotes the seed's words; each
fails if the rule it names were taken out of the catalog or the engine.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from programs.explain import explain
from programs.loader import load_catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import ClaimLine, StaffRecord
from tests.programs.builders import DAY, as_prior, history, line, run, timed

MO = load_catalog("missouri_atr2")


@pytest.mark.parametrize("face_to_face", [None, False])
@pytest.mark.parametrize(
    ("code", "extra"),
    [
        ("REENTRY_COORDINATION", {}),
        ("RECOVERY_MENTORING_IND", {}),
        ("WORK_PREP_GRP", {"group_size": 4}),
    ],
)
def test_seed_000_sections_2_11_18_face_to_face_is_required(
    code: str, extra: dict[str, int], face_to_face: bool | None
) -> None:
    """Seed 000 §2 "Consumer must be present; this is a face to face service", §11
    "Face-to-face interaction between an experienced recovery support person and a
    client", §18 "Client must be present": a line that does not say the client was
    present (``face_to_face`` missing or false) is denied, not taken as consent."""
    present = evaluate(MO, line(code, 2, face_to_face=True, **extra), history())
    assert present.outcome == "approved"
    absent = evaluate(MO, line(code, 2, face_to_face=face_to_face, **extra), history())
    assert (absent.outcome, absent.reasons) == ("denied", ("DOCUMENTATION_MISSING",))


def _drop_in(start: str = "10:00", end: str = "11:30") -> ClaimLine:
    return timed("DROP_IN_CENTER", 1, start, end, group_size=5)


@pytest.mark.parametrize(
    "transport",
    [
        line("TRANSPORT_MILEAGE", 20, miles=Decimal("20")),
        line(
            "TRANSPORT_PUBLIC",
            1,
            pass_type="daily",
            pass_serial="B-1",
            pass_price=Decimal("2.50"),
        ),
    ],
    ids=["mileage", "bus_pass"],
)
def test_seed_000_section_4_drop_in_same_time_as_untimed_transport(transport: ClaimLine) -> None:
    """Seed 000 §4 "Drop-In Center may not be billed at the same time as any other
    service"; §15 and §16 "Transportation is to and from treatment or recovery support
    services": an untimed trip or bus pass of the day takes the client to or from the
    center, it is not at the same time; either order is allowed, while an untimed line
    of another service still covers its whole day. (The client is in level II treatment:
    §16 passes are for clients "engaged in clinical treatment".)"""
    ride = evaluate(MO, transport, history(status="level_2"))
    assert ride.outcome == "approved"
    visit = _drop_in()
    assert (
        evaluate(MO, visit, history(as_prior(transport, ride), status="level_2")).outcome
        == "approved"
    )
    seen = as_prior(visit, evaluate(MO, visit, history(status="level_2")))
    assert evaluate(MO, transport, history(seen, status="level_2")).outcome == "approved"
    mentoring = line("RECOVERY_MENTORING_IND", 2)
    untimed = as_prior(mentoring, evaluate(MO, mentoring, history(status="level_2")))
    assert evaluate(MO, visit, history(untimed, status="level_2")).reasons == (
        "CONFLICTING_SERVICE",
    )


def test_seed_000_section_4_drop_in_overlaps_a_timed_trip() -> None:
    """Seed 000 §4 "may not be billed at the same time as any other service": a trip
    whose times fall inside the visit is at the same time and is denied."""
    visit = _drop_in("10:00", "12:00")
    seen = as_prior(visit, evaluate(MO, visit, history()))
    trip = timed("TRANSPORT_MILEAGE", 10, "11:00", "11:20", miles=Decimal("10"))
    assert evaluate(MO, trip, history(seen)).reasons == ("CONFLICTING_SERVICE",)
    after = timed("TRANSPORT_MILEAGE", 10, "12:00", "12:20", miles=Decimal("10"))
    assert evaluate(MO, after, history(seen)).outcome == "approved"


@pytest.mark.parametrize("equivalent", ["rabbi", "imam"])
@pytest.mark.parametrize(
    ("code", "extra"),
    [
        ("PASTORAL_COUNSELING_IND", {"start_time": time(9), "end_time": time(10)}),
        ("FAMILY_ENGAGEMENT_IND", {}),
    ],
)
def test_seed_000_sections_7_and_9_a_rabbi_or_imam_is_a_ministers_equivalent(
    equivalent: str, code: str, extra: dict[str, time]
) -> None:
    """Seed 000 §7, §9: "a duly ordained minister or their equivalent such as a rabbi or
    imam who is also a graduate of the Addictions Academy": the catalog's equivalence
    list qualifies a rabbi or an imam who is a graduate, and only a graduate."""
    graduate = StaffRecord("S4", frozenset({equivalent, "addictions_academy_graduate"}))
    assert evaluate(MO, line(code, 2, **extra), history(staff=graduate)).outcome == "approved"
    not_graduate = StaffRecord("S5", frozenset({equivalent}))
    assert evaluate(MO, line(code, 2, **extra), history(staff=not_graduate)).reasons == (
        "STAFF_NOT_QUALIFIED",
    )
    assert equivalent in MO.credentials()
    assert code in MO.credentials()[equivalent]


def test_seed_000_section_9_explain_prints_the_ministers_equivalents() -> None:
    """Seed 000 §9: "a duly ordained minister or their equivalent such as a rabbi or
    imam": ``atr program explain`` prints the equivalence with its quote."""
    text = explain(MO, "PASTORAL_COUNSELING_IND")
    assert "credential_equivalents: credential=ordained_minister, equivalents=[rabbi, imam]" in text
    assert "their equivalent such as a rabbi or imam" in text


QSAP = StaffRecord("S6", frozenset({"qualified_substance_abuse_professional"}))


@pytest.mark.parametrize(
    ("size", "clients", "outcome"),
    [
        (None, None, "approved"),  # the client alone
        (4, 1, "approved"),  # the client and three of the client's support system
        (4, None, "denied"),  # four participants: how many are clients is not said
        (4, 2, "denied"),  # two clients: that is a group
        (1, 1, "approved"),
    ],
)
def test_seed_000_section_7_family_engagement_individual_is_one_client_and_support_system(
    size: int | None, clients: int | None, outcome: str
) -> None:
    """Seed 000 §7 "Family Engagement-Individual is provided to one client and any of the
    client's support system that are included in the session": ``group_size`` counts the
    participants, ``group_clients`` the clients among them; one client, any participants."""
    decision = evaluate(
        MO,
        line("FAMILY_ENGAGEMENT_IND", 2, group_size=size, group_clients=clients),
        history(staff=QSAP),
    )
    assert decision.outcome == outcome
    if outcome == "denied":
        assert decision.reasons == ("GROUP_SIZE",)


def test_seed_000_section_9_pastoral_individual_stays_one_on_one() -> None:
    """Seed 000 §9 "Pastoral Counseling-Individual is only delivered in a one-on-one
    session": unlike §7, a second participant is not admitted even beside one client."""
    two = line(
        "PASTORAL_COUNSELING_IND",
        2,
        start_time=time(9),
        end_time=time(10),
        group_size=2,
        group_clients=1,
    )
    assert evaluate(MO, two, history(staff=MINISTER_GRADUATE)).reasons == ("GROUP_SIZE",)


MINISTER_GRADUATE = StaffRecord(
    "S7", frozenset({"ordained_minister", "addictions_academy_graduate"})
)


@pytest.mark.parametrize(
    ("size", "clients", "outcome"),
    [
        (30, 2, "approved"),  # two consumers and 28 family members: 30 participants
        (31, 2, "denied"),  # the maximum counts participants, family members included
        (11, 1, "denied"),  # one consumer with ten family members is not a group
        (12, 12, "approved"),
        (6, None, "denied"),  # participants without the clients among them
        (None, 2, "denied"),  # clients without the participants
    ],
)
def test_seed_000_section_8_family_engagement_group_minimum_counts_clients_maximum_participants(
    size: int | None, clients: int | None, outcome: str
) -> None:
    """Seed 000 §8 "Family Engagement-Group is provided to two or more consumers and any
    members of the family support system that are included in the session" and "cannot
    be delivered to a group that exceeds thirty (30) participants": the minimum applies
    to ``group_clients``, the maximum to ``group_size`` (participants)."""
    decision = evaluate(
        MO,
        line("FAMILY_ENGAGEMENT_GRP", 2, group_size=size, group_clients=clients),
        history(staff=QSAP),
    )
    assert decision.outcome == outcome
    if outcome == "denied":
        assert decision.reasons == ("GROUP_SIZE",)


def test_seed_000_sections_12_18_client_only_groups_count_every_participant_as_a_client() -> None:
    """Seed 000 §12 "Group facilitator and at least two clients", §18 "two or more
    clients": in a group of clients only, ``group_size`` alone is both counts (lines
    that never state ``group_clients`` are decided as before); a line that says only
    one of its participants is a client is below the minimum."""
    for code in ("RECOVERY_MENTORING_GRP", "WORK_PREP_GRP"):
        assert evaluate(MO, line(code, 2, group_size=5), history()).outcome == "approved"
        assert evaluate(MO, line(code, 2, group_size=5, group_clients=1), history()).reasons == (
            "GROUP_SIZE",
        )
        assert evaluate(MO, line(code, 2, group_size=31), history()).reasons == ("GROUP_SIZE",)


def test_seed_000_sections_7_8_explain_says_who_the_participants_are() -> None:
    """The group rule is printed with its quote (``atr program explain``)."""
    text = explain(MO, "FAMILY_ENGAGEMENT_GRP")
    assert "group: group_min=2, group_max=30, group_participants=clients_and_support_system" in (
        text
    )
    assert "exceeds thirty (30) participants" in text
    assert "group_participants" not in explain(MO, "RECOVERY_MENTORING_GRP")


@pytest.mark.parametrize("first", ["EMERGENCY_HOUSING", "EXTENDED_RESIDENTIAL_SUPPORT"])
def test_seed_000_sections_5_6_emergency_and_extended_housing_may_share_a_day(first: str) -> None:
    """Seed 000 §5 and §6 set no conflict between Emergency/Temporary Housing and
    Extended Residential Support; the seed's only same-day housing rule is §4's "Drop-In
    Center may not be billed on the same day as any RS housing service". Both housing
    days are paid, in either order; a Drop-In visit that day is still refused."""
    second = "EXTENDED_RESIDENTIAL_SUPPORT" if first == "EMERGENCY_HOUSING" else "EMERGENCY_HOUSING"
    base = history(status="level_2")
    one = line(first, 1, group_size=3)
    decided = evaluate(MO, one, base)
    assert decided.outcome == "approved"
    seen = history(as_prior(one, decided), status="level_2")
    assert evaluate(MO, line(second, 1, group_size=3), seen).outcome == "approved"
    visit = timed("DROP_IN_CENTER", 1, "10:00", "11:30", group_size=5)
    assert evaluate(MO, visit, seen).reasons == ("CONFLICTING_SERVICE",)


def test_seed_000_section_5_rent_fee_rule_is_an_attestation() -> None:
    """Seed 000 §5 "The organization cannot charge a fee for rent for the same day they
    are billing the Department for housing": no claim field shows a rent fee, so the
    catalog records it as an attestation, printed with its quote."""
    [rule] = MO.service("EMERGENCY_HOUSING").attestations
    assert "cannot charge a fee for rent for the same day" in rule.source
    assert "attestations: requirement=no rent fee charged" in explain(MO, "EMERGENCY_HOUSING")


def test_seed_000_sections_17_18_work_preparation_caps_individual_and_group_apart() -> None:
    """Seed 000 §17 (Work Preparation-Individual) "Maximum of 16 units total, of which at
    least half must be face-to-face"; §18 (Work Preparation-Group) sets no unit maximum.
    Group units neither count toward nor are cut by the individual service's 16."""
    group = [line("WORK_PREP_GRP", 8, DAY + timedelta(days=d), group_size=4) for d in range(3)]
    individual = [line("WORK_PREP_IND", 4, DAY + timedelta(days=d)) for d in range(3, 8)]
    results = run(MO, [*group, *individual], history())
    assert [d.allowed_units for _, d in results] == [8, 8, 8, 4, 4, 4, 4, 0]
    assert results[-1][1].reasons == ("EPISODE_LIMIT",)
    remote = [
        line("WORK_PREP_IND", 4, DAY + timedelta(days=d), face_to_face=None) for d in range(3)
    ]
    assert [d.allowed_units for _, d in run(MO, remote, history())] == [4, 4, 0]


def test_seed_000_section_18_group_work_preparation_needs_the_client_present() -> None:
    """Seed 000 §18 "Client must be present" (the group); §17 asks only that half of the
    individual units be face to face, so an individual line without it is paid."""
    absent = line("WORK_PREP_GRP", 2, group_size=4, face_to_face=False)
    assert evaluate(MO, absent, history()).reasons == ("DOCUMENTATION_MISSING",)
    remote = line("WORK_PREP_IND", 2, face_to_face=False)
    assert evaluate(MO, remote, history()).outcome == "approved"


def _pass() -> ClaimLine:
    return line(
        "TRANSPORT_PUBLIC", 1, pass_type="weekly", pass_serial="B-7", pass_price=Decimal("15")
    )


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (None, "denied"),
        ("none", "denied"),
        ("level_1", "approved"),
        ("level_1_residential", "approved"),
        ("level_2", "approved"),
        ("level_3", "approved"),
    ],
)
def test_seed_000_section_16_bus_passes_only_for_clients_in_clinical_treatment(
    status: str | None, outcome: str
) -> None:
    """Seed 000 §16 "The contractor may purchase bus passes (daily, weekly, or monthly)
    for clients who are engaged in clinical treatment and recovery support services": a
    client with no clinical treatment status on the pass's date is not eligible (the
    recovery-support half is the active service voucher the line is billed on)."""
    decision = evaluate(MO, _pass(), history(status=status))
    assert decision.outcome == outcome
    if outcome == "denied":
        assert decision.reasons == ("CLIENT_NOT_ELIGIBLE",)


def test_seed_000_sections_15_16_trip_purpose_is_attested_and_mileage_is_not_status_bound() -> None:
    """§16's treatment condition is the pass's own: §15 (mileage) has none, so a trip is
    paid for a client not in clinical treatment. Where a trip goes ("to and from treatment
    or recovery support services", §15 "Not for transportation to and from employment")
    is on no claim field: it is an attestation of both services."""
    trip = line("TRANSPORT_MILEAGE", 10, miles=Decimal("10"))
    assert evaluate(MO, trip, history()).outcome == "approved"
    mileage = MO.service("TRANSPORT_MILEAGE").attestations
    assert any("Not for transportation to and from employment" in a.source for a in mileage)
    public = MO.service("TRANSPORT_PUBLIC").attestations
    assert any("to and from treatment or recovery support services" in a.source for a in public)


@pytest.mark.parametrize(
    ("activity", "outcome", "reasons"),
    [
        ("parent_in_clinical_treatment", "approved", ()),
        ("parent_in_recovery_support", "approved", ()),
        (None, "approved", ()),  # not stated: billed on the provider's attestation
        ("parent_at_work", "denied", ("NOT_BILLABLE",)),
        ("shopping", "denied", ("NOT_BILLABLE",)),
    ],
)
def test_seed_000_section_3_child_care_not_daycare_while_employed(
    activity: str | None, outcome: str, reasons: tuple[str, ...]
) -> None:
    """Seed 000 §3 "Licensed (or license waived) child care while client (parent/guardian)
    is participating in clinical treatment or recovery support services"; "This childcare
    service is not to be used as daycare while the consumer is employed": a line whose
    ``activity`` names the parent's work (or anything but treatment or recovery support)
    is not billable."""
    decision = evaluate(MO, line("CHILD_CARE", 2, activity=activity), history())
    assert (decision.outcome, decision.reasons) == (outcome, reasons)


def test_seed_000_section_3_child_care_is_never_24_hour_care_and_licensing_is_attested() -> None:
    """Seed 000 §3 "RS child care services are not available for 24-hour child care": at
    most 23 hours a day, across lines; "Licensed (or license waived)" is an attestation."""
    results = run(MO, [line("CHILD_CARE", 20), line("CHILD_CARE", 4)], history())
    assert [d.allowed_units for _, d in results] == [20, 3]
    assert results[1][1].reasons == ("DAILY_LIMIT",)
    text = explain(MO, "CHILD_CARE")
    assert "attestations: requirement=licensed (or license waived) child care" in text
    assert "not to be used as daycare while the consumer is employed" in text
