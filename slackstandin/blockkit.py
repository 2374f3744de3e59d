"""Block Kit checks, so the stand-in refuses what Slack would refuse.

Each block and view is parsed with `slack_sdk.models` and serialised again, which runs every
validator slack_sdk carries (text lengths, element counts, required fields: the limits of
https://api.slack.com/reference/block-kit). On top of that, like Slack:

- a key slack_sdk does not know is an error (slack_sdk would drop it silently, Slack refuses
  it with ``invalid_blocks``);
- block_ids are unique within a message or view, action_ids within a block;
- a message has at most 50 blocks, a modal or Home tab at most 100, message text at most
  40,000 characters (``msg_too_long``).

A refusal is `StandInError("invalid_blocks", errors=[...])`, each error naming where it is,
the way Slack's ``response_metadata.messages`` does (``[json-pointer:/blocks/0/text]``).
"""

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from .records import StandInError

__all__ = ["MAX_MESSAGE_BLOCKS", "MAX_TEXT", "MAX_VIEW_BLOCKS", "check_message", "check_view"]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000  # chat.postMessage: longer text is msg_too_long


def check_message(params: dict[str, Any], *, blocks: bool = True) -> None:
    """Raise StandInError unless a chat.* message's text and blocks are valid for Slack.

    `blocks=False` checks the text's length and the number of blocks but does not parse each
    block (for benchmarks: parsing a 49-block reminder DM costs the stand-in 5 ms, as much
    CPU as the run being measured spends on it, on the same cores)."""
    text = params.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise StandInError("msg_too_long")
    given = params.get("blocks")
    if given is None or given == "":
        return
    if not isinstance(given, list):
        raise StandInError("invalid_blocks_format")
    if len(given) > MAX_MESSAGE_BLOCKS:
        raise StandInError(
            "invalid_blocks",
            errors=[f"must provide no more than {MAX_MESSAGE_BLOCKS} items [json-pointer:/blocks]"],
        )
    if blocks:
        _raise_if(_block_errors(given, "/blocks"))


def check_view(view: Any) -> None:
    """Raise StandInError unless `view` is a valid modal or Home tab."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise StandInError("invalid_arguments", errors=["view type must be modal or home"])
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        raise StandInError("invalid_arguments", errors=["view needs blocks [json-pointer:/view]"])
    errors = _block_errors(blocks, "/view/blocks")
    if not errors:
        try:
            View(**view).to_dict()
        except (SlackObjectFormationError, TypeError) as exc:
            errors.append(f"{exc} [json-pointer:/view]")
    _raise_if(errors)


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise StandInError("invalid_blocks", errors=errors)


def _block_errors(blocks: list[Any], where: str) -> list[str]:
    errors: list[str] = []
    seen_ids: set[str] = set()
    for n, raw in enumerate(blocks):
        pointer = f"{where}/{n}"
        if not isinstance(raw, dict):
            errors.append(f"must be an object [json-pointer:{pointer}]")
            continue
        block = Block.parse(raw)
        if block is None:
            errors.append(f"unknown block type {raw.get('type')!r} [json-pointer:{pointer}]")
            continue
        try:
            parsed = block.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError) as exc:
            errors.append(f"{exc} [json-pointer:{pointer}]")
            continue
        errors += [f"unknown field [json-pointer:{p}]" for p in _dropped(raw, parsed, pointer)]
        block_id = raw.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen_ids:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{pointer}]")
            seen_ids.add(block_id)
        action_ids = [
            e.get("action_id")
            for e in raw.get("elements") or []
            if isinstance(e, dict) and e.get("action_id")
        ]
        if len(action_ids) != len(set(action_ids)):
            errors.append(f"duplicate action_id [json-pointer:{pointer}/elements]")
    return errors


def _dropped(raw: Any, parsed: Any, pointer: str) -> list[str]:
    """JSON pointers of keys in `raw` that slack_sdk's model did not keep."""
    if isinstance(raw, dict) and isinstance(parsed, dict):
        out = []
        for key, value in raw.items():
            if key not in parsed:
                if value is not None:
                    out.append(f"{pointer}/{key}")
            else:
                out += _dropped(value, parsed[key], f"{pointer}/{key}")
        return out
    if isinstance(raw, list) and isinstance(parsed, list) and len(raw) == len(parsed):
        return [
            p
            for n, (a, b) in enumerate(zip(raw, parsed, strict=True))
            for p in _dropped(a, b, f"{pointer}/{n}")
        ]
    return []
