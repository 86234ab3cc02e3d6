"""Which GPRA interviews a client owes, and which are overdue (seed 003 App. C §5a notes
1, 3, 4 and 6; SPEC §3.1 "the system knows which interviews are due and overdue").

A pure function of the client's episodes (one per assessment), the interviews recorded
and "today". The seed fixes the cadence (entry, at least every two months, exit, six
months after exit); it is silent on grace periods, so they are parameters with the
defaults documented on :class:`GpraPolicy`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from contracts.clients import GpraKind

DueStatus = Literal["upcoming", "due", "overdue"]


@dataclass(frozen=True)
class Episode:
    """An episode of care, started by an assessment (its case number; App. E §3)."""

    case_number: int
    started_on: date


@dataclass(frozen=True)
class RecordedInterview:
    """A GPRA interview on record: its kind and date."""

    kind: GpraKind
    conducted_on: date


@dataclass(frozen=True)
class GpraPolicy:
    """Cadence and grace periods.

    - ``episode_days``: an episode is the life of the service voucher, 365 days from the
      assessment (SPEC §3.4 calendar conventions; seed 003 App. E §6).
    - ``follow_up_months``: "at least every two months during an episode" (App. C note 1).
    - ``post_exit_months``: "6-month post-exit data" (App. C note 6).
    - grace and window days: our choice where the seed is silent.
    """

    episode_days: int = 365
    follow_up_months: int = 2
    post_exit_months: int = 6
    intake_grace_days: int = 7
    follow_up_window_days: int = 14
    discharge_grace_days: int = 30
    post_exit_window_days: int = 30


@dataclass(frozen=True)
class DueInterview:
    """An interview owed: collectable from ``opens_on``, overdue after ``due_by``."""

    case_number: int
    kind: GpraKind
    opens_on: date
    due_by: date
    status: DueStatus


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (clamped to the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _status(opens_on: date, due_by: date, today: date) -> DueStatus:
    if today < opens_on:
        return "upcoming"
    return "due" if today <= due_by else "overdue"


def interviews_due(
    episodes: Iterable[Episode],
    interviews: Iterable[RecordedInterview],
    today: date,
    policy: GpraPolicy | None = None,
) -> list[DueInterview]:
    """Every interview the client still owes, with its status on ``today``.

    Seed 003 App. C §5a: data are collected at entry (intake), at least every two months
    during an episode (follow-up), at exit (discharge) and six months after exit
    (post-exit, on a sample basis: every client is listed, the state samples). Rules:

    - The latest episode owes an intake (due within ``intake_grace_days`` of its start).
    - While it is open (no discharge interview), the next follow-up is due two months
      after the latest intake/follow-up (or the start), unless that falls after the
      voucher's end; the discharge is due when the voucher ends, with grace.
    - An episode that ended (discharge interview, or voucher end passed) owes a
      post-exit interview six months after the exit, +/- the window.
    - An episode superseded by a reassessment owes only its post-exit interview.
    """
    rules = policy or GpraPolicy()
    ordered = sorted(episodes, key=lambda e: e.started_on)
    recorded = sorted(interviews, key=lambda i: i.conducted_on)
    owed: list[DueInterview] = []
    for position, episode in enumerate(ordered):
        next_start = ordered[position + 1].started_on if position + 1 < len(ordered) else None
        inside = [
            i
            for i in recorded
            if i.conducted_on >= episode.started_on
            and (next_start is None or i.conducted_on < next_start)
        ]
        planned_end = episode.started_on + timedelta(days=rules.episode_days)
        discharges = [i.conducted_on for i in inside if i.kind == "discharge"]
        exit_on = discharges[0] if discharges else (planned_end if today >= planned_end else None)

        def owe(
            kind: GpraKind, opens_on: date, due_by: date, case: int = episode.case_number
        ) -> None:
            owed.append(
                DueInterview(case, kind, opens_on, due_by, _status(opens_on, due_by, today))
            )

        if next_start is None:
            if not any(i.kind == "intake" for i in inside):
                owe(
                    "intake",
                    episode.started_on,
                    episode.started_on + timedelta(days=rules.intake_grace_days),
                )
            if not discharges:
                contacts = [i.conducted_on for i in inside if i.kind in ("intake", "follow_up")]
                target = add_months(
                    max(contacts, default=episode.started_on), rules.follow_up_months
                )
                if target < planned_end:
                    owe("follow_up", target - timedelta(days=rules.follow_up_window_days), target)
                owe(
                    "discharge",
                    planned_end,
                    planned_end + timedelta(days=rules.discharge_grace_days),
                )
        if exit_on is not None and (next_start is None or discharges):
            done = any(i.kind == "post_exit" and i.conducted_on > exit_on for i in recorded)
            if not done:
                target = add_months(exit_on, rules.post_exit_months)
                window = timedelta(days=rules.post_exit_window_days)
                owe("post_exit", target - window, target + window)
    return sorted(owed, key=lambda d: (d.due_by, d.case_number, d.kind))
