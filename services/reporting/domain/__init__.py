"""Reporting rules: pure functions over the facts read from the topics."""
