"""Approval: gapless numbers, yearly restarts, concurrency, the approval policy."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from billing_core.errors import AlreadyDecided, FourEyesRequired, InvoiceNotFound, NotAnApprover
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]


def big(amount: str) -> list[dict[str, str]]:
    """One untaxed line of `amount` EUR, so the total is exactly `amount`."""
    return [{"description": "Work", "quantity": "1", "unit_price": amount, "tax_rate": "0"}]


def with_format(billing: Billing, fmt: str, timezone: str = "UTC") -> Billing:
    policy = billing.policy
    return Billing(
        billing.store,
        dataclasses.replace(
            policy,
            invoice=dataclasses.replace(policy.invoice, number_format=fmt),
            reminders=dataclasses.replace(policy.reminders, timezone=timezone),
        ),
    )


async def test_approval_issues_the_first_number_of_the_year(billing: Billing, draft: Draft) -> None:
    drafted = await draft("P-123")
    approved = await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    assert approved.status is Status.APPROVED
    assert approved.number == "INV-2026-0001"
    assert approved.decided_by == "U0APPROVER"
    assert approved.invoice.issue_date == NOW.date()
    assert approved.balance == approved.total


async def test_second_approval_issues_no_second_number(billing: Billing, draft: Draft) -> None:
    drafted = await draft("P-1")
    await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    with pytest.raises(AlreadyDecided, match=r"already approved as INV-2026-0001") as caught:
        await billing.drafting.approve(drafted.id, "U0BOSS", NOW)
    assert caught.value.by == "U0APPROVER"
    other = await draft("P-2")
    assert (await billing.drafting.approve(other.id, "U0APPROVER", NOW)).number == "INV-2026-0002"


async def test_sequence_restarts_in_a_new_year_when_the_format_shows_the_year(
    billing: Billing, draft: Draft
) -> None:
    # Due 14 days after approval (payment terms), so approving in January stays valid.
    a = await draft("P-1", due_date=None)
    b = await draft("P-2", due_date=None)
    c = await draft("P-3", due_date=None)
    late = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    assert (await billing.drafting.approve(a.id, "U0APPROVER", late)).number == "INV-2026-0001"
    assert (await billing.drafting.approve(b.id, "U0APPROVER", new_year)).number == "INV-2027-0001"
    assert (await billing.drafting.approve(c.id, "U0APPROVER", new_year)).number == "INV-2027-0002"


async def test_the_year_of_a_number_is_the_business_time_zone_year(
    billing: Billing, draft: Draft
) -> None:
    berlin = with_format(billing, "INV-{year}-{seq:04d}", timezone="Europe/Berlin")
    drafted = await draft("P-1", due_date=None)
    approved = await berlin.drafting.approve(
        drafted.id, "U0APPROVER", datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    assert approved.number == "INV-2027-0001"
    assert approved.invoice.issue_date.isoformat() == "2027-01-01"


async def test_sequence_continues_across_years_without_the_year_in_the_format(
    billing: Billing, draft: Draft
) -> None:
    plain = with_format(billing, "N{seq:05d}")
    a = await draft("P-1", due_date=None)
    b = await draft("P-2", due_date=None)
    assert (
        await plain.drafting.approve(a.id, "U0APPROVER", datetime(2026, 12, 31, tzinfo=UTC))
    ).number == ("N00001")
    assert (
        await plain.drafting.approve(b.id, "U0APPROVER", datetime(2027, 1, 1, tzinfo=UTC))
    ).number == ("N00002")


async def test_fifty_concurrent_approvals_give_numbers_one_to_fifty(
    billing: Billing, draft: Draft
) -> None:
    drafts = [await draft(f"P-{n}") for n in range(50)]
    results = await asyncio.gather(
        *(billing.drafting.approve(d.id, "U0APPROVER", NOW) for d in drafts)
    )
    numbers = sorted(r.number or "" for r in results)
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 51)]
    stored = {(await billing.queries.invoice(d.id)).number for d in drafts}
    assert len(stored) == 50


async def test_ten_concurrent_approvals_of_one_draft_give_one_number(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-123")
    outcomes = await asyncio.gather(
        *(
            billing.drafting.approve(drafted.id, approver, NOW)
            for approver in ["U0APPROVER", "U0BOSS"] * 5
        ),
        return_exceptions=True,
    )
    approved = [o for o in outcomes if isinstance(o, InvoiceState)]
    refused = [o for o in outcomes if isinstance(o, AlreadyDecided)]
    assert len(approved) == 1 and len(refused) == 9
    assert approved[0].number == "INV-2026-0001"
    events = [e.action for e in await billing.queries.events(drafted.id)]
    assert events == ["draft", "approve"]
    nxt = await draft("P-2")
    assert (await billing.drafting.approve(nxt.id, "U0APPROVER", NOW)).number == "INV-2026-0002"


async def test_refused_and_rejected_approvals_burn_no_number(
    billing: Billing, draft: Draft
) -> None:
    own = await draft("P-1", by="U0APPROVER", line_items=big("6000.00"))
    with pytest.raises(FourEyesRequired):
        await billing.drafting.approve(own.id, "U0APPROVER", NOW)
    with pytest.raises(NotAnApprover):
        await billing.drafting.approve(own.id, "U0OWNER", NOW)
    rejected = await draft("P-2")
    await billing.drafting.reject(rejected.id, "U0BOSS", "wrong_scope", "not yet done", NOW)
    assert (await billing.queries.invoice(own.id)).status is Status.DRAFT
    assert (await billing.queries.invoice(own.id)).number is None

    ok = await draft("P-3")
    assert (await billing.drafting.approve(ok.id, "U0APPROVER", NOW)).number == "INV-2026-0001"
    assert (await billing.drafting.approve(own.id, "U0BOSS", NOW)).number == "INV-2026-0002"


async def test_non_approver_cannot_approve(billing: Billing, draft: Draft) -> None:
    drafted = await draft("P-1")
    with pytest.raises(NotAnApprover, match="Only approvers can approve"):
        await billing.drafting.approve(drafted.id, "U0RANDOM", NOW)
    assert (await billing.queries.invoice(drafted.id)).status is Status.DRAFT


async def test_drafter_may_approve_own_invoice_below_the_threshold(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-1", by="U0APPROVER", line_items=big("4999.99"))
    assert (await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)).status is Status.APPROVED


async def test_drafter_may_not_approve_own_invoice_exactly_at_the_threshold(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-1", by="U0APPROVER", line_items=big("5000.00"))
    with pytest.raises(FourEyesRequired):
        await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    assert (await billing.drafting.approve(drafted.id, "U0BOSS", NOW)).status is Status.APPROVED


async def test_threshold_counts_the_total_with_tax(billing: Billing, draft: Draft) -> None:
    lines = [{"description": "Work", "quantity": "1", "unit_price": "4300.00", "tax_rate": "19"}]
    drafted = await draft("P-1", by="U0APPROVER", line_items=lines)  # 5117.00 with tax
    with pytest.raises(FourEyesRequired):
        await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)


async def test_approving_an_unknown_invoice_is_not_found_and_burns_no_number(
    billing: Billing, draft: Draft
) -> None:
    with pytest.raises(InvoiceNotFound):
        await billing.drafting.approve(999, "U0APPROVER", NOW)
    drafted = await draft("P-1")
    assert (await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)).number == (
        "INV-2026-0001"
    )


async def test_a_draft_whose_fixed_due_date_passed_cannot_be_approved_and_burns_no_number(
    billing: Billing, draft: Draft
) -> None:
    from datetime import timedelta

    from billing_core.errors import InvoiceInvalid

    stale = await draft("P-1", due_date="2026-11-26")
    with pytest.raises(InvoiceInvalid, match="due_date: 2026-11-26 is before the invoice date"):
        await billing.drafting.approve(stale.id, "U0APPROVER", NOW + timedelta(days=2))
    assert (await billing.queries.invoice(stale.id)).status is Status.DRAFT
    fresh = await draft("P-2")
    approved = await billing.drafting.approve(fresh.id, "U0APPROVER", NOW + timedelta(days=2))
    assert approved.number == "INV-2026-0001"
