"""Groups backed by a chat workspace's user groups (`[approval.groups] finance = "S0123ABCD"`):
the port an adapter implements to read their members, and the cache the use cases read
through.

The engine never calls the chat platform itself: `GroupDirectory` is the port (the Slack
adapter implements it with `usergroups.users.list`, handlers.slack_groups), `GroupCache`
keeps each group's last good member list for `ttl` and is asked with `now` passed in.

Failure never widens who may sign: a group whose members cannot be read and were never read
has no known members, so a click on its step is refused with the cause
(`approval_rules.GroupUnreadable`). When a list was read before, the last good one is used
however old it is (logged), because the group changes rarely and a refusal stops the whole
team's approvals until the platform answers again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)

# Slack's usergroups.users.list is rate tier 2 (20+ calls a minute per workspace); member
# lists change a few times a year. Ten minutes keeps a busy approval day to a handful of
# calls per group while a change (someone joins finance) shows within a coffee break.
DEFAULT_TTL = timedelta(minutes=10)


class DirectoryError(Exception):
    """The directory could not say who is in a group. `reason` is written for the person
    who clicked, with what to do about it (it is shown as it is)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GroupDirectory(Protocol):
    """Reads the members of a user group of the chat workspace."""

    async def members(self, group_id: str) -> tuple[str, ...]:
        """The member IDs of `group_id` now (possibly none). Raises DirectoryError."""
        ...


@dataclass(frozen=True)
class GroupRead:
    """What is known of one group at `now`.

    `members` is None when the group was never read successfully (nobody is known to be in
    it); `error` is the reason of the last failed read when it is what this answer rests on
    (with `members` set, those are the last good list, read at `read_at`)."""

    group_id: str
    members: tuple[str, ...] | None
    read_at: datetime | None = None
    error: str | None = None

    @property
    def stale(self) -> bool:
        """The last good list, used because a fresh read failed."""
        return self.members is not None and self.error is not None


class GroupCache:
    """Members of user groups, read through `directory` at most once per group per `ttl`.

    One read at a time per group (clicks arriving together wait for the same answer). A
    failed read is not remembered: the next use asks again (clicks come at human pace, and
    the rate limit is the platform's answer to ask less, which the last good list covers)."""

    def __init__(self, directory: GroupDirectory, ttl: timedelta = DEFAULT_TTL) -> None:
        self.directory = directory
        self.ttl = ttl
        self._good: dict[str, GroupRead] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def cached(self, group_id: str) -> GroupRead:
        """The last good list without asking the directory (None members: never read)."""
        return self._good.get(group_id) or GroupRead(group_id, None)

    async def read(self, group_id: str, now: datetime) -> GroupRead:
        """The members of `group_id` as of `now`: the cached list while younger than `ttl`,
        else a fresh read; on a failed read the last good list (logged) or, with none, a
        GroupRead without members carrying the reason."""
        lock = self._locks.setdefault(group_id, asyncio.Lock())
        async with lock:
            good = self._good.get(group_id)
            if good is not None and good.read_at is not None and now - good.read_at < self.ttl:
                return good
            try:
                members = await self.directory.members(group_id)
            except DirectoryError as exc:
                if good is None:
                    log.warning("user group %s could not be read: %s", group_id, exc.reason)
                    return GroupRead(group_id, None, None, exc.reason)
                log.warning(
                    "user group %s could not be read (%s); using the last good list, read at "
                    "%s (%d members)", group_id, exc.reason, good.read_at, len(good.members or ()),
                )  # fmt: skip
                return GroupRead(group_id, good.members, good.read_at, exc.reason)
            fresh = GroupRead(group_id, tuple(dict.fromkeys(members)), now)
            self._good[group_id] = fresh
            return fresh

    async def read_all(self, group_ids: Iterable[str], now: datetime) -> dict[str, GroupRead]:
        """`read` for each distinct ID, in sorted order (one after another: tier 2)."""
        return {gid: await self.read(gid, now) for gid in sorted(set(group_ids))}

    def cached_all(self, group_ids: Iterable[str]) -> Mapping[str, GroupRead]:
        return {gid: self.cached(gid) for gid in set(group_ids)}
