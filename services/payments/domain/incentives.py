"""The year-end incentive pool (SPEC §3.5; seed 003 App. E §2 incentives, §II footnote 2).

Forfeited holdbacks of a fiscal year form its incentive pool, paid at year end to the
providers in proportion to their successful completions. Seed 003 §II footnote 2:
"successful completion of an episode of paid treatment/recovery support is defined, at
a minimum, as an individual having completed the major goals of his/her treatment plan
and having submitted a minimum of four consecutive, randomly collected samples that are
free from illegal drugs and alcohol. (This requirement does not apply to brief
treatment interventions)".

Pure: no clock, no I/O. Money is Decimal to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

CENT = Decimal("0.01")
TREATMENT_COMPLETED = "treatment_completed"
"""GPRA item 7.2 2.c: the discharge reason that says the treatment plan was completed."""
CONSECUTIVE_NEGATIVES = 4
"""Seed 003 §II footnote 2: "a minimum of four consecutive, randomly collected samples"."""

DrugTest = tuple[date, str]
"""(tested on, result: ``negative`` or ``positive``) of a random drug test."""


def successful(
    discharge_reason: str | None,
    brief_intervention: bool,
    random_tests_before: Iterable[DrugTest],
) -> bool:
    """Whether a discharge is a successful completion (seed 003 §II footnote 2, SPEC §3.5).

    The treatment plan was completed (GPRA item 7.2 2.c ``treatment_completed``) and the
    last four random drug tests on or before the discharge interview
    (``random_tests_before``, any order) are all negative, at least four of them. Tests
    on the same day have no order between them; a positive one is taken as the later (a
    same-day positive is never pushed out of the last four).

    "This requirement does not apply to brief treatment interventions": a brief
    intervention's complete discharge interview counts, with no drug tests, unless it
    gives a reason other than a completed plan. Eligibility does not take item 7.2 in a
    brief intervention's interview (seed 003 App. C §5a), so it usually has no reason.
    """
    if brief_intervention:
        return discharge_reason in (None, TREATMENT_COMPLETED)
    if discharge_reason != TREATMENT_COMPLETED:
        return False
    ordered = sorted(random_tests_before, key=lambda test: (test[0], test[1] != "negative"))
    last = ordered[-CONSECUTIVE_NEGATIVES:]
    return len(last) == CONSECUTIVE_NEGATIVES and all(result == "negative" for _, result in last)


def distribute(pool: Decimal, completions: Mapping[str, int]) -> dict[str, Decimal]:
    """Share ``pool`` among providers in proportion to their successful completions
    (SPEC §3.5 "paid at year end to providers in proportion to their successful
    completions"; seed 003 App. E §2).

    In cents, by largest remainder: each provider first gets its proportional share
    rounded down to the cent, then the cents left go one each to the largest remainders
    (ties to the lower provider id), so the shares add up to the pool exactly. Providers
    without a completion get nothing and are left out; when no provider has one,
    nothing is distributed (an empty answer)."""
    if pool < 0 or pool != pool.quantize(CENT):
        raise ValueError(f"the pool must be a non-negative amount in cents, not {pool}")
    if any(count < 0 for count in completions.values()):
        raise ValueError("completions cannot be negative")
    counted = {provider: count for provider, count in completions.items() if count > 0}
    total = sum(counted.values())
    if total == 0:
        return {}
    cents = int(pool / CENT)
    shares = {provider: cents * count // total for provider, count in counted.items()}
    left = cents - sum(shares.values())
    by_remainder = sorted(counted, key=lambda p: (-(cents * counted[p] % total), p))
    for provider in by_remainder[:left]:
        shares[provider] += 1
    return {provider: Decimal(share) * CENT for provider, share in sorted(shares.items())}
