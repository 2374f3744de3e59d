"""Every change goes one way: the table allows it, a history row with the Action value records
it, and one domain event per subscriber announces it, in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing_core.errors import (
    AlreadyDecided,
    InvoiceNotFound,
    NotAnApprover,
)
from billing_core.status import Action, Status
from billing_core.usecases import Billing
from tests.fakes import FakeStore
from tests.usecases.conftest import NOW, Draft, FakeRenderer


async def events_for(billing: Billing, consumer: str, invoice_id: int) -> list[str]:
    return [m.event for m in await billing.outbox.pending(consumer, invoice_id)]


async def test_the_life_of_an_invoice_is_one_history_row_and_one_event_per_change(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft()
    approved = await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    await billing.settlement.mark_sent(approved.number or "", "U0OWNER", NOW)
    await billing.settlement.record_payment(approved.number or "", "U0OWNER", NOW, "400.00")
    await billing.settlement.record_payment(approved.number or "", "U0OWNER", NOW)
    history = [
        (e.action, e.from_status, e.to_status) for e in await billing.queries.events(drafted.id)
    ]
    assert history == [
        (Action.DRAFT, None, "draft"),
        (Action.APPROVE, "draft", "approved"),
        (Action.MARK_SENT, "approved", "sent"),
        (Action.PART_PAY, "sent", "sent"),
        (Action.SETTLE, "sent", "paid"),
    ]
    assert await events_for(billing, "chat", drafted.id) == [
        "draft_created",
        "invoice_approved",
        "invoice_sent",
        "payment_recorded",
        "payment_recorded",
    ]
    assert await events_for(billing, "documents", drafted.id) == ["invoice_approved"]


async def test_an_event_carries_the_status_and_balance_right_after_its_change(
    billing: Billing, draft: Draft
) -> None:
    approved = await billing.drafting.approve((await draft()).id, "U0APPROVER", NOW)
    await billing.settlement.record_payment(approved.number or "", "U0OWNER", NOW, "428.00")
    await billing.settlement.record_payment(approved.number or "", "U0OWNER", NOW, "1000.00")
    payments = [m for m in await billing.outbox.pending("chat") if m.event == "payment_recorded"]
    assert [(m.payload["amount"], m.payload["balance"], m.payload["status"]) for m in payments] == [
        ("428.00", "1000.00", "approved"),
        ("1000.00", "0.00", "paid"),
    ]


async def test_a_refused_change_leaves_no_history_row_and_no_event(
    billing: Billing, draft: Draft, store: FakeStore
) -> None:
    drafted = await draft()
    before = (len(store.data.events), len(store.data.outbox))
    with pytest.raises(NotAnApprover):
        await billing.drafting.approve(drafted.id, "U0STRANGER", NOW)
    with pytest.raises(InvoiceNotFound):  # a draft has no number to name
        await billing.settlement.void("P-123", "U0APPROVER", "nope", NOW)
    with pytest.raises(InvoiceNotFound):
        await billing.settlement.record_payment("P-123", "U0OWNER", NOW)
    assert (len(store.data.events), len(store.data.outbox)) == before
    assert store.data.counters == {}  # no number burned


async def test_a_withdrawn_draft_is_no_rejection_and_can_be_drafted_again(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft()
    withdrawn = await billing.drafting.withdraw(drafted.id, "Slack refused it", NOW)
    assert withdrawn is not None and withdrawn.status is Status.WITHDRAWN
    assert withdrawn.rejection_category is None
    assert await billing.drafting.withdraw(drafted.id, "again", NOW) is None  # once
    summary = await billing.reporting.period_summary(
        NOW.date(), NOW.date() + timedelta(days=1), NOW
    )
    assert summary.rejections == []
    again = await billing.drafting.start_draft("P-123", "U0OWNER", NOW)
    assert again.created and again.supersedes is None  # links only a rejected draft


async def test_a_second_decision_is_already_decided_and_names_who_decided(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft()
    await billing.drafting.reject(drafted.id, "U0BOSS", "wrong_scope", "later", NOW)
    with pytest.raises(AlreadyDecided) as caught:
        await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    assert caught.value.by == "U0BOSS" and "<@" not in str(caught.value)


async def test_only_approvals_reach_the_documents_subscriber_and_it_renders_the_final_pdf(
    billing: Billing, draft: Draft, renderer: FakeRenderer
) -> None:
    approved = await billing.drafting.approve((await draft()).id, "U0APPROVER", NOW)
    (message,) = await billing.outbox.claim("documents", NOW)
    result = await billing.documents.render_on_approval(message, NOW)
    document = await billing.documents.get(approved.id, "final")
    assert document is not None and document.content == b"%PDF-1.7 INV-2026-0001"
    assert result["sha256"] == document.sha256
    await billing.documents.render_on_approval(message, NOW)  # a retry renders nothing new
    assert renderer.rendered == ["INV-2026-0001"]
