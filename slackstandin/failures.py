"""Failure injection: rate limits, outages, malformed answers, slow and late answers."""

from dataclasses import dataclass
from typing import Any

from aiohttp import web

__all__ = ["Failure", "Failures"]


@dataclass
class Failure:
    method: str  # "*" matches everything
    status: int | None  # None: answer normally (after `delay`, or `late`)
    body: Any
    headers: dict[str, str]
    delay: float | None  # wait before doing anything
    remaining: int | None  # None: until recover()
    late: float | None = None  # carry the call out, then answer this many seconds later

    def response(self) -> web.Response:
        assert self.status is not None
        if isinstance(self.body, dict | list):
            return web.json_response(self.body, status=self.status, headers=self.headers)
        data = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        return web.Response(
            body=data, status=self.status, headers=self.headers, content_type="text/plain"
        )


class Failures:
    """The rules `SlackStandIn.fail_next` / `fail_all` add; each call takes the first match."""

    def __init__(self) -> None:
        self.rules: list[Failure] = []

    def add(
        self,
        method: str,
        status: int | None,
        retry_after: int,
        body: Any,
        error: str | None,
        delay: float | None,
        headers: dict[str, str] | None,
        times: int | None,
        late: float | None = None,
    ) -> None:
        hdrs = dict(headers or {})
        if error is not None:
            status = status or 200
            body = body if body is not None else {"ok": False, "error": error}
        elif status is None and delay is None and late is None:
            status = 429
        if status == 429:
            hdrs.setdefault("Retry-After", str(retry_after))
            body = body if body is not None else {"ok": False, "error": "ratelimited"}
        elif status is not None and body is None:
            name = {500: "internal_error", 503: "service_unavailable"}.get(status, "fatal_error")
            body = {"ok": False, "error": name}
        self.rules.append(Failure(method, status, body, hdrs, delay, times, late))

    def take(self, method: str) -> Failure | None:
        for rule in self.rules:
            if rule.method in ("*", method):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()
