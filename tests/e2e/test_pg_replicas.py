"""Two replicas on one PostgreSQL database: numbers, approvals, outbox and reminders stay
exactly-once with row locks, not in-process locks."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from billing_core.policy import parse_policy
from billing_core.store.engine import new_async_engine, upgrade_database
from bot.server import slack_client
from handlers.reminders import SlackReminderSender
from scheduler.jobs import run_reminders
from slackstandin import SlackStandIn
from tests.e2e.harness import (
    APPROVER,
    BOSS,
    CHANNEL,
    DRAFTER,
    POLICY,
    Bot,
    record_json,
    start_bot,
    stop_bot,
)
from tests.pg import fresh_postgres_database

RECORDS = 50
OWNERS = [f"U0OWNER{n}" for n in range(5)]


@pytest.fixture
async def replicas(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[tuple[Bot, Bot]]:
    async with fresh_postgres_database() as url:
        engine = new_async_engine(url)
        await upgrade_database(engine)  # `invoicebot db upgrade`, as the README says
        await engine.dispose()
        first = await start_bot(slack, tmp_path, database_url=url)
        second = await start_bot(slack, tmp_path, database_url=url, clock=first.clock)
        try:
            yield first, second
        finally:
            await stop_bot(first)
            await stop_bot(second)


def buttons_of(slack: SlackStandIn, invoice_id: int):  # type: ignore[no-untyped-def]
    for message in slack.messages():
        if any(b.get("block_id") == f"decision:{invoice_id}" for b in message.blocks or []):
            return message
    return None


async def test_two_replicas_race_fifty_approvals_and_a_reminder_run(
    replicas: tuple[Bot, Bot], slack: SlackStandIn
) -> None:
    first, second = replicas
    await first.add_records(
        *(
            record_json(f"P-{n}", owner=OWNERS[n % len(OWNERS)], due_date="2026-12-01")
            for n in range(RECORDS)
        )
    )
    # Drafts queued on both replicas; both outbox workers deliver them.
    drafted = await asyncio.gather(
        *(
            (first if n % 2 else second).billing.drafting.start_draft(
                f"P-{n}", DRAFTER, first.clock(), origin={"workspace": "T0TEAM", "channel": CHANNEL}
            )
            for n in range(RECORDS)
        )
    )
    ids = [d.state.id for d in drafted]
    first.service.delivery.wake()
    second.service.delivery.wake()
    await slack.wait_until(lambda: all(buttons_of(slack, i) for i in ids), 120)
    assert len(slack.uploaded_files) == RECORDS  # each draft PDF exactly once

    # Every draft approved twice at once, once through each replica, by two approvers.
    clicks = []
    for invoice_id in ids:
        message = buttons_of(slack, invoice_id)
        clicks.append(first.click("invoice_approve", message, APPROVER))
        clicks.append(second.click("invoice_approve", message, BOSS))
    responses = await asyncio.gather(*clicks)
    assert all(r.status == 200 for r, _ in responses)
    await slack.wait_until(lambda: len(slack.uploaded_files) == 2 * RECORDS, 120)

    numbers = []
    for invoice_id in ids:
        numbers.append((await first.billing.queries.invoice(invoice_id)).number)
    assert sorted(numbers) == [f"INV-2026-{n:04d}" for n in range(1, RECORDS + 1)]
    finals = [f.filename for f in slack.uploaded_files if f.filename.startswith("INV-")]
    assert Counter(finals) == Counter(f"{n}.pdf" for n in numbers)  # one final PDF each

    # Both replicas run the reminders for the same day at once: one DM per owner.
    dm_posts_before = len(slack.calls_to("chat.postMessage"))
    senders = [
        SlackReminderSender(
            slack_client(bot.service.container.settings),
            bot.billing.policy,
            bot.service.container.store.conversations,
        )
        for bot in (first, second)
    ]
    summaries = await asyncio.gather(
        *(
            run_reminders(bot.billing, sender, bot.clock(), as_of=date(2026, 12, 3))
            for bot, sender in zip((first, second), senders, strict=True)
        )
    )
    dms = slack.calls_to("chat.postMessage")[dm_posts_before:]
    assert sorted(c.params["channel"] for c in dms) == sorted(slack.dm_channel(o) for o in OWNERS)
    assert sum(len(s.sent) for s in summaries) == RECORDS


ESCALATION = "C0ESCALATE"


async def test_a_step_waiting_too_long_is_escalated_once_with_two_replicas(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    approval = parse_policy({"approval": {
        "approvers": [APPROVER],
        "escalation_channel": ESCALATION,
        "groups": {"finance": [BOSS]},
        "rules": [{"name": "finance signs", "steps": ["finance"], "escalate_after_hours": 4}],
    }}).approval  # fmt: skip
    policy = replace(POLICY, approval=approval)
    async with fresh_postgres_database() as url:
        engine = new_async_engine(url)
        await upgrade_database(engine)
        await engine.dispose()
        first = await start_bot(slack, tmp_path, policy, database_url=url)
        second = await start_bot(slack, tmp_path, policy, database_url=url, clock=first.clock)
        try:
            await first.add_records(*(record_json(f"P-{n}") for n in range(3)))
            for n in range(3):
                await first.draft(f"P-{n}")
            first.clock.advance(hours=4)  # not longer than 4 h yet
            assert await first.billing.chasing.queue_escalations(first.clock()) == 0
            first.clock.advance(minutes=1)
            # Both replicas' schedulers run at once, twice over.
            queued = await asyncio.gather(
                *(bot.billing.chasing.queue_escalations(first.clock())
                  for bot in (first, second, first, second))
            )  # fmt: skip
            assert sum(queued) == 3
            first.service.delivery.wake()
            second.service.delivery.wake()

            async def pending() -> int:
                return len(await first.billing.outbox.pending("slack"))

            await slack.wait_until(lambda: len(slack.messages(ESCALATION)) >= 3, 30)
            for _ in range(100):  # until both workers have nothing left to deliver
                if await pending() == 0:
                    break
                await asyncio.sleep(0.1)
            assert await pending() == 0
            posts = [m.text or "" for m in slack.messages(ESCALATION)]
            assert len(posts) == 3
            assert sorted(p.split("draft for ")[1][:3] for p in posts) == ["P-0", "P-1", "P-2"]
            assert all("more than 4 h for step 1 of 1 (finance)" in p for p in posts)
            assert all(f"signed by: <@{BOSS}>" in p for p in posts)
        finally:
            await stop_bot(first)
            await stop_bot(second)
