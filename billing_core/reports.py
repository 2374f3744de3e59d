"""Billing summaries over a period, and the monthly report as plain text lines. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing_core.errors import InvalidMonth
from billing_core.formatting import format_total
from billing_core.status import REJECTION_CATEGORIES


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


def month_bounds(text: str | None, today: date) -> tuple[date, date]:
    """[first day, first day of the next month) of YYYY-MM; this month when None."""
    if text is None:
        first = today.replace(day=1)
    else:
        try:
            year, month = (int(part) for part in text.split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise InvalidMonth(f"{text!r} is not a month like 2026-11") from None
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, end


def _money_lines(
    title: str, per_currency: dict[str, tuple[int, Decimal]], noun: str = "invoice"
) -> list[str]:
    if not per_currency:
        return [f"{title}: none"]
    return [f"{title}:"] + [
        f"  {format_total(amount, currency)}  ({count} {noun}{'s' if count != 1 else ''})"
        for currency, (count, amount) in sorted(per_currency.items())
    ]


def report_lines(summary: PeriodSummary) -> list[str]:
    """Issued, paid, overdue and waiting per currency; rejections by category and reason."""
    last = date.fromordinal(summary.end.toordinal() - 1)
    lines = [f"Billing report {summary.first.isoformat()} to {last.isoformat()}"]
    lines += _money_lines("Issued", summary.issued)
    lines += _money_lines("Credit notes issued", summary.credit_notes, "credit note")
    lines += _money_lines("Paid", summary.paid)
    lines += _money_lines("Overdue now", summary.overdue)
    lines += _money_lines("Drafts waiting now", summary.drafts_waiting)
    lines.append(f"Rejected drafts: {len(summary.rejections)}")
    for record_id, category, reason in summary.rejections:
        label = REJECTION_CATEGORIES.get(category, category)
        lines.append(f"  {record_id}: {label}: {reason}")
    return lines
