"""Events for every transition, documents with their hash, record imports."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing_core.errors import ImportFailed, RecordNotFound
from billing_core.invoice import Invoice
from billing_core.records import parse_record
from billing_core.state import InvoiceState
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]
Builder = Callable[..., dict[str, Any]]


def summary(events: list[Any]) -> list[tuple[Any, ...]]:
    return [(e.actor, e.action, e.from_status, e.to_status, e.amount, e.note) for e in events]


async def test_every_transition_is_an_event_with_who_from_to_and_note(
    billing: Billing, draft: Draft
) -> None:
    drafted = await draft("P-123")
    await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    await billing.settlement.mark_sent("INV-2026-0001", "U0OWNER", NOW)
    await billing.settlement.record_payment("INV-2026-0001", "U0OWNER", NOW, "28.00", NOW.date())
    await billing.settlement.record_payment("INV-2026-0001", "U0BOSS", NOW)
    events = await billing.queries.events(drafted.id)
    assert summary(events) == [
        ("U0OWNER", "draft", None, "draft", None, None),
        ("U0APPROVER", "approve", "draft", "approved", None, None),
        ("U0OWNER", "mark_sent", "approved", "sent", None, None),
        ("U0OWNER", "part_pay", "sent", "sent", Decimal("28.00"), "paid on 2026-11-25"),
        ("U0BOSS", "settle", "sent", "paid", Decimal("1400.00"), None),
    ]
    assert all(e.at == NOW for e in events)


async def test_rejection_and_void_events_keep_the_reason(billing: Billing, draft: Draft) -> None:
    first = await draft("P-1")
    await billing.drafting.reject(
        first.id, "U0BOSS", "wrong_client", "use the holding company", NOW
    )
    assert summary(await billing.queries.events(first.id))[-1] == (
        "U0BOSS",
        "reject",
        "draft",
        "rejected",
        None,
        "Wrong client details: use the holding company",
    )
    second = await draft("P-2")
    await billing.drafting.approve(second.id, "U0APPROVER", NOW)
    await billing.settlement.void("INV-2026-0001", "U0BOSS", "sent twice", NOW)
    assert summary(await billing.queries.events(second.id))[-1] == (
        "U0BOSS",
        "void",
        "approved",
        "void",
        None,
        "sent twice",
    )


async def test_documents_are_kept_with_their_sha256_invoice_and_record(
    billing: Billing, draft: Draft
) -> None:
    rendering = billing.with_renderer(FakeRenderer())
    drafted = await draft("P-123")
    pdf = b"%PDF-1.7 draft of P-123"
    digest = (await rendering.documents.ensure(drafted, "draft", NOW)).sha256
    assert digest == hashlib.sha256(pdf).hexdigest()

    approved = await billing.drafting.approve(drafted.id, "U0APPROVER", NOW)
    final = b"%PDF-1.7 INV-2026-0001"
    await rendering.documents.ensure(approved, "final", NOW)

    kept = await billing.documents.get(drafted.id, "draft")
    assert kept is not None
    assert (kept.invoice_id, kept.record_id, kept.content, kept.sha256) == (
        drafted.id,
        "P-123",
        pdf,
        digest,
    )
    assert kept.filename == f"DRAFT-P-123-{drafted.id}.pdf"
    kept_final = await billing.documents.get(drafted.id, "final")
    assert kept_final is not None
    assert kept_final.filename == "INV-2026-0001.pdf"
    assert kept_final.sha256 == hashlib.sha256(final).hexdigest()


async def test_two_renders_of_one_document_keep_the_first(billing: Billing, draft: Draft) -> None:
    drafted = await draft("P-123")
    for content in (b"one", b"two"):
        async with billing.store.unit_of_work() as uow:
            await uow.documents.keep(drafted.id, "P-123", "draft", "d.pdf", content, NOW)
    kept = await billing.documents.get(drafted.id, "draft")
    assert kept is not None and kept.content == b"one"


class FakeRenderer:
    """Renders "%PDF-1.7 <number or draft of record>": enough to tell documents apart."""

    async def render(self, invoice: Invoice) -> bytes:
        return f"%PDF-1.7 {invoice.number or f'draft of {invoice.record_id}'}".encode()


async def test_import_counts_new_and_updated_records(
    billing: Billing, record_data: Builder
) -> None:
    first = [parse_record(record_data(id="P-1")), parse_record(record_data(id="P-2"))]
    assert await billing.records.import_records(first, NOW) == (2, 0)
    second = [parse_record(record_data(id="P-2", title="New")), parse_record(record_data(id="P-3"))]
    assert await billing.records.import_records(second, NOW) == (1, 1)
    assert (await billing.records.get("P-2")).title == "New"


async def test_import_with_duplicate_ids_imports_nothing(
    billing: Billing, record_data: Builder
) -> None:
    await billing.records.put(parse_record(record_data(id="P-1")), NOW)
    records = [
        parse_record(record_data(id="P-1", title="Changed")),
        parse_record(record_data(id="P-2")),
        parse_record(record_data(id="P-2")),
    ]
    with pytest.raises(ImportFailed, match="record P-2: appears more than once"):
        await billing.records.import_records(records, NOW)
    assert (await billing.records.get("P-1")).title == "Website relaunch"
    with pytest.raises(RecordNotFound):
        await billing.records.get("P-2")


async def test_stored_record_reads_back_unchanged(billing: Billing, record_data: Builder) -> None:
    record = parse_record(record_data())
    assert await billing.records.put(record, NOW) is True
    assert await billing.records.put(record, NOW) is False
    assert await billing.records.get("P-123") == record
