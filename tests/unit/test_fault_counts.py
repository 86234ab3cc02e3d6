"""The fault scenarios' lost and duplicated counts (bench/faults.py module docstring),
from what the databases hold: nothing is started here."""

from __future__ import annotations

from datetime import date
from typing import Any

from bench.faults import Program, Result, count


class _Posting:
    """What :func:`bench.faults.count` reads of a posting."""

    def __init__(self, accepted: dict[str, str], ids_by_ref: dict[str, set[str]]) -> None:
        self.accepted = accepted
        self.ids_by_ref = ids_by_ref


PROGRAM = Program("PRV-FX", {}, {}, {"CL-1": "V-1"}, date(2026, 9, 1))


def _tally(**changes: Any) -> dict[str, Any]:
    claims = ["C1", "C2", "C3", "C4"]
    tally: dict[str, Any] = {
        "accepted": set(claims),
        "claims": [(c, "approved", 2, "V-1") for c in claims],
        "events": dict.fromkeys(claims, 1),
        "fundings": [(c, True, "2026-10") for c in claims],
        "invoiced": 4,
    }
    tally.update(changes)
    return tally


def _posting() -> _Posting:
    return _Posting(
        dict.fromkeys(["C1", "C2", "C3", "C4"], "V-1"), {f"R{n}": {f"C{n}"} for n in range(1, 5)}
    )


def test_the_invoice_run_is_the_month_after_the_lines() -> None:
    assert PROGRAM.period == "2026-10"
    assert Program("P", {}, {}, {}, date(2026, 12, 1)).period == "2027-01"


def test_every_claim_through_every_step_counts_nothing_lost_or_doubled() -> None:
    result = Result("x")
    count(result, PROGRAM, _posting(), _tally())  # type: ignore[arg-type]
    assert (result.submitted, result.adjudicated, result.funded, result.paid) == (4, 4, 4, 4)
    assert (result.lost, result.duplicated) == (0, 0)


def test_a_claim_missing_a_step_is_lost_once() -> None:
    tally = _tally(
        claims=[("C1", "pending", 0, "V-1")] + [(c, "approved", 2, "V-1") for c in ["C2", "C3"]],
        events={"C1": 0, "C2": 1, "C3": 1, "C4": 1},
        fundings=[("C2", True, None), ("C4", True, "2026-10")],
        invoiced=1,
    )
    result = Result("x")
    count(result, PROGRAM, _posting(), tally)  # type: ignore[arg-type]
    # C1 undecided, C2 funded but not paid, C3 decided but never funded, C4 has no row
    # in claims (its decision event alone is not a decision)
    assert (result.adjudicated, result.funded, result.paid) == (2, 1, 0)
    assert result.lost == 4
    assert result.duplicated == 0


def test_a_second_id_a_second_event_or_a_line_invoiced_twice_are_duplicates() -> None:
    posting = _posting()
    posting.ids_by_ref["R1"] = {"C1", "C9"}
    tally = _tally(events={"C1": 1, "C2": 2, "C3": 1, "C4": 1}, invoiced=5)
    result = Result("x")
    count(result, PROGRAM, posting, tally)  # type: ignore[arg-type]
    assert result.duplicated == 3
    assert result.lost == 0
