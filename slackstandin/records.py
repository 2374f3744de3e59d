"""What the stand-in keeps: every call it answered, and the workspace objects they made."""

import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Call",
    "Channel",
    "Ephemeral",
    "Handler",
    "Message",
    "Params",
    "ResponsePost",
    "StandInError",
    "UploadedFile",
]

Params = dict[str, Any]
Handler = Callable[[Params], Params | Awaitable[Params]]


class StandInError(Exception):
    """Raise in a handler to answer ``{"ok": false, "error": error}`` (HTTP `status`).

    `details` are merged into the answer (Slack adds e.g. ``errors`` to invalid_blocks).
    """

    def __init__(self, error: str, status: int = 200, **details: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.details = details


@dataclass
class Call:
    """One request the stand-in received (API method, upload or response_url post)."""

    method: str
    params: Params
    headers: dict[str, str]
    time: float  # time.monotonic() at arrival
    status: int = 200
    response: Any = None  # JSON dict, or text for uploads/response_url
    failed: bool = False  # answered by failure injection
    token: str | None = None
    target: str | None = None  # file_id for uploads, name for response_url posts

    @property
    def ok(self) -> bool:
        """HTTP 200 and not a Slack-level error."""
        if self.failed or self.status != 200:
            return False
        return not isinstance(self.response, dict) or self.response.get("ok", True) is True


@dataclass
class Channel:
    """A conversation and who is in it (the bot may post only where it is a member)."""

    id: str
    name: str
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_private: bool = False

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")


@dataclass
class Message:
    """A message posted with chat.postMessage (current state after chat.update)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    attachments: list[dict[str, Any]] | None
    thread_ts: str | None
    metadata: dict[str, Any] | None
    user: str
    bot_id: str
    app_id: str
    team: str
    updates: int = 0
    deleted: bool = False
    params: Params = field(default_factory=dict)  # last postMessage/update params
    files: list[dict[str, Any]] = field(default_factory=list)  # shared with this message

    def to_api(self, *, include_metadata: bool = True) -> dict[str, Any]:
        """The message object Slack returns (and puts into block_actions payloads)."""
        msg: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": self.text or "",
            "user": self.user,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "ts": self.ts,
            "team": self.team,
        }
        if self.blocks is not None:
            msg["blocks"] = self.blocks
        if self.attachments is not None:
            msg["attachments"] = self.attachments
        if self.thread_ts:
            msg["thread_ts"] = self.thread_ts
        if self.metadata is not None and include_metadata:
            msg["metadata"] = self.metadata
        if self.files:
            msg["files"] = self.files
        if self.updates:
            msg["edited"] = {"user": self.user, "ts": self.ts}
        return msg

    def button_action_ids(self) -> list[str]:
        """action_ids of all buttons in the blocks (handy for "buttons gone")."""
        ids: list[str] = []
        for block in self.blocks or []:
            elements = list(block.get("elements") or [])
            if isinstance(block.get("accessory"), dict):
                elements.append(block["accessory"])
            ids.extend(
                e["action_id"]
                for e in elements
                if isinstance(e, dict) and e.get("type") == "button" and "action_id" in e
            )
        return ids


@dataclass
class Ephemeral:
    """A chat.postEphemeral message."""

    channel: str
    user: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None


@dataclass
class UploadedFile:
    """One file of the getUploadURLExternal -> upload -> completeUploadExternal flow."""

    file_id: str
    filename: str
    length: int  # as declared to getUploadURLExternal
    upload_url: str
    title: str | None = None
    content: bytes | None = None  # what was POSTed to upload_url
    channel_id: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    alt_txt: str | None = None
    snippet_type: str | None = None
    completed: bool = False
    upload_content_type: str | None = None
    share_ts: str | None = None  # the message the file was shared with

    @property
    def mimetype(self) -> str:
        """Guessed from the filename."""
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"


@dataclass
class ResponsePost:
    """A POST to a response_url (Bolt's `respond()`)."""

    name: str
    body: Params
    headers: dict[str, str]
    time: float
