"""The monthly report: every metric for one period, as of one day. Pure.

`month_report` computes it from facts alone (what tests and small stores use); the reporting
use case builds the same `MonthReport` with the money sums done in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from billing_core.metrics.facts import Decision, IssuedInvoice, Settlement, Tally
from billing_core.metrics.money_flow import Aging, aging, issued, paid
from billing_core.metrics.stats import DaysSpread
from billing_core.metrics.work_flow import (
    Corrections,
    Turnaround,
    Uninvoiced,
    corrections,
    cycle_time,
    turnaround,
)

UNINVOICED_SHOWN = 50  # the oldest ones listed; `uninvoiced_count` is the true count


@dataclass(frozen=True)
class CurrencyFigures:
    """One currency's money in the period (invoices issued, paid, credit notes issued
    beside the invoices) and as of the report's day (outstanding, overdue, aging: balances
    net of payments and credits)."""

    issued: Tally
    paid: Tally
    aging: Aging
    credit_notes: Tally = field(default_factory=Tally)  # count and gross of the credit notes issued


@dataclass(frozen=True)
class MonthReport:
    """[first, end) is the period; `as_of` is the day balances are taken (the period's last
    day, or today for the month in progress)."""

    first: date
    end: date
    as_of: date
    currencies: Mapping[str, CurrencyFigures]
    cycle_time: DaysSpread
    corrections: Corrections
    turnaround: Turnaround
    uninvoiced: Sequence[Uninvoiced]
    uninvoiced_count: int

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def month(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"


@dataclass(frozen=True)
class Headline:
    """This month's headline figures (the App Home): money per currency, cycle time and
    corrections; no per-record lists, so it stays cheap to compute on every Home open."""

    first: date
    as_of: date
    currencies: Mapping[str, CurrencyFigures]
    cycle_time: DaysSpread
    corrections: Corrections

    @property
    def month(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"


def report_as_of(first: date, end: date, today: date) -> date:
    """Balances are taken on the period's last day, or today if that is earlier."""
    return min(end - timedelta(days=1), today)


def per_currency(
    issued_by: Mapping[str, Tally],
    paid_by: Mapping[str, Tally],
    aging_by: Mapping[str, Aging],
    credit_notes_by: Mapping[str, Tally] | None = None,
) -> dict[str, CurrencyFigures]:
    """Joined by currency code (sorted); a currency missing from one side gets zeros."""
    credits = credit_notes_by or {}
    codes = sorted(set(issued_by) | set(paid_by) | set(aging_by) | set(credits))
    return {
        c: CurrencyFigures(
            issued_by.get(c, Tally()),
            paid_by.get(c, Tally()),
            aging_by.get(c, Aging()),
            credits.get(c, Tally()),
        )
        for c in codes
    }


def month_report(
    invoices: Iterable[IssuedInvoice],
    settlements: Iterable[Settlement],
    decisions: Iterable[Decision],
    uninvoiced_work: Sequence[Uninvoiced],
    first: date,
    end: date,
    today: date,
    credit_notes: Iterable[IssuedInvoice] = (),
) -> MonthReport:
    """Every metric of [first, end) from the facts, balances as of `report_as_of`.
    `credit_notes` are the approved credit notes (their gross as `total`); what they took off
    an invoice comes in `settlements` as credits."""
    invoices = list(invoices)
    settlements = list(settlements)
    as_of = report_as_of(first, end, today)
    return MonthReport(
        first=first,
        end=end,
        as_of=as_of,
        currencies=per_currency(
            issued(invoices, first, end),
            paid(settlements, first, end),
            aging(invoices, settlements, as_of),
            issued(credit_notes, first, end),
        ),
        cycle_time=cycle_time([(i.issue_date, i.service_date) for i in invoices], first, end),
        corrections=corrections(decisions, first, end),
        turnaround=turnaround(invoices, settlements, first, end),
        uninvoiced=tuple(uninvoiced_work[:UNINVOICED_SHOWN]),
        uninvoiced_count=len(uninvoiced_work),
    )
