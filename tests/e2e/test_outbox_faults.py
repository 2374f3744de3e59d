"""Slack outages, slow and malformed answers and crashes delay messages; they lose none and
duplicate none (issue 8, items 5-7; issue 9: the final PDF exists because of the approval).

These tests drive the outbox workers themselves (`bot.deliver_all`) and move the workers'
clock past a backoff or a lease instead of waiting for it.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from billing_core.usecases.outbox import LEASE
from billing_core.usecases.worker import wall_clock
from slackstandin import SlackStandIn
from tests.e2e.harness import APPROVER, CHANNEL, DRAFTER, Bot, record_json, start_bot, stop_bot

ORIGIN = {"workspace": "T0TEAM", "channel": CHANNEL}


@pytest.fixture
async def quiet(slack: SlackStandIn, tmp_path: Path) -> Bot:
    """The real app without background workers: the test delivers, step by step."""
    bot = await start_bot(slack, tmp_path, workers=False)
    await bot.add_records(*(record_json(f"P-{n}") for n in range(3)), record_json())
    yield bot  # type: ignore[misc]
    await stop_bot(bot)


async def drafted(bot: Bot, record_id: str = "P-123") -> int:
    """A draft in #sales whose thread (summary, PDF, buttons) is complete."""
    draft = await bot.billing.drafting.start_draft(record_id, DRAFTER, bot.clock(), origin=ORIGIN)
    await bot.deliver_all()
    assert await bot.pending(draft.state.id) == []
    return draft.state.id


async def test_every_message_arrives_exactly_once_after_an_outage(quiet: Bot) -> None:
    bot, slack = quiet, quiet.slack
    first = await drafted(bot, "P-0")
    # Slack goes down: 500s for posts and uploads, 429s for updates.
    slack.fail_all(status=500, methods=["chat.postMessage", "files.getUploadURLExternal"])
    slack.fail_all(status=429, retry_after=0, methods=["chat.update"])
    for n in (1, 2):
        await bot.billing.drafting.start_draft(f"P-{n}", DRAFTER, bot.clock(), origin=ORIGIN)
    approved = await bot.billing.drafting.approve(first, APPROVER, bot.clock())
    for _ in range(3):
        await bot.deliver_all()
        bot.worker_clock.advance(minutes=15)  # the backoff passes; still down
    assert approved.number == "INV-2026-0001"  # the state change is not undone
    assert await bot.pending(first) == ["invoice_approved"]
    # The final PDF exists all the same: it comes from the approval, not from Slack.
    final = await bot.billing.documents.get(first, "final")
    assert final is not None and final.filename == "INV-2026-0001.pdf"

    slack.recover()
    bot.worker_clock.advance(hours=1)
    await bot.deliver_all()
    uploads = Counter(f.filename for f in slack.uploaded_files)
    assert set(uploads.values()) == {1} and len(uploads) == 4, uploads
    assert slack.uploaded_files[-1].content == final.content  # the very same bytes
    summaries = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(summaries) == 3
    assert all([await bot.pending(i) == [] for i in range(1, 4)])


async def test_a_crashed_workers_messages_come_back_within_the_lease(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    first = await start_bot(slack, tmp_path, workers=False)
    await first.add_records(record_json())
    invoice_id = await drafted(first)
    # The approval commits; a worker leases the post and dies before Slack hears of it.
    approved = await first.billing.drafting.approve(invoice_id, APPROVER, first.clock())
    leased = await first.billing.outbox.claim("slack", first.worker_clock(), invoice_id=invoice_id)
    assert [m.event for m in leased] == ["invoice_approved"]
    await stop_bot(first)
    assert len(slack.uploaded_files) == 1  # only the draft

    # A new process on the same database: within one lease (seconds), not ten minutes.
    first.worker_clock.advance(seconds=LEASE.total_seconds() + 1)
    second = await start_bot(
        slack, tmp_path, clock=first.clock, worker_clock=first.worker_clock, workers=False
    )
    try:
        await second.deliver_all()
        assert [f.filename for f in slack.uploaded_files][1:] == [f"{approved.number}.pdf"]
        assert await second.pending(invoice_id) == []
        await second.deliver_all()  # nothing left to repeat
        assert len(slack.uploaded_files) == 2
    finally:
        await stop_bot(second)


async def test_a_living_worker_keeps_its_lease_however_long_slack_takes(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    """A delivery slower than the lease is not taken over while its worker lives: the lease
    is renewed, so a second replica never posts the same draft again."""
    first = await start_bot(slack, tmp_path, workers=False)
    second = await start_bot(slack, tmp_path, workers=False)
    try:
        await first.add_records(record_json())
        for worker in (first.service.delivery.worker, second.service.delivery.worker):
            worker.lease = timedelta(seconds=0.6)  # renewed every 0.2 s
            worker.clock = wall_clock
        renewals: list[bool] = []
        renew = first.billing.outbox.renew

        async def counted(*args: Any, **kwargs: Any) -> bool:
            renewals.append(await renew(*args, **kwargs))
            return renewals[-1]

        first.billing.outbox.renew = counted  # type: ignore[method-assign]
        slack.fail_next("chat.postMessage", delay=3)  # the summary takes 3 s
        drafting = first.billing.drafting
        draft = await drafting.start_draft("P-123", DRAFTER, first.clock(), origin=ORIGIN)
        slow = asyncio.ensure_future(first.service.delivery.worker.deliver_due())
        async with asyncio.timeout(10):  # until the first lease would long have run out
            while len(renewals) < 4:
                await asyncio.sleep(0.02)
        assert all(renewals)
        assert await second.service.delivery.worker.deliver_due() == 0  # still leased
        await slow
        await first.deliver_all()
        summaries = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
        assert len(summaries) == 1 and await first.pending(draft.state.id) == []
    finally:
        await stop_bot(first)
        await stop_bot(second)


async def test_a_worker_whose_lease_ran_out_does_not_mark_anothers_delivery(quiet: Bot) -> None:
    """Fencing: the late worker's 'done' is refused; the message counts once."""
    outbox, now = quiet.billing.outbox, quiet.worker_clock()
    await quiet.billing.drafting.start_draft("P-123", DRAFTER, quiet.clock())
    (slow,) = await outbox.claim("slack", now, lease=timedelta(seconds=1))
    later = now + timedelta(seconds=5)  # the lease ran out; another worker claims it
    (fast,) = await outbox.claim("slack", later)
    assert fast.id == slow.id and fast.attempts == slow.attempts + 1
    assert await outbox.done(fast, later)
    assert not await outbox.done(slow, later)
    assert not await outbox.failed(slow, later, "late")
    assert not await outbox.renew(slow, later)
    assert await outbox.claim("slack", later + timedelta(hours=1)) == []


async def test_a_post_slack_made_but_answered_too_late_is_found_not_repeated(quiet: Bot) -> None:
    bot, slack = quiet, quiet.slack
    bot.service.delivery.client.timeout = 0.3
    slack.fail_next("chat.postMessage", late=2)  # the summary is posted; the answer is lost
    draft = await bot.billing.drafting.start_draft("P-123", DRAFTER, bot.clock(), origin=ORIGIN)
    errors = await bot.service.delivery.deliver_for_invoice(draft.state.id)
    assert errors and "Timeout" in errors[0]
    bot.worker_clock.advance(minutes=5)
    await bot.deliver_all()
    summaries = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(summaries) == 1  # found by its metadata, not posted again
    (lookup,) = slack.calls_to("conversations.history")
    assert lookup.params["include_all_metadata"] in (True, "true", "1")
    assert lookup.params["channel"] == CHANNEL
    buttons = await bot.buttons_message("P-123")
    assert buttons.thread_ts == summaries[0].ts


async def test_an_upload_slack_completed_but_answered_too_late_is_not_shared_twice(
    quiet: Bot,
) -> None:
    bot, slack = quiet, quiet.slack
    bot.service.delivery.client.timeout = 0.3
    slack.fail_next("files.completeUploadExternal", late=2)
    draft = await bot.billing.drafting.start_draft("P-123", DRAFTER, bot.clock(), origin=ORIGIN)
    assert await bot.service.delivery.deliver_for_invoice(draft.state.id)
    bot.worker_clock.advance(minutes=5)
    await bot.deliver_all()
    assert len(slack.uploaded_files) == 1
    (info,) = slack.calls_to("files.info")
    assert info.params["file"] == slack.uploaded_files[0].file_id
    assert await bot.pending(draft.state.id) == []


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, "Internal Server Error"), (502, b"<html>bad gateway</html>"), (200, "not json")],
    ids=["plain-text-500", "html-502", "non-json-200"],
)
async def test_any_malformed_slack_answer_is_a_failed_attempt_retried_later(
    quiet: Bot, status: int, body: str | bytes
) -> None:
    bot, slack = quiet, quiet.slack
    slack.fail_next("chat.postMessage", status=status, body=body)
    draft = await bot.billing.drafting.start_draft("P-123", DRAFTER, bot.clock(), origin=ORIGIN)
    errors = await bot.service.delivery.deliver_for_invoice(draft.state.id)
    assert len(errors) == 1
    (pending,) = await bot.billing.outbox.pending("slack", draft.state.id)
    assert pending.last_error and pending.attempts == 1  # recorded, not crashed
    bot.worker_clock.advance(minutes=5)
    await bot.deliver_all()
    summaries = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(summaries) == 1 and await bot.pending(draft.state.id) == []


async def test_the_drafter_is_told_when_posting_is_delayed(bot: Bot) -> None:
    bot.slack.fail_next("chat.postMessage", status=500, body="Internal Server Error")
    _, name = await bot.command("draft P-123")
    (reply,) = await bot.replies(name)
    assert "will be retried automatically" in reply and "Slack answered 500" in reply


def watch_pending(bot: Bot) -> asyncio.Event:
    """Set once the Slack delivery looks at the pending messages (it waits on another
    worker's attempt then)."""
    looked = asyncio.Event()
    outbox = bot.service.delivery.worker.outbox
    pending = outbox.pending

    async def watched(*args: Any) -> Any:
        looked.set()
        return await pending(*args)

    outbox.pending = watched  # type: ignore[method-assign]
    return looked


async def test_a_failure_in_the_background_workers_hands_still_reaches_the_drafter(
    quiet: Bot,
) -> None:
    # Seen in CI: the background worker polled between the draft's commit and the command's
    # own delivery, took the message and failed it; the command found nothing to deliver and
    # the drafter was told nothing.
    bot, delivery = quiet, quiet.service.delivery
    draft = await bot.billing.drafting.start_draft("P-123", DRAFTER, bot.clock(), origin=ORIGIN)
    now = bot.worker_clock.real_time
    (taken,) = await bot.billing.outbox.claim("slack", now(), invoice_id=draft.state.id)
    looked = watch_pending(bot)
    asking = asyncio.create_task(delivery.deliver_for_invoice(draft.state.id))
    await asyncio.wait_for(looked.wait(), 5)  # the command waits on the other attempt
    await bot.billing.outbox.failed(taken, now() + timedelta(minutes=1), "Slack 500")
    assert await asyncio.wait_for(asking, 5) == ["Slack 500"]
    # Later commands about the same invoice hear of the delay too, at once (it is backing off).
    assert await asyncio.wait_for(delivery.deliver_for_invoice(draft.state.id), 5) == ["Slack 500"]


async def test_a_message_given_up_in_the_background_workers_hands_is_reported(quiet: Bot) -> None:
    bot, delivery = quiet, quiet.service.delivery
    draft = await bot.billing.drafting.start_draft("P-123", DRAFTER, bot.clock(), origin=ORIGIN)
    now = bot.worker_clock.real_time
    (taken,) = await bot.billing.outbox.claim("slack", now(), invoice_id=draft.state.id)
    looked = watch_pending(bot)
    asking = asyncio.create_task(delivery.deliver_for_invoice(draft.state.id))
    await asyncio.wait_for(looked.wait(), 5)
    await bot.billing.outbox.done(taken, now(), {"gave_up": "not_in_channel"})
    assert await asyncio.wait_for(asking, 5) == ["not_in_channel"]


async def test_a_success_in_the_background_workers_hands_is_no_error(quiet: Bot) -> None:
    bot, delivery = quiet, quiet.service.delivery
    draft = await bot.billing.drafting.start_draft("P-123", DRAFTER, bot.clock(), origin=ORIGIN)
    now = bot.worker_clock.real_time
    (taken,) = await bot.billing.outbox.claim("slack", now(), invoice_id=draft.state.id)
    asking = asyncio.create_task(delivery.deliver_for_invoice(draft.state.id))
    await bot.billing.outbox.done(taken, now())
    assert await asyncio.wait_for(asking, 5) == []


RENDER_AND_WAIT = """
import time
from billing_core.invoice import draft_invoice
from billing_core.pdf import PdfRenderer
from billing_core.policy import Policy
from billing_core.records import parse_record
from bot.demo import example_record
from datetime import date
renderer = PdfRenderer(max_workers=2)
invoice = draft_invoice(parse_record(example_record()), Policy(), date(2026, 11, 25))
for _ in range(4):
    renderer.render_sync(invoice)
print(" ".join(str(p) for p in renderer.worker_pids()), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has died already
        return stat.read().split()[2] != "Z"


async def test_render_workers_die_with_a_server_killed_with_sigkill() -> None:
    parent = subprocess.Popen(  # noqa: ASYNC220 - a server process to kill, on purpose
        [sys.executable, "-c", RENDER_AND_WAIT], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    line = await asyncio.to_thread(parent.stdout.readline)
    pids = [int(p) for p in line.split()]
    assert pids and all(_alive(p) for p in pids)
    parent.send_signal(signal.SIGKILL)
    await asyncio.to_thread(parent.wait)
    async with asyncio.timeout(10):
        while any(_alive(p) for p in pids):
            await asyncio.sleep(0.05)
