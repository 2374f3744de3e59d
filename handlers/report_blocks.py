"""The monthly billing report as a Slack message: money in and out per currency, cycle time,
corrections with their top reasons, the slowest payers, uninvoiced work. Pure."""

from __future__ import annotations

from billing_core.formatting import format_total
from billing_core.metrics.facts import Tally
from billing_core.metrics.money_flow import AGING_BUCKETS
from billing_core.metrics.render import days_text
from billing_core.metrics.report import MonthReport
from billing_core.status import REJECTION_CATEGORIES
from handlers.blocks import Blocks, context, escape, section
from handlers.lists import row_sections

UNINVOICED_LISTED = 10  # in the message; the true count is always given
WHY = {"draft_waiting": "a draft waits for a decision", "ready": "ready, not drafted yet"}


def _tally(tally: Tally, currency: str, locale: str, noun: str = "invoice") -> str:
    nouns = noun if tally.count == 1 else f"{noun}s"
    return f"{format_total(tally.amount, currency, locale)} ({tally.count} {nouns})"


def report_message(report: MonthReport, locale: str = "en_US") -> tuple[str, Blocks]:
    """(fallback text, blocks) for `/invoice report`: at most ~20 blocks, each text well
    within Slack's 3,000 characters (lists are capped and say how many more there are)."""
    title = f"Billing report {report.month}"
    out: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        context(
            f"{report.first.isoformat()} to {report.last.isoformat()}; balances as of "
            f"{report.as_of.isoformat()}. Currencies are never added together."
        ),
    ]
    if not report.currencies:
        out.append(section("*Money in and out*: no invoices issued, paid or open."))
    for code, f in report.currencies.items():
        aging = ", ".join(
            f"{label} days: {format_total(f.aging.buckets[label].amount, code, locale)}"
            for label, _, _ in AGING_BUCKETS
            if f.aging.buckets[label].count
        )
        lines = [
            f"*Money in and out, {code}*",
            f"Issued: {_tally(f.issued, code, locale)}",
            *(
                [f"Credit notes issued: {_tally(f.credit_notes, code, locale, 'credit note')}"]
                if f.credit_notes.count
                else []
            ),
            f"Paid: {_tally(f.paid, code, locale, 'payment')}",
            f"Outstanding: {_tally(f.aging.outstanding, code, locale)}",
            f"Overdue: {_tally(f.aging.overdue, code, locale)}" + (f" — {aging}" if aging else ""),
        ]
        out.append(section("\n".join(lines)))
    cycle = report.cycle_time
    out.append(
        section(
            "*Cycle time* (work completed to approval): "
            + (
                f"median {days_text(cycle.median)} days, p90 {cycle.p90} days "
                f"over {cycle.count} invoices"
                if cycle.count
                else "no invoice with a completion date approved"
            )
        )
    )
    c = report.corrections
    if c.rate is None:
        out.append(section("*Corrections*: no draft decided."))
    else:
        reasons = sorted(c.by_category.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        lines = [
            f"*Corrections*: {c.rejected} of {c.decided} decided drafts rejected "
            f"({c.rate * 100:.1f} %)"
        ]
        lines += [f"• {REJECTION_CATEGORIES.get(k, escape(k))}: {n}" for k, n in reasons]
        if c.rejected_more_than_once:
            names = ", ".join(escape(r) for r in c.rejected_more_than_once[:20])
            more = len(c.rejected_more_than_once) - 20
            lines.append(
                f"Rejected more than once: {names}" + (f" and {more} more" if more > 0 else "")
            )
        out.append(section("\n".join(lines)))
    t = report.turnaround
    if t.overall.count:
        lines = [
            f"*Slowest payers* (days from approval or sending to paid in full; median "
            f"{days_text(t.overall.median)} over {t.overall.count} invoices)"
        ]
        lines += [
            f"• {escape(p.client)}: {days_text(p.median_days)} days ({p.invoices})"
            for p in t.slowest
        ]
        out.append(section("\n".join(lines)))
    else:
        out.append(section("*Slowest payers*: no invoice paid in full this month."))
    rows = [
        f"• {escape(u.record_id)} {escape(u.title)} — completed {u.completed_at.isoformat()} "
        f"({u.days_waiting} days): "
        + (
            "missing " + "; ".join(escape(str(p)) for p in u.missing)
            if u.blocker == "not_ready"
            else WHY[u.blocker]
        )
        for u in report.uninvoiced[:UNINVOICED_LISTED]
    ]
    header = f"*Completed but not invoiced*: {report.uninvoiced_count}"
    if report.uninvoiced_count > len(rows) and rows:
        header += f" (the {len(rows)} oldest below; `/invoice list uninvoiced` shows them all)"
    out.append(section(header))
    out += row_sections(rows)
    return f"{title}: {len(report.currencies)} currencies", out
