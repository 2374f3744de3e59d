"""Block Kit and message text, built by pure functions that tests can inspect.

Everything that came from a record or a user (client names, titles, reasons) goes through
`escape`, so a client called "<!channel>" or "@here" can never ping anyone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billing_core.errors import AlreadyDecided, BillingError, NotAllowed, RecordNotReady
from billing_core.formatting import format_money
from billing_core.money import Money
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


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section. Callers keep `text` within Slack's 3,000 characters (`row_sections`
    packs lists); the stand-in refuses longer ones, as Slack does, so nothing is cut silently."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _kind(state: InvoiceState) -> str:
    return "credit note" if state.is_credit_note else "invoice"


def _headline(state: InvoiceState) -> str:
    inv = state.invoice
    if state.is_credit_note:
        return f"*{escape(inv.credits_number or '')}* ({escape(inv.record_id)})"
    title = f" — {escape(inv.title)}" if inv.title else ""
    return f"*{escape(inv.record_id)}*{title}"


def _facts(state: InvoiceState) -> str:
    inv = state.invoice
    lines = [
        f"*Client:* {escape(inv.buyer.name)}",
        f"*Total:* {money(inv.total, inv.locale)} (net {money(inv.subtotal, inv.locale)})",
    ]
    if state.is_credit_note:
        lines.append(f"*Reason:* {escape(inv.credit_reason)}")
    else:
        lines.append(f"*Due:* {inv.due_date.isoformat()}")
    if inv.scope_ref:
        lines.append(f"*Scope:* {escape(inv.scope_ref)}")
    if inv.owner:
        lines.append(f"*Owner:* <@{inv.owner}>")
    return "\n".join(lines)


def draft_summary(state: InvoiceState, previous_link: str | None = None) -> tuple[str, Blocks]:
    """The channel message that opens an invoice's thread."""
    about = state.invoice.credits_number if state.is_credit_note else state.record_id
    total = money(state.total, state.invoice.locale)
    text = f"Draft {_kind(state)} for {about}: {total}"
    blocks = [
        section(f":page_facing_up: Draft {_kind(state)} for {_headline(state)}"),
        section(_facts(state)),
        context(f"Drafted by <@{state.drafted_by}> · the PDF and the decision are in the thread"),
    ]
    if previous_link:
        blocks.append(context(f"Replaces a rejected draft: <{previous_link}|earlier thread>"))
    return text, blocks


def decision_request(state: InvoiceState, approvers: tuple[str, ...]) -> tuple[str, Blocks]:
    """The thread message with the Approve and Reject buttons."""
    who = ", ".join(f"<@{a}>" for a in approvers) or "an approver"
    about = state.invoice.credits_number if state.is_credit_note else state.record_id
    text = f"Approve or reject the draft {_kind(state)} for {about}"
    value = str(state.id)
    blocks = [
        section(f"Waiting for a decision from {who}."),
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
        section(f":white_check_mark: Approved by <@{state.decided_by}> as *{state.number}*"),
        context(f"{when} · final PDF below"),
    ]
    return text, blocks


def rejected(state: InvoiceState) -> tuple[str, Blocks]:
    """The decision message after rejection, with the reason."""
    category = REJECTION_CATEGORIES.get(state.rejection_category or "", "Other")
    reason = escape(state.rejection_reason or "")
    text = f"Rejected by <@{state.decided_by}>: {category}"
    blocks = [
        section(f":x: Rejected by <@{state.decided_by}> — *{category}*\n>{reason}"),
        context("Fix the record, then `/invoice draft` it again for a new draft."),
    ]
    return text, blocks


def final_pdf_comment(state: InvoiceState) -> str:
    inv = state.invoice
    if state.is_credit_note:
        return (
            f"Credit note *{state.number}* for {escape(inv.buyer.name)}: "
            f"{money(inv.total, inv.locale)} credited on invoice {escape(inv.credits_number or '')}"
        )
    return (
        f"Invoice *{state.number}* for {escape(inv.buyer.name)}: "
        f"{money(inv.total, inv.locale)}, due {inv.due_date.isoformat()}"
    )


def draft_pdf_comment(state: InvoiceState) -> str:
    if state.is_credit_note:
        about = escape(state.invoice.credits_number or "")
        return f"Draft credit note PDF for {about} (no number until approved)"
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
            section(f"Reject the draft for {_headline(state)}?"),
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


def status_reply(
    state: InvoiceState, today: date, pending: list[str], link: str | None
) -> tuple[str, Blocks]:
    """Where an invoice stands (`link`: its thread); offers a retry when something is not yet
    posted to Slack."""
    inv = state.invoice
    label = state.number or state.label[:1].upper() + state.label[1:]
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
    if state.is_credit_note:
        lines.append(f"Credit note for {escape(inv.credits_number or '')}")
    if state.credited > 0:
        lines.append(f"Credited {money(state.credited_total, inv.locale)}")
    if state.refund_owed.amount > 0:
        lines.append(f"Refund owed to the client {money(state.refund_owed, inv.locale)}")
    if state.held_reason is not None:
        lines.append(f"On hold (not chased): {escape(state.held_reason)}")
    if state.status is Status.VOID and state.void_reason:
        lines.append(f"Void: {escape(state.void_reason)}")
    if link:
        lines.append(f"<{link}|Thread>")
    blocks: Blocks = [section("\n".join(lines))]
    if pending:
        blocks.append(context("Not yet posted to Slack: " + ", ".join(pending)))
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


def refusal(exc: BillingError) -> str:
    """Why something was refused, for the person who asked (nothing was changed)."""
    if isinstance(exc, RecordNotReady):
        problems = "\n".join(f"• `{p.field}`: {escape(p.message)}" for p in exc.problems)
        return f"Record {escape(exc.record_id)} is not ready to invoice:\n{problems}"
    if isinstance(exc, AlreadyDecided):
        return already_decided(exc)
    icon = ":no_entry:" if isinstance(exc, NotAllowed) else ":warning:"
    return f"{icon} {escape(str(exc))}"


def changed_reply(state: InvoiceState, what: str) -> str:
    """Confirmation naming the invoice and its new state."""
    inv = state.invoice
    text = f"{escape(state.label)} {what}. It is now *{state.status.value}*"
    if state.status in (Status.APPROVED, Status.SENT):
        text += f", balance {money(state.balance, inv.locale)}"
    return text + "."


def already_decided(exc: AlreadyDecided) -> str:
    """ "This invoice was already approved as INV-… by @someone." (a late or double click)."""
    by = f" by <@{exc.by}>" if exc.by else ""
    return str(exc).removesuffix(".") + by + "."
