"""The HTTP edge between aiohttp and Bolt: everything Slack POSTs to `/slack/events`.

We own this adapter instead of using `slack_bolt.adapter.aiohttp`, because a request must be
checked before Bolt sees it:

- the signature and its timestamp first (401): an unauthenticated body is never parsed, and
  never logged (Bolt's own check logs the whole body of a bad request at INFO, and turns a
  timestamp that is not a number into a 500 with a traceback);
- then UTF-8 and the body's shape (400): Bolt answers a non-UTF-8 body, or non-JSON sent as
  application/json, with a 500;
- the form body is parsed here: slack-bolt 1.30's `parse_body` takes any form body that
  contains the word "payload" anywhere (a channel called #payload-team, or `/invoice status
  payload`) for an interactive payload, finds no `payload` field and hands the listeners an
  empty body, so the command goes unanswered (404). Reported upstream in docs/upstream.md.

Bolt's own signature check is switched off (`AsyncApp(request_verification_enabled=False)`):
this module is the one place it happens, for every request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
MAX_CLOCK_SKEW_SECONDS = 60 * 5  # Slack: refuse requests older than five minutes (replays)


def slack_events_handler(
    app: AsyncApp, signing_secret: str, clock: Callable[[], float] = time.time
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for `POST /slack/events`: check, parse, then dispatch to Bolt."""
    secret = signing_secret.encode("utf-8")

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        refusal = _check_signature(secret, request, raw, clock())
        if refusal is not None:
            log.info("refused a request to /slack/events: %s", refusal)
            return _error(401, "invalid request")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "the body is not UTF-8")
        body, problem = _parse(request.content_type, text)
        if problem is not None:
            log.info("refused a signed request to /slack/events: %s", problem)
            return _error(415 if problem.startswith("content type") else 400, problem)
        # Built as a Socket Mode request so that Bolt takes our parsed body as it is (its
        # own parser is the one with the "payload" bug), then marked as the HTTP request it is.
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=dict(request.headers),
            mode="socket_mode",
        )
        bolt_request.raw_body = text
        bolt_request.mode = "http"
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


def _check_signature(secret: bytes, request: web.Request, raw: bytes, now: float) -> str | None:
    """Why the request is not Slack's (None when it is), without reading its body.

    Slack's v0 scheme: HMAC-SHA256 over "v0:{timestamp}:{body}" with the signing secret,
    computed on the raw bytes (slack_sdk's verifier would first decode them as UTF-8)."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "the timestamp is not a number"
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return "the timestamp is more than five minutes off (a replay?)"
    digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    expected = "v0=" + digest.hexdigest()
    if not signature.isascii() or not hmac.compare_digest(expected, signature):
        return "the signature does not match"
    return None


def _parse(content_type: str, text: str) -> tuple[dict[str, Any], str | None]:
    """The body as Bolt expects it, or why it cannot be one of Slack's requests."""
    if content_type == "application/json":
        try:
            data = json.loads(text)
        except ValueError:
            return {}, "the JSON body is not valid JSON"
        if not isinstance(data, dict):
            return {}, "the JSON body is not an object"
        return data, None
    if content_type != FORM:
        return {}, f"content type {content_type!r} is not one Slack sends"
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" not in form:
        return form, None  # a slash command (or ssl_check), whatever words it contains
    try:
        payload = json.loads(form["payload"])
    except ValueError:
        return {}, "the interaction payload is not valid JSON"
    if not isinstance(payload, dict):
        return {}, "the interaction payload is not an object"
    return payload, None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
