"""Delivers the outbox to Slack: drafts and final PDFs into threads, decisions, notes.

Each message is leased, carried out step by step (every step's result is stored before the
next, so a retry skips what already happened), and marked done only when Slack said ok. A
failure puts it back with exponential backoff; nothing is dropped. Handlers call
`deliver_for_invoice` right after a change so people see the result at once; the background
loop picks up anything left over (Slack outage, a crash, another replica's work).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.errors import BillingError, StoreBusy
from billing_core.invoice import Invoice
from billing_core.money import Money
from billing_core.service import Billing, Delivery, OutboxKind, document_filename
from billing_core.state import InvoiceState, SlackThread
from handlers import blocks

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
# Slack errors no retry can fix: give up on the message (a draft that cannot reach its
# thread is withdrawn, so the record can be drafted again where the bot may post).
PERMANENT_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "cannot_dm_bot",
        "user_not_found",
        "user_disabled",
        "missing_scope",
        "no_permission",
        "invalid_blocks",
        "msg_too_long",
    }
)


class Renderer(Protocol):
    async def render(self, invoice: Invoice) -> bytes: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


class SlackDelivery:
    """The outbox worker for one process. Safe to run on every replica at once."""

    def __init__(
        self,
        billing: Billing,
        client: AsyncWebClient,
        renderer: Renderer,
        clock: Clock,
        *,
        poll_seconds: float = 2.0,
    ) -> None:
        self.billing = billing
        self.client = client
        self.renderer = renderer
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, waking on `wake()` or every poll interval."""
        while not stop.is_set():
            self._wake.clear()  # before draining: a wake() during the drain is not lost
            try:
                while await self.deliver_due():
                    pass
            except StoreBusy:
                log.warning("outbox: the store is busy; trying again in %ss", self.poll_seconds)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("outbox delivery loop failed; retrying")
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waits, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
            for w in waits:
                w.cancel()

    async def deliver_due(self) -> int:
        """Deliver the next due message, if any; returns how many were attempted (0 or 1)."""
        deliveries = await self.billing.claim_deliveries(self.clock())
        for delivery in deliveries:
            await self._deliver_one(delivery)
        return len(deliveries)

    async def deliver_for_invoice(self, invoice_id: int, at_most: int = 10) -> list[str]:
        """Deliver this invoice's due messages now, in order; returns the errors of those that
        failed (a failed one holds back the later ones until it succeeds)."""
        errors: list[str] = []
        for _ in range(at_most):
            claimed = await self.billing.claim_deliveries(self.clock(), invoice_id=invoice_id)
            if not claimed:
                break
            error = await self._deliver_one(claimed[0])
            if error:
                errors.append(error)
                break
        return errors

    async def _deliver_one(self, delivery: Delivery) -> str | None:
        try:
            result = await self._carry_out(delivery)
        except Exception as exc:  # any failure: keep the message and retry later with backoff
            error = _describe(exc)
            if _slack_error(exc) in PERMANENT_ERRORS:
                return await self._give_up(delivery, error)
            backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** min(delivery.attempts, 10)))
            log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, error)
            await self.billing.delivery_failed(delivery, self.clock() + backoff, error)
            return error
        if not await self.billing.delivery_done(delivery, self.clock(), result):
            log.warning("delivery %s outlived its lease; another worker had it", delivery.id)
        self.wake()  # a later message of the same invoice may have been waiting for this one
        return None

    async def _give_up(self, delivery: Delivery, error: str) -> str:
        log.error("delivery %s (%s) cannot succeed: %s", delivery.id, delivery.kind, error)
        if delivery.kind == OutboxKind.PUBLISH_DRAFT and delivery.invoice_id is not None:
            reason = f"Slack refused to post the draft ({error}); it was withdrawn"
            await self.billing.withdraw_draft(delivery.invoice_id, reason, self.clock())
        await self.billing.delivery_done(delivery, self.clock(), {"gave_up": error})
        return error

    async def _carry_out(self, delivery: Delivery) -> dict[str, Any]:
        if delivery.kind == OutboxKind.DIGEST:
            text, digest = blocks.digest_message(delivery.payload)
            response = await self.client.chat_postMessage(
                channel=delivery.payload["channel"], text=text, blocks=digest
            )
            return {"ts": response.get("ts")}
        assert delivery.invoice_id is not None
        state = await self.billing.invoice(delivery.invoice_id)
        if delivery.kind == OutboxKind.PUBLISH_DRAFT:
            return await self._publish_draft(state)
        if delivery.kind == OutboxKind.PUBLISH_APPROVAL:
            return await self._publish_approval(state)
        if delivery.kind == OutboxKind.PUBLISH_REJECTION:
            return await self._publish_rejection(state)
        if delivery.kind == OutboxKind.INVOICE_EVENT:
            return await self._publish_event(state, delivery.payload)
        if delivery.kind == OutboxKind.NUDGE:
            return await self._nudge(state)
        raise BillingError(f"unknown outbox message kind {delivery.kind!r}")

    async def _publish_draft(self, state: InvoiceState) -> dict[str, Any]:
        thread = state.slack
        if not thread.channel_id:
            return {"skipped": "no channel"}
        if not thread.thread_ts:
            previous_link = None
            if state.supersedes_id is not None:
                previous = await self.billing.invoice(state.supersedes_id)
                previous_link = blocks.thread_link(
                    previous.slack.channel_id, previous.slack.thread_ts
                )
            text, summary = blocks.draft_summary(state, previous_link)
            response = await self.client.chat_postMessage(
                channel=thread.channel_id, text=text, blocks=summary
            )
            thread = replace(thread, thread_ts=response["ts"])
            await self.billing.set_slack_thread(state.id, thread, self.clock())
        await self._post_pdf(state, "draft", thread, blocks.draft_pdf_comment(state))
        if not thread.buttons_ts:
            approvers = self.billing.policy.approval.approvers
            text, request = blocks.decision_request(state, approvers)
            response = await self.client.chat_postMessage(
                channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, blocks=request
            )
            thread = replace(thread, buttons_ts=response["ts"])
            await self.billing.set_slack_thread(state.id, thread, self.clock())
        return {"thread_ts": thread.thread_ts, "buttons_ts": thread.buttons_ts}

    async def _publish_approval(self, state: InvoiceState) -> dict[str, Any]:
        thread = state.slack
        # The final PDF is kept with the record even when there is no thread to post to.
        await self._ensure_document(state, "final")
        if not thread.posted:
            return {"skipped": "no thread"}
        await self._post_pdf(state, "final", thread, blocks.final_pdf_comment(state))
        if thread.buttons_ts:
            text, decided = blocks.approved(state)
            await self.client.chat_update(
                channel=thread.channel_id, ts=thread.buttons_ts, text=text, blocks=decided
            )
        return {"number": state.number}

    async def _publish_rejection(self, state: InvoiceState) -> dict[str, Any]:
        thread = state.slack
        if not thread.posted:
            return {"skipped": "no thread"}
        text, decided = blocks.rejected(state)
        if thread.buttons_ts:
            # Buttons gone first (idempotent, so a retry repeats it harmlessly) ...
            await self.client.chat_update(
                channel=thread.channel_id, ts=thread.buttons_ts, text=text, blocks=decided
            )
        # ... then the reason as a reply of its own, where the thread's readers see it.
        response = await self.client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, blocks=decided
        )
        return {"ts": response.get("ts")}

    async def _publish_event(self, state: InvoiceState, payload: dict[str, Any]) -> dict[str, Any]:
        thread = state.slack
        if not thread.posted:
            return {"skipped": "no thread"}
        text = event_note(state, payload)
        response = await self.client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.thread_ts, text=text
        )
        return {"ts": response.get("ts")}

    async def _nudge(self, state: InvoiceState) -> dict[str, Any]:
        thread = state.slack
        if not thread.posted or state.status.value != "draft":
            return {"skipped": "no thread or already decided"}
        text = blocks.nudge_message(state, self.billing.policy.approval.approvers)
        response = await self.client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.thread_ts, text=text
        )
        return {"ts": response.get("ts")}

    async def _ensure_document(self, state: InvoiceState, kind: str) -> tuple[bytes, str | None]:
        document = await self.billing.document(state.id, kind)
        if document is not None:
            return document.content, document.posted_file_id
        pdf = await self.renderer.render(state.invoice)
        await self.billing.save_document(state, kind, pdf, self.clock())
        return pdf, None

    async def _post_pdf(
        self, state: InvoiceState, kind: str, thread: SlackThread, comment: str
    ) -> None:
        pdf, posted_file_id = await self._ensure_document(state, kind)
        if posted_file_id:
            return
        filename = document_filename(state, kind)
        response = await self.client.files_upload_v2(
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            content=pdf,
            filename=filename,
            title=filename,
            initial_comment=comment,
        )
        file_id = _uploaded_file_id(response)
        await self.billing.mark_document_posted(state.id, kind, file_id)


def event_note(state: InvoiceState, payload: dict[str, Any]) -> str:
    """The thread note for a change made after approval."""
    user = f"<@{payload.get('user')}>"
    locale = state.invoice.locale
    action = payload.get("action")
    if action == "sent":
        return f"{state.number} marked as sent by {user}."
    if action == "paid":
        amount = Money(Decimal(payload.get("amount", "0")), state.invoice.currency)
        # Status and balance as they were right after this payment, not as they are now.
        status = payload.get("status", state.status.value)
        balance = Money(Decimal(payload.get("balance", state.balance.amount)), amount.currency)
        return (
            f"Payment of {blocks.money(amount, locale)} on {state.number} recorded by {user}. "
            f"Status: {status}, balance {blocks.money(balance, locale)}."
        )
    if action == "void":
        reason = blocks.escape(str(payload.get("reason", "")))
        return f"{state.number} voided by {user}: {reason}"
    return f"{state.label}: {blocks.escape(str(action))} by {user}."


def _uploaded_file_id(response: Any) -> str:
    files = response.get("files") or []
    if files and isinstance(files[0], dict) and files[0].get("id"):
        return str(files[0]["id"])
    file = response.get("file") or {}
    return str(file.get("id", "unknown"))


def _slack_error(exc: BaseException) -> str | None:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return exc.response.get("error")
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        error = exc.response.get("error") if exc.response is not None else None
        return f"Slack answered {status} {error or ''}".strip()
    return f"{type(exc).__name__}: {exc}"[:500]
