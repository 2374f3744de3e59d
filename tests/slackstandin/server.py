"""A local Slack Web API stand-in (aiohttp on 127.0.0.1, random port) that records every call.

    async with SlackStandIn() as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.messages("C1")[0].text == "hi"

Answers like Slack: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": ...}``,
accepts query, form and JSON parameters, checks ``Authorization: Bearer``. All state lives in
one event loop: start, call and wait from the same loop.
"""

import asyncio
import contextlib
import inspect
import json
import mimetypes
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import BodyPartReader, web

from .signing import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    dm_channel_id,
)
from .socket_mode import Signal, SocketModeHub

__all__ = [
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_TOKEN",
    "RESPONSE_URL",
    "UPLOAD",
    "Call",
    "Ephemeral",
    "Message",
    "ResponsePost",
    "SlackStandIn",
    "StandInError",
    "UploadedFile",
]

DEFAULT_BOT_TOKEN = "xoxb-0000000000-standin"
DEFAULT_APP_TOKEN = "xapp-1-A0STANDIN-0000-standin"
UPLOAD = "upload"  # pseudo method name of POSTs to an upload_url
RESPONSE_URL = "response_url"  # pseudo method name of POSTs to a response_url
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata"})
_TS_BASE = 1700000000
_MAX_BODY = 200 * 1024 * 1024

Params = dict[str, Any]
Handler = Callable[[Params], Params | Awaitable[Params]]


class StandInError(Exception):
    """Raise in a handler to answer ``{"ok": false, "error": error}`` (HTTP `status`)."""

    def __init__(self, error: str, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass
class Call:
    """One request the stand-in received (API method, upload or response_url post)."""

    method: str
    params: Params
    headers: dict[str, str]
    time: float  # time.monotonic() at arrival
    status: int = 200
    response: Any = None  # JSON dict, or text for uploads/response_url
    failed: bool = False  # answered by failure injection
    token: str | None = None
    target: str | None = None  # file_id for uploads, name for response_url posts

    @property
    def ok(self) -> bool:
        """HTTP 200 and not a Slack-level error."""
        if self.failed or self.status != 200:
            return False
        return not isinstance(self.response, dict) or self.response.get("ok", True) is True


@dataclass
class Message:
    """A message posted with chat.postMessage (current state after chat.update)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    attachments: list[dict[str, Any]] | None
    thread_ts: str | None
    metadata: dict[str, Any] | None
    user: str
    bot_id: str
    app_id: str
    team: str
    updates: int = 0
    deleted: bool = False
    params: Params = field(default_factory=dict)  # last postMessage/update params

    def to_api(self) -> dict[str, Any]:
        """The message object Slack returns (and puts into block_actions payloads)."""
        msg: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": self.text or "",
            "user": self.user,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "ts": self.ts,
            "team": self.team,
        }
        if self.blocks is not None:
            msg["blocks"] = self.blocks
        if self.attachments is not None:
            msg["attachments"] = self.attachments
        if self.thread_ts:
            msg["thread_ts"] = self.thread_ts
        if self.metadata is not None:
            msg["metadata"] = self.metadata
        if self.updates:
            msg["edited"] = {"user": self.user, "ts": self.ts}
        return msg

    def button_action_ids(self) -> list[str]:
        """action_ids of all buttons in the blocks (handy for "buttons gone")."""
        ids: list[str] = []
        for block in self.blocks or []:
            elements = list(block.get("elements") or [])
            if isinstance(block.get("accessory"), dict):
                elements.append(block["accessory"])
            ids.extend(
                e["action_id"]
                for e in elements
                if isinstance(e, dict) and e.get("type") == "button" and "action_id" in e
            )
        return ids


@dataclass
class Ephemeral:
    """A chat.postEphemeral message."""

    channel: str
    user: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None


@dataclass
class UploadedFile:
    """One file of the getUploadURLExternal -> upload -> completeUploadExternal flow."""

    file_id: str
    filename: str
    length: int  # as declared to getUploadURLExternal
    upload_url: str
    title: str | None = None
    content: bytes | None = None  # what was POSTed to upload_url
    channel_id: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    alt_txt: str | None = None
    snippet_type: str | None = None
    completed: bool = False
    upload_content_type: str | None = None

    @property
    def mimetype(self) -> str:
        """Guessed from the filename."""
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"


@dataclass
class ResponsePost:
    """A POST to a response_url (Bolt's `respond()`)."""

    name: str
    body: Params
    headers: dict[str, str]
    time: float


@dataclass
class _Failure:
    method: str  # "*" matches everything
    status: int | None  # None: answer normally (after `delay`)
    body: Any
    headers: dict[str, str]
    delay: float | None
    remaining: int | None  # None: until recover()


class SlackStandIn:
    """The stand-in server; see the module docstring and the package README section."""

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
    ) -> None:
        self.bot_token = bot_token  # None: any xoxb-/xoxp- token is accepted
        self.app_token = app_token  # None: any xapp- token is accepted
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.files: dict[str, UploadedFile] = {}  # every file_id handed out
        self.views: dict[str, dict[str, Any]] = {}  # view_id -> current modal view
        self.home_views: dict[str, dict[str, Any]] = {}  # user_id -> published App Home
        self.ephemerals: list[Ephemeral] = []
        self.users: dict[str, dict[str, Any]] = {}  # overrides for users.info
        self._messages: dict[tuple[str, str], Message] = {}
        self._completed: list[UploadedFile] = []
        self._failures: list[_Failure] = []
        self._handlers: dict[str, Handler] = {}
        self._ts_seq = 0
        self._file_seq = 0
        self._view_seq = 0
        self._signal = Signal()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.socket = SocketModeHub(self._signal, app_id)
        self._methods: dict[str, Handler] = {
            "api.test": lambda p: {"args": p},
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on host:port (port 0 = a free one); returns self."""
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{name}", self._handle_response_url)
        app.router.add_get("/socket", self.socket.handle)
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Close websockets, abort injected delays, stop listening."""
        self._closing.set()
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
        self.users[user_id] = fields

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
        headers: dict[str, str] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any, "upload", "response_url") fail.

        - default / ``status=429``: HTTP 429, ``Retry-After: retry_after``, ``ratelimited``
        - ``status=500/503/...``: that HTTP status with a JSON error body
        - ``error="channel_not_found"``: HTTP 200 ``{"ok": false, "error": ...}``
        - ``delay=s``: wait `s` seconds first; alone, then answer normally (client timeouts)
        `body` (dict -> JSON, str/bytes -> text) replaces the response body.
        """
        self._failures.append(
            self._make_failure(method, status, retry_after, body, error, delay, headers, times)
        )

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
            self._failures.append(
                self._make_failure(method, status, retry_after, body, error, delay, headers, None)
            )

    def recover(self) -> None:
        """Drop every failure rule (fail_next and fail_all)."""
        self._failures.clear()

    @staticmethod
    def _make_failure(
        method: str,
        status: int | None,
        retry_after: int,
        body: Any,
        error: str | None,
        delay: float | None,
        headers: dict[str, str] | None,
        times: int | None,
    ) -> _Failure:
        hdrs = dict(headers or {})
        if error is not None:
            status = status or 200
            body = body if body is not None else {"ok": False, "error": error}
        elif status is None and delay is None:
            status = 429
        if status == 429:
            hdrs.setdefault("Retry-After", str(retry_after))
            body = body if body is not None else {"ok": False, "error": "ratelimited"}
        elif status is not None and body is None:
            name = {500: "internal_error", 503: "service_unavailable"}.get(status, "fatal_error")
            body = {"ok": False, "error": name}
        return _Failure(method, status, body, hdrs, delay, times)

    def _take_failure(self, method: str) -> _Failure | None:
        for rule in self._failures:
            if rule.method in ("*", method):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._failures.remove(rule)
                return rule
        return None

    async def _delay(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    @staticmethod
    def _failure_response(rule: _Failure) -> web.Response:
        assert rule.status is not None
        if isinstance(rule.body, dict | list):
            return web.json_response(rule.body, status=rule.status, headers=rule.headers)
        data = rule.body if isinstance(rule.body, bytes) else str(rule.body or "").encode()
        return web.Response(
            body=data, status=rule.status, headers=rule.headers, content_type="text/plain"
        )

    # -- records -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Clear every record and failure rule (config, users, handlers and ids stay)."""
        self.calls.clear()
        self.files.clear()
        self.views.clear()
        self.home_views.clear()
        self.ephemerals.clear()
        self._messages.clear()
        self._completed.clear()
        self._failures.clear()
        self.socket.reset()
        self._signal.notify()

    def _matches(
        self, what: str | Callable[[Call], bool], include_failed: bool
    ) -> Callable[[Call], bool]:
        def match(call: Call) -> bool:
            if call.failed and not include_failed:
                return False
            return call.method == what if isinstance(what, str) else bool(what(call))

        return match

    def calls_to(self, method: str, *, include_failed: bool = False) -> list[Call]:
        """Calls of `method` (without injected failures unless `include_failed`)."""
        match = self._matches(method, include_failed)
        return [c for c in self.calls if match(c)]

    def attempts(self, method: str) -> int:
        """How many times `method` was called, injected failures included."""
        return len(self.calls_to(method, include_failed=True))

    async def wait_for(
        self,
        predicate_or_method: str | Callable[[Call], bool],
        count: int = 1,
        timeout: float = 5.0,
        *,
        include_failed: bool = False,
    ) -> list[Call]:
        """Wait until `count` matching calls were recorded; return all matching calls.

        A string matches ``call.method``; a predicate gets each `Call`. Injected failures are
        skipped unless `include_failed`. Raises TimeoutError listing what did arrive.
        """
        match = self._matches(predicate_or_method, include_failed)
        matched: list[Call] = []
        scanned = 0

        def enough() -> bool:  # incremental: O(new calls) per wake-up, fine for benchmarks
            nonlocal scanned
            if scanned > len(self.calls):  # reset() happened
                scanned = 0
                matched.clear()
            for call in self.calls[scanned:]:
                if match(call):
                    matched.append(call)
            scanned = len(self.calls)
            return len(matched) >= count

        await self._signal.wait_until(
            enough,
            timeout,
            lambda: (
                f" waiting for {count}x {predicate_or_method!r}; got "
                + repr([(c.method, c.status, c.failed) for c in self.calls])
            ),
        )
        return list(matched)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
    ) -> None:
        """Wait until ``predicate()`` (re-checked after every recorded request) is true."""
        await self._signal.wait_until(predicate, timeout)

    def messages(
        self,
        channel: str | None = None,
        thread_ts: str | None = None,
        *,
        include_deleted: bool = False,
    ) -> list[Message]:
        """chat.postMessage messages in post order; `thread_ts` selects the replies only."""
        return [
            m
            for m in self._messages.values()
            if (channel is None or m.channel == channel)
            and (thread_ts is None or m.thread_ts == thread_ts)
            and (include_deleted or not m.deleted)
        ]

    def message(self, ts: str, channel: str | None = None) -> Message | None:
        """The message with `ts` (in `channel`), or None."""
        for m in self._messages.values():
            if m.ts == ts and (channel is None or m.channel == channel):
                return m
        return None

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Files completed with files.completeUploadExternal, in completion order."""
        return list(self._completed)

    @property
    def responses(self) -> list[ResponsePost]:
        """POSTs to response_url(...) URLs, in order."""
        return [
            ResponsePost(c.target or "", c.params, c.headers, c.time)
            for c in self.calls
            if c.method == RESPONSE_URL and not c.failed
        ]

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._signal.notify()

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

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        method = request.match_info["method"]
        headers = dict(request.headers)
        try:
            params = await _read_params(request)
        except ValueError:
            params = {}
            bad_body = True
        else:
            bad_body = False
        token = _bearer(headers)
        body_token = params.pop("token", None)
        token = token or (body_token if isinstance(body_token, str) else None)
        call = Call(method, params, headers, arrival, token=token)

        rule = self._take_failure(method)
        if rule is not None:
            if rule.delay:
                await self._delay(rule.delay)
            if rule.status is not None:
                return self._finish_failed(call, rule)

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
            body = {"ok": False, "error": exc.error}
            status = exc.status
        call.status, call.response = status, body
        self._record(call)
        return web.json_response(body, status=status)

    def _finish_failed(self, call: Call, rule: _Failure) -> web.Response:
        resp = self._failure_response(rule)
        call.status, call.response, call.failed = resp.status, rule.body, True
        self._record(call)
        return resp

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        file_id = request.match_info["file_id"]
        content_type = request.content_type
        if content_type.startswith("multipart/"):
            data = await _read_multipart_file(request)
        else:
            data = await request.read()
        call = Call(
            UPLOAD,
            {"file_id": file_id, "length": len(data), "content_type": content_type},
            dict(request.headers),
            arrival,
            target=file_id,
        )
        rule = self._take_failure(UPLOAD)
        if rule is not None:
            if rule.delay:
                await self._delay(rule.delay)
            if rule.status is not None:
                return self._finish_failed(call, rule)
        upload = self.files.get(file_id)
        if upload is None or upload.completed:
            call.status, call.response = 404, "file not found"
            self._record(call)
            return web.Response(status=404, text="file not found")
        upload.content = data
        upload.upload_content_type = content_type
        call.response = f"OK - {len(data)}"
        self._record(call)
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
        rule = self._take_failure(RESPONSE_URL)
        if rule is not None:
            if rule.delay:
                await self._delay(rule.delay)
            if rule.status is not None:
                return self._finish_failed(call, rule)
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

    # -- API methods -------------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts_seq += 1
        n = self._ts_seq
        return f"{_TS_BASE + n // 10000}.{(n % 10000) * 100:06d}"

    def _auth_test(self, params: Params) -> Params:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, params: Params) -> Params:
        ticket = self.socket.issue_ticket()
        return {"url": f"{self.socket_url}?ticket={ticket}&app_id={self.app_id}"}

    def _resolve_channel(self, params: Params) -> str:
        channel = params.get("channel")
        if not channel or not isinstance(channel, str):
            raise StandInError("channel_not_found")
        if channel[0] in "UW":  # posting to a user id goes to the DM with them
            return self.dm_channel(channel)
        return channel

    def _chat_post_message(self, params: Params) -> Params:
        channel = self._resolve_channel(params)
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise StandInError("no_text")
        msg = Message(
            channel=channel,
            ts=self._next_ts(),
            text=params.get("text"),
            blocks=params.get("blocks"),
            attachments=params.get("attachments"),
            thread_ts=params.get("thread_ts") or None,
            metadata=params.get("metadata"),
            user=self.bot_user_id,
            bot_id=self.bot_id,
            app_id=self.app_id,
            team=self.team_id,
            params=params,
        )
        self._messages[(channel, msg.ts)] = msg
        return {"channel": channel, "ts": msg.ts, "message": msg.to_api()}

    def _find_message(self, params: Params, ts_key: str = "ts") -> Message:
        channel = self._resolve_channel(params)
        msg = self._messages.get((channel, str(params.get(ts_key) or "")))
        if msg is None or msg.deleted:
            raise StandInError("message_not_found")
        return msg

    def _chat_update(self, params: Params) -> Params:
        msg = self._find_message(params)
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise StandInError("no_text")
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in params:
                setattr(msg, name, params[name])
        msg.updates += 1
        msg.params = params
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text, "message": msg.to_api()}

    def _chat_delete(self, params: Params) -> Params:
        msg = self._find_message(params)
        msg.deleted = True
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_post_ephemeral(self, params: Params) -> Params:
        channel = self._resolve_channel(params)
        user = params.get("user")
        if not user:
            raise StandInError("user_not_in_channel")
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise StandInError("no_text")
        ts = self._next_ts()
        self.ephemerals.append(
            Ephemeral(
                channel,
                str(user),
                ts,
                params.get("text"),
                params.get("blocks"),
                params.get("thread_ts") or None,
            )
        )
        return {"message_ts": ts}

    def _chat_get_permalink(self, params: Params) -> Params:
        msg = self._find_message(params, "message_ts")
        base = f"https://{self.team_domain}.slack.com/archives/{msg.channel}"
        link = f"{base}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts:
            link += f"?thread_ts={msg.thread_ts}&cid={msg.channel}"
        return {"channel": msg.channel, "permalink": link}

    def _conversations_open(self, params: Params) -> Params:
        users = params.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if users:
            return {
                "no_op": False,
                "already_open": False,
                "channel": {"id": self.dm_channel(*users)},
            }
        if params.get("channel"):
            return {"no_op": True, "already_open": True, "channel": {"id": params["channel"]}}
        raise StandInError("users_list_not_supplied")

    def _full_view(
        self, view: Any, view_id: str, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        if not isinstance(view, dict) or not view.get("type"):
            raise StandInError("invalid_arguments")
        self._view_seq += 1
        full = {
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{_TS_BASE + self._view_seq}.{self._view_seq:08d}",
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "app_id": self.app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
            "private_metadata": "",
            "callback_id": "",
            "blocks": [],
            **view,
        }
        return full

    def _views_open(self, params: Params) -> Params:
        if not params.get("trigger_id"):
            raise StandInError("invalid_arguments")
        self._view_seq += 1
        view_id = f"V{self._view_seq:010d}"
        full = self._full_view(params.get("view"), view_id, None)
        full["trigger_id"] = params["trigger_id"]
        self.views[view_id] = full
        return {"view": full}

    def _views_update(self, params: Params) -> Params:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            ext = params["external_id"]
            view_id = next((k for k, v in self.views.items() if v.get("external_id") == ext), None)
        if not view_id or view_id not in self.views:
            raise StandInError("not_found")
        old = self.views[view_id]
        if params.get("hash") and params["hash"] != old.get("hash"):
            raise StandInError("hash_conflict")
        full = self._full_view(params.get("view"), view_id, old)
        self.views[view_id] = full
        return {"view": full}

    def _views_publish(self, params: Params) -> Params:
        user_id = params.get("user_id")
        if not user_id:
            raise StandInError("invalid_arguments")
        self._view_seq += 1
        full = self._full_view(params.get("view"), f"V{self._view_seq:010d}", None)
        self.home_views[str(user_id)] = full
        return {"view": full}

    def _users_info(self, params: Params) -> Params:
        user_id = params.get("user")
        if not user_id:
            raise StandInError("user_not_found")
        extra = dict(self.users.get(user_id, {}))
        name = extra.pop("name", str(user_id).lower())
        real_name = extra.pop("real_name", f"User {user_id}")
        email = extra.pop("email", None)
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/Berlin",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "is_admin": False,
            "is_bot": False,
            "profile": {"real_name": real_name, "display_name": name},
        }
        if email is not None:
            user["profile"]["email"] = email
        user.update(extra)
        return {"user": user}

    def _files_get_upload_url(self, params: Params) -> Params:
        filename = params.get("filename")
        try:
            length = int(params.get("length", ""))
        except ValueError:
            raise StandInError("invalid_arguments") from None
        if not filename:
            raise StandInError("invalid_arguments")
        self._file_seq += 1
        file_id = f"F{self._file_seq:010d}"
        upload_url = f"{self.url}/upload/{file_id}"
        self.files[file_id] = UploadedFile(
            file_id=file_id,
            filename=str(filename),
            length=length,
            upload_url=upload_url,
            alt_txt=params.get("alt_txt"),
            snippet_type=params.get("snippet_type"),
        )
        return {"upload_url": upload_url, "file_id": file_id}

    def _files_complete_upload(self, params: Params) -> Params:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise StandInError("invalid_arguments")
        channel_id = params.get("channel_id") or None
        channels = params.get("channels") or []
        if isinstance(channels, str):
            channels = [c for c in channels.split(",") if c]
        thread_ts = params.get("thread_ts") or None
        if thread_ts and not (channel_id or channels):
            raise StandInError("invalid_arguments")
        uploads: list[UploadedFile] = []
        for item in files:
            upload = self.files.get(str(item.get("id"))) if isinstance(item, dict) else None
            if upload is None or upload.content is None or upload.completed:
                raise StandInError("file_not_found")
            uploads.append(upload)
        result = []
        now = int(time.time())
        for item, upload in zip(files, uploads, strict=True):
            upload.title = item.get("title") or upload.filename
            upload.channel_id = channel_id
            upload.channels = list(channels)
            upload.thread_ts = thread_ts
            upload.initial_comment = params.get("initial_comment")
            upload.completed = True
            self._completed.append(upload)
            ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
            result.append(
                {
                    "id": upload.file_id,
                    "created": now,
                    "timestamp": now,
                    "name": upload.filename,
                    "title": upload.title,
                    "mimetype": upload.mimetype,
                    "filetype": ext,
                    "user": self.bot_user_id,
                    "size": len(upload.content or b""),
                    "is_external": False,
                    "url_private": f"{self.url}/files/{upload.file_id}/{upload.filename}",
                    "channels": [],
                    "groups": [],
                    "ims": [],
                    "shares": {},
                }
            )
        return {"files": result}


async def _read_params(request: web.Request) -> Params:
    """Query string + JSON or form body, with JSON-valued form fields decoded."""
    params: Params = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("JSON body must be an object")
            params.update(data)
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = value.file.read() if isinstance(value, web.FileField) else value
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


async def _read_multipart_file(request: web.Request) -> bytes:
    """The first file part (else the first part) of a multipart upload."""
    reader = await request.multipart()
    first: bytes | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read(decode=False)
        if part.filename is not None:
            return bytes(data)
        if first is None:
            first = bytes(data)
    return first or b""


def _bearer(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None
