"""After approval: sent, partial and full payments, overpayment, void; who may do each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from billing_core.errors import (
    BillingError,
    IllegalTransition,
    InvalidAmount,
    InvoiceNotFound,
    NotAllowed,
    NotAnApprover,
    PaymentRefused,
)
from billing_core.money import Money
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


@pytest.fixture
async def approved(billing: Billing, draft: Draft) -> InvoiceState:
    """INV-2026-0001 for the DESIGN.md example: 1428.00 EUR, owner U0OWNER."""
    drafted = await draft("P-123")
    return await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)


async def test_partial_payment_keeps_the_status_and_reduces_the_balance(
    billing: Billing, approved: InvoiceState
) -> None:
    after = await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, "428.00")
    assert after.status is Status.APPROVED
    assert after.paid == eur("428.00")
    assert after.balance == eur("1000.00")


async def test_partial_payment_on_a_sent_invoice_keeps_it_sent(
    billing: Billing, approved: InvoiceState
) -> None:
    await billing.settlement.mark_sent("INV-2026-0001", "U0OWNER", NOW)
    after = await billing.settlement.record_payment("INV-2026-0001", "U0OWNER", NOW, "1")
    assert after.status is Status.SENT
    assert after.balance == eur("1427.00")


async def test_paying_the_exact_balance_marks_it_paid(
    billing: Billing, approved: InvoiceState
) -> None:
    await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, "1000.00")
    after = await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, "428.00")
    assert after.status is Status.PAID
    assert after.balance == eur("0.00")
    assert after.paid == eur("1428.00")


async def test_paying_without_an_amount_settles_the_whole_balance(
    billing: Billing, approved: InvoiceState
) -> None:
    after = await billing.settlement.record_payment("inv-2026-0001", "U0OWNER", NOW)
    assert after.status is Status.PAID
    assert after.paid == eur("1428.00")


async def test_overpayment_is_refused_and_changes_nothing(
    billing: Billing, approved: InvoiceState
) -> None:
    await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, "28.00")
    with pytest.raises(PaymentRefused, match=r"1400.01 EUR is more than the balance .*1400.00 EUR"):
        await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, "1400.01")
    state = await billing.queries.invoice(approved.id)
    assert state.status is Status.APPROVED
    assert state.balance == eur("1400.00")
    assert [e.action for e in await billing.queries.events(approved.id)] == [
        "draft",
        "approve",
        "part_pay",
    ]


@pytest.mark.parametrize(
    ("amount", "error"),
    [("0", PaymentRefused), ("-5.00", PaymentRefused), ("1.005", InvalidAmount)],
)
async def test_nonsense_payment_amounts_are_refused(
    billing: Billing, approved: InvoiceState, amount: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, amount)
    assert (await billing.queries.invoice(approved.id)).paid == eur("0.00")


async def test_a_payment_dated_in_the_future_is_refused(
    billing: Billing, approved: InvoiceState
) -> None:
    with pytest.raises(PaymentRefused, match="in the future"):
        await billing.settlement.record_payment(
            "INV-2026-0001", "U0OWNER", NOW, "1", date(2026, 11, 26)
        )


async def test_a_record_id_is_not_an_invoice_number_for_payments(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-9")
    with pytest.raises(InvoiceNotFound, match="that is a record: use its invoice number"):
        await billing.settlement.record_payment("P-9", "U0APPROVER", NOW, "1.00")
    assert (await billing.queries.invoice(drafted.id)).paid == eur("0.00")


async def test_with_milestones_a_payment_goes_to_the_named_invoice(
    billing: Billing, approved: InvoiceState, draft: Draft
) -> None:
    second = await billing.drafting.approve((await draft("P-123")).id, "U0APPROVER", NOW)
    assert second.number == "INV-2026-0002"
    await billing.settlement.record_payment("INV-2026-0001", "U0OWNER", NOW, "100.00")
    assert (await billing.queries.invoice(approved.id)).paid == eur("100.00")
    assert (await billing.queries.invoice(second.id)).paid == eur("0.00")


async def test_a_payment_date_before_the_invoice_date_is_refused(
    billing: Billing, approved: InvoiceState
) -> None:
    with pytest.raises(PaymentRefused, match="before the invoice date"):
        await billing.settlement.record_payment(
            "INV-2026-0001", "U0OWNER", NOW, "1", date(2026, 11, 1)
        )


async def test_void_needs_a_reason_and_keeps_the_number(
    billing: Billing, approved: InvoiceState, draft: Draft
) -> None:
    with pytest.raises(BillingError, match="voiding needs a reason"):
        await billing.settlement.void("INV-2026-0001", "U0APPROVER", "  ", NOW)
    voided = await billing.settlement.void(
        "INV-2026-0001", "U0APPROVER", "client went bankrupt", NOW
    )
    assert voided.status is Status.VOID
    assert voided.number == "INV-2026-0001"
    assert voided.void_reason == "client went bankrupt"
    assert voided.balance == eur("0.00")
    assert (await billing.queries.find("INV-2026-0001")).status is Status.VOID
    nxt = await draft("P-2")
    assert (await billing.drafting.approve(nxt.id, "U0APPROVER", NOW)).number == "INV-2026-0002"


async def test_paying_a_void_invoice_is_refused(billing: Billing, approved: InvoiceState) -> None:
    await billing.settlement.void("INV-2026-0001", "U0APPROVER", "duplicate", NOW)
    with pytest.raises(PaymentRefused, match="is void"):
        await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW, "1.00")


async def test_a_draft_or_paid_invoice_cannot_be_voided(
    billing: Billing, approved: InvoiceState, draft: Draft
) -> None:
    await draft("P-2")
    with pytest.raises(InvoiceNotFound):  # a draft has no number to name
        await billing.settlement.void("P-2", "U0APPROVER", "oops", NOW)
    await billing.settlement.record_payment("INV-2026-0001", "U0APPROVER", NOW)
    with pytest.raises(IllegalTransition, match="a paid invoice cannot be voided"):
        await billing.settlement.void("INV-2026-0001", "U0APPROVER", "oops", NOW)


async def test_only_approvers_may_void(billing: Billing, approved: InvoiceState) -> None:
    with pytest.raises(NotAnApprover):
        await billing.settlement.void("INV-2026-0001", "U0OWNER", "mine", NOW)
    assert (await billing.queries.invoice(approved.id)).status is Status.APPROVED


async def test_owner_may_mark_paid_but_a_random_user_may_not(
    billing: Billing, approved: InvoiceState
) -> None:
    with pytest.raises(NotAllowed):
        await billing.settlement.record_payment("INV-2026-0001", "U0RANDOM", NOW, "10.00")
    with pytest.raises(NotAllowed):
        await billing.settlement.mark_sent("INV-2026-0001", "U0RANDOM", NOW)
    state = await billing.queries.invoice(approved.id)
    assert (state.status, state.paid) == (Status.APPROVED, eur("0.00"))
    assert (
        await billing.settlement.record_payment("INV-2026-0001", "U0OWNER", NOW)
    ).status is Status.PAID


async def test_marking_sent_twice_is_refused(billing: Billing, approved: InvoiceState) -> None:
    await billing.settlement.mark_sent("INV-2026-0001", "U0OWNER", NOW)
    with pytest.raises(IllegalTransition, match="a sent invoice cannot be marked sent"):
        await billing.settlement.mark_sent("INV-2026-0001", "U0OWNER", NOW)


async def test_an_unpaid_invoice_past_due_is_listed_as_overdue(
    billing: Billing, approved: InvoiceState
) -> None:
    due = approved.invoice.due_date  # 2026-12-01
    overdue = billing.queries.list_invoices
    assert (await overdue("overdue", "U0OWNER", NOW)).total == 0
    later = datetime(due.year, due.month, due.day, 9, tzinfo=UTC) + timedelta(days=1)
    page = await overdue("overdue", "U0OWNER", later)
    assert [s.number for s in page.items] == ["INV-2026-0001"] and page.total == 1
    await billing.settlement.record_payment("INV-2026-0001", "U0OWNER", NOW)
    assert (await overdue("overdue", "U0OWNER", later)).items == []


async def test_a_partly_paid_invoice_cannot_be_voided_and_keeps_its_payment(
    billing: Billing, approved: InvoiceState
) -> None:
    await billing.settlement.record_payment("INV-2026-0001", "U0OWNER", NOW, "100.00")
    with pytest.raises(IllegalTransition, match=r"has been paid on it.*credit note"):
        await billing.settlement.void("INV-2026-0001", "U0APPROVER", "client disputes it", NOW)
    after = await billing.queries.find("INV-2026-0001")
    assert after.status is Status.APPROVED and after.paid == eur("100.00")
    assert [e.action for e in await billing.queries.events(after.id)] == [
        "draft",
        "approve",
        "part_pay",
    ]
