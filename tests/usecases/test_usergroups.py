"""Approval groups backed by a user group, read through a fake directory: its members sign,
others are refused, the list is read once per TTL (the clock passed in), and a failed read
refuses the click with the cause, or falls back to the last good list."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from billing_core.approval_rules import GroupUnreadable
from billing_core.errors import NotAnApprover
from billing_core.policy import parse_policy
from billing_core.usecases import Billing
from billing_core.usecases.groups import DEFAULT_TTL, DirectoryError, GroupCache
from tests.conftest import APPROVER, BOSS
from tests.usecases.conftest import NOW, Draft

FIN_A, FIN_B, OUTSIDER = "U0FINA", "U0FINB", "U0OUTSIDER"
FINANCE = "S0FINANCE"
MISSING_SCOPE = "missing_scope; ask an admin to reinstall the app with the usergroups:read scope"


class FakeDirectory:
    """Members per user group; `failing` makes every read fail with that reason."""

    def __init__(self, **groups: tuple[str, ...]) -> None:
        self.groups = dict(groups)
        self.failing: str | None = None
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None  # when set, reads wait for it

    async def members(self, group_id: str) -> tuple[str, ...]:
        self.calls.append(group_id)
        if self.gate is not None:
            await self.gate.wait()
        if self.failing is not None:
            raise DirectoryError(self.failing)
        return self.groups[group_id]


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory(S0FINANCE=(FIN_A, FIN_B))


@pytest.fixture
def groups(billing: Billing, directory: FakeDirectory) -> GroupCache:
    """Finance is the user group S0FINANCE and signs every invoice, after a lead for two-step
    ones (`steps` chosen per test through `use`)."""
    cache = GroupCache(directory)
    billing.engine.groups = cache
    use(billing, ["finance"])
    return cache


def use(billing: Billing, steps: list[str]) -> None:
    approval = parse_policy({"approval": {
        "approvers": [APPROVER, BOSS],
        "groups": {"finance": FINANCE, "lead": [APPROVER]},
        "rules": [{"name": "finance signs", "steps": steps}],
    }}).approval  # fmt: skip
    billing.policy = replace(billing.policy, approval=approval)


async def history(billing: Billing, invoice_id: int) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in await billing.queries.events(invoice_id)]


async def test_a_member_of_the_user_group_signs_and_anyone_else_is_refused(
    billing: Billing, draft: Draft, groups: GroupCache
) -> None:
    state = await draft("P-1")
    with pytest.raises(NotAnApprover, match=f"not in group 'finance'.*signed now by: {FIN_A}"):
        await billing.drafting.approve(state.id, OUTSIDER, NOW)
    with pytest.raises(NotAnApprover):
        await billing.drafting.approve(state.id, APPROVER, NOW)  # an approver, not in finance
    approved = await billing.drafting.approve(state.id, FIN_B, NOW)
    assert approved.number == "INV-2026-0001" and approved.decided_by == FIN_B


async def test_the_list_is_read_once_per_ttl_and_a_change_shows_after_it(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    first, second = await draft("P-1"), await draft("P-2")
    progress = await billing.approvals.progress(first.id, NOW)
    assert progress.eligible == (FIN_A, FIN_B) and directory.calls == [FINANCE]

    directory.groups[FINANCE] = (FIN_A,)  # FIN_B leaves finance in Slack
    just_before = NOW + DEFAULT_TTL - timedelta(seconds=1)
    signed = await billing.drafting.approve(first.id, FIN_B, just_before)  # still cached
    assert signed.decided_by == FIN_B and directory.calls == [FINANCE]

    with pytest.raises(NotAnApprover, match=f"signed now by: {FIN_A}\\."):
        await billing.drafting.approve(second.id, FIN_B, NOW + DEFAULT_TTL)
    assert directory.calls == [FINANCE, FINANCE]
    assert (await billing.queries.invoice(second.id)).number is None


async def test_an_unreadable_group_refuses_even_its_members_with_the_cause(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    directory.failing = MISSING_SCOPE
    state = await draft("P-1")
    progress = await billing.approvals.progress(state.id, NOW)
    assert progress.eligible == () and progress.unread == {FINANCE: MISSING_SCOPE}
    assert progress.unsignable is None  # unknown, not empty: the thread says why instead
    for who in (FIN_A, OUTSIDER):
        with pytest.raises(GroupUnreadable) as refused:
            await billing.drafting.approve(state.id, who, NOW)
        assert (
            f"step 1 of 1 (finance) cannot be signed now: the user group {FINANCE} (group "
            f"'finance') could not be read: {MISSING_SCOPE}. Nothing was signed"
        ) in str(refused.value)
    assert await history(billing, state.id) == [("draft", "U0OWNER")]
    assert (await billing.queries.invoice(state.id)).number is None
    # A failure is not remembered: once the scope is granted the next click reads again.
    directory.failing = None
    assert (await billing.drafting.approve(state.id, FIN_A, NOW)).number == "INV-2026-0001"


async def test_after_a_failed_read_the_last_good_list_is_used_and_logged(
    billing: Billing,
    draft: Draft,
    groups: GroupCache,
    directory: FakeDirectory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = await draft("P-1")
    await billing.approvals.progress(state.id, NOW)  # read once, good
    directory.failing = "ratelimited; Slack asked to slow down; try again in a minute"
    later = NOW + 3 * DEFAULT_TTL
    with caplog.at_level(logging.WARNING, "billing_core.usecases.groups"):
        with pytest.raises(NotAnApprover, match=f"signed now by: {FIN_A}, {FIN_B}"):
            await billing.drafting.approve(state.id, OUTSIDER, later)
        approved = await billing.drafting.approve(state.id, FIN_A, later)
    assert approved.number == "INV-2026-0001"
    assert directory.calls == [FINANCE, FINANCE, FINANCE]  # asked again each time, no cache
    assert (
        f"user group {FINANCE} could not be read (ratelimited; Slack asked to slow down; try "
        "again in a minute); using the last good list, read at 2026-11-25 10:00:00+00:00 "
        "(2 members)"
    ) in caplog.messages


async def test_a_user_group_that_turns_out_empty_leaves_the_step_with_no_signer(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    directory.groups[FINANCE] = ()
    state = await draft("P-1")
    progress = await billing.approvals.progress(state.id, NOW)
    assert progress.unsignable == 0 and progress.eligible == () and progress.unread == {}
    with pytest.raises(NotAnApprover, match="signed now by: nobody"):
        await billing.drafting.approve(state.id, FIN_A, NOW)


async def test_a_static_first_step_is_signed_while_the_later_user_group_is_unreadable(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    use(billing, ["lead", "finance"])
    directory.failing = MISSING_SCOPE
    state = await draft("P-1")
    assert (await billing.drafting.approve(state.id, APPROVER, NOW)).status.value == "draft"
    with pytest.raises(GroupUnreadable, match="step 2 of 2 \\(finance\\) cannot be signed"):
        await billing.drafting.approve(state.id, FIN_A, NOW)
    assert await history(billing, state.id) == [("draft", "U0OWNER"), ("sign", APPROVER)]


async def test_clicks_arriving_together_wait_for_one_read(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    directory.gate = asyncio.Event()
    reads = [asyncio.create_task(groups.read(FINANCE, NOW)) for _ in range(5)]
    while not directory.calls:
        await asyncio.sleep(0)
    directory.gate.set()
    answers = await asyncio.gather(*reads)
    assert directory.calls == [FINANCE]
    assert {a.members for a in answers} == {(FIN_A, FIN_B)}


async def test_without_a_directory_a_user_group_step_is_refused_not_opened(
    billing: Billing, draft: Draft, groups: GroupCache
) -> None:
    billing.engine.groups = None  # e.g. the CLI or the API, which have no Slack client
    state = await draft("P-1")
    with pytest.raises(GroupUnreadable, match="nothing is set up to read user groups here"):
        await billing.drafting.approve(state.id, FIN_A, NOW)


async def test_a_member_of_a_user_group_may_reject_like_a_static_group_member(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    state = await draft("P-1")
    with pytest.raises(NotAnApprover, match=r"^Only approvers can reject invoices\.$"):
        await billing.drafting.reject(state.id, OUTSIDER, "other", "no", NOW)
    rejected = await billing.drafting.reject(state.id, FIN_B, "wrong_amount", "too high", NOW)
    assert rejected.status.value == "rejected" and rejected.decided_by == FIN_B


async def test_a_reject_is_refused_with_the_cause_when_the_group_cannot_be_read(
    billing: Billing, draft: Draft, groups: GroupCache, directory: FakeDirectory
) -> None:
    directory.failing = MISSING_SCOPE
    state = await draft("P-1")
    with pytest.raises(NotAnApprover, match=re.escape(f"user group {FINANCE} ({MISSING_SCOPE})")):
        await billing.drafting.reject(state.id, FIN_A, "other", "no", NOW)
    assert (await billing.queries.invoice(state.id)).status.value == "draft"
    rejected = await billing.drafting.reject(state.id, APPROVER, "other", "no", NOW)
    assert rejected.decided_by == APPROVER  # static approvers never wait for the directory
