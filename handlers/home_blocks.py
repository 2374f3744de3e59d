"""The App Home as a dashboard: this month's headline figures (for those who may see them),
the approvers' queue with Approve / Reject, the person's overdue invoices with Mark paid /
Snooze, and their own drafts and invoices. Pure. Every list gives its true count and pages on
with "Show more"; a Home view holds at most 100 blocks (Slack), this one at most ~75."""

from __future__ import annotations

from datetime import date
from typing import Any

from billing_core.formatting import format_total
from billing_core.metrics.render import days_text
from billing_core.metrics.report import Headline
from billing_core.usecases.queries import InvoicePage
from handlers import chasing_blocks
from handlers.blocks import REJECT_ACTION, Blocks, context, escape, section
from handlers.lists import HOME_PAGE_ACTION, LIST_TITLES, Links, invoice_row, paged_list

HOME_APPROVE_ACTION = "home_approve"  # approve from the Home tab, then the tab is redrawn
HOME_SNOOZE_ACTION = "home_snooze"
MAX_HOME_BLOCKS = 100  # Slack: blocks in a Home tab view


CHART_ALT = "Issued and paid per month, and overdue by days past due, per currency"


def headline_blocks(h: Headline, chart_file: str | None = None) -> Blocks:
    """This month so far, per currency (never added across currencies)."""
    lines = [f"*This month ({h.month}), as of {h.as_of.isoformat()}*"]
    if not h.currencies:
        lines.append("No invoices issued, paid or open.")
    for code, f in h.currencies.items():
        lines.append(
            f"{code}: issued {format_total(f.issued.amount, code)} ({f.issued.count}) · "
            + (
                f"credit notes {format_total(f.credit_notes.amount, code)} "
                f"({f.credit_notes.count}) · "
                if f.credit_notes.count
                else ""
            )
            + f"paid {format_total(f.paid.amount, code)} · "
            f"outstanding {format_total(f.aging.outstanding.amount, code)} · "
            f"overdue {format_total(f.aging.overdue.amount, code)} ({f.aging.overdue.count})"
        )
    if h.cycle_time.count:
        lines.append(
            f"Cycle time: median {days_text(h.cycle_time.median)} days, p90 {h.cycle_time.p90} days"
        )
    c = h.corrections
    if c.rate is not None:
        lines.append(f"Corrections: {c.rejected} of {c.decided} drafts rejected")
    out = [section("\n".join(lines))]
    if chart_file:
        out.append({"type": "image", "slack_file": {"id": chart_file}, "alt_text": CHART_ALT})
    return [*out, context("`/invoice report` posts the full report and chart.")]


def _buttons(invoice_id: int, *elements: tuple[str, str, str | None]) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": f"home:{invoice_id}:{elements[0][0]}",
        "elements": [
            {
                "type": "button",
                "action_id": action,
                "text": {"type": "plain_text", "text": label},
                "value": str(invoice_id),
                **({"style": style} if style else {}),
            }
            for action, label, style in elements
        ],
    }


def _with_buttons(
    title: str, page: InvoicePage, kind: str, today: date, links: Links, buttons: Any
) -> Blocks:
    """A list where each invoice has its own buttons; true count and "Show more"."""
    if page.total == 0:
        return [section(f"*{title}*: none.")]
    header = f"*{title}* ({page.total})"
    if len(page.items) < page.total:
        header += f" — showing {page.offset + 1}–{page.offset + len(page.items)}"
    out: Blocks = [section(header)]
    for state in page.items:
        out.append(section(invoice_row(state, today, links)))
        out.append(buttons(state.id))
    if page.next_offset is not None:
        out.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{HOME_PAGE_ACTION}_{kind}",
                        "text": {"type": "plain_text", "text": "Show more"},
                        "value": f"{kind}:{page.next_offset}",
                    }
                ],
            }
        )
    return out


def dashboard_view(
    *,
    headline: Headline | None,
    queue: InvoicePage | None,
    overdue: InvoicePage,
    mine: InvoicePage,
    today: date,
    links: Links,
    notice: str | None = None,
    chart_file: str | None = None,
) -> dict[str, Any]:
    """The Home tab for one person. `headline` None: they may not see figures; `queue` None:
    they are no approver. `notice`: the outcome of their last click, shown on top;
    `chart_file`: today's chart, already uploaded (its Slack file id)."""
    out: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "invoicebot"}},
        context("Type `/invoice help` in any channel for everything it can do."),
    ]
    if notice:
        out.append(section(escape(notice)))
    if headline is not None:
        out += [*headline_blocks(headline, chart_file), {"type": "divider"}]
    if queue is not None:
        out += _with_buttons(
            LIST_TITLES["drafts"], queue, "drafts", today, links,
            lambda i: _buttons(
                i, (HOME_APPROVE_ACTION, "Approve", "primary"), (REJECT_ACTION, "Reject", "danger")
            ),
        )  # fmt: skip
        out.append({"type": "divider"})
    out += _with_buttons(
        "Your overdue invoices", overdue, "overdue", today, links,
        lambda i: _buttons(
            i, (chasing_blocks.MARK_PAID_ACTION, "Mark paid", None),
            (HOME_SNOOZE_ACTION, "Snooze 3 days", None),
        ),
    )  # fmt: skip
    out.append({"type": "divider"})
    rows = [invoice_row(s, today, links) for s in mine.items]
    more = None
    if mine.next_offset is not None:
        more = (f"{HOME_PAGE_ACTION}_mine", f"mine:{mine.next_offset}")
    out += paged_list(LIST_TITLES["mine"], rows, mine.total, mine.offset, more)
    return {"type": "home", "blocks": out}
