"""Delegations (billing_core.delegation), kept as events in the outbox table.

No table of their own: each `/invoice delegate` and each early end is one outbox row of the
consumer `delegations`, written done (nothing delivers it) and never deleted; the
delegations in force are folded from those rows in order. The rows are few (one per absence),
so each approval click reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from billing_core.delegation import (
    DELEGATED,
    ENDED,
    Delegation,
    DelegationRefused,
    check_delegation,
    fold,
    in_force,
)
from billing_core.usecases.engine import Engine
from billing_core.usecases.ports import UnitOfWork

CONSUMER = "delegations"  # the outbox rows that store delegations


@dataclass(frozen=True)
class Ended:
    """The delegation ended early by its delegator."""

    delegation: Delegation


async def delegations_in_force(uow: UnitOfWork, today: date) -> dict[str, Delegation]:
    """Delegator -> the delegation lasting on business date `today`."""
    return in_force(fold(await uow.outbox.kept(CONSUMER)), today)


class Delegating:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def delegate(
        self, delegator: str, delegate: str, until: date, now: datetime
    ) -> Delegation:
        """`delegate` signs `delegator`'s steps to the end of `until` (business date),
        replacing a delegation the delegator gave before. Raises NotAnApprover or
        DelegationRefused (see billing_core.delegation.check_delegation)."""
        today = self.engine.today(now)
        delegation = check_delegation(
            delegator, delegate, until, today, self.engine.policy.approval
        )
        payload = {"delegator": delegator, "delegate": delegate, "until": until.isoformat(),
                   "at": now.isoformat()}  # fmt: skip
        async with self.engine.store.unit_of_work() as uow:
            await uow.outbox.keep(
                CONSUMER, DELEGATED, payload, f"{DELEGATED}:{delegator}:{now.isoformat()}", now
            )
            uow.history.audit(
                now, "delegated", delegator, {"delegate": delegate, "until": until.isoformat()}
            )
        return delegation

    async def end(self, delegator: str, now: datetime) -> Ended:
        """End `delegator`'s delegation now; DelegationRefused when none is in force."""
        today = self.engine.today(now)
        async with self.engine.store.unit_of_work() as uow:
            running = (await delegations_in_force(uow, today)).get(delegator)
            if running is None:
                raise DelegationRefused("You have no delegation running; nothing was changed.")
            payload = {"delegator": delegator, "at": now.isoformat()}
            await uow.outbox.keep(
                CONSUMER, ENDED, payload, f"{ENDED}:{delegator}:{now.isoformat()}", now
            )
            uow.history.audit(now, "delegation_ended", delegator, {"delegate": running.delegate})
        return Ended(running)

    async def in_force(self, now: datetime) -> dict[str, Delegation]:
        """The delegations lasting today (business date of `now`)."""
        async with self.engine.store.unit_of_work(read_only=True) as uow:
            return await delegations_in_force(uow, self.engine.today(now))
