"""The metrics out of SQLite and PostgreSQL: the same hand-worked November on both.

All through the use cases (business time zone UTC). Records (1428.00 each: 10 h x 120.00 +
19 % VAT):
  P-1 EUR  completed Oct 30; rejected Nov 1 (wrong amount) and Nov 2 (wrong client), then
           approved Nov 2, sent Nov 3, due Nov 16; 400.00 paid Nov 10, the rest on Nov 16
  P-2 USD  completed Nov 10, approved Nov 10, due Nov 20, unpaid
  P-3 EUR  completed Nov 2, approved Nov 12, voided Nov 13 (due Nov 26)
  P-4 EUR  client Beta AG, completed Nov 1, approved Nov 5, due Nov 19, paid Nov 28 (recorded
           Dec 2)
  P-5 EUR  completed Nov 20, no way to reach the client: cannot be drafted
  P-6 EUR  completed Nov 25, a draft waits since Nov 26
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from billing_core.metrics.facts import Tally
from billing_core.metrics.journal import journal_csv_rows
from billing_core.metrics.render import report_json
from billing_core.records import parse_record
from billing_core.usecases import Billing

NOV = (date(2026, 11, 1), date(2026, 12, 1))
OWNER, APPROVER = "U0OWNER", "U0APPROVER"
D = Decimal


def at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


async def build_november(billing: Billing, record_data: Callable[..., dict[str, Any]]) -> None:
    async def put(rid: str, completed: str, due: str, **changes: Any) -> None:
        data = record_data(id=rid, completed_at=completed, due_date=due, **changes)
        await billing.records.put(parse_record(data), at(1, 10))

    async def draft(rid: str, day: int) -> int:
        return (await billing.drafting.start_draft(rid, OWNER, at(day))).state.id

    async def approve(rid: str, day: int) -> str:
        state = await billing.drafting.approve(await draft(rid, day), APPROVER, at(day))
        assert state.number is not None
        return state.number

    await put("P-1", "2026-10-30", "2026-11-16")
    for day, category in ((1, "wrong_amount"), (2, "wrong_client")):
        await billing.drafting.reject(await draft("P-1", day), APPROVER, category, "fix", at(day))
    p1 = await approve("P-1", 2)
    await billing.settlement.mark_sent(p1, OWNER, at(3))
    await billing.settlement.record_payment(p1, OWNER, at(10), "400.00", date(2026, 11, 10))
    await billing.settlement.record_payment(p1, OWNER, at(16), None, date(2026, 11, 16))

    await put("P-2", "2026-11-10", "2026-11-20", currency="USD")
    await approve("P-2", 10)

    await put("P-3", "2026-11-02", "2026-11-26")
    await billing.settlement.void(await approve("P-3", 12), APPROVER, "sent twice", at(13))

    beta = {**record_data()["client"], "name": "Beta AG"}
    await put("P-4", "2026-11-01", "2026-11-19", client=beta)
    p4 = await approve("P-4", 5)
    await billing.settlement.record_payment(p4, OWNER, at(2, 12), None, date(2026, 11, 28))

    nobody = {"name": "Gamma SA"}
    await put("P-5", "2026-11-20", "2026-12-20", client=nobody)
    await put("P-6", "2026-11-25", "2026-12-20")
    await draft("P-6", 26)


async def test_the_november_report_from_the_store(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> None:
    await build_november(billing, record_data)
    report = await billing.metrics.month_report(*NOV, at(10, 12))
    eur, usd = report.currencies["EUR"], report.currencies["USD"]
    assert report.as_of == date(2026, 11, 30)
    assert eur.issued == Tally(3, D("4284.00"))  # P-1, P-3 (voided after), P-4
    assert usd.issued == Tally(1, D("1428.00"))
    assert eur.paid == Tally(3, D("2856.00"))  # 400 + 1028 + 1428, on their own dates
    assert usd.paid == Tally()
    assert eur.aging.outstanding == Tally()  # paid, paid, void
    assert usd.aging.outstanding == usd.aging.overdue == Tally(1, D("1428.00"))
    assert usd.aging.buckets["1-30"] == Tally(1, D("1428.00"))  # 10 days past due

    data = report_json(report)
    assert data["cycle_time_days"] == {"count": 4, "median": "3.5", "p90": 10}  # 0, 3, 4, 10
    assert data["corrections"] == {
        "decided": 6,
        "rejected": 2,
        "rate": "0.3333",
        "by_category": {"wrong_amount": 1, "wrong_client": 1},
        "rejected_more_than_once": ["P-1"],
    }
    turnaround = data["payment_turnaround_days"]
    assert turnaround["slowest_payers"] == [
        {"client": "Beta AG", "invoices": 1, "median": "23"},  # approved Nov 5, paid Nov 28
        {"client": "Müller & Søn GmbH", "invoices": 1, "median": "13"},  # sent Nov 3 -> 16
    ]
    assert data["uninvoiced"]["count"] == 3
    work = [
        (u["record_id"], u["blocker"], u["days_waiting"]) for u in data["uninvoiced"]["records"]
    ]
    assert work == [
        ("P-3", "not_ready", 28),  # voided: to invoice again, but its due date has passed
        ("P-5", "not_ready", 10),
        ("P-6", "draft_waiting", 5),
    ]
    assert [m["field"] for m in data["uninvoiced"]["records"][1]["missing"]] == ["client.email"]


async def test_aging_as_of_past_days_from_the_store(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> None:
    await build_november(billing, record_data)
    async with billing.store.unit_of_work(read_only=True) as uow:
        nov18 = await uow.metrics.aging(date(2026, 11, 18))
        nov25 = await uow.metrics.aging(date(2026, 11, 25))
    # Nov 18: P-1 paid in full on the 16th; P-4 open, due tomorrow; P-3 void; P-2 not due.
    assert nov18["EUR"].outstanding == Tally(1, D("1428.00"))
    assert nov18["EUR"].overdue == Tally()
    assert nov18["USD"].outstanding == Tally(1, D("1428.00"))
    # Nov 25: P-4 six days past due, P-2 five: both 1-30.
    assert nov25["EUR"].buckets["1-30"] == Tally(1, D("1428.00"))
    assert nov25["USD"].buckets["1-30"] == Tally(1, D("1428.00"))
    # On Nov 10 P-1 had 1028.00 left (400.00 paid that day), not yet due.
    async with billing.store.unit_of_work(read_only=True) as uow:
        nov10 = await uow.metrics.aging(date(2026, 11, 10))
    assert nov10["EUR"].outstanding == Tally(2, D("2456.00"))  # 1028 (P-1) + 1428 (P-4)


async def test_the_journal_lists_every_invoice_issued_in_the_month(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> None:
    await build_november(billing, record_data)
    rows = journal_csv_rows(await billing.metrics.journal(*NOV))
    assert rows[0] == [
        "number", "issue_date", "client", "currency", "status",
        "net_19", "vat_19", "net", "vat", "total", "credits",
    ]  # fmt: skip
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [
        ("2026-11-02", "EUR", "paid"),
        ("2026-11-05", "EUR", "paid"),
        ("2026-11-10", "USD", "approved"),
        ("2026-11-12", "EUR", "void"),
    ]
    assert rows[1][5:] == ["1200.00", "228.00", "1200.00", "228.00", "1428.00", ""]
    assert rows[4][2] == "Müller & Søn GmbH"


async def test_credit_notes_beside_invoices_and_outstanding_net_of_credits(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> None:
    """Issue 12 once credit notes exist: outstanding is total − paid − credited (as of each
    day), issued shows the credit notes beside the invoices, and the journal lists the credit
    note as a row of its own with its amounts as a credit."""
    await build_november(billing, record_data)
    # P-2 (USD 1428.00, unpaid): 428.00 credited on Nov 20.
    note = await billing.crediting.start_credit(
        "INV-2026-0002", OWNER, "8 h not done", at(20), amount="428.00"
    )
    await billing.drafting.approve(note.state.id, APPROVER, at(20))

    report = await billing.metrics.month_report(*NOV, at(10, 12))
    usd = report.currencies["USD"]
    assert usd.issued == Tally(1, D("1428.00"))  # the invoice, not the credit note
    assert usd.credit_notes == Tally(1, D("428.00"))
    assert usd.aging.outstanding == usd.aging.overdue == Tally(1, D("1000.00"))
    assert report.currencies["EUR"].credit_notes == Tally()
    data = report_json(report)
    assert data["currencies"]["USD"]["credit_notes"] == {"count": 1, "amount": "428.00"}
    assert data["currencies"]["USD"]["outstanding"] == {"count": 1, "amount": "1000.00"}
    async with billing.store.unit_of_work(read_only=True) as uow:
        before = await uow.metrics.aging(date(2026, 11, 19))  # the day before the credit
    assert before["USD"].outstanding == Tally(1, D("1428.00"))

    rows = journal_csv_rows(await billing.metrics.journal(*NOV))
    assert rows[0][-1] == "credits"
    (credit,) = [r for r in rows[1:] if r[0].startswith("CN-")]
    assert credit[:5] == ["CN-2026-0001", "2026-11-20", "Müller & Søn GmbH", "USD", "issued"]
    assert credit[5:] == ["-359.66", "-68.34", "-359.66", "-68.34", "-428.00", "INV-2026-0002"]
    assert [r[0] for r in rows[1:]][-1] == "CN-2026-0001"  # in issue order, after Nov 12


async def test_a_reversed_payment_leaves_paid_and_is_outstanding_again(
    billing: Billing, record_data: Callable[..., dict[str, Any]]
) -> None:
    await build_november(billing, record_data)
    await billing.corrections.unpay("INV-2026-0001", OWNER, "bounced", at(20))
    report = await billing.metrics.month_report(*NOV, at(10, 12))
    eur = report.currencies["EUR"]
    assert eur.paid == Tally(3, D("1828.00"))  # 2856.00 less the 1028.00 taken back
    assert eur.aging.outstanding == Tally(1, D("1028.00"))  # INV-2026-0001 again
