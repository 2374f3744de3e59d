"""Reminder DMs, escalations, the Mark paid form, nudges and the weekly digest."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing_core.money import Money
from billing_core.reminders import DueReminder
from billing_core.state import InvoiceState
from handlers.blocks import MAX_BLOCKS, Blocks, escape, money, section
from handlers.lists import row_sections

Links = Mapping[int, str]  # invoice id -> its thread's permalink

MARK_PAID_ACTION = "reminder_mark_paid"
SNOOZE_ACTION = "reminder_snooze"
MARK_PAID_MODAL = "reminder_mark_paid_modal"
_BLOCKS_PER_INVOICE = 2  # a section and its buttons


def reminder_line(reminder: DueReminder, links: Links) -> str:
    """One overdue invoice: number, client, amount due, due date, days overdue, thread link."""
    inv = reminder.state
    link = links.get(inv.id)
    number = escape(inv.number or inv.record_id)
    number = f"<{link}|{number}>" if link else number
    return (
        f"*{number}* — {escape(inv.client)}\n"
        f"{money(inv.balance, inv.locale)} due {inv.due_date.isoformat()}, "
        f"*{reminder.days_overdue} days overdue*"
    )


def reminder_chunks(reminders: list[DueReminder]) -> list[list[DueReminder]]:
    """Split one owner's reminders over as few messages as Slack's limits allow
    (50 blocks per message, one header block), each invoice in exactly one."""
    per_message = (MAX_BLOCKS - 1) // _BLOCKS_PER_INVOICE
    return [reminders[i : i + per_message] for i in range(0, len(reminders), per_message)]


def reminder_message(
    reminders: list[DueReminder], links: Links, part: int = 1, parts: int = 1
) -> tuple[str, Blocks]:
    """The DM to an owner listing overdue invoices, with Mark paid / Snooze buttons."""
    count = len(reminders)
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    header = f":alarm_clock: You have {count} overdue invoice{'s' if count != 1 else ''}{suffix}."
    out: Blocks = [section(header)]
    for reminder in reminders:
        value = str(reminder.state.id)
        out.append(section(reminder_line(reminder, links)))
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


def escalation_message(
    reminders: list[DueReminder], final_stage: bool, links: Links
) -> tuple[str, Blocks]:
    """For the escalation channel: invoices with no owner, or at their last stage."""
    why = "reached the last reminder stage" if final_stage else "have no owner to remind"
    lines = []
    for r in reminders:
        owner = f" · owner <@{r.state.owner}>" if r.state.owner else ""
        lines.append(reminder_line(r, links) + owner)
    blocks_out: Blocks = [section(f":rotating_light: These overdue invoices {why}:")]
    # Callers send `reminder_chunks` of at most 24 invoices: always within 50 blocks.
    blocks_out += [section(line) for line in lines]
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
            section(
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


def step_escalation_message(state: InvoiceState, payload: dict[str, Any], link: str | None) -> str:
    """A step waiting past its rule's `escalate_after_hours`, for the escalation channel."""
    who = " ".join(f"<@{u}>" for u in payload.get("eligible") or ()) or "no one (see the thread)"
    where = (
        f"<{link}|draft for {escape(state.record_id)}>"
        if link
        else (f"draft for {escape(state.record_id)}")
    )
    return (
        f":rotating_light: The {where} ({money(state.total, state.invoice.locale)}) has waited "
        f"more than {payload.get('hours')} h for {escape(str(payload.get('label')))} (rule "
        f"{escape(str(payload.get('rule')))}). It can be signed by: {who}."
    )


def digest_message(digest: dict[str, Any]) -> tuple[str, Blocks]:
    """The Monday digest. `digest` is the stored payload: per section, currency -> [n, amount]."""
    titles = {
        "drafts_waiting": "Drafts waiting",
        "issued": "Issued",
        "credit_notes": "Credit notes issued",
        "paid": "Paid",
        "overdue": "Overdue",
    }
    lines = [f"*Weekly billing digest* — week of {digest['week_start']}"]
    for key, title in titles.items():
        if key == "credit_notes" and key not in digest:
            continue  # a week without credit notes (and digests queued before they existed)
        per_currency = digest.get(key) or {}
        if not per_currency:
            lines.append(f"• {title}: none")
            continue
        parts = [
            f"{count} · {money(Money(Decimal(amount), currency))}"
            for currency, (count, amount) in sorted(per_currency.items())
        ]
        lines.append(f"• {title}: " + "; ".join(parts))
    cycle = digest.get("cycle_time_days") or {}
    if cycle.get("count"):
        lines.append(
            f"• Cycle time (work completed to approval): median {cycle['median']} days, "
            f"p90 {cycle['p90']} days over {cycle['count']} invoices"
        )
    corrections = digest.get("corrections") or {}
    if corrections.get("decided"):
        rate = Decimal(str(corrections["rate"])) * 100
        lines.append(
            f"• Corrections: {corrections['rejected']} of {corrections['decided']} decided "
            f"drafts rejected ({rate:.1f} %)"
        )
    if digest.get("audit_head"):
        lines.append(f"• Audit trail head: `{digest['audit_head']}`")
    text = "\n".join(lines)
    return f"Weekly billing digest, week of {digest['week_start']}", [section(text)]


READINESS_WHY = {
    "draft_waiting": "a draft waits for a decision",
    "ready": "ready: draft it with `/invoice draft {id}`",
}


def readiness_message(payload: dict[str, Any]) -> tuple[str, Blocks]:
    """An owner's weekly DM: their completed records not invoiced yet, each with what stops
    it, so the record is fixed upstream before anyone drafts. `payload` as queued by
    Chasing.queue_readiness (at most 25 records, with the true count)."""
    count = int(payload.get("count", 0))
    records = payload.get("records") or []
    rows = []
    for r in records:
        rid = escape(str(r.get("record_id", "")))
        if r.get("blocker") == "not_ready":
            why = "missing " + "; ".join(
                f"{escape(str(f))}: {escape(str(m))}" for f, m in r.get("missing") or []
            )
        else:
            why = READINESS_WHY.get(str(r.get("blocker")), "").format(id=rid)
        rows.append(
            f"• {rid} {escape(str(r.get('title', '')))} — completed {r.get('completed_at')}: {why}"
        )
    noun = "record is" if count == 1 else "records are"
    head = (
        f"*Work completed but not invoiced* ({payload.get('week')}): {count} of your {noun} "
        "waiting. Fix what is missing in the record so it can be drafted."
    )
    if count > len(rows):
        head += f" The {len(rows)} oldest are below; `/invoice list uninvoiced` shows them all."
    text = f"{count} of your completed records are not invoiced yet"
    return text, [section(head), *row_sections(rows)]
