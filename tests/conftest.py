"""Shared fixtures: a policy, the DESIGN.md example record, a Billing service on SQLite."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from billing_core.policy import Policy, parse_policy
from billing_core.usecases import Billing
from bot.demo import EXAMPLE_RECORD

APPROVER = "U0APPROVER"
BOSS = "U0BOSS"
OWNER = "U0OWNER"


@pytest.fixture
def policy() -> Policy:
    """Two approvers, four-eyes at 5000.00, business time zone UTC, INV-{year}-{seq:04d}."""
    return parse_policy(
        {
            "company": {"name": "Northwind Studio GmbH", "country": "DE"},
            "approval": {"approvers": [APPROVER, BOSS], "four_eyes_threshold": "5000.00"},
            "reminders": {"timezone": "UTC"},
        }
    )


@pytest.fixture
def record_data() -> Callable[..., dict[str, Any]]:
    """Builder: `record_data(id="P-2", owner=None)` is the DESIGN.md example with changes;
    a value of None removes the key."""

    def build(**changes: Any) -> dict[str, Any]:
        data = copy.deepcopy(EXAMPLE_RECORD)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return build


@pytest.fixture
async def billing(tmp_path: Any, policy: Policy) -> AsyncIterator[Billing]:
    """A Billing service on a fresh SQLite file in tmp_path (schema upgraded)."""
    from bot.bootstrap import build
    from bot.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path}/billing.db"
    container = await build(Settings(database_url=url, policy=policy))
    try:
        yield container.billing
    finally:
        await container.close()
