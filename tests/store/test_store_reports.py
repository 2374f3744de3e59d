"""Reports count a payment on the day it was paid, not the day it was recorded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from billing_core.state import InvoiceState
from billing_core.usecases import Billing

Draft = Callable[..., Awaitable[InvoiceState]]
NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))
DECEMBER = (date(2026, 12, 1), date(2027, 1, 1))


async def test_a_payment_dated_in_november_recorded_in_december_counts_in_november(
    billing: Billing, draft: Draft
) -> None:
    issued_at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    recorded_at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    state = await billing.drafting.approve((await draft(now=issued_at)).id, "U0APPROVER", issued_at)
    await billing.settlement.record_payment(
        state.number, "U0OWNER", recorded_at, "400.00", date(2026, 11, 30)
    )
    await billing.settlement.record_payment(state.number, "U0OWNER", recorded_at, "28.00")

    november = await billing.reporting.period_summary(*NOVEMBER, recorded_at)
    december = await billing.reporting.period_summary(*DECEMBER, recorded_at)
    assert november.issued == {"EUR": (1, Decimal("1428.00"))}
    assert november.paid == {"EUR": (1, Decimal("400.00"))}
    assert december.paid == {"EUR": (1, Decimal("28.00"))}
    assert december.issued == {}
