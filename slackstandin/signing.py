"""Sign requests to the bot's ``POST /slack/events`` exactly as Slack does (v0 signatures).

The payloads themselves are built by `payloads`; `sign` adds the two headers and
`post_signed` sends a body the way Slack's servers do.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

import aiohttp

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "FORM",
    "JSON",
    "NO_RESPONSE_URL",
    "VERIFICATION_TOKEN",
    "SignedResponse",
    "dm_channel_id",
    "post_signed",
    "sign",
]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"

DEFAULT_TEAM_ID = "T0TEAM"
DEFAULT_TEAM_DOMAIN = "standin"
DEFAULT_APP_ID = "A0STANDIN"
DEFAULT_BOT_USER_ID = "U0BOT"
DEFAULT_BOT_ID = "B0BOT"
VERIFICATION_TOKEN = "standin-verification-token"  # legacy field Slack still sends; unchecked
# Local and closed: respond() against it fails fast instead of reaching the internet.
# Pass `response_url=slack.response_url("name")` to record what the bot sends.
NO_RESPONSE_URL = "http://127.0.0.1:9/no-response-url"


def dm_channel_id(*user_ids: str) -> str:
    """The stable DM (one user) or group DM channel id the stand-in gives `user_ids`."""
    key = ",".join(sorted(set(user_ids)))
    digest = hashlib.sha1(key.encode()).hexdigest()[:10].upper()
    return ("D" if len(set(user_ids)) == 1 else "G") + digest


# -- signing -----------------------------------------------------------------------------------


def sign(body: str | bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack v0 signature headers for `body` (timestamp defaults to now): HMAC-SHA256 of
    "v0:{timestamp}:{body}" over the raw bytes, whatever they are (Slack signs bytes)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode("utf-8"), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


class SignedResponse(NamedTuple):
    """What the bot answered: ``status, text = await post_signed(...)``."""

    status: int
    text: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text)


async def post_signed(
    session_or_url: "str | aiohttp.ClientSession | Any",
    body: str | bytes | Mapping[str, str],
    secret: str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    timestamp: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> SignedResponse:
    """POST a signed body like Slack; return (status, text).

    `session_or_url` is a full URL (a throwaway session is used), or an aiohttp ClientSession
    / pytest-aiohttp TestClient together with `url=`. A mapping body is form-encoded.
    `content_type` defaults to JSON for bodies starting with "{", else form-encoded.
    """
    if isinstance(body, Mapping):
        body = urlencode(dict(body))
    raw = body.encode() if isinstance(body, str) else body
    if content_type is None:
        content_type = JSON if raw.lstrip().startswith(b"{") else FORM
    all_headers = {
        "Content-Type": content_type,
        "User-Agent": SLACK_USER_AGENT,
        **sign(raw, secret, timestamp),
        **(headers or {}),
    }
    if isinstance(session_or_url, str):
        async with aiohttp.ClientSession() as session:
            return await _post(session, session_or_url, raw, all_headers)
    if url is None:
        raise TypeError("post_signed(session, ...) needs url=")
    return await _post(session_or_url, url, raw, all_headers)


async def _post(session: Any, url: str, raw: bytes, headers: dict[str, str]) -> SignedResponse:
    async with session.post(url, data=raw, headers=headers) as resp:
        return SignedResponse(resp.status, await resp.text())
