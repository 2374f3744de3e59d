"""The "slack" subscriber: tells each invoice's thread what happened.

For every domain event the outbox worker (`billing_core.usecases.worker`) hands it, this
posts into the invoice's conversation (`store.conversations`, adapter "slack"): the summary,
draft PDF and buttons for `draft_created`; the final PDF and the decided buttons for
`invoice_approved`; the reason for `draft_rejected`; a note for a change after approval; a
nudge; the weekly digest; an owner's weekly readiness DM. Each step goes through
`slack_posting.Steps`, so a retry never posts twice. Handlers call
`worker.deliver_for_invoice` right after a change so people see the result at once; the
background loop picks up the rest (an outage, a crash, another replica).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.events import EventName
from billing_core.metrics.chart import render_chart
from billing_core.money import Money
from billing_core.reports import month_bounds
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.store.conversations import Conversation, Conversations
from billing_core.usecases import Billing
from billing_core.usecases.documents import document_filename
from billing_core.usecases.ports import OutboxMessage
from billing_core.usecases.worker import OutboxWorker, PermanentFailure
from handlers import approval_blocks, blocks, chasing_blocks
from handlers.names import SLACK_CONSUMER
from handlers.report_blocks import report_message
from handlers.slack_errors import slack_error
from handlers.slack_posting import Steps
from handlers.slack_settings import SlackSettings

log = logging.getLogger(__name__)

ADAPTER = CONSUMER = SLACK_CONSUMER
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


class SlackDelivery:
    def __init__(
        self,
        billing: Billing,
        conversations: Conversations,
        client: AsyncWebClient,
        settings: SlackSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.billing = billing
        self.conversations = conversations
        self.client = client
        self.settings = settings
        self.clock = clock
        self.worker = OutboxWorker(
            CONSUMER,
            billing.outbox,
            self.handle,
            on_give_up=self.give_up,
            describe=describe,
        )

    async def deliver_for_invoice(self, invoice_id: int) -> list[str]:
        """Post what this invoice's change announced, now; the errors of what failed."""
        return await self.worker.deliver_for_invoice(invoice_id)

    def wake(self) -> None:
        self.worker.wake()

    async def handle(self, message: OutboxMessage) -> dict[str, Any]:
        """Carry out one event; raises PermanentFailure for what no retry can fix."""
        try:
            return await self._handle(message)
        except SlackApiError as exc:
            if slack_error(exc) in PERMANENT_ERRORS:
                raise PermanentFailure(describe(exc)) from exc
            raise

    async def _handle(self, message: OutboxMessage) -> dict[str, Any]:
        event = message.event
        steps = Steps(self.client, message, lambda p: self.billing.outbox.save_progress(message, p))
        if event == EventName.DIGEST_DUE:
            return await self._digest(message.payload, steps)
        if event == EventName.READINESS_DUE:
            return await self._readiness(message.payload, steps)
        if event == EventName.MONTHLY_REPORT_DUE:
            return await self._monthly_report(str(message.payload.get("month")), steps)
        if message.invoice_id is None:
            return {"skipped": "no invoice"}
        state = await self.billing.queries.invoice(message.invoice_id)
        conversation = await self.conversations.get(ADAPTER, state.id)
        if event == EventName.DRAFT_CREATED:
            return await self._draft(state, conversation, message.payload, steps)
        if event == EventName.ESCALATION_DUE:  # to a channel: no thread needed
            return await self._escalate(state, conversation, message.payload, steps)
        if conversation is None or not conversation.started:
            if event == EventName.INVOICE_APPROVED:  # the PDF is kept all the same
                await self.billing.documents.ensure(state, "final", self.clock())
            return {"skipped": "no thread"}
        if event == EventName.INVOICE_APPROVED:
            return await self._approved(state, conversation, steps)
        if event == EventName.DRAFT_REJECTED:
            return await self._rejected(state, conversation, steps)
        if event == EventName.NUDGE_DUE:
            return await self._nudge(state, conversation, steps)
        if event == EventName.STEP_SIGNED:
            return await self._signed(state, conversation, message.payload, steps)
        if event in (
            EventName.INVOICE_SENT, EventName.PAYMENT_RECORDED, EventName.INVOICE_VOIDED,
            EventName.INVOICE_CREDITED, EventName.INVOICE_HELD, EventName.INVOICE_RELEASED,
            EventName.PAYMENT_REVERSED, EventName.REFUND_RECORDED,
        ):  # fmt: skip
            text = event_note(state, event, message.payload)
            ts = await steps.post(
                "note", channel=str(conversation.channel), thread_ts=conversation.thread, text=text
            )
            return {"ts": ts}
        return {"skipped": event}

    async def _save(self, conversation: Conversation) -> None:
        await self.conversations.save(conversation, self.clock())

    async def _draft(
        self,
        state: InvoiceState,
        conversation: Conversation | None,
        payload: dict[str, Any],
        steps: Steps,
    ) -> dict[str, Any]:
        origin = payload.get("origin") or {}
        if conversation is None:
            if not origin.get("channel"):
                return {"skipped": "drafted outside Slack"}
            conversation = Conversation(
                ADAPTER, state.id, origin.get("workspace"), str(origin["channel"])
            )
            await self._save(conversation)
        channel = str(conversation.channel)
        if not conversation.thread:
            previous_link = None
            if state.supersedes_id is not None:
                previous = await self.conversations.get(ADAPTER, state.supersedes_id)
                if previous is not None:
                    previous_link = blocks.thread_link(previous.channel, previous.thread)
            text, summary = blocks.draft_summary(state, previous_link)
            ts = await steps.post("summary", channel=channel, text=text, blocks=summary)
            conversation = Conversation(
                ADAPTER, state.id, conversation.workspace, channel, ts, None,
                conversation.posted,
            )  # fmt: skip
            await self._save(conversation)
        conversation = await self._share_pdf(state, conversation, "draft", steps)
        if not conversation.actions_message:
            progress = await self.billing.approvals.progress(state.id, self.clock())
            text, request = approval_blocks.decision_message(state, progress)
            ts = await steps.post(
                "buttons", channel=channel, thread_ts=conversation.thread, text=text,
                blocks=request,
            )  # fmt: skip
            conversation = Conversation(
                ADAPTER, state.id, conversation.workspace, channel, conversation.thread, ts,
                conversation.posted,
            )  # fmt: skip
            await self._save(conversation)
        return {"thread": conversation.thread, "buttons": conversation.actions_message}

    async def _share_pdf(
        self, state: InvoiceState, conversation: Conversation, kind: str, steps: Steps
    ) -> Conversation:
        what = f"{kind}_pdf"
        if what in conversation.posted:
            return conversation
        document = await self.billing.documents.ensure(
            state, "final" if kind == "final" else "draft", self.clock()
        )
        comment = (
            blocks.final_pdf_comment(state) if kind == "final" else blocks.draft_pdf_comment(state)
        )
        file_id = await steps.upload(
            what,
            channel=str(conversation.channel),
            thread_ts=conversation.thread,
            content=document.content,
            filename=document_filename(state, "final" if kind == "final" else "draft"),
            comment=comment,
        )
        updated = conversation.with_posted(what, file_id)
        await self._save(updated)
        return updated

    async def _approved(
        self, state: InvoiceState, conversation: Conversation, steps: Steps
    ) -> dict[str, Any]:
        conversation = await self._share_pdf(state, conversation, "final", steps)
        if conversation.actions_message:
            # chat.update is idempotent: repeating it after a lost answer changes nothing.
            progress = await self.billing.approvals.progress(state.id, self.clock())
            text, decided = approval_blocks.approved_message(state, progress)
            await self.client.chat_update(
                channel=str(conversation.channel), ts=conversation.actions_message, text=text,
                blocks=decided,
            )  # fmt: skip
        return {"number": state.number}

    async def _signed(
        self,
        state: InvoiceState,
        conversation: Conversation,
        payload: dict[str, Any],
        steps: Steps,
    ) -> dict[str, Any]:
        """A step signed: the buttons message shows it (chat.update, idempotent), and a reply
        mentions who may sign the next step. Nothing once the draft is decided."""
        if state.status is not Status.DRAFT:
            return {"skipped": "already decided"}
        progress = await self.billing.approvals.progress(state.id, self.clock())
        if conversation.actions_message:
            text, request = approval_blocks.decision_message(state, progress)
            await self.client.chat_update(
                channel=str(conversation.channel), ts=conversation.actions_message, text=text,
                blocks=request,
            )  # fmt: skip
        note = approval_blocks.signed_note(state, progress, str(payload.get("actor")))
        ts = await steps.post(
            "signed", channel=str(conversation.channel), thread_ts=conversation.thread, text=note
        )
        return {"ts": ts}

    async def _rejected(
        self, state: InvoiceState, conversation: Conversation, steps: Steps
    ) -> dict[str, Any]:
        text, decided = blocks.rejected(state)
        channel = str(conversation.channel)
        if conversation.actions_message:  # buttons gone first (idempotent) ...
            await self.client.chat_update(
                channel=channel, ts=conversation.actions_message, text=text, blocks=decided
            )
        # ... then the reason as a reply of its own, where the thread's readers see it.
        ts = await steps.post(
            "reason", channel=channel, thread_ts=conversation.thread, text=text, blocks=decided
        )
        return {"ts": ts}

    async def _nudge(
        self, state: InvoiceState, conversation: Conversation, steps: Steps
    ) -> dict[str, Any]:
        if state.status is not Status.DRAFT:
            return {"skipped": "already decided"}
        text = chasing_blocks.nudge_message(state, self.billing.policy.approval.approvers)
        ts = await steps.post(
            "nudge", channel=str(conversation.channel), thread_ts=conversation.thread, text=text
        )
        return {"ts": ts}

    async def _escalate(
        self, state: InvoiceState, conversation: Conversation | None,
        payload: dict[str, Any], steps: Steps,
    ) -> dict[str, Any]:  # fmt: skip
        """A step waiting too long, told to the escalation channel (unless signed since)."""
        channel = self.billing.policy.escalation_channel
        progress = await self.billing.approvals.progress(state.id, self.clock())
        if channel is None or progress.step != payload.get("step"):
            return {"skipped": "no escalation channel or the step was signed"}
        where = (conversation.channel, conversation.thread) if conversation else (None, None)
        text = chasing_blocks.step_escalation_message(state, payload, blocks.thread_link(*where))
        return {"ts": await steps.post("escalation", channel=channel, text=text)}

    async def _digest(self, payload: dict[str, Any], steps: Steps) -> dict[str, Any]:
        channel = self.settings.billing_channel
        if not channel:
            return {"skipped": "no billing channel"}
        text, digest = chasing_blocks.digest_message(payload)
        ts = await steps.post("digest", channel=channel, text=text, blocks=digest)
        return {"ts": ts}

    async def _readiness(self, payload: dict[str, Any], steps: Steps) -> dict[str, Any]:
        """The owner's DM listing their completed records not invoiced yet."""
        opened = await self.client.conversations_open(users=str(payload["owner"]))
        channel = str(opened["channel"]["id"])
        text, readiness = chasing_blocks.readiness_message(payload)
        ts = await steps.post("readiness", channel=channel, text=text, blocks=readiness)
        return {"ts": ts}

    async def _monthly_report(self, month: str, steps: Steps) -> dict[str, Any]:
        """Last month's report and chart in `billing_channel` (none set: nothing to do)."""
        channel = self.settings.billing_channel
        if not channel:
            return {"skipped": "no billing channel"}
        now = self.clock()
        first, end = month_bounds(month, self.billing.today(now))
        report = await self.billing.metrics.month_report(first, end, now)
        locale = self.billing.policy.invoice.figures_locale
        text, figures = report_message(report, locale)
        ts = await steps.post("report", channel=channel, text=text, blocks=figures)
        if not steps.progress.get("chart"):
            months = await self.billing.metrics.monthly_money(first)
            aging = {code: f.aging for code, f in report.currencies.items()}
            png = await asyncio.to_thread(render_chart, months, aging, locale)
            await steps.upload(
                "chart", channel=channel, thread_ts=None, content=png,
                filename=f"billing-{month}.png", comment=f"Billing {month}: issued vs paid, aging",
            )  # fmt: skip
        return {"ts": ts}

    async def give_up(self, message: OutboxMessage, error: str) -> None:
        """A draft that can never reach its thread is withdrawn (not rejected: no person
        decided), so the record can be drafted again where the bot may post."""
        if message.event == EventName.DRAFT_CREATED and message.invoice_id is not None:
            reason = f"Slack refused to post the draft ({error}); it was withdrawn"
            await self.billing.drafting.withdraw(message.invoice_id, reason, self.clock())


def event_note(state: InvoiceState, event: str, payload: dict[str, Any]) -> str:
    """The thread note for a change made after approval, with the status and balance right
    after that change (not as they are when the note is delivered)."""
    user = f"<@{payload.get('actor')}>"
    locale = state.invoice.locale
    if event == EventName.INVOICE_SENT:
        return f"{state.number} marked as sent by {user}."
    if event == EventName.PAYMENT_RECORDED:
        currency = state.invoice.currency
        amount = Money(Decimal(str(payload.get("amount", "0"))), currency)
        balance = Money(Decimal(str(payload.get("balance", state.balance.amount))), currency)
        status = payload.get("status", state.status.value)
        return (
            f"Payment of {blocks.money(amount, locale)} on {state.number} recorded by {user}. "
            f"Status: {status}, balance {blocks.money(balance, locale)}."
        )
    if event == EventName.INVOICE_VOIDED:
        reason = blocks.escape(str(payload.get("reason", "")))
        return f"{state.number} voided by {user}: {reason}"
    return correction_note(state, event, payload, user)


def correction_note(state: InvoiceState, event: str, payload: dict[str, Any], user: str) -> str:
    """The thread note for a credit note issued against the invoice, a hold or release, a
    reversed payment or a refund paid out."""
    locale, currency = state.invoice.locale, state.invoice.currency
    amount = Money(Decimal(str(payload.get("amount", "0"))), currency)
    balance = Money(Decimal(str(payload.get("balance", state.balance.amount))), currency)
    status = payload.get("status", state.status.value)
    after = f"Status: {status}, balance {blocks.money(balance, locale)}."
    reason = blocks.escape(str(payload.get("reason", "")))
    if event == EventName.INVOICE_CREDITED:
        note = blocks.escape(str(payload.get("credit_note", "")))
        return (
            f"Credit note {note} of {blocks.money(amount, locale)} on {state.number} approved "
            f"by {user}. {after}"
        )
    if event == EventName.INVOICE_HELD:
        return f"{state.number} put on hold by {user}: {reason}. No reminders until released."
    if event == EventName.INVOICE_RELEASED:
        return f"{state.number} released by {user}: reminders resume."
    if event == EventName.PAYMENT_REVERSED:
        return (
            f"Payment of {blocks.money(amount, locale)} on {state.number} reversed by {user}: "
            f"{reason}. {after}"
        )
    if event == EventName.REFUND_RECORDED:
        return f"Refund of {blocks.money(amount, locale)} on {state.number} recorded by {user}."
    return f"{state.label}: {blocks.escape(event)} by {user}."


def describe(exc: BaseException) -> str:
    """One line for the log and the person: what Slack (or the network) said. Whatever the
    answer looked like: a plain-text 500 or a body that is not JSON must not break this."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        error = slack_error(exc)
        if error is None:
            return f"Slack answered {status} with no usable body"
        return f"Slack answered {status} {error}"
    return f"{type(exc).__name__}: {exc}"[:500]
