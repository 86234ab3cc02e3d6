"""Reporting's pure rules: periods, Appendix G cost ranges, integrity patterns, GPRA
outcomes and follow-up."""
