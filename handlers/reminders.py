"""Reminder DMs and their buttons: Mark paid (a form with the amount) and Snooze 3 days."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import AlreadyHandled, BillingError, PaymentRefused
from billing_core.permissions import check_may_settle
from billing_core.policy import Policy
from billing_core.reminders import DueReminder
from billing_core.store.conversations import Conversations
from handlers import blocks, chasing_blocks
from handlers.context import (
    ADAPTER,
    FOREIGN_TEAM,
    HandlerContext,
    PrivateReply,
    ack_only,
    command_key,
    once,
    open_modal,
    parse_invoice_id,
    team_of,
    view_key,
)


class SlackReminderSender:
    """Sends reminder DMs (conversations.open + chat.postMessage) and escalation posts."""

    def __init__(
        self, client: AsyncWebClient, policy: Policy, conversations: Conversations
    ) -> None:
        self.client = client
        self.policy = policy
        self.conversations = conversations
        # An owner's DM channel does not change: opened once per process, not per message
        # (conversations.open is Tier 3; a run at 1,000 owners would otherwise hit its limit).
        self._dm_channels: dict[str, str] = {}
        # The current batch's invoices and their thread links (those that have a thread).
        self._prepared: frozenset[int] = frozenset()
        self._batch_links: dict[int, str] = {}

    async def prepare(self, reminders: list[DueReminder]) -> None:
        """Look up the batch's thread links at once (they were a query per message)."""
        links: dict[int, str] = {}
        for start in range(0, len(reminders), 500):
            links.update(await self._lookup(reminders[start : start + 500]))
        self._prepared = frozenset(r.state.id for r in reminders)
        self._batch_links = links

    def chunks(self, reminders: list[DueReminder]) -> list[list[DueReminder]]:
        return chasing_blocks.reminder_chunks(reminders)

    async def _links(self, reminders: list[DueReminder]) -> dict[int, str]:
        if all(r.state.id in self._prepared for r in reminders):
            return self._batch_links
        return await self._lookup(reminders)

    async def _lookup(self, reminders: list[DueReminder]) -> dict[int, str]:
        found = await self.conversations.many(ADAPTER, [r.state.id for r in reminders])
        links = {i: blocks.thread_link(c.channel, c.thread) for i, c in found.items()}
        return {i: link for i, link in links.items() if link}

    async def send_owner(
        self, owner: str, reminders: list[DueReminder], part: int, parts: int
    ) -> None:
        channel = self._dm_channels.get(owner)
        if channel is None:
            opened = await self.client.conversations_open(users=owner)
            channel = self._dm_channels[owner] = str(opened["channel"]["id"])
        links = await self._links(reminders)
        text, message = chasing_blocks.reminder_message(reminders, links, part, parts)
        await self.client.chat_postMessage(channel=channel, text=text, blocks=message)

    async def send_escalation(self, reminders: list[DueReminder], final_stage: bool) -> None:
        channel = self.policy.reminders.escalation_channel
        if not channel:
            return
        links = await self._links(reminders)
        text, message = chasing_blocks.escalation_message(reminders, final_stage, links)
        await self.client.chat_postMessage(channel=channel, text=text, blocks=message)


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    async def open_mark_paid(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        reply = PrivateReply.to_click(client, respond, body)
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        try:
            state = await ctx.billing.queries.invoice(invoice_id)
            check_may_settle(body["user"]["id"], state.owner, ctx.billing.policy.approval)
        except BillingError as exc:
            await reply(blocks.refusal(exc))
            return
        if state.balance.is_zero():
            await reply(blocks.changed_reply(state, "needs no payment"))
            return
        await open_modal(client, body, chasing_blocks.mark_paid_modal(state), reply)

    async def submit_mark_paid(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        amount = (values.get("amount", {}).get("value", {}).get("value") or "").strip()
        metadata = view.get("private_metadata", "")
        if ctx.foreign_team(team_of(body)):
            await ack(response_action="errors", errors={"amount": FOREIGN_TEAM})
            return
        invoice_id = parse_invoice_id(metadata)
        if invoice_id is None:
            await ack(response_action="errors", errors={"amount": "This form names no invoice."})
            return
        try:
            state = await ctx.billing.queries.invoice(invoice_id)
            if state.number is None:
                raise PaymentRefused("only approved invoices take payments")
            state = await ctx.billing.settlement.record_payment(
                state.number,
                body["user"]["id"],
                ctx.clock(),
                amount=amount or None,
                request_key=view_key(view),
            )
        except AlreadyHandled:
            await ack()  # the same form submitted again: its payment was recorded once
            return
        except BillingError as exc:
            await ack(response_action="errors", errors={"amount": str(exc)[:150]})
            return
        await ack()
        await ctx.delivery.deliver_for_invoice(state.id)

    async def snooze(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        reply = PrivateReply.to_click(client, respond, body)
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        key = command_key(body)

        async def work() -> None:
            try:
                state = await ctx.billing.settlement.snooze(
                    invoice_id, body["user"]["id"], ctx.clock(), request_key=key
                )
            except AlreadyHandled:
                raise
            except BillingError as exc:
                await reply(blocks.refusal(exc))
                return
            until = state.snoozed_until.isoformat() if state.snoozed_until else "later"
            await reply(f"Snoozed {blocks.escape(state.label)}: no reminders until after {until}.")

        await once(ctx, key, reply, work)

    app.action(chasing_blocks.MARK_PAID_ACTION)(open_mark_paid)
    app.view(chasing_blocks.MARK_PAID_MODAL)(submit_mark_paid)
    app.action(chasing_blocks.SNOOZE_ACTION)(ack=ack_only, lazy=[snooze])
