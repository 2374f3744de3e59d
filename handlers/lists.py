"""Lists of invoices in Slack (`/invoice list`, the App Home): true counts, whole rows packed
within Slack's limits, and "Show more" for the next page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases.queries import LIST_KINDS, InvoicePage, ListKind
from handlers.blocks import MAX_TEXT, Blocks, context, escape, money, section

Links = Mapping[int, str]  # invoice id -> its thread's permalink

LIST_TITLES = {
    "open": "Open invoices",
    "drafts": "Drafts waiting for a decision",
    "overdue": "Overdue invoices",
    "mine": "Your invoices",
    "refunds": "Refunds owed to clients",
}
LIST_MORE_ACTION = "invoice_list_more"
LIST_PAGE_SIZE = 20


def invoice_row(s: InvoiceState, today: date, links: Links) -> str:
    """One invoice in a list: number (linked to its thread), client, amount, status, due."""
    inv = s.invoice
    label = escape(s.label)  # the number, "draft of P-123" or "credit note draft for INV-…"
    extra = f", {s.days_overdue(today)} days overdue" if s.is_overdue(today) else ""
    link = links.get(s.id)
    label = f"<{link}|{label}>" if link else label
    amount = s.balance if s.status in (Status.APPROVED, Status.SENT) else s.total
    if s.refund_owed.amount > 0:
        extra += f", refund owed {money(s.refund_owed, inv.locale)}"
    return (
        f"• {label} — {escape(inv.buyer.name)} — {money(amount, inv.locale)} — "
        f"{s.status.value}, due {inv.due_date.isoformat()}{extra}"
    )


def row_sections(rows: list[str]) -> Blocks:
    """Rows packed into as few sections as fit Slack's 3,000 characters each, never
    splitting a row (a row is at most ~1,300 characters: names are capped at 200)."""
    sections: Blocks = []
    current: list[str] = []
    for row in rows:
        if current and len("\n".join([*current, row])) > MAX_TEXT:
            sections.append(section("\n".join(current)))
            current = []
        current.append(row)
    if current:
        sections.append(section("\n".join(current)))
    return sections


def paged_list(
    title: str, rows: list[str], total: int, offset: int, more: tuple[str, str] | None
) -> Blocks:
    """A titled list that says how many there are in all and which ones it shows, with a
    button for the next page (`more`: its action_id and value) when there are more."""
    if total == 0:
        return [section(f"*{title}*: none.")]
    header = f"*{title}* ({total})"
    if len(rows) < total:
        header += f" — showing {offset + 1}–{offset + len(rows)}"
    out = [section(header), *row_sections(rows)]
    if more is not None:
        action_id, value = more
        button = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": "Show more"},
            "value": value,
        }
        out.append({"type": "actions", "elements": [button]})
    return out


def list_reply(page: InvoicePage, kind: ListKind, today: date, links: Links) -> tuple[str, Blocks]:
    """`/invoice list …`: one page, the true count, a "Show more" button for the rest."""
    title = LIST_TITLES[kind]
    rows = [invoice_row(s, today, links) for s in page.items]
    more = None
    if page.next_offset is not None:
        more = (LIST_MORE_ACTION, f"{kind}:{page.next_offset}")
    return f"{title} ({page.total})", paged_list(title, rows, page.total, page.offset, more)


HOME_PAGE_ACTION = "home_page"
HOME_PAGE_SIZE = 10


def home_view(
    waiting: InvoicePage | None, mine: InvoicePage, today: date, links: Links
) -> dict[str, Any]:
    """The App Home tab: drafts waiting for a decision (approvers only: `waiting` is None for
    others) and the user's own drafts and open invoices, overdue ones marked. Each list shows
    its true count and pages on with "Show more" (the value names the list and the offset)."""
    out: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "invoicebot"}},
        context("Type `/invoice help` in any channel for everything it can do."),
    ]
    for kind, page in (("drafts", waiting), ("mine", mine)):
        if page is None:
            continue
        rows = [invoice_row(s, today, links) for s in page.items]
        more = None
        if page.next_offset is not None:
            more = (f"{HOME_PAGE_ACTION}_{kind}", f"{kind}:{page.next_offset}")
        out += paged_list(LIST_TITLES[kind], rows, page.total, page.offset, more)
        out.append({"type": "divider"})
    return {"type": "home", "blocks": out}


def parse_page_value(body: dict[str, Any]) -> tuple[ListKind, int] | None:
    """("drafts", 20) from a "Show more" button's value "drafts:20"; None if forged."""
    try:
        kind, _, offset = str(body["actions"][0]["value"]).partition(":")
    except (KeyError, IndexError, TypeError):
        return None
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 9:
        return None
    for known in LIST_KINDS:
        if kind == known:
            return known, int(offset)
    return None
