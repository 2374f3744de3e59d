"""The billing metrics on a hand-built November, every figure worked out by hand below.

History (business dates, policy time zone UTC):
  A  EUR 1000.00  Acme   completed Oct 30, approved Nov 2, sent Nov 3, due Nov 16;
                         400.00 paid Nov 10, 600.00 paid Nov 16 (on its due date)
  B  EUR  500.00  Beta   completed Nov 1, approved Nov 5, due Nov 19; paid Nov 28 (late)
  C  USD 2000.00  Acme   completed Nov 10, approved Nov 10, due Nov 20; paid Dec 3
  D  EUR  300.00  Delta  completed Nov 2, approved Nov 12, then voided
  E  EUR  800.00  Gamma  approved Jul 1, due Jul 31; 200.00 paid Aug 5
  F  USD  100.00  Acme   approved Sep 1, due Sep 15
Decisions: P-1 rejected Nov 1 (wrong amount) and Nov 2 (wrong client), then approved (A);
P-2 rejected Nov 4 (no category: other); A-D approved in November; one rejection in October.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing_core.metrics.facts import Decision, IssuedInvoice, Settlement, Tally
from billing_core.metrics.money_flow import aging, bucket_of, issued, paid
from billing_core.metrics.render import report_csv_rows, report_json, report_text
from billing_core.metrics.report import month_report
from billing_core.metrics.stats import median, nearest_rank
from billing_core.metrics.work_flow import corrections, cycle_time, turnaround, uninvoiced
from billing_core.policy import Policy
from billing_core.records import parse_record

NOV = (date(2026, 11, 1), date(2026, 12, 1))
D = Decimal

INVOICES = [
    IssuedInvoice(1, "EUR", D("1000.00"), date(2026, 11, 2), date(2026, 11, 16), client="Acme",
                  record_id="P-1", service_date=date(2026, 10, 30), sent_on=date(2026, 11, 3)),
    IssuedInvoice(2, "EUR", D("500.00"), date(2026, 11, 5), date(2026, 11, 19), client="Beta",
                  record_id="P-2", service_date=date(2026, 11, 1)),
    IssuedInvoice(3, "USD", D("2000.00"), date(2026, 11, 10), date(2026, 11, 20), client="Acme",
                  record_id="P-3", service_date=date(2026, 11, 10)),
    IssuedInvoice(4, "EUR", D("300.00"), date(2026, 11, 12), date(2026, 11, 26), void=True,
                  client="Delta", record_id="P-4", service_date=date(2026, 11, 2)),
    IssuedInvoice(5, "EUR", D("800.00"), date(2026, 7, 1), date(2026, 7, 31), client="Gamma",
                  record_id="P-5"),
    IssuedInvoice(6, "USD", D("100.00"), date(2026, 9, 1), date(2026, 9, 15), client="Acme",
                  record_id="P-6"),
]  # fmt: skip
SETTLEMENTS = [
    Settlement(1, "EUR", D("400.00"), date(2026, 11, 10)),
    Settlement(1, "EUR", D("600.00"), date(2026, 11, 16), clears=True),
    Settlement(2, "EUR", D("500.00"), date(2026, 11, 28), clears=True),
    Settlement(3, "USD", D("2000.00"), date(2026, 12, 3), clears=True),
    Settlement(5, "EUR", D("200.00"), date(2026, 8, 5)),
]
DECISIONS = [
    Decision("P-9", "rejected", date(2026, 10, 30), "wrong_scope"),
    Decision("P-1", "rejected", date(2026, 11, 1), "wrong_amount"),
    Decision("P-1", "rejected", date(2026, 11, 2), "wrong_client"),
    Decision("P-1", "approved", date(2026, 11, 2)),
    Decision("P-2", "rejected", date(2026, 11, 4), None),
    Decision("P-2", "approved", date(2026, 11, 5)),
    Decision("P-3", "approved", date(2026, 11, 10)),
    Decision("P-4", "approved", date(2026, 11, 12)),
]


def test_issued_counts_every_approval_in_the_month_per_currency_voided_ones_too() -> None:
    assert issued(INVOICES, *NOV) == {
        "EUR": Tally(3, D("1800.00")),  # A + B + D (void after approval still issued)
        "USD": Tally(1, D("2000.00")),  # C
    }


def test_paid_counts_payments_on_their_own_date_never_the_voided_invoice() -> None:
    assert paid(SETTLEMENTS, *NOV) == {"EUR": Tally(3, D("1500.00"))}  # 400 + 600 + 500
    assert paid(SETTLEMENTS, date(2026, 12, 1), date(2027, 1, 1)) == {"USD": Tally(1, D("2000.00"))}


def test_aging_at_the_end_of_november_per_currency() -> None:
    figures = aging(INVOICES, SETTLEMENTS, date(2026, 11, 30))
    eur, usd = figures["EUR"], figures["USD"]
    # EUR: A and B paid, D void; E 800 - 200 = 600, due Jul 31: 122 days past due.
    assert eur.outstanding == eur.overdue == Tally(1, D("600.00"))
    assert eur.buckets["91+"] == Tally(1, D("600.00"))
    # USD: C 2000 (paid only in December) 10 days past due; F 100 due Sep 15: 76 days.
    assert usd.outstanding == Tally(2, D("2100.00"))
    assert usd.buckets["1-30"] == Tally(1, D("2000.00"))
    assert usd.buckets["61-90"] == Tally(1, D("100.00"))
    assert usd.buckets["31-60"] == usd.buckets["91+"] == Tally()


def test_aging_as_of_a_date_in_the_past_uses_the_balances_of_that_day() -> None:
    figures = aging(INVOICES, SETTLEMENTS, date(2026, 11, 12))
    # EUR: A issued, 400 paid by then, due Nov 16: outstanding 600 but not overdue;
    # B not yet due; D is void (never outstanding); E 600 is 104 days past due.
    eur = figures["EUR"]
    assert eur.outstanding == Tally(3, D("1700.00"))  # 600 + 500 + 600
    assert eur.overdue == Tally(1, D("600.00"))
    # USD: C issued Nov 10, due Nov 20 (not overdue); F 58 days past due.
    assert figures["USD"].overdue == Tally(1, D("100.00"))
    assert figures["USD"].buckets["31-60"] == Tally(1, D("100.00"))
    # Before anything was issued, nothing is outstanding.
    assert aging(INVOICES, SETTLEMENTS, date(2026, 6, 30)) == {}


def test_an_invoice_paid_on_its_due_date_was_never_overdue() -> None:
    day = date(2026, 11, 16)  # A's due date; its last 600.00 arrives that day
    assert "EUR" not in {c for c, a in aging(INVOICES[:1], SETTLEMENTS, day).items()}
    assert aging(INVOICES[:1], SETTLEMENTS, date(2026, 11, 15))["EUR"].overdue == Tally()


def test_aging_bucket_edges() -> None:
    assert [bucket_of(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        None, None, "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "91+", "91+",
    ]  # fmt: skip


def test_cycle_time_from_completion_to_approval() -> None:
    # A 3 days, B 4, C 0, D 10 (voided later, but it was approved): median of an even count
    # is the mean of the middle two (3 + 4) / 2; p90 by nearest rank is the 4th of 4.
    spread = cycle_time([(i.issue_date, i.service_date) for i in INVOICES], *NOV)
    assert (spread.count, spread.median, spread.p90) == (4, D("3.5"), 10)


def test_corrections_count_people_s_decisions_in_the_month() -> None:
    c = corrections(DECISIONS, *NOV)
    assert (c.decided, c.rejected, c.rate) == (7, 3, D("0.4286"))  # 3 / 7
    assert c.by_category == {"other": 1, "wrong_amount": 1, "wrong_client": 1}
    assert c.rejected_more_than_once == ("P-1",)
    nothing = corrections(DECISIONS, date(2026, 12, 1), date(2027, 1, 1))
    assert (nothing.decided, nothing.rate) == (0, None)


def test_turnaround_from_sent_or_approval_to_paid_in_full() -> None:
    t = turnaround(INVOICES, SETTLEMENTS, *NOV)
    # A: sent Nov 3, cleared Nov 16: 13 days (its partial payment does not count);
    # B: approved Nov 5 (never marked sent), paid Nov 28: 23 days.
    assert [(p.client, p.median_days) for p in t.by_client] == [("Acme", 13), ("Beta", 23)]
    assert [p.client for p in t.slowest] == ["Beta", "Acme"]
    assert (t.overall.count, t.overall.median, t.overall.p90) == (2, D(18), 23)


def test_uninvoiced_work_oldest_first_with_what_stops_it(policy: Policy) -> None:
    def record(rid: str, completed: str | None, **client: str) -> object:
        data = {
            "id": rid,
            "title": f"Work {rid}",
            "owner": "U0OWNER",
            "client": {"name": "Acme", "email": "ap@acme.test", **client},
            "currency": "EUR",
            "amount": "100.00",
        }
        if completed:
            data["completed_at"] = completed
        return parse_record(data)

    records = [
        record("R-1", "2026-11-20", email="", address=""),  # not ready: no way to reach client
        record("R-2", "2026-11-25"),  # a draft waits
        record("R-3", "2026-11-01"),  # invoiced Nov 2: done
        record("R-4", "2026-11-01"),  # invoiced Oct 1, before this completion: again due
        record("R-5", None),  # not completed
        record("R-6", "2026-12-05"),  # completed after the day we look from
    ]
    last_issued = {"R-3": date(2026, 11, 2), "R-4": date(2026, 10, 1)}
    found = uninvoiced(records, last_issued, frozenset({"R-2"}), policy, date(2026, 11, 30))  # type: ignore[arg-type]
    assert [(u.record_id, u.blocker, u.days_waiting) for u in found] == [
        ("R-4", "ready", 29),
        ("R-1", "not_ready", 10),
        ("R-2", "draft_waiting", 5),
    ]
    assert [p.field for p in found[1].missing] == ["client.email"]


def test_the_report_in_json_csv_and_text() -> None:
    report = month_report(INVOICES, SETTLEMENTS, DECISIONS, [], *NOV, today=date(2026, 12, 10))
    data = report_json(report)
    assert data["period"] == {"month": "2026-11", "first": "2026-11-01", "last": "2026-11-30"}
    assert data["as_of"] == "2026-11-30"
    assert data["currencies"]["EUR"]["issued"] == {"count": 3, "amount": "1800.00"}
    assert data["currencies"]["EUR"]["paid"] == {"count": 3, "amount": "1500.00"}
    assert data["currencies"]["USD"]["paid"] == {"count": 0, "amount": "0.00"}
    assert data["currencies"]["USD"]["aging"]["61-90"] == {"count": 1, "amount": "100.00"}
    assert data["cycle_time_days"] == {"count": 4, "median": "3.5", "p90": 10}
    assert data["corrections"]["rate"] == "0.4286"
    assert data["payment_turnaround_days"]["slowest_payers"][0] == {
        "client": "Beta", "invoices": 1, "median": "23",
    }  # fmt: skip
    rows = report_csv_rows(report)
    assert ("2026-11", "EUR", "issued_amount", "1800.00") in rows
    assert ("2026-11", "USD", "overdue_1-30_amount", "2000.00") in rows
    assert ("2026-11", "", "correction_rate", "0.4286") in rows
    text = "\n".join(report_text(report))
    assert "EUR 1,800.00 (3 invoices)" in text
    assert "Rejected more than once: P-1" in text


def test_credit_notes_are_issued_beside_invoices_and_reduce_what_is_outstanding() -> None:
    """Issue 12 once credit notes exist: outstanding = total − paid − credited, and the credit
    notes issued in the month are counted beside (never inside) the invoices issued. F (USD
    100.00, 61-90 days past due) gets a 40.00 credit note on Nov 20; E (EUR 800.00, 200.00
    paid) a 600.00 one on Dec 2, after the period: still outstanding on Nov 30."""
    notes = [
        IssuedInvoice(7, "USD", D("40.00"), date(2026, 11, 20), date(2026, 11, 20)),
        IssuedInvoice(8, "EUR", D("600.00"), date(2026, 12, 2), date(2026, 12, 2)),
    ]
    credits = [
        Settlement(6, "USD", D("40.00"), date(2026, 11, 20), kind="credit"),
        Settlement(5, "EUR", D("600.00"), date(2026, 12, 2), kind="credit"),
    ]
    report = month_report(
        INVOICES, SETTLEMENTS + credits, DECISIONS, [], *NOV, date(2026, 12, 10), notes
    )
    usd, eur = report.currencies["USD"], report.currencies["EUR"]
    assert usd.credit_notes == Tally(1, D("40.00"))
    assert usd.issued == Tally(1, D("2000.00"))  # C only: a credit note is no invoice
    assert usd.paid == Tally()  # a credit is no payment
    assert usd.aging.buckets["61-90"] == Tally(1, D("60.00"))
    assert eur.credit_notes == Tally()  # E's credit note is dated December
    assert eur.aging.buckets["91+"] == Tally(1, D("600.00"))
    assert report_json(report)["currencies"]["USD"]["credit_notes"] == {
        "count": 1, "amount": "40.00",
    }  # fmt: skip
    assert ("2026-11", "USD", "credit_notes_amount", "40.00") in report_csv_rows(report)
    assert "Credit notes USD 40.00 (1 credit note)" in "\n".join(report_text(report))


def test_a_reversed_payment_comes_back_out_of_paid_and_is_owed_again() -> None:
    reversal = Settlement(2, "EUR", D("500.00"), date(2026, 11, 29), kind="reversal")
    report = month_report(
        INVOICES, [*SETTLEMENTS, reversal], DECISIONS, [], *NOV, today=date(2026, 12, 10)
    )
    eur = report.currencies["EUR"]
    assert eur.paid == Tally(3, D("1000.00"))  # three payments made, 500.00 taken back
    assert eur.aging.buckets["1-30"] == Tally(1, D("500.00"))  # B: due Nov 19, owed again


def test_the_month_in_progress_takes_balances_as_of_today() -> None:
    report = month_report(INVOICES, SETTLEMENTS, DECISIONS, [], *NOV, today=date(2026, 11, 12))
    assert report.as_of == date(2026, 11, 12)
    assert report.currencies["EUR"].aging.outstanding == Tally(3, D("1700.00"))


@given(st.lists(st.integers(0, 400), min_size=1, max_size=60))
def test_median_and_p90_are_values_in_range_and_ordered(days: list[int]) -> None:
    ordered = sorted(days)
    p90 = nearest_rank(days, 90)
    assert p90 in days and median(days) <= p90
    # nearest rank: at least 90 % of values are at or below it, and fewer below it.
    assert sum(d <= p90 for d in days) * 10 >= 9 * len(days)
    assert sum(d < p90 for d in days) * 10 < 9 * len(days)
    assert ordered[0] <= median(days) <= ordered[-1]


def test_median_of_even_and_odd_counts() -> None:
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == D("2.5")
    assert nearest_rank(list(range(1, 11)), 90) == 9  # the 9th of 10
    assert nearest_rank(list(range(1, 12)), 90) == 10  # ceil(9.9): the 10th of 11
    report = month_report([], [], [], [], *NOV, today=date(2026, 12, 10))
    assert report_json(report)["cycle_time_days"] == {"count": 0, "median": None, "p90": None}


@given(
    st.lists(
        st.tuples(st.sampled_from(["EUR", "JPY"]), st.integers(1, 10**6), st.integers(0, 200)),
        max_size=30,
    ),
    st.integers(0, 200),
)
def test_outstanding_is_the_sum_of_its_parts_and_never_mixes_currencies(
    rows: list[tuple[str, int, int]], as_of_day: int
) -> None:
    start = date(2026, 1, 1)
    invoices = [
        IssuedInvoice(n, cur, D(cents) / 100, start, date.fromordinal(start.toordinal() + due))
        for n, (cur, cents, due) in enumerate(rows)
    ]
    as_of = date.fromordinal(start.toordinal() + as_of_day)
    for currency, a in aging(invoices, [], as_of).items():
        mine = [i for i in invoices if i.currency == currency]
        assert a.outstanding.amount == sum(i.total for i in mine)
        assert a.overdue.amount == sum(b.amount for b in a.buckets.values())
        assert a.overdue.amount == sum(i.total for i in mine if i.due_date < as_of)
