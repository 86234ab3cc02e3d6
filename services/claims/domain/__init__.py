"""Claims adjudication domain: pure data and rules, no I/O."""
