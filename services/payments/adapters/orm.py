"""The payments service's tables. Fiscal years, allotments, obligations, holdbacks and
invoices arrive with the payments issue; today it owns the kit tables only."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
