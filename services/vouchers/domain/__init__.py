"""Voucher lifecycle domain: pure transitions, no I/O."""
