"""chat.* and conversations.*: messages, threads, DMs and reading history back."""

from typing import Any

from .blockkit import check_message
from .records import Ephemeral, Message, Params, StandInError
from .signing import dm_channel_id
from .workspace import Workspace

__all__ = ["METHODS"]

_PAGE_DEFAULT = 100
_PAGE_MAX = 1000


def _has_content(params: Params) -> bool:
    return bool(params.get("text") or params.get("blocks") or params.get("attachments"))


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def post_message(ws: Workspace, params: Params) -> Params:
    channel = ws.writable(params)
    if not _has_content(params):
        raise StandInError("no_text")
    check_message(params, blocks=ws.check_blocks)
    metadata = params.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
    ):
        raise StandInError("invalid_metadata_format")
    # Slack takes a thread_ts it does not know (the reply is then seen nowhere): so do we.
    thread_ts = params.get("thread_ts") or None
    msg = Message(
        channel=channel.id,
        ts=ws.next_ts(),
        text=params.get("text"),
        blocks=params.get("blocks"),
        attachments=params.get("attachments"),
        thread_ts=thread_ts,
        metadata=metadata,
        user=ws.bot_user_id,
        bot_id=ws.bot_id,
        app_id=ws.app_id,
        team=ws.team_id,
        params=params,
    )
    ws.messages[(channel.id, msg.ts)] = msg
    return {"channel": channel.id, "ts": msg.ts, "message": msg.to_api()}


def update(ws: Workspace, params: Params) -> Params:
    msg = ws.find_message(params)
    if not _has_content(params):
        raise StandInError("no_text")
    check_message(params, blocks=ws.check_blocks)
    for name in ("text", "blocks", "attachments", "metadata"):
        if name in params:
            setattr(msg, name, params[name])
    msg.updates += 1
    msg.params = params
    return {"channel": msg.channel, "ts": msg.ts, "text": msg.text, "message": msg.to_api()}


def delete(ws: Workspace, params: Params) -> Params:
    msg = ws.find_message(params)
    msg.deleted = True
    return {"channel": msg.channel, "ts": msg.ts}


def post_ephemeral(ws: Workspace, params: Params) -> Params:
    channel = ws.writable(params)
    user = params.get("user")
    if not user:
        raise StandInError("user_not_in_channel")
    if not _has_content(params):
        raise StandInError("no_text")
    check_message(params, blocks=ws.check_blocks)
    ts = ws.next_ts()
    ws.ephemerals.append(
        Ephemeral(
            channel.id,
            str(user),
            ts,
            params.get("text"),
            params.get("blocks"),
            params.get("thread_ts") or None,
        )
    )
    return {"message_ts": ts}


def get_permalink(ws: Workspace, params: Params) -> Params:
    msg = ws.find_message(params, "message_ts")
    base = f"https://{ws.team_domain}.slack.com/archives/{msg.channel}"
    link = f"{base}/p{msg.ts.replace('.', '')}"
    if msg.thread_ts:
        link += f"?thread_ts={msg.thread_ts}&cid={msg.channel}"
    return {"channel": msg.channel, "permalink": link}


def conversations_open(ws: Workspace, params: Params) -> Params:
    users = params.get("users")
    if isinstance(users, str):
        users = [u.strip() for u in users.split(",") if u.strip()]
    if users:
        channel_id = dm_channel_id(*users)
        if channel_id not in ws.channels:
            ws.add_channel(channel_id, members=list(users), bot_member=True)
        return {"no_op": False, "already_open": False, "channel": {"id": channel_id}}
    if params.get("channel"):
        return {"no_op": True, "already_open": True, "channel": {"id": params["channel"]}}
    raise StandInError("users_list_not_supplied")


def _page(messages: list[Message], params: Params, *, newest_first: bool) -> Params:
    """Filter by oldest/latest, paginate by cursor (an offset) and limit, as Slack does."""
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or 1e12)
    inclusive = _flag(params.get("inclusive"))
    keep = [
        m
        for m in messages
        if (oldest <= float(m.ts) <= latest if inclusive else oldest < float(m.ts) < latest)
    ]
    keep.sort(key=lambda m: float(m.ts), reverse=newest_first)
    try:
        limit = min(int(params.get("limit") or _PAGE_DEFAULT), _PAGE_MAX)
        start = int(params.get("cursor") or 0)
    except ValueError:
        raise StandInError("invalid_arguments") from None
    page = keep[start : start + limit]
    more = start + limit < len(keep)
    with_metadata = _flag(params.get("include_all_metadata"))
    return {
        "messages": [m.to_api(include_metadata=with_metadata) for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def history(ws: Workspace, params: Params) -> Params:
    """Top-level messages of a channel, newest first (needs the bot in the channel)."""
    channel = ws.writable(params)
    top = [
        m
        for m in ws.messages.values()
        if m.channel == channel.id and not m.deleted and not m.thread_ts
    ]
    return _page(top, params, newest_first=True)


def replies(ws: Workspace, params: Params) -> Params:
    """A thread: its parent first, then the replies, oldest first."""
    channel = ws.writable(params)
    ts = str(params.get("ts") or "")
    parent = ws.messages.get((channel.id, ts))
    if parent is None or parent.deleted:
        raise StandInError("thread_not_found")
    root = parent.thread_ts or parent.ts
    return _page(ws.thread(channel.id, root), params, newest_first=False)


METHODS = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "conversations.open": conversations_open,
    "conversations.history": history,
    "conversations.replies": replies,
}
