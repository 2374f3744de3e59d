"""`Billing`: the use cases, by capability, over one store, one policy and the subscribers.

billing = Billing(store, policy, subscribers={"slack": None}, renderer=pdf_pool)
result = await billing.drafting.start_draft("P-123", user, now)
await billing.settlement.record_payment("INV-2026-0001", user, now, "100.00")
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from billing_core.policy import Policy
from billing_core.usecases.approvals import Approvals
from billing_core.usecases.auditing import Auditing
from billing_core.usecases.chasing import Chasing
from billing_core.usecases.corrections import Corrections
from billing_core.usecases.crediting import Crediting
from billing_core.usecases.delegating import Delegating
from billing_core.usecases.documents import Documents, Renderer
from billing_core.usecases.drafting import Drafting
from billing_core.usecases.engine import Engine, Subscribers
from billing_core.usecases.groups import GroupCache
from billing_core.usecases.metrics import Metrics
from billing_core.usecases.outbox import OutboxCase
from billing_core.usecases.ports import Store
from billing_core.usecases.queries import Queries
from billing_core.usecases.records import Records
from billing_core.usecases.reporting import Reporting
from billing_core.usecases.requests import Requests
from billing_core.usecases.settlement import Settlement


class Billing:
    def __init__(
        self,
        store: Store,
        policy: Policy,
        *,
        subscribers: Subscribers | None = None,
        renderer: Renderer | None = None,
        groups: GroupCache | None = None,
    ) -> None:
        self.engine = Engine(store, policy, dict(subscribers or {}), groups)
        self.store = store
        self.records = Records(self.engine)
        self.drafting = Drafting(self.engine)
        self.approvals = Approvals(self.engine)
        self.delegating = Delegating(self.engine)
        self.auditing = Auditing(self.engine)
        self.settlement = Settlement(self.engine)
        self.crediting = Crediting(self.engine)
        self.corrections = Corrections(self.engine)
        self.queries = Queries(self.engine)
        self.documents = Documents(self.engine, renderer)
        self.reporting = Reporting(self.engine)
        self.metrics = Metrics(self.engine)
        self.chasing = Chasing(self.engine, self.reporting, self.metrics)
        self.outbox = OutboxCase(self.engine)
        self.requests = Requests(self.engine)

    @property
    def policy(self) -> Policy:
        return self.engine.policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        self.engine.policy = policy

    def with_policy(self, policy: Policy) -> Billing:
        """The same store, subscribers and renderer under another policy."""
        return self._with(policy=policy)

    def with_subscribers(self, subscribers: Subscribers) -> Billing:
        return self._with(subscribers=subscribers)

    def with_renderer(self, renderer: Renderer) -> Billing:
        return self._with(renderer=renderer)

    def _with(self, **changes: Any) -> Billing:
        kept: dict[str, Any] = {
            "policy": self.policy, "subscribers": self.engine.subscribers,
            "renderer": self.documents.renderer, "groups": self.engine.groups,
        }  # fmt: skip
        kept.update(changes)
        policy = kept.pop("policy")
        return Billing(self.store, policy, **kept)

    def today(self, now: datetime) -> date:
        """The business date of `now` (in `[reminders].timezone`)."""
        return self.engine.today(now)
