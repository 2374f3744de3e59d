"""The audit trail on SQLite and PostgreSQL: every history row is chained in its own
transaction; `verify` holds on a normal history and names the first event (or invoice) that
was changed, deleted or reordered behind the application's back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from billing_core.policy import Policy
from billing_core.state import InvoiceState
from billing_core.store.audit_check import export, verify
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.unit_of_work import Store
from billing_core.usecases import Billing

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Draft = Callable[..., Awaitable[InvoiceState]]
APPROVER, OWNER = "U0APPROVER", "U0OWNER"


def store_of(billing: Billing) -> Store:
    store = billing.engine.store
    assert isinstance(store, Store)
    return store


async def normal_history(billing: Billing, draft: Draft) -> str:
    """Draft, approve, send, pay part, credit: the events of an ordinary invoice."""
    drafted = await draft("P-123")
    number = (await billing.drafting.approve(drafted.id, APPROVER, NOW)).number
    assert number is not None
    await billing.settlement.mark_sent(number, OWNER, NOW)
    await billing.settlement.record_payment(number, OWNER, NOW, "100.00")
    note = await billing.crediting.start_credit(
        number, OWNER, "Hours billed twice", NOW, amount="50"
    )
    await billing.drafting.approve(note.state.id, APPROVER, NOW)
    return number


async def execute(billing: Billing, *statements: str) -> None:
    async with store_of(billing).unit_of_work() as uow:
        for statement in statements:
            await uow.session.execute(text(statement))


async def kinds(billing: Billing) -> list[str]:
    rows = await export(store_of(billing), datetime(2000, 1, 1, tzinfo=UTC), NOW.replace(2100))
    return [r.event.kind for r in rows]


async def test_a_normal_history_is_chained_and_verifies(billing: Billing, draft: Draft) -> None:
    await normal_history(billing, draft)
    assert await kinds(billing) == [
        "chain_started",
        "drafted",
        "approved",
        "sent",
        "paid",
        "drafted",
        "approved",
        "credited",
    ]
    assert await verify(store_of(billing), None) is None


async def test_editing_an_amount_is_named(billing: Billing, draft: Draft) -> None:
    await normal_history(billing, draft)
    # event 5 is the payment (history row 4)
    await execute(billing, "UPDATE invoice_events SET amount = amount * 2 WHERE id = 4")
    assert await verify(store_of(billing), None) == (
        "audit: event 5 changed (its history row 4 differs)"
    )


async def test_editing_an_approved_invoice_total_is_named(billing: Billing, draft: Draft) -> None:
    number = await normal_history(billing, draft)
    await execute(billing, f"UPDATE invoices SET total = total + 1 WHERE number = '{number}'")
    assert await verify(store_of(billing), None) == (
        f"audit: invoice {number} changed since its approval (event 3)"
    )


async def test_editing_an_event_is_named(billing: Billing, draft: Draft) -> None:
    await normal_history(billing, draft)
    await execute(billing, "UPDATE audit_events SET actor = 'U0MALLORY' WHERE id = 4")
    assert await verify(store_of(billing), None) == "audit: event 4 changed"


async def test_deleting_an_event_is_named(billing: Billing, draft: Draft) -> None:
    await normal_history(billing, draft)
    await execute(billing, "DELETE FROM audit_events WHERE id = 4")
    assert await verify(store_of(billing), None) == "audit: event 4 deleted"


async def test_swapping_two_events_is_named(billing: Billing, draft: Draft) -> None:
    await normal_history(billing, draft)
    await execute(
        billing,
        "UPDATE audit_events SET id = -1 WHERE id = 3",
        "UPDATE audit_events SET id = 3 WHERE id = 4",
        "UPDATE audit_events SET id = 4 WHERE id = -1",
    )
    assert await verify(store_of(billing), None) == "audit: event 3 reordered"


async def test_fifty_concurrent_drafts_and_approvals_leave_a_valid_chain(
    billing: Billing, draft: Draft
) -> None:
    # Drafts of different records share no row lock: only the chain's own lock orders them.
    drafts = await asyncio.gather(*(draft(f"P-{n}") for n in range(50)))
    await asyncio.gather(*(billing.drafting.approve(d.id, APPROVER, NOW) for d in drafts))
    assert (await kinds(billing)).count("approved") == 50
    assert await verify(store_of(billing), None) is None


@pytest.fixture
async def keyed_billing(
    database_url: str, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Billing]:
    """A Billing whose chain (from the migration on) is keyed with INVOICEBOT_AUDIT_KEY."""
    monkeypatch.setenv("INVOICEBOT_AUDIT_KEY", "the right key")
    engine = new_async_engine(database_url)
    await upgrade_database(engine)
    try:
        yield Billing(Store(new_sessionmaker(engine)), policy)
    finally:
        await engine.dispose()


async def test_a_keyed_chain_verifies_with_its_key_only(
    keyed_billing: Billing, record_data: Callable[..., dict[str, object]]
) -> None:
    from billing_core.records import parse_record

    await keyed_billing.records.put(parse_record(record_data(id="P-1")), NOW)
    drafted = (await keyed_billing.drafting.start_draft("P-1", OWNER, NOW)).state
    await keyed_billing.drafting.approve(drafted.id, APPROVER, NOW)
    store = store_of(keyed_billing)
    assert await verify(store, b"the right key") is None
    assert await verify(store, b"a wrong key") == "audit: event 1 changed"
    assert await verify(store, None) == "audit: event 1 changed"


async def test_erasing_a_note_keeps_the_chain_but_editing_one_is_named(
    billing: Billing, draft: Draft
) -> None:
    await normal_history(billing, draft)
    # history row 5 is the credit note's draft, its reason the note (event 6)
    await execute(billing, "UPDATE invoice_events SET note = NULL WHERE id = 5")
    assert await verify(store_of(billing), None) is None
    await execute(billing, "UPDATE invoice_events SET note = 'Hours billed once' WHERE id = 5")
    assert await verify(store_of(billing), None) == (
        "audit: event 6 changed (its history row 5 differs)"
    )


async def test_a_delegation_given_and_ended_is_in_the_trail_and_it_still_verifies(
    database_url: str,
) -> None:
    from datetime import date

    from billing_core.policy import parse_policy

    ada, ben = "U0ADA", "U0BEN"
    policy = parse_policy({"approval": {"approvers": [ada], "groups": {"leads": [ada, ben]}}})
    engine = new_async_engine(database_url)
    await upgrade_database(engine)
    try:
        billing = Billing(Store(new_sessionmaker(engine)), policy)
        await billing.delegating.delegate(ada, ben, date(2026, 12, 24), NOW)
        await billing.delegating.end(ada, NOW)
        assert (await kinds(billing))[-2:] == ["delegated", "delegation_ended"]
        assert await verify(store_of(billing), None) is None
    finally:
        await engine.dispose()
