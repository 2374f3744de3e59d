"""Posting to Slack exactly once, even when Slack's answer is lost.

Slack has no idempotency key. A `chat.postMessage` or `files.completeUploadExternal` that
times out may still have been carried out; retrying it blindly posts twice (seen: the draft
summary and the final PDF doubled after a slow answer). So every step of a delivery is
remembered in the outbox message's `progress`, and a step whose last try was *ambiguous*
(a timeout, a dropped connection, a 5xx: Slack may have acted) is looked up before it is
tried again:

- messages carry `metadata` naming the outbox message and the step; the lookup reads the
  thread (`conversations.replies`) or the channel (`conversations.history`) from just before
  the ambiguous try, with `include_all_metadata`, and takes the message found;
- uploads keep the file id from `files.getUploadURLExternal`; the lookup asks `files.info`
  whether that file is shared in the channel, and completes it again only if not.

Lookups happen only after an ambiguous failure, only in the known channel and thread, at
most one request per retried step: well within Slack's Tier 3 (50+ per minute) for
conversations.history/replies and Tier 4 for files.info. They need the history and
files:read scopes (both manifests; existing installs must be reinstalled, see the README).
A clear refusal (`{"ok": false}`, a 429) is not ambiguous: Slack did nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.usecases.ports import OutboxMessage
from handlers.slack_errors import slack_error

METADATA_TYPE = "invoicebot_post"
_LOOKBACK_SECONDS = 10.0  # the lookup starts this long before the ambiguous try


def is_ambiguous(exc: BaseException) -> bool:
    """True when Slack may have carried the call out although we saw a failure."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status >= 500 or slack_error(exc) is None
    return isinstance(exc, asyncio.TimeoutError | aiohttp.ClientError | OSError)


class Steps:
    """The steps one outbox message has done, saved after each (`save` persists them)."""

    def __init__(
        self,
        client: AsyncWebClient,
        message: OutboxMessage,
        save: Callable[[Mapping[str, Any]], Awaitable[bool]],
    ) -> None:
        self.client = client
        self.message = message
        self.progress: dict[str, Any] = dict(message.progress)
        self._save = save

    async def _record(self, key: str, value: Any) -> None:
        self.progress[key] = value
        await self._save(self.progress)

    async def _ambiguous(self, step: str) -> None:
        uncertain = dict(self.progress.get("uncertain") or {})
        uncertain[step] = time.time()
        await self._record("uncertain", uncertain)

    def _uncertain_since(self, step: str) -> float | None:
        value = (self.progress.get("uncertain") or {}).get(step)
        return float(value) if value is not None else None

    async def post(
        self,
        step: str,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """chat.postMessage once for this message's `step`; returns the message ts."""
        if step in self.progress:
            return str(self.progress[step])
        since = self._uncertain_since(step)
        if since is not None:
            found = await self._find(step, channel, thread_ts, since)
            if found is not None:
                await self._record(step, found)
                return found
        metadata = {
            "event_type": METADATA_TYPE,
            "event_payload": {"outbox": self.message.id, "step": step},
        }
        try:
            response = await self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata
            )
        except Exception as exc:
            if is_ambiguous(exc):
                await self._ambiguous(step)
            raise
        ts = str(response["ts"])
        await self._record(step, ts)
        return ts

    async def _find(
        self, step: str, channel: str, thread_ts: str | None, since: float
    ) -> str | None:
        """Our message for `step`, if Slack made it after all (see the module docstring)."""
        oldest = f"{since - _LOOKBACK_SECONDS:.6f}"
        if thread_ts:
            response = await self.client.conversations_replies(
                channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200
            )
        else:
            response = await self.client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
        for message in response.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("outbox") == self.message.id and payload.get("step") == step:
                return str(message["ts"])
        return None

    async def upload(
        self,
        step: str,
        *,
        channel: str,
        thread_ts: str | None,
        content: bytes,
        filename: str,
        comment: str,
    ) -> str:
        """Share a file once for this message's `step`; returns the Slack file id."""
        done = self.progress.get(step)
        if done:
            return str(done)
        file_key, uploaded_key = f"{step}:file", f"{step}:uploaded"
        file_id = self.progress.get(file_key)
        if (
            file_id
            and self._uncertain_since(step) is not None
            and await self._shared(str(file_id), channel)
        ):
            await self._record(step, file_id)
            return str(file_id)
        if not file_id or not self.progress.get(uploaded_key):
            target = await self.client.files_getUploadURLExternal(
                filename=filename, length=len(content)
            )
            file_id = str(target["file_id"])
            await self._record(file_key, file_id)
            async with (
                aiohttp.ClientSession() as http,
                http.post(str(target["upload_url"]), data=content) as answer,
            ):
                if answer.status != 200:
                    raise aiohttp.ClientResponseError(
                        answer.request_info, (), status=answer.status, message="upload refused"
                    )
            await self._record(uploaded_key, True)
        try:
            await self.client.files_completeUploadExternal(
                files=[{"id": file_id, "title": filename}],
                channel_id=channel,
                thread_ts=thread_ts,
                initial_comment=comment,
            )
        except Exception as exc:
            if is_ambiguous(exc):
                await self._ambiguous(step)
            raise
        await self._record(step, file_id)
        return str(file_id)

    async def _shared(self, file_id: str, channel: str) -> bool:
        """Whether Slack shared the file in `channel` (a completion we did not hear of)."""
        try:
            response = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            if slack_error(exc) == "file_not_found":
                return False
            raise
        shares = (response.get("file") or {}).get("shares") or {}
        return any(channel in (shares.get(kind) or {}) for kind in ("public", "private"))
