"""A local Slack Web API stand-in (aiohttp on 127.0.0.1, random port) that records every call.

    async with SlackStandIn() as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.messages("C1")[0].text == "hi"

Answers like Slack: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": ...}``,
accepts query, form and JSON parameters, checks ``Authorization: Bearer``, refuses Block Kit
Slack would refuse (`blockkit`) and posts where the bot is not a member (`add_channel`). All
state lives in one event loop: start, call and wait from the same loop.
"""

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, Self

from aiohttp import web

from . import chat, files, views
from .blockkit import check_message
from .failures import Failure, Failures
from .recording import RESPONSE_URL, Recorder
from .records import (
    Call,
    Channel,
    Handler,
    Params,
    StandInError,
)
from .signing import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    dm_channel_id,
)
from .socket_mode import Signal, SocketModeHub
from .transport import bearer, bind, read_multipart_file, read_params
from .workspace import Workspace

__all__ = ["DEFAULT_APP_TOKEN", "DEFAULT_BOT_TOKEN", "RESPONSE_URL", "UPLOAD", "SlackStandIn"]

DEFAULT_BOT_TOKEN = "xoxb-0000000000-standin"
DEFAULT_APP_TOKEN = "xapp-1-A0STANDIN-0000-standin"
UPLOAD = "upload"  # pseudo method name of POSTs to an upload_url
_MAX_BODY = 200 * 1024 * 1024


class SlackStandIn(Recorder):
    """The stand-in server: a `Workspace`, the Web API over it, and what it was asked."""

    def __init__(
        self,
        *,
        bot_token: str | None = DEFAULT_BOT_TOKEN,
        app_token: str | None = DEFAULT_APP_TOKEN,
        team_id: str = DEFAULT_TEAM_ID,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        team_name: str = "Stand-in Workspace",
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = DEFAULT_BOT_ID,
        bot_name: str = "invoicebot",
        app_id: str = DEFAULT_APP_ID,
        host: str = "127.0.0.1",
        port: int = 0,
        auto_join: bool = True,
        check_blocks: bool = True,  # False for benchmarks: see Workspace.check_blocks
    ) -> None:
        self.bot_token = bot_token  # None: any xoxb-/xoxp- token is accepted
        self.app_token = app_token  # None: any xapp- token is accepted
        self.workspace = Workspace(
            team_id, team_domain, team_name, bot_user_id, bot_id, bot_name, app_id,
            auto_join=auto_join, check_blocks=check_blocks,
        )  # fmt: skip
        self.host, self.port = host, port
        self.calls: list[Call] = []
        self.failures = Failures()
        self._handlers: dict[str, Handler] = {}
        self._signal = Signal()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._routes: list[Callable[[web.Application], None]] = []
        self.socket = SocketModeHub(self._signal, app_id)
        ws = self.workspace
        self._methods: dict[str, Handler] = {
            "api.test": lambda p: {"args": p},
            "auth.test": lambda p: self._auth_test(),
            "apps.connections.open": lambda p: self._apps_connections_open(),
            **{name: bind(fn, ws) for name, fn in chat.METHODS.items()},
            **{name: bind(fn, ws) for name, fn in files.METHODS.items()},
            **{name: bind(fn, ws) for name, fn in views.METHODS.items()},
        }

    # -- identity and workspace state (read-only views for tests) ----------------------------

    team_id = property(lambda self: self.workspace.team_id)
    team_domain = property(lambda self: self.workspace.team_domain)
    bot_user_id = property(lambda self: self.workspace.bot_user_id)
    bot_id = property(lambda self: self.workspace.bot_id)
    app_id = property(lambda self: self.workspace.app_id)
    stopping = property(lambda self: self._closing.is_set())  # stop() began: streams end

    # -- lifecycle ---------------------------------------------------------------------------

    def add_routes(self, add: Callable[[web.Application], None]) -> None:
        """Register more routes (e.g. the sandbox chat page) before `start`."""
        self._routes.append(add)

    async def start(self) -> Self:
        """Listen on host:port (port 0 = a free one); returns self."""
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{name}", self._handle_response_url)
        app.router.add_get("/socket", self.socket.handle)
        for add in self._routes:
            add(app)
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.workspace.base_url = self.url
        return self

    async def stop(self) -> None:
        """Close websockets, abort injected delays, end page streams, stop listening."""
        self._closing.set()
        self.notify()
        await self.socket.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Value for SLACK_API_URL / AsyncWebClient(base_url=...), ending with "/"."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "default") -> str:
        """A response_url on the stand-in; POSTs to it land in `responses`."""
        return f"{self.url}/response/{name}"

    # -- configuration -----------------------------------------------------------------------

    def on(self, method: str, handler: Handler) -> None:
        """Override or add an API method: ``handler(params) -> dict`` (sync or async).

        The returned dict is the response (``"ok": True`` added unless present); raise
        `StandInError("some_error")` for ``{"ok": false}``.
        """
        self._handlers[method] = handler

    def add_user(self, user_id: str, **fields: Any) -> None:
        """Customise users.info for `user_id` (name, real_name, tz, tz_offset, email, ...)."""
        self.workspace.users[user_id] = fields

    def add_channel(self, channel_id: str, name: str | None = None, **kwargs: Any) -> Channel:
        """Declare a channel: ``members=[...]``, ``bot_member=False``, ``archived=True``."""
        return self.workspace.add_channel(channel_id, name, **kwargs)

    def add_usergroup(self, group_id: str, members: Iterable[str]) -> None:
        self.workspace.usergroups[group_id] = list(members)

    def dm_channel(self, *user_ids: str) -> str:
        """The channel id conversations.open returns for these users (stable)."""
        return dm_channel_id(*user_ids)

    # -- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        times: int = 1,
        retry_after: int = 1,
        body: Any = None,
        *,
        error: str | None = None,
        delay: float | None = None,
        late: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any, "upload", "response_url") fail.

        - default / ``status=429``: HTTP 429, ``Retry-After: retry_after``, ``ratelimited``
        - ``status=500/503/...``: that HTTP status with a JSON error body
        - ``error="channel_not_found"``: HTTP 200 ``{"ok": false, "error": ...}``
        - ``delay=s``: wait `s` seconds first; alone, then answer normally (client timeouts)
        - ``late=s``: carry the call out, then answer `s` seconds later (Slack did it, but
          the client timed out and cannot know)
        `body` (dict -> JSON, str/bytes -> text) replaces the response body.
        """
        self.failures.add(method, status, retry_after, body, error, delay, headers, times, late)

    def fail_all(
        self,
        status: int | None = 500,
        *,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        body: Any = None,
        error: str | None = None,
        delay: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Outage: every call (or those of `methods`) fails like `fail_next` until recover()."""
        if error is not None and status == 500:
            status = None
        for method in methods or ["*"]:
            self.failures.add(method, status, retry_after, body, error, delay, headers, None)

    def recover(self) -> None:
        """Drop every failure rule (fail_next and fail_all)."""
        self.failures.clear()

    async def _delay(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # -- socket mode delegation --------------------------------------------------------------
    @property
    def socket_url(self) -> str:
        """ws:// URL without ticket (apps.connections.open adds one)."""
        return f"ws://{self.host}:{self.port}/socket"

    async def socket_send(self, envelope_type: str, payload: dict[str, Any], **kwargs: Any) -> str:
        """Push an envelope to the connected Socket Mode client; see SocketModeHub.send."""
        return await self.socket.send(envelope_type, payload, **kwargs)

    async def socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's ack ``{"envelope_id", "payload"?}`` for `envelope_id`."""
        return await self.socket.ack(envelope_id, timeout)

    async def socket_wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` Socket Mode clients are connected."""
        await self.socket.wait_connected(count, timeout)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every client."""
        await self.socket.disconnect(reason)

    # -- HTTP handlers -----------------------------------------------------------------------

    async def _injected(
        self, call: Call, method: str
    ) -> tuple[web.Response | None, Failure | None]:
        """Apply a failure rule: an answer to send instead, or the rule for a late answer."""
        rule = self.failures.take(method)
        if rule is None:
            return None, None
        if rule.delay:
            await self._delay(rule.delay)
        if rule.status is not None:
            resp = rule.response()
            call.status, call.response, call.failed = resp.status, rule.body, True
            self._record(call)
            return resp, None
        return None, rule

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        method = request.match_info["method"]
        headers = dict(request.headers)
        try:
            params = await read_params(request)
        except ValueError:
            params, bad_body = {}, True
        else:
            bad_body = False
        token = bearer(headers)
        body_token = params.pop("token", None)
        token = token or (body_token if isinstance(body_token, str) else None)
        call = Call(method, params, headers, arrival, token=token)
        failed, late = await self._injected(call, method)
        if failed is not None:
            return failed
        status = 200
        try:
            if bad_body:
                raise StandInError("invalid_json")
            self._check_auth(method, token)
            handler = self._handlers.get(method) or self._methods.get(method)
            if handler is None:
                raise StandInError("unknown_method")
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            body: dict[str, Any] = {"ok": True, **result}
        except StandInError as exc:
            body = {"ok": False, "error": exc.error, **exc.details}
            if "errors" in exc.details:
                body["response_metadata"] = {"messages": exc.details["errors"]}
            status = exc.status
        call.status, call.response = status, body
        self._record(call)
        if late is not None and late.late:
            await self._delay(late.late)
        return web.json_response(body, status=status)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        file_id = request.match_info["file_id"]
        content_type = request.content_type
        if content_type.startswith("multipart/"):
            data = await read_multipart_file(request)
        else:
            data = await request.read()
        params = {"file_id": file_id, "length": len(data), "content_type": content_type}
        call = Call(UPLOAD, params, dict(request.headers), arrival, target=file_id)
        failed, late = await self._injected(call, UPLOAD)
        if failed is not None:
            return failed
        upload = self.workspace.files.get(file_id)
        if upload is None or upload.completed:
            call.status, call.response = 404, "file not found"
            self._record(call)
            return web.Response(status=404, text="file not found")
        upload.content = data
        upload.upload_content_type = content_type
        call.response = f"OK - {len(data)}"
        self._record(call)
        if late is not None and late.late:
            await self._delay(late.late)
        return web.Response(text=call.response, content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        name = request.match_info["name"]
        raw = await request.text()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            form = dict(await request.post()) if raw else {}
            payload = form.get("payload")
            body = json.loads(payload) if isinstance(payload, str) else dict(form)
        call = Call(RESPONSE_URL, body, dict(request.headers), arrival, target=name)
        failed, _ = await self._injected(call, RESPONSE_URL)
        if failed is not None:
            return failed
        try:
            check_message(body, blocks=self.workspace.check_blocks)
        except StandInError as exc:  # Slack answers a bad response_url post with a 400
            call.status, call.response = 400, exc.error
            self._record(call)
            return web.Response(status=400, text=exc.error, content_type="text/plain")
        call.response = "ok"
        self._record(call)
        return web.Response(text="ok", content_type="text/plain")

    def _check_auth(self, method: str, token: str | None) -> None:
        if not token:
            raise StandInError("not_authed")
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                raise StandInError("not_allowed_token_type")
            if self.app_token is not None and token != self.app_token:
                raise StandInError("invalid_auth")
            return
        if token.startswith("xapp-"):
            raise StandInError("not_allowed_token_type")
        if self.bot_token is not None:
            if token != self.bot_token:
                raise StandInError("invalid_auth")
        elif not token.startswith(("xoxb-", "xoxp-")):
            raise StandInError("invalid_auth")

    def _auth_test(self) -> Params:
        ws = self.workspace
        return {
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": ws.team_name,
            "user": ws.bot_name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self) -> Params:
        ticket = self.socket.issue_ticket()
        return {"url": f"{self.socket_url}?ticket={ticket}&app_id={self.workspace.app_id}"}
