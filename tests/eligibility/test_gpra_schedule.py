"""Due and overdue GPRA interviews (seed 003 App. C §5a notes 1 and 6), table-driven over
interview histories with an injected "today"."""

from __future__ import annotations

from datetime import date

import pytest

from services.eligibility.domain.gpra_schedule import (
    Episode,
    RecordedInterview,
    add_months,
    interviews_due,
)

START = date(2026, 1, 10)
EPISODE = [Episode(1, START)]


def owed(
    episodes: list[Episode], history: list[tuple[str, date]], today: date
) -> set[tuple[int, str, date, str]]:
    recorded = [RecordedInterview(kind, on) for kind, on in history]  # type: ignore[arg-type]
    return {
        (d.case_number, d.kind, d.due_by, d.status)
        for d in interviews_due(episodes, recorded, today)
    }


DISCHARGE_DUE = (1, "discharge", date(2027, 2, 9), "upcoming")


@pytest.mark.parametrize(
    ("history", "today", "expected"),
    [
        # no assessment, nothing owed
        ([], START, "none"),
        # intake due at the start, overdue after 7 days' grace
        (
            [],
            START,
            {
                (1, "intake", date(2026, 1, 17), "due"),
                (1, "follow_up", date(2026, 3, 10), "upcoming"),
                DISCHARGE_DUE,
            },
        ),
        (
            [],
            date(2026, 1, 18),
            {
                (1, "intake", date(2026, 1, 17), "overdue"),
                (1, "follow_up", date(2026, 3, 10), "upcoming"),
                DISCHARGE_DUE,
            },
        ),
        # follow-up every two months after the latest intake/follow-up
        (
            [("intake", START)],
            date(2026, 2, 1),
            {(1, "follow_up", date(2026, 3, 10), "upcoming"), DISCHARGE_DUE},
        ),
        (
            [("intake", START)],
            date(2026, 2, 25),
            {(1, "follow_up", date(2026, 3, 10), "due"), DISCHARGE_DUE},
        ),
        (
            [("intake", START)],
            date(2026, 3, 11),
            {(1, "follow_up", date(2026, 3, 10), "overdue"), DISCHARGE_DUE},
        ),
        (
            [("intake", START), ("follow_up", date(2026, 3, 5))],
            date(2026, 3, 11),
            {(1, "follow_up", date(2026, 5, 5), "upcoming"), DISCHARGE_DUE},
        ),
        # discharge recorded: no more follow-ups; post-exit 6 months later +/- 30 days
        (
            [("intake", START), ("discharge", date(2026, 4, 1))],
            date(2026, 4, 2),
            {(1, "post_exit", date(2026, 10, 31), "upcoming")},
        ),
        (
            [("intake", START), ("discharge", date(2026, 4, 1))],
            date(2026, 9, 15),
            {(1, "post_exit", date(2026, 10, 31), "due")},
        ),
        (
            [("intake", START), ("discharge", date(2026, 4, 1))],
            date(2026, 11, 1),
            {(1, "post_exit", date(2026, 10, 31), "overdue")},
        ),
        (
            [("intake", START), ("discharge", date(2026, 4, 1)), ("post_exit", date(2026, 10, 2))],
            date(2026, 11, 1),
            set(),
        ),
        # the voucher's year ended without a discharge interview: discharge overdue after
        # 30 days, post-exit counted from the voucher end; no follow-up past the end
        (
            [("intake", START), ("follow_up", date(2026, 12, 20))],
            date(2027, 3, 15),
            {
                (1, "discharge", date(2027, 2, 9), "overdue"),
                (1, "post_exit", date(2027, 8, 9), "upcoming"),
            },
        ),
    ],
)
def test_due_and_overdue(history: list[tuple[str, date]], today: date, expected: object) -> None:
    if expected == "none":
        assert owed([], history, today) == set()
    else:
        assert owed(EPISODE, history, today) == expected


def test_reassessment_starts_a_new_episode_and_old_one_owes_only_post_exit() -> None:
    episodes = [Episode(1, START), Episode(2, date(2026, 6, 1))]
    history = [("intake", START), ("discharge", date(2026, 5, 1)), ("intake", date(2026, 6, 1))]
    assert owed(episodes, history, date(2026, 6, 2)) == {
        (1, "post_exit", date(2026, 12, 1), "upcoming"),
        (2, "follow_up", date(2026, 8, 1), "upcoming"),
        (2, "discharge", date(2027, 7, 1), "upcoming"),
    }


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
