"""What the stand-in was asked, and waiting for it: the part of `SlackStandIn` tests read."""

from collections.abc import Callable
from typing import Any

from .failures import Failures
from .records import Call, Ephemeral, Message, ResponsePost, UploadedFile
from .socket_mode import Signal, SocketModeHub
from .workspace import Workspace

__all__ = ["RESPONSE_URL", "Recorder"]

RESPONSE_URL = "response_url"  # pseudo method name of POSTs to a response_url


class Recorder:
    """Calls in arrival order and the workspace they changed; waits wake on every change."""

    calls: list[Call]
    workspace: Workspace
    version: int = 0  # grows on every recorded request and `notify` (the page polls it)
    failures: Failures
    socket: SocketModeHub
    _signal: Signal

    @property
    def files(self) -> dict[str, UploadedFile]:
        """Every file_id handed out by files.getUploadURLExternal."""
        return self.workspace.files

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """view_id -> the modal as it stands."""
        return self.workspace.views

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """user_id -> the App Home view last published for them."""
        return self.workspace.home_views

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        return self.workspace.users

    @property
    def ephemerals(self) -> list[Ephemeral]:
        return self.workspace.ephemerals

    # -- records -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Clear every record and failure rule (config, users, handlers and ids stay)."""
        self.calls.clear()
        self.workspace.clear()
        self.failures.clear()
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

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` (re-checked after every recorded request) is true."""
        await self._signal.wait_until(predicate, timeout)

    def notify(self) -> None:
        """Wake waiters (and page listeners) after a change made outside an API call."""
        self.version += 1
        self._signal.notify()

    def messages(
        self,
        channel: str | None = None,
        thread_ts: str | None = None,
        *,
        include_deleted: bool = False,
        include_file_shares: bool = False,
    ) -> list[Message]:
        """chat.postMessage messages in post order; `thread_ts` selects the replies only.
        The messages that share uploaded files are left out unless `include_file_shares`."""
        return [
            m
            for m in self.workspace.messages.values()
            if (channel is None or m.channel == channel)
            and (thread_ts is None or m.thread_ts == thread_ts)
            and (include_deleted or not m.deleted)
            and (include_file_shares or not m.files)
        ]

    def message(self, ts: str, channel: str | None = None) -> Message | None:
        """The message with `ts` (in `channel`), or None."""
        for m in self.workspace.messages.values():
            if m.ts == ts and (channel is None or m.channel == channel):
                return m
        return None

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Files completed with files.completeUploadExternal, in completion order."""
        return list(self.workspace.completed)

    @property
    def responses(self) -> list[ResponsePost]:
        """POSTs to response_url(...) URLs, in order."""
        return [
            ResponsePost(c.target or "", c.params, c.headers, c.time)
            for c in self.calls
            if c.method == RESPONSE_URL and not c.failed and c.status == 200
        ]

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.version += 1
        self._signal.notify()
