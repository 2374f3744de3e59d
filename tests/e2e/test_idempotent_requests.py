"""The same Slack request delivered twice changes nothing twice, and gets the first answer
again (issue 8, item 4): a double submit, a retrying proxy, Socket Mode redelivery or
X-Slack-Retry-Num. Keys: a command's or click's trigger_id, a modal's view id and hash."""

import asyncio

from handlers import chasing_blocks
from slackstandin import plain_text_value, static_select_value, view_submission_body
from tests.e2e.harness import APPROVER, OWNER, SECRET, Bot, post_signed


async def approved_number(bot: Bot) -> str:
    buttons = await bot.draft()
    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    number = (await bot.billing.queries.find("P-123")).number
    assert number is not None
    return number


async def payments(bot: Bot, number: str) -> list[str]:
    state = await bot.billing.queries.find(number)
    return [str(e.amount) for e in await bot.billing.queries.events(state.id) if e.amount]


async def test_a_payment_command_delivered_twice_records_one_payment_and_answers_twice(
    bot: Bot,
) -> None:
    number = await approved_number(bot)
    body, name = bot.command_body(f"paid {number} 100", OWNER)
    assert (await bot.send(body)).status == 200
    (first,) = await bot.replies(name)
    assert (await bot.send(body, retry=1)).status == 200  # Slack's retry of the same request
    replies = await bot.replies(name, count=2)
    assert replies == [first, first]  # the same answer again
    assert await payments(bot, number) == ["100.0000"]


async def test_the_same_command_sent_twice_at_once_records_one_payment(bot: Bot) -> None:
    number = await approved_number(bot)
    body, name = bot.command_body(f"paid {number} 100", OWNER)
    await asyncio.gather(bot.send(body), bot.send(body))
    await bot.replies(name, count=2)
    assert await payments(bot, number) == ["100.0000"]


async def test_hold_and_void_commands_delivered_twice_change_once(bot: Bot) -> None:
    number = await approved_number(bot)
    for text in (f"hold {number} client disputes the hours", f"void {number} wrong client"):
        body, name = bot.command_body(text, APPROVER)
        await bot.send(body)
        (first,) = await bot.replies(name)
        await bot.send(body, retry=1)
        assert await bot.replies(name, count=2) == [first, first]
        assert "cannot be" not in first
    state = await bot.billing.queries.find(number)
    actions = [e.action for e in await bot.billing.queries.events(state.id)]
    assert actions == ["draft", "approve", "hold", "void"]


async def test_sent_command_delivered_twice_changes_once(bot: Bot) -> None:
    number = await approved_number(bot)
    body, name = bot.command_body(f"sent {number}", APPROVER)
    await bot.send(body)
    (first,) = await bot.replies(name)
    await bot.send(body, retry=1)
    assert await bot.replies(name, count=2) == [first, first]
    state = await bot.billing.queries.find(number)
    assert [e.action for e in await bot.billing.queries.events(state.id)][-1] == "mark_sent"


async def test_a_draft_command_delivered_twice_makes_one_draft_and_one_thread(bot: Bot) -> None:
    body, _ = bot.command_body("draft P-123")
    await bot.send(body)
    await bot.send(body, retry=1)
    await bot.buttons_message("P-123")
    await bot.settled("P-123")
    assert len((await bot.billing.records.overview("P-123")).invoices) == 1
    summaries = [m for m in bot.slack.messages() if m.thread_ts is None]
    assert len(summaries) == 1


async def test_an_approve_click_delivered_twice_approves_once_and_answers_the_same(
    bot: Bot,
) -> None:
    buttons = await bot.draft()
    body, name = bot.click_body("invoice_approve", buttons, APPROVER)
    await asyncio.gather(bot.send(body), bot.send(body, retry=1))
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    await bot.settled("P-123")
    state = await bot.billing.queries.find("P-123")
    assert state.number == "INV-2026-0001"
    assert [e.action for e in await bot.billing.queries.events(state.id)].count("approve") == 1
    # A repeat is not told "already approved": it is the same click.
    texts = [post.get("text", "") for post in bot.reply_posts(name)]
    assert not any("already" in text for text in texts)


async def test_a_snooze_click_delivered_twice_snoozes_once(bot: Bot) -> None:
    from tests.e2e.test_reminders import dm_after_first_run, overdue_invoice

    state = await overdue_invoice(bot)
    dm = await dm_after_first_run(bot)
    body, name = bot.click_body(chasing_blocks.SNOOZE_ACTION, dm, OWNER)
    await bot.send(body)
    (first,) = await bot.replies(name)
    await bot.send(body, retry=1)
    assert await bot.replies(name, count=2) == [first, first]
    actions = [e.action for e in await bot.billing.queries.events(state.id)]
    assert actions.count("snooze") == 1


async def test_the_reject_form_submitted_twice_rejects_once(bot: Bot) -> None:
    await bot.draft()
    state = await bot.billing.queries.find("P-123")
    body = view_submission_body(
        callback_id="invoice_reject_modal",
        private_metadata=str(state.id),
        state_values={
            "category": {"value": static_select_value("wrong_amount")},
            "reason": {"value": plain_text_value("8 hours, not 10")},
        },
        view_id="V0ONEFORM",
    )
    answers = [await post_signed(bot.url, body, SECRET) for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert all("errors" not in a.text for a in answers)  # the repeat just closes the form
    actions = [e.action for e in await bot.billing.queries.events(state.id)]
    assert actions == ["draft", "reject"]


async def test_the_mark_paid_form_submitted_twice_records_one_payment(bot: Bot) -> None:
    number = await approved_number(bot)
    state = await bot.billing.queries.find(number)
    body = view_submission_body(
        callback_id=chasing_blocks.MARK_PAID_MODAL,
        private_metadata=str(state.id),
        state_values={"amount": {"value": plain_text_value("400.00")}},
        user_id=OWNER,
        view_id="V0ONEPAYMENTFORM",
    )
    answers = await asyncio.gather(*(post_signed(bot.url, body, SECRET) for _ in range(2)))
    assert all(a.status == 200 and "errors" not in a.text for a in answers)
    assert await payments(bot, number) == ["400.0000"]
