"""Build the payloads Slack sends to an app, field for field: slash commands (form-encoded),
interactions (a form with one ``payload=<json>`` field) and Events API callbacks (JSON).

Payload builders return dicts (also the Socket Mode envelope payload); ``*_body`` variants
return the HTTP body string Slack would POST. Sign them with `signing.sign` or send them with
`signing.post_signed`.
"""

import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .signing import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    NO_RESPONSE_URL,
    VERIFICATION_TOKEN,
    dm_channel_id,
)

__all__ = [
    "app_home_opened_event",
    "block_action_body",
    "block_action_payload",
    "event_callback_body",
    "event_callback_payload",
    "interaction_body",
    "plain_text_value",
    "slash_command_body",
    "slash_command_payload",
    "static_select_value",
    "view_submission_body",
    "view_submission_payload",
]

_seq = itertools.count(1)


def _trigger_id() -> str:
    n = next(_seq)
    return f"{1700000000 + n}.{123456789 + n}.{n:032x}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


# -- slash commands ----------------------------------------------------------------------------


def slash_command_payload(
    command: str = "/invoice",
    text: str = "draft P-123",
    user_id: str = "U0DRAFTER",
    channel_id: str = "C0SALES",
    team_id: str = DEFAULT_TEAM_ID,
    response_url: str = NO_RESPONSE_URL,
    trigger_id: str | None = None,
    *,
    user_name: str | None = None,
    channel_name: str = "sales",
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
) -> dict[str, str]:
    """The fields of a slash command, in Slack's order (also the Socket Mode payload)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }


def slash_command_body(
    command: str = "/invoice",
    text: str = "draft P-123",
    user_id: str = "U0DRAFTER",
    channel_id: str = "C0SALES",
    team_id: str = DEFAULT_TEAM_ID,
    response_url: str = NO_RESPONSE_URL,
    trigger_id: str | None = None,
    **kwargs: Any,
) -> str:
    """A slash command as Slack POSTs it (form-encoded)."""
    payload = slash_command_payload(
        command, text, user_id, channel_id, team_id, response_url, trigger_id, **kwargs
    )
    return urlencode(payload)


# -- interactivity -----------------------------------------------------------------------------


def interaction_body(payload: Mapping[str, Any]) -> str:
    """Form body ``payload=<json>``, how Slack POSTs every interaction."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def _user(user_id: str, team_id: str, user_name: str | None) -> dict[str, str]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[str, dict[str, Any]] | None:
    for block in blocks:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    return None


def block_action_payload(
    action_id: str,
    value: str | None = None,
    user_id: str = "U0APPROVER",
    channel_id: str | None = None,
    message_ts: str = "1700000000.000100",
    team_id: str = DEFAULT_TEAM_ID,
    *,
    block_id: str | None = None,
    message: Any = None,
    message_blocks: list[dict[str, Any]] | None = None,
    message_text: str = "",
    thread_ts: str | None = None,
    action_type: str = "button",
    button_text: str | None = None,
    response_url: str = NO_RESPONSE_URL,
    trigger_id: str | None = None,
    user_name: str | None = None,
    channel_name: str | None = None,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    bot_id: str = DEFAULT_BOT_ID,
    is_ephemeral: bool = False,
    state_values: Mapping[str, Any] | None = None,
    **action_fields: Any,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click on a message element.

    Pass the clicked message as `message` (a stand-in `Message`, whose channel then is the
    default `channel_id`, or a message dict) or its `message_blocks`: block_id, value, button
    text and style are then taken from the element with `action_id`, as Slack does. Extra
    keyword args are merged into the action (e.g. ``selected_option=...`` for a select).
    `channel_id` defaults to the message's channel, else "C0SALES".
    """
    if hasattr(message, "to_api"):
        channel_id = channel_id or message.channel
        message = message.to_api()
    channel_id = channel_id or "C0SALES"
    if message is not None:
        msg = dict(message)
        message_ts = str(msg.get("ts", message_ts))
        thread_ts = msg.get("thread_ts", thread_ts)
        if message_blocks is None:
            message_blocks = list(msg.get("blocks") or [])
    else:
        msg = {
            "type": "message",
            "subtype": "bot_message",
            "text": message_text,
            "user": bot_user_id,
            "bot_id": bot_id,
            "app_id": api_app_id,
            "ts": message_ts,
            "team": team_id,
            "blocks": list(message_blocks or []),
        }
        if thread_ts:
            msg["thread_ts"] = thread_ts
    element: dict[str, Any] = {}
    found = _find_element(message_blocks or [], action_id)
    if found is not None:
        found_block_id, element = found
        block_id = block_id or found_block_id
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or "standin_block",
        "type": element.get("type", action_type),
        "action_ts": _action_ts(),
    }
    if action["type"] == "button":
        text = element.get("text") or {
            "type": "plain_text",
            "text": button_text or action_id,
            "emoji": True,
        }
        action["text"] = text
        val = value if value is not None else element.get("value")
        if val is not None:
            action["value"] = val
        if element.get("style"):
            action["style"] = element["style"]
    elif value is not None:
        action["value"] = value
    action.update(action_fields)
    is_dm = channel_id.startswith("D")
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {
            "id": channel_id,
            "name": channel_name or ("directmessage" if is_dm else channel_id.lower()),
        },
        "message": msg,
        "state": {"values": dict(state_values or {})},
        "response_url": response_url,
        "actions": [action],
    }


def block_action_body(action_id: str, value: str | None = None, **kwargs: Any) -> str:
    """`block_action_payload` as Slack POSTs it (``payload=<json>``)."""
    return interaction_body(block_action_payload(action_id, value, **kwargs))


def plain_text_value(value: str | None) -> dict[str, Any]:
    """State value of a plain_text_input (for `state_values`)."""
    return {"type": "plain_text_input", "value": value}


def static_select_value(value: str | None, text: str | None = None) -> dict[str, Any]:
    """State value of a static_select (``None`` = nothing selected)."""
    option = None
    if value is not None:
        option = {
            "text": {"type": "plain_text", "text": text or value, "emoji": True},
            "value": value,
        }
    return {"type": "static_select", "selected_option": option}


def view_submission_payload(
    callback_id: str = "",
    private_metadata: str = "",
    state_values: Mapping[str, Mapping[str, Any]] | None = None,
    user_id: str = "U0APPROVER",
    team_id: str = DEFAULT_TEAM_ID,
    *,
    view: Mapping[str, Any] | None = None,
    view_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Modal",
    trigger_id: str | None = None,
    user_name: str | None = None,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    bot_id: str = DEFAULT_BOT_ID,
) -> dict[str, Any]:
    """A ``view_submission`` payload.

    `state_values` is ``{block_id: {action_id: plain_text_value("...") | ...}}``. Pass the
    opened `view` (e.g. ``slack.views[view_id]``) to reuse its id, blocks, callback_id and
    private_metadata; explicit non-empty arguments win.
    """
    base = dict(view or {})
    # Like Slack, a new modal has a new id and hash: two submissions are the same request
    # only when they are of the same view (pass it as `view`).
    n = next(_seq)
    vid = view_id or base.get("id") or f"V0STANDIN{n:06d}"
    full_view: dict[str, Any] = {
        "id": vid,
        "team_id": team_id,
        "type": base.get("type", "modal"),
        "blocks": blocks if blocks is not None else list(base.get("blocks") or []),
        "private_metadata": private_metadata or base.get("private_metadata", ""),
        "callback_id": callback_id or base.get("callback_id", ""),
        "state": {"values": {k: dict(v) for k, v in (state_values or {}).items()}},
        "hash": base.get("hash", f"1700000000.{n:08d}"),
        "title": base.get("title") or {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": base.get("clear_on_close", False),
        "notify_on_close": base.get("notify_on_close", False),
        "close": base.get("close"),
        "submit": base.get("submit") or {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": base.get("root_view_id", vid),
        "app_id": api_app_id,
        "external_id": base.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "view": full_view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(
    callback_id: str = "",
    private_metadata: str = "",
    state_values: Mapping[str, Mapping[str, Any]] | None = None,
    user_id: str = "U0APPROVER",
    team_id: str = DEFAULT_TEAM_ID,
    **kwargs: Any,
) -> str:
    """`view_submission_payload` as Slack POSTs it (``payload=<json>``)."""
    return interaction_body(
        view_submission_payload(
            callback_id, private_metadata, state_values, user_id, team_id, **kwargs
        )
    )


# -- Events API --------------------------------------------------------------------------------


def event_callback_payload(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> dict[str, Any]:
    """An ``event_callback`` wrapper around `event` (also the events_api envelope payload)."""
    n = next(_seq)
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{n:010d}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-standin-{n}",
    }


def event_callback_body(event: Mapping[str, Any], **kwargs: Any) -> str:
    """`event_callback_payload` as Slack POSTs it (JSON)."""
    return json.dumps(event_callback_payload(event, **kwargs))


def app_home_opened_event(
    user_id: str, channel_id: str | None = None, tab: str = "home"
) -> dict[str, Any]:
    """The ``app_home_opened`` event (wrap with `event_callback_body`)."""
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id or dm_channel_id(user_id),
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
