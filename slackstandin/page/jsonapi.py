"""The page's JSON endpoints: a JSON object in, ``{"ok": ...}`` out; HTTP 400 with ``error``
naming the field for bad input."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

__all__ = ["BadRequest", "json_route", "loads"]


class BadRequest(Exception):
    """A page request missing a field or naming something unknown (HTTP 400)."""


def json_route(
    handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp handler around `handler(body) -> answer`; BadRequest becomes HTTP 400."""

    async def route(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "expected a JSON body"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "expected a JSON object"}, status=400)
        try:
            return web.json_response(await handler(body))
        except BadRequest as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)

    return route


def loads(text: str) -> Any:
    """An app's answer: JSON, ``{}`` when empty, else ``{"text": text}``."""
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return {"text": text}
