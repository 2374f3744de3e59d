"""What every use case shares: the store, the policy, who subscribes to which domain events,
and the two bookkeeping steps of a change (recording its events, claiming its request key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from billing_core.errors import AlreadyHandled
from billing_core.events import DomainEvent, EventName
from billing_core.policy import Policy
from billing_core.reminders import business_date
from billing_core.usecases.groups import GroupCache
from billing_core.usecases.ports import Store, UnitOfWork

# A subscriber's name and the events it wants (None: all of them).
Subscribers = Mapping[str, frozenset[EventName] | None]


@dataclass
class Engine:
    """Shared by every capability of one `Billing`: replacing `policy` here (as tests do)
    changes it for all of them. `groups` reads the members of user-group-backed approval
    groups (None: no directory, such groups stay unread and their steps unsignable)."""

    store: Store
    policy: Policy
    subscribers: Subscribers = field(default_factory=dict)
    groups: GroupCache | None = None

    def today(self, now: datetime) -> date:
        """The business date of `now` (in `[reminders].timezone`)."""
        return business_date(now, self.policy.reminders.zone)

    async def emit(self, uow: UnitOfWork, event: DomainEvent, now: datetime) -> bool:
        """Record `event` for every subscriber that wants it, in `uow`'s transaction; False
        when it had been recorded before (its key is taken)."""
        recorded = False
        for consumer, wanted in self.subscribers.items():
            if wanted is None or event.name in wanted:
                recorded |= await uow.outbox.add(
                    consumer, event.name.value, event.invoice_id, event.payload, event.key, now
                )
        return recorded


async def claim_request(
    uow: UnitOfWork, request_key: str | None, now: datetime, invoice_id: int | None
) -> None:
    """Make this change happen once per request: record `request_key` in the change's own
    transaction, or raise AlreadyHandled (rolling the change back) if it was recorded before.
    A concurrent repeat waits on the key's unique index until this transaction ends."""
    if request_key is not None and not await uow.requests.claim(request_key, now, invoice_id):
        raise AlreadyHandled(request_key, invoice_id)
