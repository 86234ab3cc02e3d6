"""Missouri ATR II (seed 000_d17cfdecc07f0a32.txt): each rule read as its source says it.

Each test is named after the seed section it encodes and quotes the seed's words; each
fails if the rule it names were taken out of the catalog or the engine.
"""

from __future__ import annotations

import pytest

from programs.loader import load_catalog
from services.claims.domain.engine import evaluate
from tests.programs.builders import history, line

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
