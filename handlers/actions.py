"""Buttons and the reject modal. Every click is checked on the server, whatever it claims."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import AlreadyDecided, AlreadyHandled, BillingError
from billing_core.permissions import check_may_settle
from billing_core.status import Status
from handlers import approval_blocks, blocks
from handlers.context import (
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
from handlers.slack_delivery import CONSUMER

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    async def approve(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        reply = PrivateReply.to_click(client, respond, body)
        user = body["user"]["id"]
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        key = command_key(body)

        async def work() -> None:
            try:
                state = await ctx.billing.drafting.approve(
                    invoice_id, user, ctx.clock(), request_key=key
                )
            except AlreadyHandled:
                raise
            except BillingError as exc:
                await reply(blocks.refusal(exc))
                return
            errors = await ctx.delivery.deliver_for_invoice(state.id)
            if state.status is Status.DRAFT:  # a step of a multi-step rule signed
                progress = await ctx.billing.approvals.progress(state.id, ctx.clock())
                await reply(approval_blocks.signed_note(state, progress, user))
            elif errors:
                await reply(
                    f"Approved as *{state.number}*; the final PDF is kept with the record. "
                    f"Posting it to Slack is delayed ({blocks.escape(errors[0])}) and will be "
                    f"retried: `/invoice status {state.number}` shows what is still pending.",
                )

        await once(ctx, key, reply, work)

    async def open_reject_modal(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        reply = PrivateReply.to_click(client, respond, body)
        user = body["user"]["id"]
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        try:
            await ctx.billing.drafting.check_may_reject(user, ctx.clock())
            state = await ctx.billing.queries.invoice(invoice_id)
        except BillingError as exc:
            await reply(blocks.refusal(exc))
            return
        if state.status is not Status.DRAFT:
            await reply(blocks.already_decided(AlreadyDecided(state.status.value, state.number)))
            return
        # trigger_id expires 3 s after the click: open the modal straight away.
        await open_modal(client, body, blocks.reject_modal(state), reply)

    async def submit_reject(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        values = view.get("state", {}).get("values", {})
        reason = (values.get("reason", {}).get("value", {}).get("value") or "").strip()
        selected = values.get("category", {}).get("value", {}).get("selected_option") or {}
        category = selected.get("value", "other")
        metadata = view.get("private_metadata", "")
        if ctx.foreign_team(team_of(body)):
            await ack(response_action="errors", errors={"reason": FOREIGN_TEAM})
            return
        if not reason:
            await ack(response_action="errors", errors={"reason": "Please say what is wrong."})
            return
        invoice_id = parse_invoice_id(metadata)
        if invoice_id is None:
            await ack(response_action="errors", errors={"reason": "This form names no invoice."})
            return
        try:
            # Fast (one short transaction), so its refusal can be shown inside the modal.
            state = await ctx.billing.drafting.reject(
                invoice_id, user, category, reason, ctx.clock(), request_key=view_key(view)
            )
        except AlreadyHandled:
            await ack()  # the same submission again: it was rejected the first time
            return
        except BillingError as exc:
            await ack(response_action="errors", errors={"reason": str(exc)[:150]})
            return
        await ack()
        await ctx.delivery.deliver_for_invoice(state.id)

    async def retry_posting(
        body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        reply = PrivateReply.to_click(client, respond, body)
        user = body["user"]["id"]
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        try:
            state = await ctx.billing.queries.invoice(invoice_id)
            if user != state.drafted_by:
                check_may_settle(user, state.owner, ctx.billing.policy.approval)
        except BillingError as exc:
            await reply(blocks.refusal(exc))
            return
        await ctx.billing.outbox.retry_now(CONSUMER, invoice_id, ctx.clock())
        errors = await ctx.delivery.deliver_for_invoice(invoice_id)
        text = (
            f"Still failing ({blocks.escape(errors[0])}); it will be retried automatically."
            if errors
            else "Posted."
        )
        await reply(text)

    app.action(blocks.APPROVE_ACTION)(ack=ack_only, lazy=[approve])
    app.action(blocks.REJECT_ACTION)(open_reject_modal)
    app.view(blocks.REJECT_MODAL)(submit_reject)
    app.action(blocks.RETRY_ACTION)(ack=ack_only, lazy=[retry_posting])
