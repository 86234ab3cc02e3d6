"""Missouri ATR II (seed 000_d17cfdecc07f0a32.txt): each rule read as its source says it.

Each test is named after the seed section it encodes and quotes the seed's words; each
fails if the rule it names were taken out of the catalog or the engine.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from programs.explain import explain
from programs.loader import load_catalog
from services.claims.domain.engine import evaluate
from services.claims.domain.model import ClaimLine, StaffRecord
from tests.programs.builders import as_prior, history, line, timed

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
    of another service still covers its whole day."""
    ride = evaluate(MO, transport, history())
    assert ride.outcome == "approved"
    visit = _drop_in()
    assert evaluate(MO, visit, history(as_prior(transport, ride))).outcome == "approved"
    seen = as_prior(visit, evaluate(MO, visit, history()))
    assert evaluate(MO, transport, history(seen)).outcome == "approved"
    mentoring = line("RECOVERY_MENTORING_IND", 2)
    untimed = as_prior(mentoring, evaluate(MO, mentoring, history()))
    assert evaluate(MO, visit, history(untimed)).reasons == ("CONFLICTING_SERVICE",)


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
