"""Missouri ATR II (seed 000): each rule allowed once and denied once.

Test names say the rule; each docstring cites the seed section it comes from.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from programs.loader import load_catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import StaffRecord
from tests.programs.builders import (
    DAY,
    GRADUATE,
    MINISTER,
    as_prior,
    history,
    line,
    run,
    timed,
)

MO = load_catalog("missouri_atr2")


def test_care_coordination_four_units_per_day() -> None:
    """Seed 000 §1: not to exceed four units per day."""
    results = run(MO, [line("CARE_COORDINATION", 3), line("CARE_COORDINATION", 3)], history())
    assert results[0][1].outcome == "approved"
    second = results[1][1]
    assert (second.allowed_units, second.reasons) == (1, ("DAILY_LIMIT",))
    assert second.allowed_amount == Decimal("5.00")


def test_care_coordination_twelve_units_per_week() -> None:
    """Seed 000 §1: not to exceed a total of 12 units per week (Monday-Sunday)."""
    monday = DAY - timedelta(days=DAY.weekday())
    claims = [line("CARE_COORDINATION", 4, monday + timedelta(days=d)) for d in range(4)]
    results = run(MO, claims, history())
    assert [d.allowed_units for _, d in results] == [4, 4, 4, 0]
    assert results[3][1].reasons == ("WEEKLY_LIMIT",)
    next_monday = run(
        MO, [*claims[:3], line("CARE_COORDINATION", 4, monday + timedelta(days=7))], history()
    )
    assert next_monday[3][1].outcome == "approved"


def test_care_coordination_gpra_follow_up_four_units_per_month() -> None:
    """Seed 000 §1: up to four units per month for GPRA follow-up tracking."""
    claims = [
        line("CARE_COORDINATION", 3, date(2026, 9, 1), activity="gpra_follow_up"),
        line("CARE_COORDINATION", 3, date(2026, 9, 8), activity="gpra_follow_up"),
        line("CARE_COORDINATION", 3, date(2026, 10, 1), activity="gpra_follow_up"),
    ]
    results = run(MO, claims, history())
    assert [d.allowed_units for _, d in results] == [3, 1, 3]
    assert results[1][1].reasons == ("MONTHLY_LIMIT",)


@pytest.mark.parametrize(
    "code",
    [
        "CARE_COORDINATION",
        "CHILD_CARE",
        "FAMILY_ENGAGEMENT_IND",
        "PASTORAL_COUNSELING_IND",
        "RECOVERY_MENTORING_IND",
        "SPIRITUAL_LIFE_SKILLS_IND",
        "WORK_PREP_IND",
    ],
)
def test_level_one_treatment_caps_four_units_total(code: str) -> None:
    """Seed 000 §1, §3, §7-§14, §17, §18: four units total during level one treatment."""
    staff = (
        MINISTER
        if "PASTORAL" in code
        else StaffRecord(
            "S1",
            frozenset({"addictions_academy_graduate", "qualified_substance_abuse_professional"}),
        )
    )

    def make(day: date, units: int):  # type: ignore[no-untyped-def]
        if code == "PASTORAL_COUNSELING_IND":
            return timed(code, units, "09:00", "10:00", day, staff_id="S2")
        return line(code, units, day)

    level_one = history(staff=staff, status="level_1")
    results = run(MO, [make(DAY, 3), make(DAY + timedelta(days=1), 3)], level_one)
    assert [d.allowed_units for _, d in results] == [3, 1]
    assert results[1][1].reasons == ("LEVEL_ONE_LIMIT",)
    outpatient = history(staff=staff, status="level_2")
    results = run(MO, [make(DAY, 3), make(DAY + timedelta(days=1), 3)], outpatient)
    assert [d.allowed_units for _, d in results] == [3, 3]


def test_reentry_coordination_four_units_per_day_and_documentation() -> None:
    """Seed 000 §2: ≤4 units per day; client signature; face to face."""
    results = run(MO, [line("REENTRY_COORDINATION", 4), line("REENTRY_COORDINATION", 1)], history())
    assert [d.allowed_units for _, d in results] == [4, 0]
    assert results[1][1].reasons == ("DAILY_LIMIT",)
    unsigned = evaluate(MO, line("REENTRY_COORDINATION", 1, client_signature=None), history())
    assert unsigned.reasons == ("DOCUMENTATION_MISSING",)
    remote = evaluate(MO, line("REENTRY_COORDINATION", 1, face_to_face=False), history())
    assert remote.reasons == ("DOCUMENTATION_MISSING",)


def test_reentry_and_care_coordination_never_on_the_same_day() -> None:
    """Seed 000 §2: cannot bill Reentry Coordination and Care Coordination together."""
    care = line("CARE_COORDINATION", 2)
    prior = as_prior(care, evaluate(MO, care, history()))
    same_day = evaluate(MO, line("REENTRY_COORDINATION", 2), history(prior))
    assert same_day.reasons == ("CONFLICTING_SERVICE",)
    next_day = evaluate(
        MO, line("REENTRY_COORDINATION", 2, DAY + timedelta(days=1)), history(prior)
    )
    assert next_day.outcome == "approved"
    reentry = line("REENTRY_COORDINATION", 2)
    reverse = evaluate(
        MO,
        line("CARE_COORDINATION", 1),
        history(as_prior(reentry, evaluate(MO, reentry, history()))),
    )
    assert reverse.reasons == ("CONFLICTING_SERVICE",)


def test_reentry_vouchers_only_by_doc_thu() -> None:
    """Seed 000 §2: re-entry coordination vouchers can only be created by DOC THU."""
    assert MO.may_create_voucher("REENTRY_COORDINATION", "doc_thu")
    assert not MO.may_create_voucher("REENTRY_COORDINATION", "assessor")
    assert MO.may_create_voucher("CARE_COORDINATION", "assessor")


def test_child_care_documentation_and_hours() -> None:
    """Seed 000 §3: client signature; not 24-hour child care (at most 23 hours a day)."""
    assert evaluate(MO, line("CHILD_CARE", 3), history()).allowed_amount == Decimal("11.55")
    assert evaluate(MO, line("CHILD_CARE", 3, client_signature=False), history()).reasons == (
        "DOCUMENTATION_MISSING",
    )
    assert evaluate(MO, line("CHILD_CARE", 24), history()).allowed_units == 23


def drop_in(start: str = "10:00", end: str = "12:00", day: date = DAY, **extra: object):  # type: ignore[no-untyped-def]
    return timed("DROP_IN_CENTER", 1, start, end, day, group_size=10, **extra)


def test_drop_in_one_unit_per_day() -> None:
    """Seed 000 §4: only one unit of this service per client per day."""
    results = run(MO, [drop_in(), drop_in("14:00", "16:00")], history())
    assert [d.allowed_units for _, d in results] == [1, 0]
    assert results[1][1].reasons == ("DAILY_LIMIT",)
    assert results[0][1].allowed_amount == Decimal("10.00")


def test_drop_in_needs_an_hour_of_attendance() -> None:
    """Seed 000 §4: the client must attend the center for at least one hour."""
    assert evaluate(MO, drop_in("10:00", "11:00"), history()).outcome == "approved"
    assert evaluate(MO, drop_in("10:00", "10:45"), history()).reasons == ("NOT_BILLABLE",)
    assert evaluate(MO, line("DROP_IN_CENTER", 1, group_size=5), history()).reasons == (
        "DOCUMENTATION_MISSING",
    )


def test_drop_in_never_overlaps_another_service() -> None:
    """Seed 000 §4: Drop-In may not be billed at the same time as any other service."""
    mentoring = timed("RECOVERY_MENTORING_IND", 2, "11:00", "11:30")
    prior = as_prior(mentoring, evaluate(MO, mentoring, history()))
    assert evaluate(MO, drop_in("10:00", "12:00"), history(prior)).reasons == (
        "CONFLICTING_SERVICE",
    )
    assert evaluate(MO, drop_in("12:00", "14:00"), history(prior)).outcome == "approved"
    visit = drop_in()
    later = timed("RECOVERY_MENTORING_IND", 2, "11:00", "11:30")
    assert evaluate(
        MO, later, history(as_prior(visit, evaluate(MO, visit, history())))
    ).reasons == ("CONFLICTING_SERVICE",)


def test_drop_in_never_on_a_housing_day() -> None:
    """Seed 000 §4: not billed on the same day as any RS housing service."""
    housing = line("EMERGENCY_HOUSING", 1, group_size=3)
    prior = as_prior(housing, evaluate(MO, housing, history()))
    assert evaluate(MO, drop_in(), history(prior)).reasons == ("CONFLICTING_SERVICE",)
    assert evaluate(MO, drop_in(day=DAY + timedelta(days=1)), history(prior)).outcome == "approved"


def test_drop_in_not_for_level_one_with_residential_support() -> None:
    """Seed 000 §4: not for clients in clinical treatment Level 1 with residential support."""
    assert evaluate(MO, drop_in(), history(status="level_1_residential")).reasons == (
        "CLIENT_NOT_ELIGIBLE",
    )
    assert evaluate(MO, drop_in(), history(status="level_1")).outcome == "approved"


def test_emergency_housing_five_days_per_episode() -> None:
    """Seed 000 §5: length of stay limited to five days."""
    days = [line("EMERGENCY_HOUSING", 1, DAY + timedelta(days=d), group_size=4) for d in range(6)]
    results = run(MO, days, history())
    assert [d.allowed_units for _, d in results] == [1, 1, 1, 1, 1, 0]
    assert results[5][1].reasons == ("EPISODE_LIMIT",)
    assert results[0][1].allowed_amount == Decimal("25.00")


def test_extended_residential_support_400_dollars_per_episode() -> None:
    """Seed 000 §6: total expenditures not to exceed $400 per client per episode."""
    days = [
        line("EXTENDED_RESIDENTIAL_SUPPORT", 1, DAY + timedelta(days=d), group_size=4)
        for d in range(21)
    ]
    results = run(MO, days, history(status="level_2"))
    assert sum(d.allowed_amount for _, d in results) == Decimal("400.00")
    assert results[20][1].reasons == ("DOLLAR_CAP",)
    assert results[19][1].outcome == "approved"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("level_1", "approved"),
        ("level_2", "approved"),
        ("level_3", "approved"),
        ("level_1_residential", "denied"),
        (None, "denied"),
    ],
)
def test_extended_residential_support_only_for_eligible_levels(
    status: str | None, outcome: str
) -> None:
    """Seed 000 §6: Level II or III, or Level I of a program without residential support."""
    decision = evaluate(
        MO, line("EXTENDED_RESIDENTIAL_SUPPORT", 1, group_size=3), history(status=status)
    )
    assert decision.outcome == outcome
    if outcome == "denied":
        assert decision.reasons == ("CLIENT_NOT_ELIGIBLE",)


def test_family_engagement_group_eight_units_per_week_and_size() -> None:
    """Seed 000 §8: ≤8 units per week; two or more consumers; ≤30 participants."""
    staff = StaffRecord("S1", frozenset({"qualified_substance_abuse_professional"}))
    results = run(
        MO,
        [
            line("FAMILY_ENGAGEMENT_GRP", 6, group_size=5, group_clients=2),
            line(
                "FAMILY_ENGAGEMENT_GRP", 6, DAY + timedelta(days=1), group_size=5, group_clients=2
            ),
        ],
        history(staff=staff),
    )
    assert [d.allowed_units for _, d in results] == [6, 2]
    assert results[1][1].reasons == ("WEEKLY_LIMIT",)
    for size, clients in ((1, 1), (31, 2), (None, None), (5, None)):
        assert evaluate(
            MO,
            line("FAMILY_ENGAGEMENT_GRP", 1, group_size=size, group_clients=clients),
            history(staff=staff),
        ).reasons == ("GROUP_SIZE",)
    assert (
        evaluate(
            MO,
            line("FAMILY_ENGAGEMENT_GRP", 1, group_size=30, group_clients=2),
            history(staff=staff),
        ).outcome
        == "approved"
    )


def test_family_engagement_staff_qualification() -> None:
    """Seed 000 §7: a qualified SA professional, or an ordained minister who is a graduate."""
    assert evaluate(MO, line("FAMILY_ENGAGEMENT_IND", 2), history(staff=MINISTER)).outcome == (
        "approved"
    )
    assert evaluate(MO, line("FAMILY_ENGAGEMENT_IND", 2), history(staff=GRADUATE)).reasons == (
        "STAFF_NOT_QUALIFIED",
    )


def pastoral(code: str = "PASTORAL_COUNSELING_IND", units: int = 2, **extra: object):  # type: ignore[no-untyped-def]
    return timed(code, units, "09:00", "10:00", staff_id="S2", **extra)


def test_pastoral_counseling_only_by_an_ordained_minister_who_is_a_graduate() -> None:
    """Seed 000 §9, §10: a duly ordained minister or equivalent who is an Academy graduate."""
    assert evaluate(MO, pastoral(), history(staff=MINISTER)).outcome == "approved"
    for staff in (
        GRADUATE,
        StaffRecord("S2", frozenset({"ordained_minister"})),
        StaffRecord("S2", frozenset(), supervised=True),
        None,
    ):
        assert evaluate(MO, pastoral(), history(staff=staff)).reasons == ("STAFF_NOT_QUALIFIED",)


def test_pastoral_counseling_daily_and_weekly_limits() -> None:
    """Seed 000 §9: 4 units per day, not to exceed 8 per week."""
    results = run(
        MO,
        [pastoral(units=4), pastoral(units=1)]
        + [
            timed(
                "PASTORAL_COUNSELING_IND",
                4,
                "09:00",
                "10:00",
                DAY + timedelta(days=d),
                staff_id="S2",
            )
            for d in (1, 2)
        ],
        history(staff=MINISTER),
    )
    assert [d.allowed_units for _, d in results] == [4, 0, 4, 0]
    assert results[1][1].reasons == ("DAILY_LIMIT",)
    assert results[3][1].reasons == ("WEEKLY_LIMIT",)


def test_pastoral_counseling_documents_start_and_end_times() -> None:
    """Seed 000 §9: the actual beginning and ending times and the client signature."""
    no_times = line("PASTORAL_COUNSELING_IND", 2, staff_id="S2")
    assert evaluate(MO, no_times, history(staff=MINISTER)).reasons == ("DOCUMENTATION_MISSING",)


def test_pastoral_group_at_most_twelve() -> None:
    """Seed 000 §10: Pastoral Counseling-Group cannot exceed 12 participants."""
    ok = pastoral("PASTORAL_COUNSELING_GRP", group_size=12)
    assert evaluate(MO, ok, history(staff=MINISTER)).outcome == "approved"
    big = pastoral("PASTORAL_COUNSELING_GRP", group_size=13)
    assert evaluate(MO, big, history(staff=MINISTER)).reasons == ("GROUP_SIZE",)


def test_individual_services_are_not_billed_for_groups() -> None:
    """Seed 000 §9: Pastoral Counseling-Individual is only delivered one-on-one."""
    assert evaluate(MO, pastoral(group_size=3), history(staff=MINISTER)).reasons == ("GROUP_SIZE",)


@pytest.mark.parametrize(
    "code", ["RECOVERY_MENTORING_GRP", "SPIRITUAL_LIFE_SKILLS_GRP", "WORK_PREP_GRP"]
)
def test_groups_need_two_clients_and_at_most_thirty(code: str) -> None:
    """Seed 000 §12, §14, §18: at least two clients; not more than thirty participants."""
    assert evaluate(MO, line(code, 2, group_size=2), history()).outcome == "approved"
    assert evaluate(MO, line(code, 2, group_size=1), history()).reasons == ("GROUP_SIZE",)
    assert evaluate(MO, line(code, 2, group_size=31), history()).reasons == ("GROUP_SIZE",)


def test_recovery_mentoring_by_a_graduate_or_supervised_staff() -> None:
    """Seed 000 §11: a graduate of the Addictions Academy or supervised by one."""
    supervised = StaffRecord("S3", frozenset(), supervised=True)
    assert evaluate(MO, line("RECOVERY_MENTORING_IND", 2), history(staff=supervised)).outcome == (
        "approved"
    )
    untrained = StaffRecord("S4", frozenset())
    assert evaluate(MO, line("RECOVERY_MENTORING_IND", 2), history(staff=untrained)).reasons == (
        "STAFF_NOT_QUALIFIED",
    )


def test_recovery_mentoring_is_face_to_face_and_signed() -> None:
    """Seed 000 §11: face-to-face interaction; documentation includes client signature."""
    assert evaluate(
        MO, line("RECOVERY_MENTORING_IND", 2, face_to_face=False), history()
    ).reasons == ("DOCUMENTATION_MISSING",)
    assert evaluate(
        MO, line("RECOVERY_MENTORING_IND", 2, client_signature=None), history()
    ).reasons == ("DOCUMENTATION_MISSING",)


def test_spiritual_life_skills_by_agency_recognised_staff() -> None:
    """Seed 000 §13: recognised by the agency as trained, a graduate, or supervised."""
    recognised = StaffRecord("S5", frozenset({"agency_recognized_spiritual"}))
    assert evaluate(
        MO, line("SPIRITUAL_LIFE_SKILLS_IND", 2), history(staff=recognised)
    ).outcome == ("approved")
    assert evaluate(
        MO, line("SPIRITUAL_LIFE_SKILLS_IND", 2), history(staff=StaffRecord("S6"))
    ).reasons == ("STAFF_NOT_QUALIFIED",)


def test_quarter_hour_units_fit_between_start_and_end() -> None:
    """SPEC §3.4: billed 15-minute units may not exceed the quarter hours between times."""
    fits = timed("RECOVERY_MENTORING_IND", 2, "09:00", "09:30")
    assert evaluate(MO, fits, history()).outcome == "approved"
    excess = timed("RECOVERY_MENTORING_IND", 4, "09:00", "09:40")
    decision = evaluate(MO, excess, history())
    assert (decision.allowed_units, decision.reasons) == (2, ("INVALID_UNITS",))


def test_mileage_75_per_trip_and_150_per_day() -> None:
    """Seed 000 §15: maximum of 75 miles one way and 150 miles total per day."""
    results = run(
        MO,
        [
            line("TRANSPORT_MILEAGE", 80),
            line("TRANSPORT_MILEAGE", 75),
            line("TRANSPORT_MILEAGE", 10),
        ],
        history(),
    )
    assert [d.allowed_units for _, d in results] == [75, 75, 0]
    assert results[0][1].reasons == ("MILEAGE_LIMIT",)
    assert results[0][1].allowed_amount == Decimal("36.00")
    assert results[2][1].reasons == ("MILEAGE_LIMIT",)
    next_day = run(MO, [line("TRANSPORT_MILEAGE", 75, DAY + timedelta(days=1))], history())
    assert next_day[0][1].outcome == "approved"


def bus_pass(kind: str, price: str = "2.00", units: int = 1, day: date = DAY):  # type: ignore[no-untyped-def]
    return line(
        "TRANSPORT_PUBLIC",
        units,
        day,
        pass_type=kind,
        pass_serial="SN1",
        pass_price=Decimal(price),
    )


@pytest.mark.parametrize(
    ("kind", "price", "amount"),
    [("monthly", "60.00", "65.00"), ("weekly", "15.00", "16.00"), ("daily", "2.50", "2.50")],
)
def test_public_transport_pass_price_plus_fee(kind: str, price: str, amount: str) -> None:
    """Seed 000 §16 and summary footnote: pass price + $5 monthly / $1 weekly / $0 daily."""
    decision = evaluate(MO, bus_pass(kind, price), history(status="level_2"))
    assert decision.allowed_amount == Decimal(amount)
    assert decision.unit_rate == Decimal(amount)


@pytest.mark.parametrize(("kind", "limit"), [("monthly", 2), ("weekly", 10), ("daily", 60)])
def test_public_transport_passes_per_episode(kind: str, limit: int) -> None:
    """Seed 000 §16: at most 2 monthly, 10 weekly or 60 daily passes per episode."""
    claims = [bus_pass(kind, day=DAY + timedelta(days=d)) for d in range(limit + 1)]
    results = run(MO, claims, history(status="level_2"))
    assert sum(d.allowed_units for _, d in results) == limit
    assert results[-1][1].reasons == ("PASS_LIMIT",)


def test_public_transport_needs_serial_and_signature() -> None:
    """Seed 000 §16: the pass serial number and the client signature are documented."""
    no_serial = line("TRANSPORT_PUBLIC", 1, pass_type="daily", pass_price=Decimal("2"))
    assert evaluate(MO, no_serial, history(status="level_2")).reasons == ("DOCUMENTATION_MISSING",)


def test_work_preparation_sixteen_units_half_face_to_face() -> None:
    """Seed 000 §17: maximum of 16 units total, at least half face to face."""
    remote = [
        line("WORK_PREP_IND", 4, DAY + timedelta(days=d), face_to_face=None) for d in range(3)
    ]
    in_person = [line("WORK_PREP_IND", 4, DAY + timedelta(days=d + 3)) for d in range(3)]
    results = run(MO, remote + in_person, history())
    assert [d.allowed_units for _, d in results] == [4, 4, 0, 4, 4, 0]
    assert results[2][1].reasons == ("EPISODE_LIMIT",)
    assert results[5][1].reasons == ("EPISODE_LIMIT",)


def test_work_preparation_group_needs_client_present() -> None:
    """Seed 000 §18: client must be present; documentation includes signature."""
    assert evaluate(
        MO, line("WORK_PREP_GRP", 2, group_size=4, face_to_face=False), history()
    ).reasons == ("DOCUMENTATION_MISSING",)


def test_unknown_service_is_not_billable() -> None:
    """SPEC §3.4: only services of the active catalog are billable."""
    assert evaluate(MO, line("MASSAGE", 1), history()).reasons == ("NOT_BILLABLE",)


def test_episode_windows_end_with_the_voucher() -> None:
    """SPEC §3.4: the episode is the life of the service voucher."""
    old = line("EMERGENCY_HOUSING", 1, date(2026, 6, 1), group_size=3)
    earlier_episode = [as_prior(old, evaluate(MO, old, history()))] * 5
    assert (
        evaluate(MO, line("EMERGENCY_HOUSING", 1, group_size=3), history(*earlier_episode)).outcome
        == "approved"
    )
