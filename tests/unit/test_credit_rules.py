"""Credit notes, the pure rules (billing_core.credit): what may be credited, the split of a
partial gross amount across tax rates with DESIGN.md rounding, and the status afterwards."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_core.credit import (
    check_creditable,
    credit_action,
    credit_lines,
    creditable,
    draft_credit_note,
)
from billing_core.errors import CreditRefused
from billing_core.invoice import Invoice, InvoiceLine, Party
from billing_core.money import Money
from billing_core.state import InvoiceState
from billing_core.status import Action, Status, next_status

D = Decimal
EUR = "EUR"
WHEN = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(D(amount), EUR)


def invoice(*lines: tuple[str, str, str]) -> Invoice:
    """(quantity, unit price, tax rate) lines, numbered INV-2026-0007, issued 2026-11-02."""
    return Invoice(
        record_id="P-1", title="Relaunch", scope_ref="", owner="U0OWNER",
        seller=Party("Northwind"), buyer=Party("Müller"), currency=EUR,
        lines=tuple(
            InvoiceLine(f"line {n}", D(q), eur(p), D(r)) for n, (q, p, r) in enumerate(lines)
        ),
        issue_date=date(2026, 11, 2), due_date=date(2026, 11, 16), number="INV-2026-0007",
    )  # fmt: skip


def state(
    inv: Invoice, status: Status = Status.SENT, paid: str = "0", credited: str = "0"
) -> InvoiceState:
    return InvoiceState(1, inv, status, eur(paid), "U0OWNER", WHEN, credited=D(credited))


# 5 x 7.405 at 19 % and 3 x 33.33 at 7 %: line nets 37.03 (half-up of 37.025) and 99.99,
# taxes 7.04 and 7.00, total 151.06.
TWO_RATES = invoice(("5", "7.405", "19"), ("3", "33.33", "7"))


def test_the_rounding_trap_invoice_totals_as_design_md_says() -> None:
    assert TWO_RATES.total == eur("151.06")
    assert [(t.net, t.tax) for t in TWO_RATES.tax_lines] == [
        (eur("99.99"), eur("7.00")),
        (eur("37.03"), eur("7.04")),
    ]


def test_a_full_credit_repeats_the_invoice_line_by_line() -> None:
    note = draft_credit_note(state(TWO_RATES), None, "Client cancelled", date(2026, 11, 20))
    assert note.is_credit_note and note.lines == TWO_RATES.lines
    assert note.total == TWO_RATES.total
    assert (note.credits_number, note.credits_issue_date) == ("INV-2026-0007", date(2026, 11, 2))
    assert note.issue_date == note.due_date == date(2026, 11, 20)
    assert note.credit_reason == "Client cancelled"


def test_a_partial_credit_splits_the_gross_in_proportion_to_each_rates_gross() -> None:
    # Gross per rate: 106.99 at 7 %, 44.07 at 19 %. 50.00 splits 35.41 / 14.59 (proportion
    # 35.4131 / 14.5869), each share hit exactly by a net plus its half-up tax.
    note = draft_credit_note(state(TWO_RATES), eur("50.00"), "Two hours billed twice", WHEN.date())
    assert note.total == eur("50.00")
    by_rate = {t.rate: (t.net, t.tax) for t in note.tax_lines}
    assert by_rate == {D(7): (eur("33.09"), eur("2.32")), D(19): (eur("12.26"), eur("2.33"))}
    assert [line.description for line in note.lines] == [
        "Credit on invoice INV-2026-0007 (7 % VAT)",
        "Credit on invoice INV-2026-0007 (19 % VAT)",
    ]


def test_a_share_no_net_can_reach_exactly_is_credited_one_cent_below_never_above() -> None:
    # At 19 %: a net of 0.08 gives 0.10 gross and 0.07 gives 0.08; no net gives 0.09.
    lines = credit_lines(invoice(("1", "100.00", "19")), eur("0.09"), "Credit")
    assert lines[0].net == eur("0.07")


@given(cents=st.integers(min_value=1, max_value=15106))
def test_a_partial_credit_is_never_more_than_asked_and_at_most_a_cent_per_rate_less(
    cents: int,
) -> None:
    asked = Money(D(cents).scaleb(-2), EUR)
    note = draft_credit_note(state(TWO_RATES), asked, "r", WHEN.date())
    assert note.total <= asked
    assert (asked - note.total).amount <= D("0.02")
    assert all(t.net.amount >= 0 and t.tax.amount >= 0 for t in note.tax_lines)


def test_no_more_than_what_is_still_creditable() -> None:
    half_credited = state(TWO_RATES, credited="100.00")
    assert creditable(half_credited) == eur("51.06")
    with pytest.raises(CreditRefused, match=r"51\.06"):
        check_creditable(half_credited, eur("51.07"))
    assert check_creditable(half_credited, None) == eur("51.06")
    rest = draft_credit_note(half_credited, None, "the rest", WHEN.date())
    assert rest.total == eur("51.06")  # what remains, split by rate, to the cent


@pytest.mark.parametrize(
    ("status", "why"),
    [(Status.DRAFT, "draft"), (Status.VOID, "void"), (Status.REJECTED, "rejected")],
)
def test_only_approved_sent_or_paid_invoices_are_credited(status: Status, why: str) -> None:
    with pytest.raises(CreditRefused, match=why):
        check_creditable(state(TWO_RATES, status), None)


def test_a_fully_credited_invoice_or_a_credit_note_is_not_credited() -> None:
    with pytest.raises(CreditRefused, match="fully credited"):
        check_creditable(state(TWO_RATES, credited="151.06"), None)
    note = dataclasses.replace(state(TWO_RATES, Status.ISSUED), credits_id=9)
    with pytest.raises(CreditRefused, match="is a credit note"):
        check_creditable(note, None)


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.005"])
def test_a_credit_amount_must_be_positive_and_in_the_currencys_minor_unit(amount: str) -> None:
    with pytest.raises(CreditRefused, match="amount"):
        check_creditable(state(TWO_RATES), eur(amount))


def test_balance_is_total_less_paid_less_credited() -> None:
    s = state(TWO_RATES, paid="51.06", credited="50.00")
    assert s.balance == eur("50.00")


@pytest.mark.parametrize(
    ("status", "paid", "credit", "action", "after"),
    [
        (Status.SENT, "0", "151.06", Action.CREDIT_CLOSE, Status.CREDITED),
        (Status.APPROVED, "0", "151.06", Action.CREDIT_CLOSE, Status.CREDITED),
        (Status.SENT, "0", "50.00", Action.CREDIT, Status.SENT),
        (Status.SENT, "101.06", "50.00", Action.CREDIT_SETTLE, Status.PAID),
        (Status.SENT, "101.06", "60.00", Action.CREDIT_SETTLE, Status.PAID),  # 10.00 refund
        (Status.PAID, "151.06", "20.00", Action.CREDIT, Status.PAID),  # 20.00 refund
    ],
)
def test_the_invoice_follows_its_credit(
    status: Status, paid: str, credit: str, action: Action, after: Status
) -> None:
    s = state(TWO_RATES, status, paid=paid)
    assert credit_action(s, eur(credit)) is action
    assert next_status(status, action) is after


def test_a_paid_invoice_credited_owes_a_refund() -> None:
    s = state(TWO_RATES, Status.PAID, paid="151.06", credited="20.00")
    assert s.refund_owed == eur("20.00") and s.balance.is_zero()


def test_a_credit_beyond_what_is_left_is_refused_at_issue_time() -> None:
    with pytest.raises(CreditRefused, match="meanwhile"):
        credit_action(state(TWO_RATES, credited="100.00"), eur("60.00"))
