"""Buttons and the reject modal. Every click is checked on the server, whatever it claims."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import AlreadyDecided, BillingError
from billing_core.permissions import check_may_reject, check_may_settle
from billing_core.status import Status
from handlers import blocks
from handlers.context import (
    FOREIGN_TEAM,
    HandlerContext,
    PrivateReply,
    ack_only,
    open_modal,
    parse_invoice_id,
    team_of,
)

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: HandlerContext) -> None:
    async def approve(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        reply = PrivateReply.to_click(client, respond, body)
        user = body["user"]["id"]
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        try:
            state = await ctx.billing.approve(invoice_id, user, ctx.clock(), team_id=team_of(body))
        except BillingError as exc:
            await reply(blocks.refusal(exc))
            return
        errors = await ctx.delivery.deliver_for_invoice(state.id)
        if errors:
            await reply(
                f"Approved as *{state.number}*; the final PDF is kept with the record. Posting "
                f"it to Slack failed ({blocks.escape(errors[0])}): `/invoice status "
                f"{state.number}` shows what is still pending.",
            )

    async def open_reject_modal(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        reply = PrivateReply.to_click(client, respond, body)
        user = body["user"]["id"]
        if (invoice_id := await ctx.clicked_invoice(body, reply)) is None:
            return
        try:
            check_may_reject(user, ctx.billing.policy.approval)
            state = await ctx.billing.invoice(invoice_id, team_id=team_of(body))
        except BillingError as exc:
            await reply(blocks.refusal(exc))
            return
        if state.status is not Status.DRAFT:
            await reply(str(AlreadyDecided(state.status.value, state.number)))
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
            state = await ctx.billing.reject(
                invoice_id, user, category, reason, ctx.clock(), team_id=team_of(body)
            )
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
            state = await ctx.billing.invoice(invoice_id, team_id=team_of(body))
            if user != state.drafted_by:
                check_may_settle(user, state.owner, ctx.billing.policy.approval)
        except BillingError as exc:
            await reply(blocks.refusal(exc))
            return
        await ctx.billing.retry_deliveries_now(invoice_id, ctx.clock())
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
