"""What the chat page shows one person, read from what the stand-in recorded.

Shapes (JSON, as ``GET /page/state?user=U`` answers):

- a message: ``{"ts", "thread_ts", "text", "blocks", "files": [{"id", "name", "title",
  "url"}], "reply_count", "edited", "ephemeral"}``; ``blocks`` is the Block Kit as the bot sent
  it (the page renders it, escaping every text);
- a conversation: ``{"id", "messages": [top-level messages], "threads": {parent_ts:
  [replies]}}`` (file shares are messages of their own, as on Slack);
- a private reply (only the person who asked sees it): a message with ``"ephemeral": true``
  and ``"key"``, from chat.postEphemeral, a response_url post or the HTTP answer to a request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..recording import Recorder
from ..records import Message, UploadedFile

__all__ = ["PrivateReply", "conversation", "file_json", "private_replies"]


@dataclass(frozen=True)
class PrivateReply:
    """Something only `user` sees, in `channel` (and thread): an ephemeral message."""

    key: str  # unique and stable: the page shows each one once as a toast
    user: str
    channel: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]] | None
    at: float  # wall-clock seconds, to order replies of every kind


def file_json(upload: UploadedFile, base_url: str) -> dict[str, Any]:
    return {
        "id": upload.file_id,
        "name": upload.filename,
        "title": upload.title or upload.filename,
        "url": f"{base_url}/files/{upload.file_id}/{upload.filename}",
    }


def message_json(slack: Recorder, message: Message, base_url: str) -> dict[str, Any]:
    files = []
    for shared in message.files:
        upload = slack.files.get(str(shared.get("id")))
        if upload is not None:
            files.append(file_json(upload, base_url))
    return {
        "ts": message.ts,
        "thread_ts": message.thread_ts,
        "text": message.text or "",
        "blocks": message.blocks or [],
        "files": files,
        "reply_count": 0,
        "edited": message.updates > 0,
        "ephemeral": False,
    }


def reply_json(reply: PrivateReply) -> dict[str, Any]:
    return {
        "ts": f"{reply.at:.6f}",
        "thread_ts": reply.thread_ts,
        "text": reply.text,
        "blocks": reply.blocks or [],
        "files": [],
        "reply_count": 0,
        "edited": False,
        "ephemeral": True,
        "key": reply.key,
    }


def conversation(
    slack: Recorder, channel_id: str, base_url: str, replies: list[PrivateReply]
) -> dict[str, Any]:
    """The channel's top-level messages (oldest first) and every thread's replies, with this
    person's private replies where they were posted."""
    top: list[dict[str, Any]] = []
    threads: dict[str, list[dict[str, Any]]] = {}
    for message in sorted(slack.messages(channel_id, include_file_shares=True), key=_ts):
        shown = message_json(slack, message, base_url)
        if message.thread_ts and message.thread_ts != message.ts:
            threads.setdefault(message.thread_ts, []).append(shown)
        else:
            top.append(shown)
    for reply in replies:
        if reply.channel != channel_id:
            continue
        shown = reply_json(reply)
        if reply.thread_ts:
            threads.setdefault(reply.thread_ts, []).append(shown)
        else:
            top.append(shown)
    top.sort(key=lambda m: float(m["ts"]))
    for parent in top:
        parent["reply_count"] = sum(not r["ephemeral"] for r in threads.get(parent["ts"], []))
    for thread in threads.values():
        thread.sort(key=lambda m: float(m["ts"]))
    return {"id": channel_id, "messages": top, "threads": threads}


def private_replies(
    slack: Recorder, user: str, sent: dict[str, tuple[str, str, str | None]],
    answers: list[PrivateReply],
) -> list[PrivateReply]:  # fmt: skip
    """Everything only `user` was shown, oldest first: chat.postEphemeral to them, posts to
    the response_urls of their requests (`sent`: name -> (user, channel, thread_ts)), and the
    text the bot answered their requests with (`answers`)."""
    found = [
        PrivateReply(
            f"e{e.ts}", e.user, e.channel, e.thread_ts, e.text or "", e.blocks, float(e.ts)
        )
        for e in slack.ephemerals
        if e.user == user
    ]
    offset = time.time() - time.monotonic()  # response_url calls carry monotonic times
    for n, post in enumerate(slack.responses):
        owner = sent.get(post.name)
        if owner is None or owner[0] != user or post.body.get("delete_original"):
            continue
        text = str(post.body.get("text") or "")
        blocks = post.body.get("blocks")
        found.append(PrivateReply(f"r{n}", user, owner[1], owner[2], text,
                                  blocks if isinstance(blocks, list) else None,
                                  post.time + offset))  # fmt: skip
    found += [a for a in answers if a.user == user]
    found.sort(key=lambda r: r.at)
    return found


def _ts(message: Message) -> float:
    return float(message.ts)
