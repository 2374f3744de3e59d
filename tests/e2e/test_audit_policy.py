"""The audit trail says which policy a running bot approved under."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_core.store.audit_check import export, verify
from billing_core.store.unit_of_work import Store
from tests.e2e.harness import Bot


async def test_a_started_bot_records_the_policy_it_runs_with_and_the_chain_holds(
    bot: Bot,
) -> None:
    store = bot.billing.store
    assert isinstance(store, Store)
    rows = await export(store, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    loaded = [r.event for r in rows if r.event.kind == "policy_loaded"]
    assert len(loaded) == 1
    assert loaded[0].payload["sha256"] == bot.billing.auditing.policy_sha256()
    assert await verify(store, None) is None
