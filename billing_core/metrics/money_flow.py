"""Money per currency: issued, paid, outstanding, overdue and its aging. Pure.

Never sums across currencies: every result is keyed by ISO 4217 code. These are the rules the
store's SQL sums (billing_core/store/repositories/metrics.py) must agree with; the store tests
check both against the same hand-worked history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from billing_core.metrics.facts import IssuedInvoice, Settlement, Tally

# Days past due, inclusive: the accountant's aging buckets.
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91+", 91, None),
)


@dataclass(frozen=True)
class Aging:
    """One currency's open balances as of a day: all of them (`outstanding`), those past due
    (`overdue`), and the overdue ones by bucket label (always all four labels)."""

    outstanding: Tally = field(default_factory=Tally)
    overdue: Tally = field(default_factory=Tally)
    buckets: Mapping[str, Tally] = field(
        default_factory=lambda: {label: Tally() for label, _, _ in AGING_BUCKETS}
    )


def bucket_of(days_past_due: int) -> str | None:
    """The aging bucket label of an invoice this many days past due; None when not yet due."""
    for label, low, high in AGING_BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return label
    return None


def bucket_due_dates(as_of: date) -> list[tuple[str, date | None, date]]:
    """Per bucket: the due dates in it as of `as_of`, as [earliest (None: no limit), latest]
    (what the store compares due_date against, so no backend's date arithmetic is needed)."""
    out = []
    for label, low, high in AGING_BUCKETS:
        earliest = None if high is None else as_of - timedelta(days=high)
        out.append((label, earliest, as_of - timedelta(days=low)))
    return out


def issued(invoices: Iterable[IssuedInvoice], first: date, end: date) -> dict[str, Tally]:
    """Invoices approved in [first, end), voided or not, per currency (count, totals). Given
    credit notes, the same for them: credit notes issued (count, gross)."""
    out: dict[str, Tally] = {}
    for inv in invoices:
        if first <= inv.issue_date < end:
            out[inv.currency] = out.get(inv.currency, Tally()).plus(inv.total)
    return out


def paid(settlements: Iterable[Settlement], first: date, end: date) -> dict[str, Tally]:
    """Payments dated in [first, end) (the payment's own date, not when it was recorded), per
    currency: how many payments and their sum, less the payments reversed in the period
    (their amount only: the count stays how many were made). Credits are not payments."""
    out: dict[str, Tally] = {}
    for s in settlements:
        if s.kind == "credit" or not first <= s.on < end:
            continue
        tally = out.get(s.currency, Tally())
        if s.kind == "payment":
            out[s.currency] = tally.plus(s.amount)
        else:  # a reversal
            out[s.currency] = tally.plus(-s.amount, count=0)
    return out


def balances(
    invoices: Iterable[IssuedInvoice], settlements: Iterable[Settlement], as_of: date
) -> list[tuple[IssuedInvoice, Decimal]]:
    """Each invoice issued on or before `as_of` and not void, with a balance left that day:
    total − payments − credits + reversed payments dated on or before `as_of`."""
    reduced: dict[int, Decimal] = {}
    for s in settlements:
        if s.on <= as_of:
            amount = -s.amount if s.kind == "reversal" else s.amount
            reduced[s.invoice_id] = reduced.get(s.invoice_id, Decimal(0)) + amount
    out = []
    for inv in invoices:
        if inv.void or inv.issue_date > as_of:
            continue
        balance = inv.total - reduced.get(inv.invoice_id, Decimal(0))
        if balance > 0:
            out.append((inv, balance))
    return out


def aging(
    invoices: Iterable[IssuedInvoice], settlements: Iterable[Settlement], as_of: date
) -> dict[str, Aging]:
    """Per currency as of `as_of`: outstanding balances, the overdue ones (due before
    `as_of`) and their split into 1-30, 31-60, 61-90 and 91+ days past due."""
    out: dict[str, Aging] = {}
    for inv, balance in balances(invoices, settlements, as_of):
        current = out.get(inv.currency, Aging())
        label = bucket_of((as_of - inv.due_date).days)
        buckets = dict(current.buckets)
        overdue = current.overdue
        if label is not None:
            buckets[label] = buckets[label].plus(balance)
            overdue = overdue.plus(balance)
        out[inv.currency] = Aging(current.outstanding.plus(balance), overdue, buckets)
    return out
