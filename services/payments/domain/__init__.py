"""Payments' pure rules: fiscal years, the cumulative-ceiling funding rule, the 90/10 split."""
