"""The chat page: a browser front for the stand-in, acting as the Slack client would.

What a person does on the page becomes the request Slack would send the app, signed with the
app's signing secret (`payloads`, `signing`): a slash command, a ``block_actions`` click, a
``view_submission``, an ``app_home_opened`` event. What the app does through the Web API is
recorded by the stand-in and shown back (`state`). Routes (JSON unless said otherwise):

- ``GET /`` the page, ``GET /static/{name}`` its files, ``GET /files/{id}/{name}`` an upload;
- ``GET /page/state?user=U``: what U sees (see `state` for the shapes);
- ``GET /page/events``: server-sent events, ``data: <version>`` whenever something changes;
- ``POST /page/command`` ``{user, text, channel?}``; ``POST /page/action`` ``{user, channel,
  message_ts, action_id, value?}`` or ``{user, view_id, action_id}``; ``POST /page/view``
  ``{user, view_id, values: {block_id: value}}``; ``POST /page/close`` ``{user, view_id?}``;
  ``POST /page/home`` ``{user}``; ``POST /page/remind`` ``{date: YYYY-MM-DD}``.

Each answer is ``{"ok": bool, ...}``; a bad request gets HTTP 400 and ``error`` naming the
field. The page imports nothing of any app: it knows Slack, not invoices.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from aiohttp import web

from ..payloads import (
    app_home_opened_event,
    block_action_payload,
    event_callback_body,
    interaction_body,
    slash_command_body,
)
from ..server import SlackStandIn
from ..signing import SignedResponse, dm_channel_id, post_signed
from . import forms
from .jsonapi import BadRequest, json_route, loads
from .state import PrivateReply, conversation, private_replies

__all__ = ["ChatPage", "Person"]

STATIC = Path(__file__).parent / "static"
_EVENT_PING_SECONDS = 15.0


@dataclass(frozen=True)
class Person:
    """Someone the page can be: a Slack user ID and the name mentions show."""

    user_id: str
    name: str


class Sent(NamedTuple):
    """The app's answer to a request, and when the request left (time.time())."""

    response: SignedResponse
    at: float


class ChatPage:
    """The page's routes on a `SlackStandIn`; `install` before the stand-in starts.

    `app_url` is where the app takes Slack's requests (settable: the app may start later);
    `on_remind(day)` runs the app's reminders as of `day` and returns a one-line summary.
    """

    def __init__(
        self,
        slack: SlackStandIn,
        app_url: str,
        signing_secret: str,
        people: list[Person],
        channel_id: str,
        intro: str,
        *,
        channel_name: str = "invoices",
    ) -> None:
        if not people:
            raise ValueError("people: the page needs at least one person to be")
        self.slack = slack
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.people = list(people)
        self.channel_id = channel_id
        self.channel_name = channel_name
        self.intro = intro
        self.on_remind: Callable[[date], Awaitable[str]] | None = None
        self._names = {p.user_id: p.name for p in self.people}
        self._seq = itertools.count(1)
        self._triggers: dict[str, str] = {}  # trigger_id -> user
        self._view_owner: dict[str, str] = {}  # view_id -> user
        self._closed: set[str] = set()  # view ids closed or submitted
        self._errors: dict[str, dict[str, str]] = {}  # view_id -> block_id -> error
        self._sent: dict[str, tuple[str, str, str | None]] = {}  # response_url name -> who
        self._answers: list[PrivateReply] = []  # the app's HTTP answers with text

    # -- wiring ------------------------------------------------------------------------------

    def install(self) -> None:
        """Declare the channel and people on the stand-in and add the page's routes."""
        members = [p.user_id for p in self.people]
        self.slack.add_channel(self.channel_id, self.channel_name, members=members)
        for person in self.people:
            self.slack.add_user(person.user_id, real_name=person.name)
        self.slack.add_routes(self._add_routes)

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, show_index=False)
        app.router.add_get("/files/{file_id}/{name}", self._file)
        app.router.add_get("/page/state", self._state)
        app.router.add_get("/page/events", self._events)
        for name, handler in {
            "command": self._command, "action": self._action, "view": self._view,
            "close": self._close, "home": self._home, "remind": self._remind,
        }.items():  # fmt: skip
            app.router.add_post(f"/page/{name}", json_route(handler))

    # -- reading -----------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        upload = self.slack.files.get(request.match_info["file_id"])
        name = request.match_info["name"]
        if upload is None or upload.content is None or upload.filename != name:
            raise web.HTTPNotFound(text="no such file")
        # The name in the URL is the app's; the header gets a safe one (no quoting games).
        ext = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "bin"
        safe = f"{upload.file_id}.{ext}"
        return web.Response(
            body=upload.content,
            content_type=upload.mimetype,
            headers={"Content-Disposition": f'inline; filename="{safe}"'},
        )

    async def _state(self, request: web.Request) -> web.StreamResponse:
        user = request.query.get("user") or self.people[0].user_id
        return web.json_response(self.state(user))

    def state(self, user: str) -> dict[str, Any]:
        """What `user` sees now (shapes: `state`)."""
        base = self.slack.url
        replies = private_replies(self.slack, user, self._sent, self._answers)
        latest = replies[-1] if replies else None
        modal = self._open_modal(user)
        return {
            "version": self.slack.version,
            "user": user,
            "bot_user_id": self.slack.bot_user_id,
            "bot_name": self.slack.workspace.bot_name,
            "people": [{"id": p.user_id, "name": p.name} for p in self.people],
            "names": {**self._names, self.slack.bot_user_id: self.slack.workspace.bot_name},
            "intro": self.intro,
            "channel": {"name": self.channel_name,
                        **conversation(self.slack, self.channel_id, base, replies)},
            "dm": conversation(self.slack, dm_channel_id(user), base, replies),
            "home": self.slack.home_views.get(user),
            "modal": modal,
            "toast": None if latest is None else {"key": latest.key, "text": latest.text,
                                                  "blocks": latest.blocks or []},
            "can_remind": self.on_remind is not None,
        }  # fmt: skip

    def _open_modal(self, user: str) -> dict[str, Any] | None:
        for view_id, view in self.slack.views.items():
            owner = self._triggers.get(str(view.get("trigger_id")))
            if owner is not None:
                self._view_owner.setdefault(view_id, owner)
        open_views = [
            v for k, v in self.slack.views.items()
            if self._view_owner.get(k) == user and k not in self._closed
        ]  # fmt: skip
        if not open_views:
            return None
        view = open_views[-1]
        return {**view, "errors": self._errors.get(str(view["id"]), {})}

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the recorder's version whenever it changes."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        seen = [-1]

        def changed() -> bool:
            return self.slack.version != seen[0] or self.slack.stopping

        with contextlib.suppress(ConnectionResetError):
            while not self.slack.stopping:
                if self.slack.version != seen[0]:
                    seen[0] = self.slack.version
                    await response.write(f"data: {seen[0]}\n\n".encode())
                    continue
                try:
                    await self.slack.wait_until(changed, _EVENT_PING_SECONDS)
                except TimeoutError:
                    await response.write(b": ping\n\n")
        return response

    # -- acting as the Slack client ----------------------------------------------------------

    def _trigger(self, user: str) -> str:
        n = next(self._seq)
        trigger = f"{int(time.time())}.{n}.page{n:028x}"
        self._triggers[trigger] = user
        return trigger

    def _response_url(self, user: str, channel: str, thread_ts: str | None) -> str:
        name = f"page{next(self._seq)}"
        self._sent[name] = (user, channel, thread_ts)
        return self.slack.response_url(name)

    def _person(self, body: dict[str, Any]) -> str:
        user = body.get("user")
        if not isinstance(user, str) or user not in self._names:
            raise BadRequest(f"user: not one of the page's people ({', '.join(self._names)})")
        return user

    async def _post(self, body: str) -> Sent:
        # The app's answer comes before anything it posts after answering: it is dated when
        # the request left (its HTTP response may be read after those posts arrived).
        at = time.time()
        try:
            return Sent(await post_signed(self.app_url, body, self.signing_secret), at)
        except OSError as exc:
            raise BadRequest(f"the app at {self.app_url} did not answer: {exc}") from None

    def _answered(
        self, sent: Sent, user: str, channel: str, thread_ts: str | None
    ) -> dict[str, Any]:
        """The app's HTTP answer; text in it is shown to the sender only, as Slack does."""
        response = sent.response
        answer = loads(response.text)
        text = answer.get("text") if isinstance(answer, dict) else None
        if response.status == 200 and isinstance(text, str) and text:
            blocks = answer.get("blocks")
            self._answers.append(PrivateReply(
                f"a{next(self._seq)}", user, channel, thread_ts, text,
                blocks if isinstance(blocks, list) else None, sent.at,
            ))  # fmt: skip
            self.slack.notify()
        return {"ok": response.status == 200, "status": response.status, "answer": answer}

    async def _command(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._person(body)
        text = str(body.get("text") or "").strip()
        command, _, rest = text.partition(" ")
        if not command.startswith("/"):
            command, rest = "/invoice", text
        channel = str(body.get("channel") or self.channel_id)
        payload = slash_command_body(
            command=command, text=rest.strip(), user_id=user, channel_id=channel,
            team_id=self.slack.team_id, response_url=self._response_url(user, channel, None),
            trigger_id=self._trigger(user), user_name=self._names[user],
            channel_name=self.channel_name if channel == self.channel_id else "directmessage",
            api_app_id=self.slack.app_id,
        )  # fmt: skip
        return self._answered(await self._post(payload), user, channel, None)

    async def _action(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._person(body)
        action_id = body.get("action_id")
        if not isinstance(action_id, str) or not action_id:
            raise BadRequest("action_id: missing")
        if body.get("view_id"):
            view = self.slack.views.get(str(body["view_id"]))
            if view is None:
                raise BadRequest("view_id: no such open view")
            payload = forms.view_block_action(view, action_id, user, self._trigger(user),
                                              self.slack.team_id, self.slack.app_id)  # fmt: skip
            return self._answered(await self._post(interaction_body(payload)), user, "", None)
        channel = str(body.get("channel") or "")
        ts = str(body.get("message_ts") or "")
        value = body.get("value")
        clicked: Any = self.slack.message(ts, channel or None)
        ephemeral = clicked is None and bool(body.get("ephemeral_key"))
        if ephemeral:  # a button in something only this person sees
            clicked = self._private_message(user, str(body["ephemeral_key"]))
        if clicked is None:
            raise BadRequest("message_ts: no such message in that channel")
        channel = clicked.channel if hasattr(clicked, "channel") else channel
        thread_ts = clicked.thread_ts if hasattr(clicked, "thread_ts") else clicked.get("thread_ts")
        payload_dict = block_action_payload(
            action_id, value if isinstance(value, str) else None, user_id=user,
            channel_id=channel, message=clicked, team_id=self.slack.team_id,
            user_name=self._names[user], is_ephemeral=ephemeral,
            response_url=self._response_url(user, channel, thread_ts),
            trigger_id=self._trigger(user), api_app_id=self.slack.app_id,
            bot_user_id=self.slack.bot_user_id, bot_id=self.slack.bot_id,
        )  # fmt: skip
        response = await self._post(interaction_body(payload_dict))
        return self._answered(response, user, channel, thread_ts)

    def _private_message(self, user: str, key: str) -> dict[str, Any] | None:
        for reply in private_replies(self.slack, user, self._sent, self._answers):
            if reply.key == key:
                message = {
                    "type": "message",
                    "ts": f"{reply.at:.6f}",
                    "text": reply.text,
                    "blocks": reply.blocks or [],
                    "user": self.slack.bot_user_id,
                }
                if reply.thread_ts:
                    message["thread_ts"] = reply.thread_ts
                return message
        return None

    async def _view(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._person(body)
        view_id = str(body.get("view_id") or "")
        view = self.slack.views.get(view_id)
        if view is None or view_id in self._closed:
            raise BadRequest("view_id: no such open view")
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise BadRequest("values: expected {block_id: value}")
        payload = forms.view_submission(view, values, user, self._trigger(user),
                                        self.slack.team_id, self.slack.app_id)  # fmt: skip
        response = (await self._post(interaction_body(payload))).response
        answer = loads(response.text)
        action = answer.get("response_action") if isinstance(answer, dict) else None
        errors: dict[str, str] = {}
        if response.status != 200:
            errors = {"": f"The app answered HTTP {response.status}."}
        elif action == "errors":
            errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
        elif action in ("update", "push") and isinstance(answer.get("view"), dict):
            self.slack.views[view_id] = {**view, **answer["view"], "id": view_id}
        else:
            self._closed.add(view_id)
        self._errors[view_id] = errors
        self.slack.notify()
        return {"ok": not errors, "errors": errors, "status": response.status}

    async def _close(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._person(body)
        view_id = body.get("view_id")
        for key, owner in self._view_owner.items():
            if owner == user and (not view_id or key == view_id):
                self._closed.add(key)
        self.slack.notify()
        return {"ok": True}

    async def _home(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._person(body)
        event = event_callback_body(
            app_home_opened_event(user), team_id=self.slack.team_id, api_app_id=self.slack.app_id,
            bot_user_id=self.slack.bot_user_id,
        )  # fmt: skip
        response = (await self._post(event)).response
        return {"ok": response.status == 200, "status": response.status}

    async def _remind(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.on_remind is None:
            raise BadRequest("reminders: this page has no app to run them")
        try:
            day = date.fromisoformat(str(body.get("date") or ""))
        except ValueError:
            raise BadRequest("date: expected YYYY-MM-DD") from None
        summary = await self.on_remind(day)
        self.slack.notify()
        return {"ok": True, "summary": summary}
