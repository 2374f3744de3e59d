"""The workspace the stand-in pretends to be: team, bot, channels, messages, files, views."""

import time
from dataclasses import dataclass, field
from typing import Any

from .records import Channel, Ephemeral, Message, Params, StandInError, UploadedFile
from .signing import dm_channel_id

__all__ = ["TS_BASE", "Workspace"]

TS_BASE = 1700000000


@dataclass
class Workspace:
    """All state the Web API methods read and change. One event loop, no locking."""

    team_id: str
    team_domain: str
    team_name: str
    bot_user_id: str
    bot_id: str
    bot_name: str
    app_id: str
    base_url: str = ""  # set when the server listens; file and upload URLs start with it
    # A channel nobody declared is created on first use with the bot in it (convenient for
    # tests); declare channels with `add_channel` to have the bot outside some of them.
    auto_join: bool = True
    # False: message blocks are counted but not parsed with slack_sdk.models (text lengths
    # and views are still checked). For benchmarks: Slack checks blocks on its own servers,
    # the stand-in on the cores of the work measured (5 ms per 49-block DM). Tests keep True.
    check_blocks: bool = True
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    files: dict[str, UploadedFile] = field(default_factory=dict)  # every file_id handed out
    completed: list[UploadedFile] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # view_id -> modal view
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)  # user_id -> Home
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # users.info overrides
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # S... -> user ids
    _last_ts_micros: int = 0
    _file_seq: int = 0
    _view_seq: int = 0

    def clear(self) -> None:
        """Forget every message, file and view (channels, users and counters stay)."""
        self.messages.clear()
        self.ephemerals.clear()
        self.files.clear()
        self.completed.clear()
        self.views.clear()
        self.home_views.clear()

    def next_ts(self) -> str:
        """A message ts as Slack makes them: the epoch time in microseconds, unique and
        increasing (so `oldest`/`latest` filters on conversations.history work as on Slack)."""
        micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_file_id(self) -> str:
        self._file_seq += 1
        return f"F{self._file_seq:010d}"

    def next_view_seq(self) -> int:
        self._view_seq += 1
        return self._view_seq

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        members: tuple[str, ...] | list[str] = (),
        bot_member: bool = True,
        archived: bool = False,
        private: bool = False,
    ) -> Channel:
        people = set(members) | ({self.bot_user_id} if bot_member else set())
        channel = Channel(channel_id, name or channel_id.lower(), people, archived, private)
        self.channels[channel_id] = channel
        return channel

    def channel(self, params: Params, key: str = "channel") -> Channel:
        """The conversation a call names (a user ID means the DM with that user)."""
        channel_id = params.get(key)
        if not channel_id or not isinstance(channel_id, str):
            raise StandInError("channel_not_found")
        if channel_id[0] in "UW":
            channel_id = dm_channel_id(channel_id)
        found = self.channels.get(channel_id)
        if found is None:
            if not (self.auto_join or channel_id[0] in "DG"):
                raise StandInError("channel_not_found")
            members = [self.bot_user_id]
            found = self.add_channel(channel_id, members=members, bot_member=True)
        return found

    def writable(self, params: Params, key: str = "channel") -> Channel:
        """The channel, if the bot may post there (member, not archived)."""
        channel = self.channel(params, key)
        if channel.is_archived:
            raise StandInError("is_archived")
        if self.bot_user_id not in channel.members and not channel.is_im:
            raise StandInError("not_in_channel")
        return channel

    def find_message(self, params: Params, ts_key: str = "ts") -> Message:
        channel = self.channel(params)
        msg = self.messages.get((channel.id, str(params.get(ts_key) or "")))
        if msg is None or msg.deleted:
            raise StandInError("message_not_found")
        return msg

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """The parent message and its replies, oldest first."""
        return sorted(
            (
                m
                for m in self.messages.values()
                if m.channel == channel_id and not m.deleted and (m.ts == ts or m.thread_ts == ts)
            ),
            key=lambda m: float(m.ts),
        )
