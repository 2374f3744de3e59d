"""Credit notes on SQLite and PostgreSQL: their own gapless series, allocated in the approval's
transaction; the corrected invoice's balance and status; never more credited than the total,
also when two credit notes are approved at once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing_core.errors import (
    AlreadyDecided,
    CreditRefused,
    FourEyesRequired,
    IllegalTransition,
    NotAnApprover,
    PaymentRefused,
)
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]
APPROVER, BOSS, OWNER = "U0APPROVER", "U0BOSS", "U0OWNER"


async def issued(
    billing: Billing, draft: Draft, record_id: str = "P-123", **changes: object
) -> str:
    """An approved and sent invoice of the DESIGN.md example (1428.00 EUR): its number."""
    drafted = await draft(record_id, **changes)
    number = (await billing.drafting.approve(drafted.id, APPROVER, NOW)).number
    assert number is not None
    await billing.settlement.mark_sent(number, OWNER, NOW)
    return number


async def credit(
    billing: Billing, number: str, amount: str | None = None, *, at: datetime = NOW
) -> InvoiceState:
    """Draft a credit note by the owner and approve it: the issued credit note."""
    drafted = await billing.crediting.start_credit(
        number, OWNER, "Hours billed twice", at, amount=amount
    )
    return await billing.drafting.approve(drafted.state.id, APPROVER, at)


async def test_a_full_credit_closes_an_unpaid_invoice_as_credited(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    note = await credit(billing, number)
    assert (note.number, note.status, note.total.amount) == (
        "CN-2026-0001",
        Status.ISSUED,
        Decimal("1428.00"),
    )
    assert note.invoice.credits_number == number
    invoice = await billing.queries.find(number)
    assert invoice.status is Status.CREDITED
    assert invoice.credited == Decimal("1428.00") and invoice.balance.is_zero()
    actions = [e.action for e in await billing.queries.events(invoice.id)]
    assert actions[-1] == "credit_close"
    assert [e.action for e in await billing.queries.events(note.id)] == ["draft", "issue"]


async def test_partial_credits_lower_the_balance_and_the_last_one_closes(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    first = await credit(billing, number, "428.00")
    invoice = await billing.queries.find(number)
    assert (invoice.status, invoice.balance.amount) == (Status.SENT, Decimal("1000.00"))
    with pytest.raises(CreditRefused, match=r"1,?000\.00"):
        await billing.crediting.start_credit(number, OWNER, "too much", NOW, amount="1000.01")
    rest = await credit(billing, number)  # the whole of what is left
    assert (first.number, rest.number) == ("CN-2026-0001", "CN-2026-0002")
    assert rest.total.amount == Decimal("1000.00")
    assert (await billing.queries.find(number)).status is Status.CREDITED


async def test_a_credit_after_a_part_payment_settles_it_as_paid(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    await billing.settlement.record_payment(number, OWNER, NOW, "1000.00")
    await credit(billing, number, "428.00")
    invoice = await billing.queries.find(number)
    assert (invoice.status, invoice.balance.amount) == (Status.PAID, Decimal(0))


async def test_a_credit_on_a_paid_invoice_is_a_refund_owed(billing: Billing, draft: Draft) -> None:
    number = await issued(billing, draft)
    await billing.settlement.record_payment(number, OWNER, NOW)
    await credit(billing, number, "200.00")
    invoice = await billing.queries.find(number)
    assert invoice.status is Status.PAID and invoice.refund_owed.amount == Decimal("200.00")


async def test_payments_and_credits_never_take_more_than_the_balance(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    await credit(billing, number, "1000.00")
    with pytest.raises(PaymentRefused, match=r"428\.00"):
        await billing.settlement.record_payment(number, OWNER, NOW, "500.00")
    settled = await billing.settlement.record_payment(number, OWNER, NOW)
    assert settled.status is Status.PAID and settled.paid.amount == Decimal("428.00")


async def test_a_credited_invoice_is_never_chased(billing: Billing, draft: Draft) -> None:
    number = await issued(billing, draft)
    later = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
    today = later.date()
    due = [d.invoice_id for d in await billing.chasing.due_stages(today, later)]
    invoice = await billing.queries.find(number)
    assert due == [invoice.id]
    await credit(billing, number, "1000.00")  # a partial credit: still chased for the rest
    assert [d.invoice_id for d in await billing.chasing.due_stages(today, later)] == due
    await credit(billing, number)
    assert await billing.chasing.due_stages(today, later) == []
    overdue = await billing.queries.list_invoices("overdue", APPROVER, later)
    assert overdue.total == 0 and overdue.items == []


async def test_a_credit_note_follows_the_approval_rules(billing: Billing, draft: Draft) -> None:
    number = await issued(billing, draft)
    drafted = await billing.crediting.start_credit(number, APPROVER, "Cancelled", NOW)
    assert drafted.state.status is Status.DRAFT and drafted.state.number is None
    with pytest.raises(NotAnApprover):
        await billing.drafting.approve(drafted.state.id, OWNER, NOW)
    with pytest.raises(FourEyesRequired):  # 1428.00 is below 5000.00, so raise the bar
        strict = dataclasses.replace(
            billing.policy.approval, four_eyes_threshold=Decimal("1000.00")
        )
        await billing.with_policy(
            dataclasses.replace(billing.policy, approval=strict)
        ).drafting.approve(drafted.state.id, APPROVER, NOW)
    rejected = await billing.drafting.reject(drafted.state.id, BOSS, "wrong_amount", "no", NOW)
    assert rejected.status is Status.REJECTED
    assert (await billing.queries.find(number)).status is Status.SENT
    # A rejected credit note burns no number.
    assert (await credit(billing, number)).number == "CN-2026-0001"


async def test_credit_notes_are_not_paid_sent_voided_or_credited(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    note = await credit(billing, number, "100.00")
    assert note.number is not None
    with pytest.raises(PaymentRefused):
        await billing.settlement.record_payment(note.number, OWNER, NOW)
    with pytest.raises(IllegalTransition):
        await billing.settlement.void(note.number, APPROVER, "oops", NOW)
    with pytest.raises(CreditRefused, match="is a credit note"):
        await billing.crediting.start_credit(note.number, OWNER, "again", NOW)
    with pytest.raises(IllegalTransition, match="sent to the client"):
        await billing.settlement.void(number, APPROVER, "oops", NOW)


async def test_an_approved_invoice_with_a_credit_note_cannot_be_voided(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-123")
    number = (await billing.drafting.approve(drafted.id, APPROVER, NOW)).number
    assert number is not None
    await credit(billing, number, "100.00")
    with pytest.raises(IllegalTransition, match=r"credit notes of 100\.00 EUR"):
        await billing.settlement.void(number, APPROVER, "oops", NOW)


async def test_drafts_of_invoices_and_credit_notes_of_one_record_live_side_by_side(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    note = await billing.crediting.start_credit(number, OWNER, "Cancelled", NOW)
    milestone = await billing.drafting.start_draft("P-123", OWNER, NOW)
    assert note.created
    assert milestone.created and milestone.state.id != note.state.id
    assert milestone.state.supersedes_id is None


async def test_two_series_side_by_side_across_a_year_boundary(
    billing: Billing, draft: Draft
) -> None:
    first = await issued(billing, draft, "P-1")
    assert (await credit(billing, first, "10.00")).number == "CN-2026-0001"
    second = await issued(billing, draft, "P-2")
    assert second == "INV-2026-0002"
    assert (await credit(billing, second, "10.00")).number == "CN-2026-0002"
    new_year = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert (await credit(billing, second, "10.00", at=new_year)).number == "CN-2027-0001"
    drafted = await draft("P-3", now=new_year, due_date=None)
    assert (
        await billing.drafting.approve(drafted.id, APPROVER, new_year)
    ).number == "INV-2027-0001"
    assert (await credit(billing, first, "10.00", at=new_year)).number == "CN-2027-0002"


async def test_two_concurrent_credit_approvals_never_credit_more_than_the_total(
    billing: Billing, draft: Draft
) -> None:
    """Two credit note drafts of 1000.00 each on a 1428.00 invoice (each creditable when
    drafted), approved at once by two approvers: one is issued, the other refused with the
    reason, and the refusal burns no number."""
    number = await issued(billing, draft)
    a, b = [
        await billing.crediting.start_credit(number, OWNER, why, NOW, amount="1000.00")
        for why in ("first", "second")
    ]
    outcomes = await asyncio.gather(
        billing.drafting.approve(a.state.id, APPROVER, NOW),
        billing.drafting.approve(b.state.id, BOSS, NOW),
        return_exceptions=True,
    )
    issued_notes = [o for o in outcomes if isinstance(o, InvoiceState)]
    refused = [o for o in outcomes if isinstance(o, CreditRefused)]
    assert len(issued_notes) == 1 and len(refused) == 1, outcomes
    assert "still creditable" in str(refused[0])
    invoice = await billing.queries.find(number)
    assert invoice.credited == Decimal("1000.00")
    loser = b if issued_notes[0].id == a.state.id else a
    assert (await billing.queries.invoice(loser.state.id)).status is Status.DRAFT
    assert (await credit(billing, number)).number == "CN-2026-0002"  # gapless
    assert (await billing.queries.find(number)).credited == Decimal("1428.00")


async def test_a_double_click_on_one_credit_note_issues_one_number(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    drafted = await billing.crediting.start_credit(number, OWNER, "Cancelled", NOW)
    outcomes = await asyncio.gather(
        *(billing.drafting.approve(drafted.state.id, who, NOW) for who in [APPROVER, BOSS] * 3),
        return_exceptions=True,
    )
    assert sum(isinstance(o, InvoiceState) for o in outcomes) == 1
    assert sum(isinstance(o, AlreadyDecided) for o in outcomes) == 5
    assert (await billing.queries.find(number)).credited == Decimal("1428.00")


async def test_reports_count_credit_notes_beside_invoices_and_outstanding_net_of_credits(
    billing: Billing, draft: Draft
) -> None:
    number = await issued(billing, draft)
    await credit(billing, number, "428.00")
    later = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    summary = await billing.reporting.period_summary(date(2026, 11, 1), date(2027, 1, 1), later)
    assert summary.issued == {"EUR": (1, Decimal("1428.00"))}
    assert summary.credit_notes == {"EUR": (1, Decimal("428.00"))}
    assert summary.overdue == {"EUR": (1, Decimal("1000.00"))}
