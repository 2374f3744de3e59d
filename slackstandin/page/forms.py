"""Modals filled in on the page, as the payloads Slack sends for them.

The page sends ``{block_id: value}``; Slack sends each input's state under its block_id and
action_id, typed by its element (``plain_text_input`` -> ``value``, ``static_select`` ->
``selected_option`` with the option's text, ``datepicker`` -> ``selected_date``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..payloads import (
    block_action_payload,
    plain_text_value,
    static_select_value,
    view_submission_payload,
)

__all__ = ["state_values", "view_block_action", "view_submission"]


def _option_text(element: Mapping[str, Any], value: str) -> str | None:
    for option in element.get("options") or []:
        if option.get("value") == value:
            return str((option.get("text") or {}).get("text", value))
    return None


def state_values(view: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``{block_id: {action_id: state}}`` for every input block of `view`, from the page's
    ``{block_id: value}`` (a missing or empty value is an empty input, as Slack sends it)."""
    state: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        block_id = str(block.get("block_id", ""))
        raw = values.get(block_id)
        value = str(raw) if raw not in (None, "") else None
        kind = element.get("type")
        if kind == "static_select":
            text = _option_text(element, value) if value is not None else None
            entry = static_select_value(value if text is not None else None, text)
        elif kind == "datepicker":
            entry = {"type": "datepicker", "selected_date": value}
        else:
            entry = plain_text_value(value)
        state[block_id] = {str(element.get("action_id", "value")): entry}
    return state


def view_submission(
    view: Mapping[str, Any], values: Mapping[str, Any], user: str, trigger_id: str,
    team_id: str, app_id: str,
) -> dict[str, Any]:  # fmt: skip
    """The ``view_submission`` payload for `view` filled in with `values`."""
    return view_submission_payload(
        state_values=state_values(view, values), user_id=user, team_id=team_id, view=view,
        trigger_id=trigger_id, api_app_id=app_id,
    )  # fmt: skip


def view_block_action(
    view: Mapping[str, Any], action_id: str, user: str, trigger_id: str, team_id: str,
    app_id: str,
) -> dict[str, Any]:  # fmt: skip
    """A ``block_actions`` payload for a click on an element inside an open modal."""
    payload = block_action_payload(
        action_id, user_id=user, message_blocks=list(view.get("blocks") or []),
        team_id=team_id, trigger_id=trigger_id, api_app_id=app_id,
    )  # fmt: skip
    for key in ("channel", "message", "response_url"):
        payload.pop(key, None)
    payload["container"] = {"type": "view", "view_id": view.get("id")}
    payload["view"] = dict(view)
    return payload
