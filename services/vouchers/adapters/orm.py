"""The vouchers service's tables (voucher lifecycle arrives with the vouchers issue)."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
