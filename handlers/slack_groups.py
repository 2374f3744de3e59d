"""Slack user groups as approval groups: `usergroups.users.list` behind the engine's
`GroupDirectory` port (billing_core.usecases.groups, which caches the answers).

Needs the `usergroups:read` bot scope (both manifests; the README's scopes table says an
existing install must be reinstalled) and a paid Slack plan (user groups are a paid feature).
Every failure becomes a DirectoryError whose reason says what Slack answered and what to do,
because it is shown as it is to the person whose click was refused.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.usecases.groups import DirectoryError
from handlers.slack_errors import slack_error

# Slack's error codes and what the person should do about them. Slack documents
# `paid_only`/`paid_teams_only` for free workspaces calling user-group methods; newer answers
# say `plan_upgrade_required` (all mapped alike).
_PAID = "user groups need a paid Slack plan; list member IDs in [approval.groups] instead"
ADVICE = {
    "missing_scope": "ask an admin to reinstall the app with the usergroups:read scope",
    "not_allowed_token_type": "SLACK_BOT_TOKEN must be the app's bot token (xoxb-…)",
    "no_such_subteam": "Slack has no user group with this ID; check [approval.groups] in "
    "invoicebot.toml",
    "paid_only": _PAID,
    "paid_teams_only": _PAID,
    "plan_upgrade_required": _PAID,
    "team_not_paid": _PAID,
    "ratelimited": "Slack asked to slow down; try again in a minute",
    "invalid_auth": "SLACK_BOT_TOKEN was refused; check it and that the app is installed",
    "token_revoked": "the app was uninstalled; reinstall it",
    "account_inactive": "the app was uninstalled; reinstall it",
}


def reason_of(exc: SlackApiError) -> str:
    """ "missing_scope; ask an admin to ..." from a failed call (a 429 is `ratelimited`)."""
    code = slack_error(exc)
    status = getattr(exc.response, "status_code", None)
    if code is None:
        code = "ratelimited" if status == 429 else f"HTTP {status}"
    advice = ADVICE.get(code)
    if advice is None and isinstance(status, int) and status >= 500:
        advice = "Slack is having trouble; try again later"
    return f"{code}; {advice}" if advice else f"Slack answered {code}"


class SlackGroupDirectory:
    """`GroupDirectory` over a Web API client (whose retry handlers wait out a 429 and retry
    a 5xx or a lost connection a few times before this sees the failure)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def members(self, group_id: str) -> tuple[str, ...]:
        """The user IDs Slack lists for the user group. Raises DirectoryError."""
        try:
            response = await self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            raise DirectoryError(reason_of(exc)) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DirectoryError(
                f"Slack could not be reached ({type(exc).__name__}); try again in a minute"
            ) from exc
        users: Any = response.get("users")
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise DirectoryError("Slack's answer listed no users; try again in a minute")
        return tuple(users)
