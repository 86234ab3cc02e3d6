"""Eligibility's pure domain: identity matching, GPRA rules, choice rule, consent gate.

No I/O and no framework here: every function takes plain values and returns a decision
(a pure core with thin edges).
"""
