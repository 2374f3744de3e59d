"""Block Kit and message text, built by pure functions that tests can inspect.

Everything that came from a record or a user (client names, titles, reasons) goes through
`escape`, so a client called "<!channel>" or "@here" can never ping anyone.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from billing_core.errors import AlreadyDecided, BillingError, NotAllowed, RecordNotReady
from billing_core.formatting import format_money
from billing_core.money import Money
from billing_core.reminders import DueReminder
from billing_core.service import InvoicePage
from billing_core.state import InvoiceState
from billing_core.status import REJECTION_CATEGORIES, Status

APPROVE_ACTION = "invoice_approve"
REJECT_ACTION = "invoice_reject"
RETRY_ACTION = "invoice_retry_post"
REJECT_MODAL = "invoice_reject_modal"

Blocks = list[dict[str, Any]]
MAX_BLOCKS = 50  # Slack: blocks per message
MAX_TEXT = 3000  # Slack: characters per section text


def escape(text: str) -> str:
    """Slack's three control characters, escaped: no links, mentions or specials from data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def money(amount: Money, locale: str = "en_US") -> str:
    """The same figure the PDF shows (see billing_core.formatting)."""
    return format_money(amount, locale)


def thread_link(channel_id: str | None, ts: str | None) -> str | None:
    """A permalink Slack resolves for any member of the channel."""
    if not channel_id or not ts:
        return None
    return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


def _section(text: str) -> dict[str, Any]:
    """A mrkdwn section. Callers keep `text` within Slack's 3,000 characters (`row_sections`
    packs lists); the stand-in refuses longer ones, as Slack does, so nothing is cut silently."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _headline(state: InvoiceState) -> str:
    inv = state.invoice
    title = f" — {escape(inv.title)}" if inv.title else ""
    return f"*{escape(inv.record_id)}*{title}"


def _facts(state: InvoiceState) -> str:
    inv = state.invoice
    lines = [
        f"*Client:* {escape(inv.buyer.name)}",
        f"*Total:* {money(inv.total, inv.locale)} (net {money(inv.subtotal, inv.locale)})",
        f"*Due:* {inv.due_date.isoformat()}",
    ]
    if inv.scope_ref:
        lines.append(f"*Scope:* {escape(inv.scope_ref)}")
    if inv.owner:
        lines.append(f"*Owner:* <@{inv.owner}>")
    return "\n".join(lines)


def draft_summary(state: InvoiceState, previous_link: str | None = None) -> tuple[str, Blocks]:
    """The channel message that opens an invoice's thread."""
    text = f"Draft invoice for {state.record_id}: {money(state.total, state.invoice.locale)}"
    blocks = [
        _section(f":page_facing_up: Draft invoice for {_headline(state)}"),
        _section(_facts(state)),
        _context(f"Drafted by <@{state.drafted_by}> · the PDF and the decision are in the thread"),
    ]
    if previous_link:
        blocks.append(_context(f"Replaces a rejected draft: <{previous_link}|earlier thread>"))
    return text, blocks


def decision_request(state: InvoiceState, approvers: tuple[str, ...]) -> tuple[str, Blocks]:
    """The thread message with the Approve and Reject buttons."""
    who = ", ".join(f"<@{a}>" for a in approvers) or "an approver"
    text = f"Approve or reject the draft invoice for {state.record_id}"
    value = str(state.id)
    blocks = [
        _section(f"Waiting for a decision from {who}."),
        {
            "type": "actions",
            "block_id": f"decision:{state.id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE_ACTION,
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": REJECT_ACTION,
                    "text": {"type": "plain_text", "text": "Reject"},
                    "style": "danger",
                    "value": value,
                },
            ],
        },
    ]
    return text, blocks


def approved(state: InvoiceState) -> tuple[str, Blocks]:
    """The decision message after approval: buttons gone, who approved, when."""
    when = state.decided_at.strftime("%Y-%m-%d %H:%M UTC") if state.decided_at else ""
    text = f"Approved by <@{state.decided_by}> as {state.number}"
    blocks = [
        _section(f":white_check_mark: Approved by <@{state.decided_by}> as *{state.number}*"),
        _context(f"{when} · final PDF below"),
    ]
    return text, blocks


def rejected(state: InvoiceState) -> tuple[str, Blocks]:
    """The decision message after rejection, with the reason."""
    category = REJECTION_CATEGORIES.get(state.rejection_category or "", "Other")
    reason = escape(state.rejection_reason or "")
    text = f"Rejected by <@{state.decided_by}>: {category}"
    blocks = [
        _section(f":x: Rejected by <@{state.decided_by}> — *{category}*\n>{reason}"),
        _context("Fix the record, then `/invoice draft` it again for a new draft."),
    ]
    return text, blocks


def final_pdf_comment(state: InvoiceState) -> str:
    inv = state.invoice
    return (
        f"Invoice *{state.number}* for {escape(inv.buyer.name)}: "
        f"{money(inv.total, inv.locale)}, due {inv.due_date.isoformat()}"
    )


def draft_pdf_comment(state: InvoiceState) -> str:
    return f"Draft PDF for {escape(state.record_id)} (no number until approved)"


def reject_modal(state: InvoiceState) -> dict[str, Any]:
    """The modal asking for a rejection reason: a category and required free text."""
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": key}
        for key, label in REJECTION_CATEGORIES.items()
    ]
    return {
        "type": "modal",
        "callback_id": REJECT_MODAL,
        "private_metadata": str(state.id),
        "title": {"type": "plain_text", "text": "Reject draft"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(f"Reject the draft for {_headline(state)}?"),
            {
                "type": "input",
                "block_id": "category",
                "label": {"type": "plain_text", "text": "What is wrong?"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": options,
                    "initial_option": options[-1],
                },
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def status_reply(state: InvoiceState, today: date, pending: list[str]) -> tuple[str, Blocks]:
    """Where an invoice stands; offers a retry when something is not yet posted to Slack."""
    inv = state.invoice
    label = state.number or f"Draft of {state.record_id}"
    lines = [
        f"*{escape(label)}* — {state.status.value}"
        + (" (overdue)" if state.is_overdue(today) else ""),
        f"Record {escape(state.record_id)} · {escape(inv.buyer.name)}",
        f"Total {money(inv.total, inv.locale)}",
    ]
    if state.status in (Status.APPROVED, Status.SENT):
        lines.append(
            f"Balance {money(state.balance, inv.locale)} · due {inv.due_date.isoformat()}"
            + (f" ({state.days_overdue(today)} days overdue)" if state.is_overdue(today) else "")
        )
    if state.status is Status.REJECTED and state.rejection_reason:
        lines.append(f"Rejected: {escape(state.rejection_reason)}")
    if state.status is Status.VOID and state.void_reason:
        lines.append(f"Void: {escape(state.void_reason)}")
    link = thread_link(state.slack.channel_id, state.slack.thread_ts)
    if link:
        lines.append(f"<{link}|Thread>")
    blocks: Blocks = [_section("\n".join(lines))]
    if pending:
        blocks.append(_context("Not yet posted to Slack: " + ", ".join(pending)))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY_ACTION,
                        "text": {"type": "plain_text", "text": "Re-post now"},
                        "value": str(state.id),
                    }
                ],
            }
        )
    return f"{label}: {state.status.value}", blocks


LIST_TITLES = {
    "open": "Open invoices",
    "drafts": "Drafts waiting for a decision",
    "overdue": "Overdue invoices",
    "mine": "Your invoices",
}
LIST_MORE_ACTION = "invoice_list_more"
LIST_PAGE_SIZE = 20


def invoice_row(s: InvoiceState, today: date) -> str:
    """One invoice in a list: number (linked to its thread), client, amount, status, due."""
    inv = s.invoice
    label = escape(s.number or f"draft of {s.record_id}")
    extra = f", {s.days_overdue(today)} days overdue" if s.is_overdue(today) else ""
    link = thread_link(s.slack.channel_id, s.slack.thread_ts)
    label = f"<{link}|{label}>" if link else label
    amount = s.balance if s.status in (Status.APPROVED, Status.SENT) else s.total
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
            sections.append(_section("\n".join(current)))
            current = []
        current.append(row)
    if current:
        sections.append(_section("\n".join(current)))
    return sections


def paged_list(
    title: str, rows: list[str], total: int, offset: int, more: tuple[str, str] | None
) -> Blocks:
    """A titled list that says how many there are in all and which ones it shows, with a
    button for the next page (`more`: its action_id and value) when there are more."""
    if total == 0:
        return [_section(f"*{title}*: none.")]
    header = f"*{title}* ({total})"
    if len(rows) < total:
        header += f" — showing {offset + 1}–{offset + len(rows)}"
    out = [_section(header), *row_sections(rows)]
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


def list_reply(page: InvoicePage, kind: str, today: date) -> tuple[str, Blocks]:
    """`/invoice list …`: one page, the true count, a "Show more" button for the rest."""
    title = LIST_TITLES[kind]
    rows = [invoice_row(s, today) for s in page.items]
    more = None
    if page.next_offset is not None:
        more = (LIST_MORE_ACTION, f"{kind}:{page.next_offset}")
    return f"{title} ({page.total})", paged_list(title, rows, page.total, page.offset, more)


def refusal(exc: BillingError) -> str:
    """Why something was refused, for the person who asked (nothing was changed)."""
    if isinstance(exc, RecordNotReady):
        problems = "\n".join(f"• `{p.field}`: {escape(p.message)}" for p in exc.problems)
        return f"Record {escape(exc.record_id)} is not ready to invoice:\n{problems}"
    if isinstance(exc, AlreadyDecided):
        return str(exc)  # our own words and a user ID: its mention must stay a mention
    icon = ":no_entry:" if isinstance(exc, NotAllowed) else ":warning:"
    return f"{icon} {escape(str(exc))}"


def changed_reply(state: InvoiceState, what: str) -> str:
    """Confirmation naming the invoice and its new state."""
    inv = state.invoice
    text = f"{escape(state.label)} {what}. It is now *{state.status.value}*"
    if state.status in (Status.APPROVED, Status.SENT):
        text += f", balance {money(state.balance, inv.locale)}"
    return text + "."


# -- reminders -------------------------------------------------------------------------------

MARK_PAID_ACTION = "reminder_mark_paid"
SNOOZE_ACTION = "reminder_snooze"
MARK_PAID_MODAL = "reminder_mark_paid_modal"
_BLOCKS_PER_INVOICE = 2  # a section and its buttons


def reminder_line(reminder: DueReminder) -> str:
    """One overdue invoice: number, client, amount due, due date, days overdue, thread link."""
    state = reminder.state
    inv = state.invoice
    link = thread_link(state.slack.channel_id, state.slack.thread_ts)
    number = escape(state.number or state.record_id)
    number = f"<{link}|{number}>" if link else number
    return (
        f"*{number}* — {escape(inv.buyer.name)}\n"
        f"{money(state.balance, inv.locale)} due {inv.due_date.isoformat()}, "
        f"*{reminder.days_overdue} days overdue*"
    )


def reminder_chunks(reminders: list[DueReminder]) -> list[list[DueReminder]]:
    """Split one owner's reminders over as few messages as Slack's limits allow
    (50 blocks per message, one header block), each invoice in exactly one."""
    per_message = (MAX_BLOCKS - 1) // _BLOCKS_PER_INVOICE
    return [reminders[i : i + per_message] for i in range(0, len(reminders), per_message)]


def reminder_message(
    reminders: list[DueReminder], part: int = 1, parts: int = 1
) -> tuple[str, Blocks]:
    """The DM to an owner listing overdue invoices, with Mark paid / Snooze buttons."""
    count = len(reminders)
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    header = f":alarm_clock: You have {count} overdue invoice{'s' if count != 1 else ''}{suffix}."
    out: Blocks = [_section(header)]
    for reminder in reminders:
        value = str(reminder.state.id)
        out.append(_section(reminder_line(reminder)))
        out.append(
            {
                "type": "actions",
                "block_id": f"reminder:{reminder.state.id}:{reminder.stage}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": MARK_PAID_ACTION,
                        "text": {"type": "plain_text", "text": "Mark paid"},
                        "value": value,
                    },
                    {
                        "type": "button",
                        "action_id": SNOOZE_ACTION,
                        "text": {"type": "plain_text", "text": "Snooze 3 days"},
                        "value": value,
                    },
                ],
            }
        )
    numbers = ", ".join(r.state.number or r.state.record_id for r in reminders)
    return f"Overdue invoices{suffix}: {numbers}", out


def escalation_message(reminders: list[DueReminder], final_stage: bool) -> tuple[str, Blocks]:
    """For the escalation channel: invoices with no owner, or at their last stage."""
    why = "reached the last reminder stage" if final_stage else "have no owner to remind"
    lines = []
    for r in reminders:
        owner = f" · owner <@{r.state.owner}>" if r.state.owner else ""
        lines.append(reminder_line(r) + owner)
    blocks_out: Blocks = [_section(f":rotating_light: These overdue invoices {why}:")]
    # Callers send `reminder_chunks` of at most 24 invoices: always within 50 blocks.
    blocks_out += [_section(line) for line in lines]
    return f"{len(reminders)} overdue invoice(s) {why}", blocks_out


def mark_paid_modal(state: InvoiceState) -> dict[str, Any]:
    """Asks for the amount received; defaults to the whole balance."""
    return {
        "type": "modal",
        "callback_id": MARK_PAID_MODAL,
        "private_metadata": str(state.id),
        "title": {"type": "plain_text", "text": "Mark paid"},
        "submit": {"type": "plain_text", "text": "Record payment"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(
                f"*{escape(state.label)}* — {escape(state.invoice.buyer.name)}\n"
                f"Balance {money(state.balance, state.invoice.locale)}"
            ),
            {
                "type": "input",
                "block_id": "amount",
                "label": {
                    "type": "plain_text",
                    "text": f"Amount received ({state.balance.currency})",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": str(state.balance.amount),
                },
            },
        ],
    }


def nudge_message(state: InvoiceState, approvers: tuple[str, ...]) -> str:
    who = " ".join(f"<@{a}>" for a in approvers) or "Approvers"
    return (
        f"{who}: this draft for {escape(state.record_id)} "
        f"({money(state.total, state.invoice.locale)}) is still waiting for a decision."
    )


def digest_message(digest: dict[str, Any]) -> tuple[str, Blocks]:
    """The Monday digest. `digest` is the stored payload: per section, currency -> [n, amount]."""
    titles = {
        "drafts_waiting": "Drafts waiting",
        "issued": "Issued",
        "paid": "Paid",
        "overdue": "Overdue",
    }
    lines = [f"*Weekly billing digest* — week of {digest['week_start']}"]
    for key, title in titles.items():
        per_currency = digest.get(key) or {}
        if not per_currency:
            lines.append(f"• {title}: none")
            continue
        parts = [
            f"{count} · {money(Money(Decimal(amount), currency))}"
            for currency, (count, amount) in sorted(per_currency.items())
        ]
        lines.append(f"• {title}: " + "; ".join(parts))
    text = "\n".join(lines)
    return f"Weekly billing digest, week of {digest['week_start']}", [_section(text)]


# -- App Home -------------------------------------------------------------------------------


HOME_PAGE_ACTION = "home_page"
HOME_PAGE_SIZE = 10


def home_view(waiting: InvoicePage | None, mine: InvoicePage, today: date) -> dict[str, Any]:
    """The App Home tab: drafts waiting for a decision (approvers only: `waiting` is None for
    others) and the user's own drafts and open invoices, overdue ones marked. Each list shows
    its true count and pages on with "Show more" (the value names the list and the offset)."""
    out: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "invoicebot"}},
        _context("Type `/invoice help` in any channel for everything it can do."),
    ]
    for kind, page in (("drafts", waiting), ("mine", mine)):
        if page is None:
            continue
        rows = [invoice_row(s, today) for s in page.items]
        more = None
        if page.next_offset is not None:
            more = (f"{HOME_PAGE_ACTION}_{kind}", f"{kind}:{page.next_offset}")
        out += paged_list(LIST_TITLES[kind], rows, page.total, page.offset, more)
        out.append({"type": "divider"})
    return {"type": "home", "blocks": out}


def parse_page_value(body: dict[str, Any]) -> tuple[str, int] | None:
    """("drafts", 20) from a "Show more" button's value "drafts:20"; None if forged."""
    try:
        kind, _, offset = str(body["actions"][0]["value"]).partition(":")
    except (KeyError, IndexError, TypeError):
        return None
    if kind not in LIST_TITLES or not (offset.isascii() and offset.isdigit()) or len(offset) > 9:
        return None
    return kind, int(offset)
