"""The monthly report as JSON (stable keys, amounts as decimal strings), CSV rows
(`period,currency,metric,value`) and plain text lines. Pure. Every JSON key is documented in
the README ("Billing metrics")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing_core.formatting import format_total
from billing_core.metrics.facts import Tally
from billing_core.metrics.money_flow import AGING_BUCKETS
from billing_core.metrics.report import MonthReport
from billing_core.metrics.stats import DaysSpread
from billing_core.money import quantum
from billing_core.status import REJECTION_CATEGORIES

CSV_HEADER = ("period", "currency", "metric", "value")


def amount_text(amount: Decimal, currency: str) -> str:
    """The amount at the currency's minor unit, as a plain decimal string ("1428.00")."""
    return str(amount.quantize(quantum(currency)))


def days_text(value: Decimal | None) -> str | None:
    """Days as a plain decimal string: "23", "3.5" (never "1E+2")."""
    if value is None:
        return None
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _tally(tally: Tally, currency: str) -> dict[str, Any]:
    return {"count": tally.count, "amount": amount_text(tally.amount, currency)}


def _spread(spread: DaysSpread) -> dict[str, Any]:
    return {"count": spread.count, "median": days_text(spread.median), "p90": spread.p90}


def report_json(report: MonthReport) -> dict[str, Any]:
    """The report as JSON-ready data (see the README for every key)."""
    money = {
        code: {
            "issued": _tally(f.issued, code),
            "credit_notes": _tally(f.credit_notes, code),
            "paid": _tally(f.paid, code),
            "outstanding": _tally(f.aging.outstanding, code),
            "overdue": _tally(f.aging.overdue, code),
            "aging": {label: _tally(f.aging.buckets[label], code) for label, _, _ in AGING_BUCKETS},
        }
        for code, f in report.currencies.items()
    }
    c = report.corrections
    t = report.turnaround
    return {
        "period": {
            "month": report.month,
            "first": report.first.isoformat(),
            "last": report.last.isoformat(),
        },
        "as_of": report.as_of.isoformat(),
        "currencies": money,
        "cycle_time_days": _spread(report.cycle_time),
        "corrections": {
            "decided": c.decided,
            "rejected": c.rejected,
            "rate": None if c.rate is None else str(c.rate),
            "by_category": dict(c.by_category),
            "rejected_more_than_once": list(c.rejected_more_than_once),
        },
        "payment_turnaround_days": {
            **_spread(t.overall),
            "by_client": [
                {"client": p.client, "invoices": p.invoices, "median": days_text(p.median_days)}
                for p in t.by_client
            ],
            "slowest_payers": [
                {"client": p.client, "invoices": p.invoices, "median": days_text(p.median_days)}
                for p in t.slowest
            ],
        },
        "uninvoiced": {
            "count": report.uninvoiced_count,
            "records": [
                {
                    "record_id": u.record_id,
                    "title": u.title,
                    "owner": u.owner,
                    "completed_at": u.completed_at.isoformat(),
                    "days_waiting": u.days_waiting,
                    "blocker": u.blocker,
                    "missing": [{"field": p.field, "problem": p.message} for p in u.missing],
                }
                for u in report.uninvoiced
            ],
        },
    }


def report_csv_rows(report: MonthReport) -> list[tuple[str, str, str, str]]:
    """(period, currency, metric, value) rows: money per currency; the currency-free figures
    with an empty currency. Amounts are decimal strings; an absent median is empty."""
    period = report.month
    rows: list[tuple[str, str, str, str]] = []
    for code, f in report.currencies.items():
        tallies = [
            ("issued", f.issued),
            ("credit_notes", f.credit_notes),
            ("paid", f.paid),
            ("outstanding", f.aging.outstanding),
            ("overdue", f.aging.overdue),
        ] + [(f"overdue_{label}", f.aging.buckets[label]) for label, _, _ in AGING_BUCKETS]
        for name, tally in tallies:
            rows.append((period, code, f"{name}_count", str(tally.count)))
            rows.append((period, code, f"{name}_amount", amount_text(tally.amount, code)))
    c = report.corrections
    t = report.turnaround.overall
    cycle = report.cycle_time
    plain = [
        ("cycle_time_days_count", str(cycle.count)),
        ("cycle_time_days_median", days_text(cycle.median) or ""),
        ("cycle_time_days_p90", "" if cycle.p90 is None else str(cycle.p90)),
        ("drafts_decided", str(c.decided)),
        ("drafts_rejected", str(c.rejected)),
        ("correction_rate", "" if c.rate is None else str(c.rate)),
    ]
    plain += [(f"rejected_{cat}", str(n)) for cat, n in c.by_category.items()]
    plain += [
        ("payment_turnaround_days_count", str(t.count)),
        ("payment_turnaround_days_median", days_text(t.median) or ""),
        ("payment_turnaround_days_p90", "" if t.p90 is None else str(t.p90)),
        ("uninvoiced_records", str(report.uninvoiced_count)),
    ]
    rows += [(period, "", name, value) for name, value in plain]
    return rows


def _tally_text(tally: Tally, code: str) -> str:
    noun = "invoice" if tally.count == 1 else "invoices"
    return f"{format_total(tally.amount, code)} ({tally.count} {noun})"


def report_text(report: MonthReport) -> list[str]:
    """For people: money per currency, then cycle time, corrections, payers, uninvoiced."""
    lines = [
        f"Billing report {report.first.isoformat()} to {report.last.isoformat()} "
        f"(balances as of {report.as_of.isoformat()})"
    ]
    if not report.currencies:
        lines.append("No invoices issued, paid or open.")
    for code, f in report.currencies.items():
        lines.append(f"{code}:")
        lines.append(f"  Issued       {_tally_text(f.issued, code)}")
        if f.credit_notes.count:
            notes = f.credit_notes
            noun = "credit note" if notes.count == 1 else "credit notes"
            lines.append(
                f"  Credit notes {format_total(notes.amount, code)} ({notes.count} {noun})"
            )
        lines.append(
            f"  Paid         {format_total(f.paid.amount, code)} ({f.paid.count} payments)"
        )
        lines.append(f"  Outstanding  {_tally_text(f.aging.outstanding, code)}")
        lines.append(f"  Overdue      {_tally_text(f.aging.overdue, code)}")
        for label, _, _ in AGING_BUCKETS:
            tally = f.aging.buckets[label]
            if tally.count:
                lines.append(f"    {label} days past due: {_tally_text(tally, code)}")
    cycle = report.cycle_time
    if cycle.count:
        lines.append(
            f"Cycle time (work completed to approval): median {days_text(cycle.median)} days, "
            f"p90 {cycle.p90} days over {cycle.count} invoices"
        )
    else:
        lines.append("Cycle time: no invoice with a completion date approved")
    c = report.corrections
    if c.rate is None:
        lines.append("Corrections: no draft decided")
    else:
        lines.append(
            f"Corrections: {c.rejected} of {c.decided} decided drafts rejected "
            f"({c.rate * 100:.1f} %)"
        )
        for cat, n in sorted(c.by_category.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {REJECTION_CATEGORIES.get(cat, cat)}: {n}")
        if c.rejected_more_than_once:
            lines.append(f"  Rejected more than once: {', '.join(c.rejected_more_than_once)}")
    t = report.turnaround
    if t.overall.count:
        lines.append(
            f"Payment turnaround: median {days_text(t.overall.median)} days over "
            f"{t.overall.count} invoices paid in full"
        )
        for p in t.slowest:
            lines.append(f"  {p.client}: median {days_text(p.median_days)} days ({p.invoices})")
    else:
        lines.append("Payment turnaround: no invoice paid in full")
    lines.append(f"Completed but not invoiced: {report.uninvoiced_count}")
    for u in report.uninvoiced:
        why = {
            "draft_waiting": "a draft is waiting for a decision",
            "ready": "ready: nobody has drafted it",
            "not_ready": "missing " + "; ".join(str(p) for p in u.missing),
        }[u.blocker]
        lines.append(f"  {u.record_id} (completed {u.completed_at}, {u.days_waiting} days): {why}")
    if report.uninvoiced_count > len(report.uninvoiced):
        lines.append(f"  ... and {report.uninvoiced_count - len(report.uninvoiced)} more")
    return lines
