"""Reading Slack's failures, whatever their shape (a JSON error, a plain-text 500, nothing)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: BaseException) -> str | None:
    """Slack's error code (`not_in_channel`, ...) of a failed Web API call, if it has one.
    A body that is not a JSON object (a proxy's 500 page) has none."""
    if isinstance(exc, SlackApiError) and isinstance(getattr(exc.response, "data", None), dict):
        error = exc.response.data.get("error")
        return str(error) if error else None
    return None
