"""Use cases on the in-memory store (tests/fakes.py): no database, milliseconds a test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from billing_core.invoice import Invoice
from billing_core.policy import Policy
from billing_core.records import parse_record
from billing_core.state import InvoiceState
from billing_core.usecases import Billing
from tests.fakes import FakeStore

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SUBSCRIBERS = {"chat": None, "documents": frozenset({"invoice_approved"})}


class FakeRenderer:
    """A "PDF" that names what it shows, so documents can be told apart."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    async def render(self, invoice: Invoice) -> bytes:
        label = invoice.number or f"draft of {invoice.record_id}"
        self.rendered.append(label)
        return f"%PDF-1.7 {label}".encode()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def billing(store: FakeStore, policy: Policy, renderer: FakeRenderer) -> Billing:
    return Billing(store, policy, subscribers=SUBSCRIBERS, renderer=renderer)  # type: ignore[arg-type]


Draft = Callable[..., Awaitable[InvoiceState]]


@pytest.fixture
def draft(billing: Billing, record_data: Callable[..., dict[str, Any]]) -> Draft:
    async def make(record_id: str = "P-123", by: str = "U0OWNER", **changes: Any) -> InvoiceState:
        await billing.records.put(parse_record(record_data(id=record_id, **changes)), NOW)
        return (await billing.drafting.start_draft(record_id, by, NOW)).state

    return make
