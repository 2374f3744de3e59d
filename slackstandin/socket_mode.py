"""Socket Mode part of the Slack stand-in: the websocket Slack pushes envelopes over.

`SlackStandIn` answers `apps.connections.open` with a `ws://127.0.0.1:PORT/socket?ticket=...`
URL served by `SocketModeHub.handle`. Like Slack, the hub greets every new connection with a
``hello`` message, pushes envelopes ``{"envelope_id", "type", "payload",
"accepts_response_payload"}`` and records the client's acks ``{"envelope_id", "payload"?}``.
"""

import asyncio
import contextlib
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

__all__ = ["ENVELOPE_TYPES", "Signal", "SocketModeHub"]

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
# Interactive payload types whose ack may carry a response payload (Slack sets the flag).
_RESPONSE_PAYLOAD_TYPES = frozenset({"view_submission", "block_suggestion"})


class Signal:
    """Wakes every waiter whenever recorded state changes (single event loop)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake all current waiters."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        describe: Callable[[], str] | None = None,
    ) -> None:
        """Return once `predicate()` is true; raise TimeoutError after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = describe() if describe else ""
                raise TimeoutError(f"condition not met within {timeout}s{detail}")
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


class SocketModeHub:
    """Websocket endpoint plus the records tests assert on."""

    def __init__(self, signal: Signal, app_id: str) -> None:
        self._signal = signal
        self._app_id = app_id
        self._tickets: set[str] = set()
        self.connections: list[web.WebSocketResponse] = []
        self.envelopes: list[dict[str, Any]] = []  # sent to the client, in order
        self.received: list[dict[str, Any]] = []  # every message the client sent
        self.acks: dict[str, dict[str, Any]] = {}  # envelope_id -> ack message
        self.connect_count = 0

    # -- wiring ------------------------------------------------------------------------------

    def issue_ticket(self) -> str:
        """A ticket for one `apps.connections.open` answer."""
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /socket: upgrade, say hello, record acks until the client goes away."""
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid or missing ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self.connect_count += 1
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self.open_connections),
                    "debug_info": {
                        "host": "applink-standin",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self._app_id},
                }
            )
            self._signal.notify()
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    data = {"_raw": msg.data}
                if not isinstance(data, dict):
                    data = {"_raw": data}
                self.received.append(data)
                envelope_id = data.get("envelope_id")
                if isinstance(envelope_id, str):
                    self.acks.setdefault(envelope_id, data)
                self._signal.notify()
        finally:
            self.connections.remove(ws)
            self._signal.notify()
        return ws

    # -- test API ----------------------------------------------------------------------------

    @property
    def open_connections(self) -> list[web.WebSocketResponse]:
        """Connections that are still open."""
        return [ws for ws in self.connections if not ws.closed]

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until at least `count` clients are connected."""
        await self._signal.wait_until(
            lambda: len(self.open_connections) >= count,
            timeout,
            lambda: f" ({len(self.open_connections)} socket connection(s) open)",
        )

    async def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        envelope_id: str | None = None,
        broadcast: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Push one envelope to the newest connection (or all); return its envelope_id."""
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope_type must be one of {sorted(ENVELOPE_TYPES)}")
        await self.wait_connected(1, timeout)
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive" and payload.get("type") in _RESPONSE_PAYLOAD_TYPES
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        targets = self.open_connections if broadcast else self.open_connections[-1:]
        for ws in targets:
            await ws.send_json(envelope)
        self.envelopes.append(envelope)
        self._signal.notify()
        return str(envelope["envelope_id"])

    async def ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for and return the client's ack message for `envelope_id`."""
        await self._signal.wait_until(
            lambda: envelope_id in self.acks,
            timeout,
            lambda: f" (no ack for envelope {envelope_id}; received {self.received!r})",
        )
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every client (they should reconnect)."""
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": "applink-standin"},
        }
        for ws in self.open_connections:
            await ws.send_json(message)

    async def close_all(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Close every websocket from the server side."""
        for ws in list(self.open_connections):
            await ws.close(code=code, message=b"stand-in closing")

    def reset(self) -> None:
        """Forget envelopes, acks and received messages (connections stay)."""
        self.envelopes.clear()
        self.received.clear()
        self.acks.clear()
