"""Billing summaries over a period (the weekly digest) and month bounds. Pure. The monthly
report lives in billing_core/metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing_core.errors import InvalidMonth


@dataclass(frozen=True)
class PeriodSummary:
    """Per currency: (count, amount) of drafts waiting, issued, paid and overdue; and the
    period's rejections as (record id, category, reason)."""

    first: date
    end: date  # exclusive
    drafts_waiting: dict[str, tuple[int, Decimal]]
    issued: dict[str, tuple[int, Decimal]]
    paid: dict[str, tuple[int, Decimal]]
    overdue: dict[str, tuple[int, Decimal]]
    rejections: list[tuple[str, str, str]]
    # Credit notes issued in the period (count, gross), beside the invoices issued.
    credit_notes: dict[str, tuple[int, Decimal]] = field(default_factory=dict)


# Months a report may ask for: aging looks back from a month's end, and the next month's first
# day must exist (9999-12 raised "year 10000 is out of range"; 0001-01 overflowed in aging).
FIRST_YEAR, LAST_YEAR = 1900, 9998


def month_bounds(text: str | None, today: date) -> tuple[date, date]:
    """[first day, first day of the next month) of YYYY-MM; this month when None."""
    if text is None:
        first = today.replace(day=1)
    else:
        try:
            year, month = (int(part) for part in text.split("-"))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise ValueError(year)
            first = date(year, month, 1)
        except ValueError:
            raise InvalidMonth(
                f"{text!r} is not a month like 2026-11 (from {FIRST_YEAR}-01 to {LAST_YEAR}-12)"
            ) from None
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, end
