"""Drafting: snapshots, readiness, one open draft per record, re-drafts after rejection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from billing_core.errors import (
    AlreadyDecided,
    BillingError,
    NotAnApprover,
    RecordNotFound,
    RecordNotReady,
)
from billing_core.records import parse_record
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.store.models import (
    InvoiceEventRow,
    InvoiceLineRow,
    InvoiceRow,
    OutboxRow,
)
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]
Builder = Callable[..., dict[str, Any]]


async def count_rows(billing: Billing, model: Any) -> int:
    async with billing.store.unit_of_work() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_editing_a_record_after_drafting_does_not_change_the_draft(
    billing: Billing, draft: Draft, record_data: Builder
) -> None:
    drafted = await draft("P-123")
    edited = record_data(
        client={"name": "Someone Else Ltd", "email": "x@else.example"},
        line_items=[{"description": "Other", "quantity": "1", "unit_price": "9.99"}],
        currency="USD",
    )
    await billing.records.put(parse_record(edited), LATER)

    again = await billing.queries.invoice(drafted.id)
    assert again.invoice == drafted.invoice
    assert again.invoice.buyer.name == "Müller & Søn GmbH"
    assert [(ln.description, ln.unit_price.amount) for ln in again.invoice.lines] == [
        ("Design hours", Decimal("120.00"))
    ]
    assert str(again.total) == "1428.00 EUR"
    assert (await billing.queries.find("P-123")).invoice == drafted.invoice
    assert (await billing.records.get("P-123")).client.name == "Someone Else Ltd"


async def test_editing_a_record_after_approval_does_not_change_the_final_invoice(
    billing: Billing, draft: Draft, record_data: Builder
) -> None:
    drafted = await draft("P-123")
    final = await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    await billing.records.put(parse_record(record_data(title="Renamed", currency="USD")), LATER)
    found = await billing.queries.find(final.number or "")
    assert found.invoice.title == "Website relaunch"
    assert found.invoice.currency == "EUR"
    assert found.invoice.number == "INV-2026-0001"


async def test_record_not_ready_lists_every_missing_field_and_stores_nothing(
    billing: Billing, record_data: Builder
) -> None:
    data = record_data(client={"country": "DE"}, line_items=None, owner=None)
    await billing.records.put(parse_record(data), NOW)
    with pytest.raises(RecordNotReady) as caught:
        await billing.drafting.start_draft("P-123", "U0OWNER", NOW, origin={"channel": "C0B"})
    assert {p.field for p in caught.value.problems} == {
        "client.name",
        "client.email",
        "line_items",
        "owner",
    }
    assert await count_rows(billing, InvoiceRow) == 0
    assert await count_rows(billing, InvoiceLineRow) == 0
    assert await count_rows(billing, InvoiceEventRow) == 0
    assert await count_rows(billing, OutboxRow) == 0
    assert (await billing.records.overview("P-123")).invoices == []


async def test_drafting_an_unknown_record_names_it(billing: Billing) -> None:
    with pytest.raises(RecordNotFound, match="no record with ID 'P-404'"):
        await billing.drafting.start_draft("P-404", "U0OWNER", NOW)


async def test_drafting_the_same_record_twice_returns_the_open_draft(
    billing: Billing, draft: Draft
) -> None:
    first = await draft("P-123")
    second = await billing.drafting.start_draft("P-123", "U0SOMEONE", LATER)
    assert second.created is False
    assert second.state.id == first.id
    assert second.state.drafted_by == "U0OWNER"
    assert await count_rows(billing, InvoiceRow) == 1


async def test_a_new_draft_after_rejection_supersedes_the_rejected_one(
    billing: Billing, draft: Draft
) -> None:
    first = await draft("P-123")
    rejected = await billing.drafting.reject(
        first.id, "U0APPROVER", "wrong_amount", "hours are 8", NOW
    )
    assert rejected.status is Status.REJECTED
    assert (rejected.rejection_category, rejected.rejection_reason) == (
        "wrong_amount",
        "hours are 8",
    )

    result = await billing.drafting.start_draft("P-123", "U0OWNER", LATER)
    assert result.created is True
    assert result.state.id != first.id
    assert result.state.status is Status.DRAFT
    assert result.state.supersedes_id == first.id
    assert result.supersedes is not None and result.supersedes.id == first.id


async def test_a_record_may_be_invoiced_again_after_approval(
    billing: Billing, draft: Draft
) -> None:
    first = await draft("P-123")
    await billing.drafting.approve(first.id, "U0APPROVER", NOW)
    second = await billing.drafting.start_draft("P-123", "U0OWNER", LATER)
    assert second.created is True
    assert second.state.supersedes_id is None
    assert [s.status for s in (await billing.records.overview("P-123")).invoices] == [
        Status.APPROVED,
        Status.DRAFT,
    ]


async def test_rejecting_needs_a_known_category_and_a_reason(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-123")
    with pytest.raises(BillingError, match="unknown rejection category"):
        await billing.drafting.reject(drafted.id, "U0APPROVER", "because", "x", NOW)
    with pytest.raises(BillingError, match="needs a reason"):
        await billing.drafting.reject(drafted.id, "U0APPROVER", "other", "   ", NOW)
    with pytest.raises(NotAnApprover):
        await billing.drafting.reject(drafted.id, "U0OWNER", "other", "nope", NOW)
    assert (await billing.queries.invoice(drafted.id)).status is Status.DRAFT


async def test_rejecting_twice_says_it_was_already_rejected(billing: Billing, draft: Draft) -> None:
    drafted = await draft("P-123")
    await billing.drafting.reject(drafted.id, "U0APPROVER", "other", "no", NOW)
    with pytest.raises(AlreadyDecided, match=r"already rejected") as caught:
        await billing.drafting.reject(drafted.id, "U0BOSS", "other", "no", NOW)
    assert caught.value.by == "U0APPROVER"
    with pytest.raises(AlreadyDecided, match="already rejected"):
        await billing.drafting.approve(drafted.id, "U0BOSS", NOW)


async def test_a_draft_announces_draft_created_with_its_origin_to_each_subscriber(
    billing: Billing, record_data: Builder
) -> None:
    subscribed = billing.with_subscribers({"chat": None, "documents": frozenset()})
    await billing.records.put(parse_record(record_data()), NOW)
    origin = {"workspace": "T1", "channel": "C1"}
    result = await subscribed.drafting.start_draft("P-123", "U0OWNER", NOW, origin=origin)
    (event,) = await billing.outbox.pending("chat", result.state.id)
    assert event.event == "draft_created" and event.payload["origin"] == origin
    assert await billing.outbox.pending("documents") == []  # it wants no drafts


async def test_drafting_one_record_five_times_at_once_makes_one_draft(
    billing: Billing, record_data: Builder
) -> None:
    await billing.records.put(parse_record(record_data()), NOW)
    results = await asyncio.gather(
        *(billing.drafting.start_draft("P-123", f"U0USER{n}", NOW) for n in range(5))
    )
    assert sorted(r.created for r in results) == [False, False, False, False, True]
    assert len({r.state.id for r in results}) == 1
    assert await count_rows(billing, InvoiceRow) == 1


async def test_a_total_too_large_to_store_is_refused_before_anything_is_stored(
    billing: Billing, record_data: Builder
) -> None:
    lines = [{"description": "Typo", "quantity": "9999999", "unit_price": "99999999"}]
    await billing.records.put(parse_record(record_data(line_items=lines)), NOW)
    with pytest.raises(RecordNotReady, match="line_items: total with tax is too large"):
        await billing.drafting.start_draft("P-123", "U0OWNER", NOW)
    assert await count_rows(billing, InvoiceRow) == 0


async def test_concurrent_upserts_of_a_new_record_report_one_creation(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> None:
    record = parse_record(record_data(id="P-NEW"))
    created = await asyncio.gather(*(billing.records.put(record, NOW) for _ in range(8)))
    assert sorted(created) == [False] * 7 + [True]
