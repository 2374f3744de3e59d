"""Corrections of money records and of chasing: hold and release, reversing the last payment,
recording a refund paid out. Each is a history row (who, when, why), never a deletion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing_core.errors import IllegalTransition, NotAllowed, PaymentRefused
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LATER = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)  # INV-2026-0001 (due 2026-12-01) overdue
Draft = Callable[..., Awaitable[InvoiceState]]
APPROVER, OWNER, STRANGER = "U0APPROVER", "U0OWNER", "U0STRANGER"


async def sent(billing: Billing, draft: Draft) -> str:
    drafted = await draft("P-123")
    number = (await billing.drafting.approve(drafted.id, APPROVER, NOW)).number
    assert number is not None
    await billing.settlement.mark_sent(number, OWNER, NOW)
    return number


async def chased(billing: Billing) -> list[int]:
    return [d.invoice_id for d in await billing.chasing.due_stages(LATER.date(), LATER)]


async def test_an_invoice_on_hold_is_not_chased_until_released(
    billing: Billing, draft: Draft
) -> None:
    number = await sent(billing, draft)
    invoice_id = (await billing.queries.find(number)).id
    assert await chased(billing) == [invoice_id]
    held = await billing.corrections.hold(number, OWNER, "client disputes the hours", NOW)
    assert held.status is Status.SENT and held.held_reason == "client disputes the hours"
    assert await chased(billing) == []
    with pytest.raises(IllegalTransition, match="on hold already"):
        await billing.corrections.hold(number, OWNER, "again", NOW)
    released = await billing.corrections.release(number, APPROVER, NOW)
    assert released.held_reason is None
    assert await chased(billing) == [invoice_id]
    with pytest.raises(IllegalTransition, match="not on hold"):
        await billing.corrections.release(number, APPROVER, NOW)
    events = [(e.action, e.actor, e.note) for e in await billing.queries.events(invoice_id)]
    assert events[-2:] == [
        ("hold", OWNER, "client disputes the hours"),
        ("release", APPROVER, None),
    ]


async def test_only_approvers_and_the_owner_hold_or_unpay(billing: Billing, draft: Draft) -> None:
    number = await sent(billing, draft)
    with pytest.raises(NotAllowed):
        await billing.corrections.hold(number, STRANGER, "no", NOW)
    await billing.settlement.record_payment(number, OWNER, NOW, "100.00")
    with pytest.raises(NotAllowed):
        await billing.corrections.unpay(number, STRANGER, "no", NOW)


async def test_unpay_reverses_the_last_payment_and_reopens_a_paid_invoice(
    billing: Billing, draft: Draft
) -> None:
    number = await sent(billing, draft)
    await billing.settlement.record_payment(number, OWNER, NOW, "428.00")
    paid = await billing.settlement.record_payment(number, OWNER, NOW)  # the 1000.00 rest
    assert paid.status is Status.PAID
    reopened = await billing.corrections.unpay(number, APPROVER, "bounced transfer", NOW)
    assert (reopened.status, reopened.balance.amount) == (Status.SENT, Decimal("1000.00"))
    again = await billing.corrections.unpay(number, APPROVER, "entered twice", NOW)
    assert (again.status, again.paid.amount) == (Status.SENT, Decimal(0))
    with pytest.raises(PaymentRefused, match="no payment to reverse"):
        await billing.corrections.unpay(number, APPROVER, "nothing left", NOW)
    actions = [(e.action, e.amount) for e in await billing.queries.events(reopened.id)]
    assert actions[-2:] == [("reopen_sent", Decimal("1000.00")), ("unpay", Decimal("428.00"))]
    assert await chased(billing) == [reopened.id]  # owed again: chased again


async def test_unpay_of_an_invoice_never_sent_reopens_it_as_approved(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-123")
    number = (await billing.drafting.approve(drafted.id, APPROVER, NOW)).number
    assert number is not None
    await billing.settlement.record_payment(number, OWNER, NOW)
    assert (await billing.corrections.unpay(number, OWNER, "wrong invoice", NOW)).status is (
        Status.APPROVED
    )


async def test_the_report_takes_a_reversed_payment_back_out(billing: Billing, draft: Draft) -> None:
    number = await sent(billing, draft)
    await billing.settlement.record_payment(number, OWNER, NOW, "428.00")
    await billing.settlement.record_payment(number, OWNER, NOW, "100.00")
    await billing.corrections.unpay(number, OWNER, "entered twice", NOW)
    summary = await billing.reporting.period_summary(date(2026, 11, 1), date(2026, 12, 1), NOW)
    assert summary.paid["EUR"][1] == Decimal("428.00")


async def test_a_refund_owed_after_a_credit_is_recorded_paid_out(
    billing: Billing, draft: Draft
) -> None:
    number = await sent(billing, draft)
    await billing.settlement.record_payment(number, OWNER, NOW)
    note = await billing.crediting.start_credit(number, OWNER, "discount", NOW, amount="200.00")
    await billing.drafting.approve(note.state.id, APPROVER, NOW)
    assert (await billing.queries.find(number)).refund_owed.amount == Decimal("200.00")
    owed = await billing.queries.list_invoices("refunds", APPROVER, NOW)
    assert [i.number for i in owed.items] == [number] and owed.total == 1
    with pytest.raises(PaymentRefused, match="more than the refund owed"):
        await billing.corrections.refund(number, OWNER, NOW, "200.01")
    with pytest.raises(PaymentRefused, match="in the future"):
        await billing.corrections.refund(number, OWNER, NOW, "50.00", date(2026, 12, 24))
    part = await billing.corrections.refund(number, OWNER, NOW, "50.00")
    assert part.refund_owed.amount == Decimal("150.00") and part.status is Status.PAID
    rest = await billing.corrections.refund(number, OWNER, NOW)
    assert rest.refund_owed.is_zero() and rest.refunded == Decimal("200.00")
    assert (await billing.queries.list_invoices("refunds", APPROVER, NOW)).total == 0
    with pytest.raises(PaymentRefused, match="no refund is owed"):
        await billing.corrections.refund(number, OWNER, NOW)
