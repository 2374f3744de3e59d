"""Lists of invoices in Slack (`/invoice list`, the App Home): true counts, whole rows packed
within Slack's limits, and "Show more" for the next page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from billing_core.metrics.work_flow import Uninvoiced
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases.queries import LIST_KINDS, InvoicePage, ListKind
from handlers.blocks import MAX_TEXT, Blocks, escape, money, section

Links = Mapping[int, str]  # invoice id -> its thread's permalink

LIST_TITLES = {
    "open": "Open invoices",
    "drafts": "Drafts waiting for a decision",
    "overdue": "Overdue invoices",
    "mine": "Your invoices",
    "refunds": "Refunds owed to clients",
    "client": "Invoices of clients matching",
}
UNINVOICED_TITLE = "Completed but not invoiced"
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
    # Nothing falls due on a credit note: it says what it credits and when it was issued.
    when = (
        f"credits {escape(inv.credits_number or '')}, dated {inv.issue_date.isoformat()}"
        if s.is_credit_note
        else f"due {inv.due_date.isoformat()}"
    )
    return (
        f"• {label} — {escape(inv.buyer.name)} — {money(amount, inv.locale)} — "
        f"{s.status.value}, {when}{extra}"
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


def list_reply(
    page: InvoicePage, kind: ListKind, today: date, links: Links, client: str = ""
) -> tuple[str, Blocks]:
    """`/invoice list …`: one page, the true count, a "Show more" button for the rest."""
    title = LIST_TITLES[kind]
    if kind == "client":
        title = f"{title} “{escape(client)}”"
    rows = [invoice_row(s, today, links) for s in page.items]
    more = None
    if page.next_offset is not None:
        more = (LIST_MORE_ACTION, page_value(kind, page.next_offset, client))
    return f"{title} ({page.total})", paged_list(title, rows, page.total, page.offset, more)


def uninvoiced_row(u: Uninvoiced) -> str:
    """A record completed but not invoiced: id, title, owner, since when, what stops it."""
    if u.blocker == "not_ready":
        why = "missing " + "; ".join(escape(str(p)) for p in u.missing)
    elif u.blocker == "draft_waiting":
        why = "a draft waits for a decision"
    else:
        why = "ready: draft it with `/invoice draft " + escape(u.record_id) + "`"
    owner = f" — <@{u.owner}>" if u.owner else ""
    return (
        f"• {escape(u.record_id)} {escape(u.title)}{owner} — completed "
        f"{u.completed_at.isoformat()} ({u.days_waiting} days ago): {why}"
    )


def uninvoiced_reply(work: Sequence[Uninvoiced], offset: int) -> tuple[str, Blocks]:
    """`/invoice list uninvoiced`: oldest first, a page at a time, with the true count."""
    shown = work[offset : offset + LIST_PAGE_SIZE]
    end = offset + len(shown)
    more = (LIST_MORE_ACTION, page_value("uninvoiced", end)) if end < len(work) else None
    rows = [uninvoiced_row(u) for u in shown]
    blocks = paged_list(UNINVOICED_TITLE, rows, len(work), offset, more)
    return f"{UNINVOICED_TITLE} ({len(work)})", blocks


PageKind = ListKind | Literal["uninvoiced"]


@dataclass(frozen=True)
class PageRef:
    """Which list a "Show more" button continues, and from where."""

    kind: PageKind
    offset: int
    client: str = ""


def page_value(kind: PageKind, offset: int, client: str = "") -> str:
    """The button's value: "drafts:20", or "client:20:Acme" (a name is at most 200 chars)."""
    return f"{kind}:{offset}:{client}" if client else f"{kind}:{offset}"


HOME_PAGE_ACTION = "home_page"
HOME_PAGE_SIZE = 10


def parse_page_value(body: dict[str, Any]) -> PageRef | None:
    """PageRef("drafts", 20) from a "Show more" button's value "drafts:20" (see page_value);
    None if forged."""
    try:
        kind, _, rest = str(body["actions"][0]["value"]).partition(":")
    except (KeyError, IndexError, TypeError):
        return None
    offset, _, client = rest.partition(":")
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 9 or len(client) > 200:
        return None
    if kind == "uninvoiced" and not client:
        return PageRef("uninvoiced", int(offset))
    for known in LIST_KINDS:
        if kind == known and (known == "client") == bool(client.strip()):
            return PageRef(known, int(offset), client)
    return None
