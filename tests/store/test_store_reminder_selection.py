"""The reminder selection in SQL equals the pure rule (`reminders.reminders_due`) on random
stores: statuses, due dates, stages, snoozes, partial payments, sent and half-claimed ledger
rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from billing_core.invoice import Invoice, InvoiceLine, Party
from billing_core.invoice_json import invoice_to_json
from billing_core.money import Money
from billing_core.reminders import DueReminder, OverdueInvoice, reminders_due
from billing_core.status import Status
from billing_core.store.engine import new_async_engine, new_sessionmaker, upgrade_database
from billing_core.store.models import InvoiceRow, RecordRow, ReminderLedgerRow
from billing_core.store.unit_of_work import Store
from handlers import chasing_blocks

TODAY = date(2026, 12, 15)
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
STALE_BEFORE = NOW - timedelta(minutes=10)
OWNERS = ["", "U0ANNA", "U0BEN", "U0CARL"]
BOUNDARIES = sorted({-days + off for days in (0, 1, 3, 7, 14, 30, 45) for off in (-1, 0, 1)})

invoice_rows = st.lists(
    st.fixed_dictionaries(
        {
            # mostly open invoices, due around the stage boundaries (where off-by-ones hide)
            "status": st.one_of(
                st.sampled_from([Status.APPROVED, Status.SENT]), st.sampled_from(list(Status))
            ),
            "due_in": st.one_of(st.sampled_from(BOUNDARIES), st.integers(-70, 5)),
            "paid": st.sampled_from(["0", "40", "100"]),
            "snoozed_in": st.one_of(st.none(), st.integers(-3, 3)),
            "owner": st.sampled_from(OWNERS),
            "ledger": st.lists(
                st.tuples(st.integers(1, 4), st.sampled_from(["sent", "fresh", "stale"])),
                max_size=3,
                unique_by=lambda t: t[0],
            ),
        }
    ),
    max_size=25,
)
stages = st.lists(st.sampled_from([1, 3, 7, 14, 30, 45]), min_size=1, max_size=4, unique=True).map(
    lambda days: tuple(sorted(days))
)


def draw(strategy: Any, count: int) -> list[Any]:
    found: list[Any] = []

    @settings(max_examples=count, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


def snapshot(n: int, owner: str, due: date) -> dict[str, Any]:
    invoice = Invoice(
        record_id=f"P-{n}", title="", scope_ref="", owner=owner, seller=Party("S"),
        buyer=Party(f"Client {n}"), currency="EUR",
        lines=(InvoiceLine("Work", Decimal(1), Money(Decimal("100.00"), "EUR"), Decimal(0)),),
        issue_date=due - timedelta(days=14), due_date=due, number=f"INV-{n}",
    )  # fmt: skip
    return invoice_to_json(invoice)


async def test_the_sql_selection_is_the_pure_rule(database_url: str) -> None:
    engine = new_async_engine(database_url)
    await upgrade_database(engine)
    store = Store(new_sessionmaker(engine))
    scenarios = draw(st.tuples(invoice_rows, stages), 120)
    try:
        async with store.unit_of_work() as uow:
            records = [
                {"id": f"P-{n}", "kind": "project", "title": "", "owner": "", "data": {},
                 "created_at": NOW, "updated_at": NOW}
                for n in range(1, 26)
            ]  # fmt: skip
            await uow.session.execute(insert(RecordRow).values(records))
        for rows, stage_days in scenarios:
            async with store.unit_of_work() as uow:
                await uow.session.execute(delete(ReminderLedgerRow))
                await uow.session.execute(delete(InvoiceRow))
                ledger = []
                for n, row in enumerate(rows, start=1):
                    due = TODAY + timedelta(days=row["due_in"])
                    snoozed = row["snoozed_in"]
                    until = None if snoozed is None else TODAY + timedelta(days=snoozed)
                    await uow.session.execute(
                        insert(InvoiceRow).values(
                            id=n, record_id=f"P-{n}", number=f"INV-{n}",
                            status=row["status"].value, currency="EUR", total=Decimal(100),
                            paid=Decimal(row["paid"]), issue_date=due - timedelta(days=14),
                            due_date=due, owner=row["owner"], client_name="C",
                            snapshot=snapshot(n, row["owner"], due), drafted_by="U0",
                            drafted_at=NOW, updated_at=NOW, snoozed_until=until,
                        )
                    )  # fmt: skip
                    for stage, kind in row["ledger"]:
                        claimed = STALE_BEFORE - timedelta(minutes=1 if kind == "stale" else -1)
                        ledger.append({"invoice_id": n, "stage": stage, "run_date": TODAY,
                                       "claimed_at": claimed,
                                       "sent_at": NOW if kind == "sent" else None})  # fmt: skip
                if ledger:
                    await uow.session.execute(insert(ReminderLedgerRow).values(ledger))
            async with store.unit_of_work(read_only=True) as uow:
                selected = await uow.ledger.due_stages(TODAY, stage_days, STALE_BEFORE)
                states = list((await uow.invoices.many(list(range(1, len(rows) + 1)))).values())
                sent = await uow.ledger.stages([s.id for s in states], STALE_BEFORE)
            expected = [r.due_stage() for r in reminders_due(states, sent, TODAY, stage_days)]
            assert selected == expected, (rows, stage_days)
    finally:
        await engine.dispose()


async def test_a_reminder_reads_from_columns_what_the_invoice_itself_says(
    database_url: str,
) -> None:
    """The reminder DM is composed from columns (`overdue_many`), not the snapshot: it says
    what the full invoice says, for partial payments, credits, locales and currencies."""
    engine = new_async_engine(database_url)
    await upgrade_database(engine)
    store = Store(new_sessionmaker(engine))
    cases = [  # (currency, locale, unit price, paid, credited, status)
        ("EUR", "de_DE", "1234.565", "0", "0", Status.SENT),
        ("EUR", "en_US", "99.99", "33.335", "10.004", Status.APPROVED),
        ("JPY", "ja_JP", "12345", "1000", "0", Status.SENT),
        ("BHD", "en_US", "10.1235", "0.0005", "0", Status.SENT),
        ("EUR", "fr_FR", "50", "50", "0", Status.PAID),
    ]
    try:
        ids = []
        async with store.unit_of_work() as uow:
            records = [
                {"id": f"P-{n}", "kind": "project", "title": "", "owner": "", "data": {},
                 "created_at": NOW, "updated_at": NOW}
                for n in range(1, len(cases) + 1)
            ]  # fmt: skip
            await uow.session.execute(insert(RecordRow).values(records))
            for n, (currency, locale, price, paid, credited, status) in enumerate(cases, 1):
                invoice = Invoice(
                    record_id=f"P-{n}", title="", scope_ref="", owner="U0ANNA",
                    seller=Party("S"), buyer=Party(f"Müller & <Søn> {n}"), currency=currency,
                    lines=(InvoiceLine("Work", Decimal(3), Money(Decimal(price), currency),
                                       Decimal(19)),),
                    issue_date=TODAY - timedelta(days=40), due_date=TODAY - timedelta(days=n),
                    number=f"INV-{n}", locale=locale,
                )  # fmt: skip
                invoice_id = await uow.invoices.add(invoice, "U0", NOW)
                await uow.session.execute(
                    update(InvoiceRow)
                    .where(InvoiceRow.id == invoice_id)
                    .values(status=status.value, number=f"INV-{n}", paid=Decimal(paid),
                            credited=Decimal(credited))
                )  # fmt: skip
                ids.append(invoice_id)
        async with store.unit_of_work(read_only=True) as uow:
            from_columns = await uow.invoices.overdue_many(ids)
            states = await uow.invoices.many(ids)
        assert from_columns == {i: OverdueInvoice.of(s) for i, s in states.items()}
        for i in ids:
            by_columns = DueReminder(from_columns[i], 1, 5, last_stage=False)
            by_state = DueReminder(OverdueInvoice.of(states[i]), 1, 5, last_stage=False)
            line = chasing_blocks.reminder_line(by_columns, {})
            assert line == chasing_blocks.reminder_line(by_state, {})
        first = DueReminder(from_columns[ids[0]], 1, 5, last_stage=False)
        # 3 x 1,234.565 = 3,703.70 net, 19 % tax 703.70, in German style
        assert "4.407,40\xa0€ due" in chasing_blocks.reminder_line(first, {})
    finally:
        await engine.dispose()


async def test_marking_sent_marks_exactly_the_pairs_given(database_url: str) -> None:
    """A claim is marked sent pair by pair: another stage of the same invoice, and pairs
    not given, stay claimed and unsent (and so are released or retaken), across the
    500-invoice statements a large batch is cut into."""
    engine = new_async_engine(database_url)
    await upgrade_database(engine)
    store = Store(new_sessionmaker(engine))
    later = NOW + timedelta(minutes=3)
    many = range(1, 1203)  # three statements for stage 1
    try:
        async with store.unit_of_work() as uow:
            await uow.session.execute(
                insert(RecordRow).values(
                    [{"id": "P-1", "kind": "project", "title": "", "owner": "", "data": {},
                      "created_at": NOW, "updated_at": NOW}]
                )
            )  # fmt: skip
            await uow.session.execute(
                insert(InvoiceRow),
                [
                    {"id": n, "record_id": "P-1", "number": f"INV-{n}", "status": "sent",
                     "currency": "EUR", "total": Decimal(100), "paid": Decimal(0),
                     "issue_date": TODAY, "due_date": TODAY, "owner": "U0ANNA",
                     "client_name": "C", "snapshot": {}, "drafted_by": "U0",
                     "drafted_at": NOW, "updated_at": NOW}
                    for n in many
                ],
            )  # fmt: skip
            pairs = [(n, 1, "U0ANNA") for n in many] + [(7, 2, "U0ANNA"), (8, 2, "U0ANNA")]
            # A pair given twice is claimed once, on PostgreSQL too (which refuses one
            # statement touching a row twice).
            twice = [(5, 1, "U0ANNA"), (8, 2, "U0ANNA")]
            claimed = await uow.ledger.claim(pairs + twice, TODAY, NOW, STALE_BEFORE)
        assert len(claimed) == len(pairs)
        sent = [(n, 1) for n in many if n != 8] + [(8, 2)]  # not (8, 1) nor (7, 2)
        async with store.unit_of_work() as uow:
            await uow.ledger.mark_sent(sent, later)
        async with store.unit_of_work() as uow:
            await uow.ledger.release([(8, 1), (7, 2), (7, 1)])  # (7, 1) is sent: it stays
        async with store.unit_of_work(read_only=True) as uow:
            rows = (await uow.session.execute(
                select(ReminderLedgerRow.invoice_id, ReminderLedgerRow.stage,
                       ReminderLedgerRow.sent_at)
            )).all()  # fmt: skip
        marked = {(i, s): at for i, s, at in rows}
        assert set(marked) == set(sent)  # the released, unsent claims are gone
        assert all(at == later for at in marked.values())
    finally:
        await engine.dispose()
