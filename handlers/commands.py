"""`/invoice ...`: acked at once, the work done in a background task, replies ephemeral."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import BillingError
from billing_core.state import InvoiceState
from billing_core.status import Status as InvoiceStatus
from handlers import blocks, lists
from handlers.context import (
    FOREIGN_TEAM,
    HandlerContext,
    PrivateReply,
    ack_only,
    command_key,
    once,
    team_of,
)
from handlers.parsing import (
    USAGE,
    Command,
    Credit,
    Delegate,
    Draft,
    EndDelegation,
    Help,
    Hold,
    ListInvoices,
    ListUninvoiced,
    MarkPaid,
    MarkSent,
    Refunded,
    Release,
    Report,
    Status,
    UnknownSubcommand,
    Unpay,
    UsageError,
    Void,
    parse_command,
)
from handlers.report_post import post_report
from handlers.slack_delivery import CONSUMER

log = logging.getLogger(__name__)

# Drafts in progress at once; more wait their turn (FIFO). Their database and Slack work runs
# on the event loop that also answers every ack, so a burst of 100 must not run all at once.
DRAFTS_AT_ONCE = 8


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    drafting = asyncio.Semaphore(DRAFTS_AT_ONCE)

    async def ack_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        # Only pure work here: Slack wants the ack within 3 s whatever the database is doing.
        if ctx.foreign_team(body.get("team_id")):
            await ack(text=FOREIGN_TEAM)
            return
        try:
            command = parse_command(body.get("text", ""))
        except UnknownSubcommand as exc:
            await ack(text=f"{blocks.escape(str(exc))}\n\n{USAGE}")
            return
        except UsageError as exc:  # names the argument and ends with the subcommand's usage
            await ack(text=blocks.escape(str(exc)))
            return
        if isinstance(command, Help):
            await ack(text=USAGE)
            return
        if isinstance(command, Draft):
            await ack(text=f"Drafting an invoice for {blocks.escape(command.record_id)}…")
        elif isinstance(command, Credit):
            await ack(text=f"Drafting a credit note for {blocks.escape(command.number)}…")
        else:
            await ack()
        # The work runs after the ack in a task of its own (a Bolt lazy listener would first
        # deep-copy the whole request: most of an ack's cost, measured by bench/slack_latency).
        ctx.run_after_ack(run_command(body, PrivateReply.to_command(client, respond, body)))

    async def run_command(body: dict[str, Any], reply: PrivateReply) -> None:
        if ctx.foreign_team(body.get("team_id")):
            return
        try:
            command = parse_command(body.get("text", ""))
        except UsageError:
            return  # already answered in the ack
        if isinstance(command, Help):
            return
        key = command_key(body)

        async def work() -> None:
            busy = isinstance(command, Draft | Credit)
            async with drafting if busy else contextlib.nullcontext():
                await _dispatch(ctx, command, body, reply, key)

        try:
            await once(ctx, key, reply, work)
        except BillingError as exc:
            await reply(blocks.refusal(exc))
        except Exception:
            log.exception("/invoice %s failed", body.get("text", "")[:100])
            await reply(
                ":warning: Something went wrong on our side; the error is logged. "
                "Try again, or `/invoice status` to see where things stand."
            )

    async def list_more(
        body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """The "Show more" button under a list: the next page, to the clicker only."""
        reply = PrivateReply.to_click(client, respond, body)
        page_value = lists.parse_page_value(body)
        if ctx.foreign_team(team_of(body)) or page_value is None:
            await reply("That button names no list; nothing was shown.")
            return
        now = ctx.clock()
        user = body["user"]["id"]
        if page_value.kind == "uninvoiced":
            work = await ctx.billing.metrics.uninvoiced(now)
            await reply(*lists.uninvoiced_reply(work, page_value.offset))
            return
        kind, offset, name = page_value.kind, page_value.offset, page_value.client
        page = await ctx.billing.queries.list_invoices(
            kind, user, now, lists.LIST_PAGE_SIZE, offset, client=name
        )
        links = await ctx.links(s.id for s in page.items)
        await reply(*lists.list_reply(page, kind, ctx.billing.today(now), links, name))

    app.command("/invoice")(ack_command)
    app.action(lists.LIST_MORE_ACTION)(ack=ack_only, lazy=[list_more])


async def _dispatch(
    ctx: HandlerContext,
    command: Command,
    body: dict[str, Any],
    reply: PrivateReply,
    key: str | None,
) -> None:
    user = body["user_id"]
    now = ctx.clock()
    today = ctx.billing.today(now)
    billing = ctx.billing

    if isinstance(command, Draft):
        result = await billing.drafting.start_draft(
            command.record_id, user, now, origin=_origin(body), request_key=key
        )
        state = result.state
        if not result.created:
            link = (await ctx.links([state.id])).get(state.id)
            where = f"<{link}|its thread>" if link else "`/invoice status`"
            await reply(
                f"{blocks.escape(command.record_id)} already has a draft waiting for a "
                f"decision: see {where}. Reject it there to draft again.",
            )
            return
        await _post_draft(ctx, reply, state.id, "draft", command.record_id)
        return

    if isinstance(command, Credit):
        result = await billing.crediting.start_credit(
            command.number, user, command.reason, now,
            amount=command.amount, currency=command.currency, origin=_origin(body),
            request_key=key,
        )  # fmt: skip
        await _post_draft(ctx, reply, result.state.id, "credit note draft", command.number)
        return

    if isinstance(command, Status):
        state = await billing.queries.find(command.reference)
        pending = [m.event for m in await billing.outbox.pending(CONSUMER, state.id)]
        link = (await ctx.links([state.id])).get(state.id)
        text, status_blocks = blocks.status_reply(state, today, pending, link)
        await reply(text, status_blocks)
        return

    if isinstance(command, ListInvoices):
        page = await billing.queries.list_invoices(
            command.kind, user, now, lists.LIST_PAGE_SIZE, client=command.client
        )
        links = await ctx.links(s.id for s in page.items)
        await reply(*lists.list_reply(page, command.kind, today, links, command.client))
        return

    if isinstance(command, ListUninvoiced):
        await reply(*lists.uninvoiced_reply(await billing.metrics.uninvoiced(now), 0))
        return

    changed = await _change(ctx, command, user, now, key)
    if changed is not None:
        state, what = changed
        await reply(blocks.changed_reply(state, what))
        error = await _delivery_error(ctx, state.id)
        if error is not None:
            await reply(
                f"Noting this in the invoice's thread is delayed ({error}); "
                "it will be retried automatically."
            )
        return

    if isinstance(command, Report):
        await post_report(ctx, user, command.month, reply)
        return

    if isinstance(command, Delegate):
        given = await billing.delegating.delegate(user, command.delegate, command.until, now)
        await reply(
            f"<@{given.delegate}> signs your approval steps until the end of "
            f"{given.until.isoformat()} (business time zone); `/invoice delegate off` ends it "
            "earlier. You can still sign yourself."
        )
        return

    if isinstance(command, EndDelegation):
        ended = (await billing.delegating.end(user, now)).delegation
        await reply(f"Delegation ended: <@{ended.delegate}> no longer signs for you.")
        return

    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


async def _post_draft(
    ctx: HandlerContext, reply: PrivateReply, invoice_id: int, what: str, subject: str
) -> None:
    """Post a saved draft (or credit note draft) to its thread; tell the drafter when Slack
    did not take it: withdrawn when Slack refused for good (here or in the background
    worker's hands), else retried."""
    error = await _delivery_error(ctx, invoice_id)
    after = await ctx.billing.queries.invoice(invoice_id)
    if after.status is InvoiceStatus.WITHDRAWN:
        why = f" ({error})" if error else ""
        await reply(
            f"Slack would not let me post the {what} here{why}. Invite me with "
            "`/invite @invoicebot` (or use a channel I am in) and draft again; the unposted "
            f"{what} was withdrawn.",
        )
    elif error:
        await reply(
            f"The {what} for {blocks.escape(subject)} is saved, but Slack did not take the "
            f"post ({error}). It will be retried automatically; "
            f"`/invoice status {blocks.escape(subject)}` shows progress.",
        )


def _origin(body: dict[str, Any]) -> dict[str, str]:
    """Where the command was typed: a draft's thread is started there."""
    return {
        "workspace": str(body.get("team_id") or ""),
        "channel": str(body.get("channel_id") or ""),
    }


async def _delivery_error(ctx: HandlerContext, invoice_id: int) -> str | None:
    """Post what the invoice's change announced, now: the first failure, escaped for Slack
    (the background worker's too, when it took the message first), or None."""
    errors = await ctx.delivery.deliver_for_invoice(invoice_id)
    return blocks.escape(errors[0]) if errors else None


async def _change(
    ctx: HandlerContext, command: Command, user: str, now: datetime, key: str | None
) -> tuple[InvoiceState, str] | None:
    """Carry out a money or chasing command: the invoice after it and how the confirmation
    reads ("NUMBER is voided"); None for any other command."""
    settlement, corrections = ctx.billing.settlement, ctx.billing.corrections
    match command:
        case MarkSent(number):
            sent = await settlement.mark_sent(number, user, now, request_key=key)
            return sent, "is marked as sent"
        case MarkPaid(number, amount, paid_on):
            paid = await settlement.record_payment(
                number, user, now, amount, paid_on, request_key=key
            )
            return paid, "payment recorded"
        case Void(number, reason):
            voided = await settlement.void(number, user, reason, now, request_key=key)
            return voided, "is voided"
        case Hold(number, reason):
            held = await corrections.hold(number, user, reason, now, request_key=key)
            return held, "is on hold: no reminders until released"
        case Release(number):
            released = await corrections.release(number, user, now, request_key=key)
            return released, "is released: reminders resume"
        case Unpay(number, reason):
            unpaid = await corrections.unpay(number, user, reason, now, request_key=key)
            return unpaid, "had its last payment reversed"
        case Refunded(number, amount, refunded_on):
            refunded = await corrections.refund(
                number, user, now, amount, refunded_on, request_key=key
            )
            return refunded, "refund recorded"
    return None
