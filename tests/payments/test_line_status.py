"""One line's payment state as ``GET /v1/claims/{id}`` shows it (SPEC §4: "funding:
funded or not, payable, holdback, invoice and payment state"), on SQLite and
PostgreSQL: before any run, after its holdback was released, once a run paid it, after
a correction took money back; an unfunded line; a forfeited holdback."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.kit.unit_of_work import UnitOfWork
from services.payments.service_layer import holdbacks
from services.payments.service_layer.adjustments import apply_corrections
from services.payments.service_layer.funding import fund_lines
from services.payments.service_layer.invoicing import run_invoices
from services.payments.service_layer.line_status import line_funding
from tests.payments.test_adjustments import NOVEMBER, NOW, corrected, database  # noqa: F401
from tests.payments.test_fund_lines import _adjudicated
from tests.payments.test_holdbacks import _discharge, _gpra


async def test_a_line_from_funding_to_payment_and_correction(database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(
            uow,
            [
                _adjudicated("K1", date(2026, 10, 5), "20.00"),
                _adjudicated("K2", date(2026, 10, 6), "20.00", client="C2"),  # 40 > 30
            ],
            NOVEMBER,
            NOW,
        )
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        first = await line_funding(uow, "K1")
        unfunded = await line_funding(uow, "K2")
        nothing = await line_funding(uow, "K9")
    assert nothing is None
    assert first is not None
    assert (first.funded, first.invoice_state, first.holdback_state) == (
        True,
        "not_invoiced",
        "open",
    )
    assert unfunded is not None
    assert (unfunded.funded, unfunded.reason, unfunded.holdback_state) == (
        False,
        "FUNDS_EXHAUSTED",
        "none",
    )

    async with UnitOfWork(db, tables) as uow:
        await holdbacks.on_discharge(uow, _discharge("V1", "C1"), NOVEMBER)
        await holdbacks.on_gpra(uow, _gpra("C1"), NOVEMBER)
        await run_invoices(uow, "2026-12", None)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        paid = await line_funding(uow, "K1")
        reported = await line_funding(uow, "K2")
    assert paid is not None
    assert (paid.invoice_state, paid.run_id, paid.invoice_id, paid.holdback_state) == (
        "invoiced",
        "2026-12",
        "INV-2026-12-P1",
        "released",
    )
    assert reported is not None
    assert (reported.invoice_state, reported.invoice_id) == ("invoiced", None)

    async with UnitOfWork(db, tables) as uow:
        await apply_corrections(uow, [corrected("K1", "20.00", "10.00")], date(2026, 12, 5), NOW)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        reduced = await line_funding(uow, "K1")
    assert reduced is not None
    # 9.00 of the 18.00 paid and 1.00 of the 2.00 released are taken back
    assert (reduced.payable, reduced.holdback, reduced.adjusted) == (
        Decimal("9.00"),
        Decimal("1.00"),
        Decimal("-10.00"),
    )


async def test_a_forfeited_holdback_shows_forfeited(database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    db, tables = database
    async with UnitOfWork(db, tables) as uow:
        await fund_lines(uow, [_adjudicated("K1", date(2026, 10, 5), "20.00")], NOVEMBER, NOW)
        await uow.commit()
    async with UnitOfWork(db, tables) as uow:
        await holdbacks.forfeit_overdue(uow, date(2027, 1, 15))
        await uow.commit()
        line = await line_funding(uow, "K1")
    assert line is not None
    assert line.holdback_state == "forfeited"
