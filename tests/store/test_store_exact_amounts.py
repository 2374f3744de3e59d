"""Amounts are exact in the database on every backend (SQLite has no decimal type)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from billing_core.state import InvoiceState
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]
HUGE = "999999999999.99"  # the largest amount a record may carry


async def test_sums_of_large_amounts_stay_exact(billing: Billing, draft: Draft) -> None:
    for n in range(9):
        state = await draft(f"P-{n}", amount=HUGE, line_items=None, owner="U0OWNER")
        state = await billing.drafting.approve(state.id, "U0BOSS", NOW)
        await billing.settlement.record_payment(state.number, "U0APPROVER", NOW)
    summary = await billing.reporting.period_summary(date(2026, 11, 1), date(2026, 12, 1), NOW)
    # Nine times HUGE has 16 significant digits: a float sum would be off in the cents.
    assert summary.paid["EUR"] == (9, Decimal(HUGE) * 9)
    assert summary.issued["EUR"] == (9, Decimal(HUGE) * 9)


async def test_four_decimal_unit_prices_round_trip_exactly(billing: Billing, draft: Draft) -> None:
    line = {
        "description": "Tokens",
        "quantity": "12345.6789",
        "unit_price": "0.0123",
        "tax_rate": "7.25",
    }
    state = await draft("P-1", line_items=[line])
    stored = (await billing.queries.invoice(state.id)).invoice.lines[0]
    assert (stored.quantity, stored.unit_price.amount, stored.tax_rate) == (
        Decimal("12345.6789"),
        Decimal("0.0123"),
        Decimal("7.25"),
    )
    assert state.total == (await billing.queries.invoice(state.id)).total
