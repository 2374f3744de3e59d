"""Reject with a reason, re-draft, and the status commands, as people in Slack use them."""

import time
from datetime import timedelta

from slackstandin import post_signed, slash_command_body
from tests.e2e.harness import APPROVER, BOSS, CHANNEL, DRAFTER, OWNER, SECRET, STRANGER, Bot


async def approve(bot: Bot, record_id: str = "P-123") -> str:
    buttons = await bot.draft(record_id)
    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: not bot.slack.message(buttons.ts).button_action_ids(), 20)
    return (await bot.billing.queries.find(record_id)).number


async def test_reject_opens_a_modal_and_posts_the_reason_into_the_thread(bot: Bot) -> None:
    buttons = await bot.draft()
    await bot.click("invoice_reject", buttons, APPROVER)
    await bot.slack.wait_for("views.open")
    view = bot.slack.calls_to("views.open")[0].params["view"]
    assert "invoice_reject_modal" in str(view)

    response = await bot.submit_reject(
        (await bot.billing.queries.find("P-123")).id, "wrong_amount", "Hours should be 8, not 10"
    )
    assert response.status == 200
    await bot.slack.wait_until(lambda: not bot.slack.message(buttons.ts).button_action_ids(), 10)
    decided = bot.slack.message(buttons.ts)
    assert decided.thread_ts == buttons.thread_ts
    assert "Wrong amount" in str(decided.blocks) and "Hours should be 8" in str(decided.blocks)
    state = await bot.billing.queries.find("P-123")
    assert state.status.value == "rejected"
    events = await bot.billing.queries.events(state.id)
    assert events[-1].action == "reject" and "Hours should be 8" in events[-1].note


async def test_reject_without_a_reason_is_refused_inside_the_modal(bot: Bot) -> None:
    await bot.draft()
    state = await bot.billing.queries.find("P-123")
    response = await bot.submit_reject(state.id, "other", "   ")
    assert response.status == 200 and response.json()["response_action"] == "errors"
    assert (await bot.billing.queries.find("P-123")).status.value == "draft"


async def test_non_approver_gets_no_reject_modal(bot: Bot) -> None:
    buttons = await bot.draft()
    _, name = await bot.click("invoice_reject", buttons, STRANGER)
    (reply,) = await bot.replies(name)
    assert "Only approvers" in reply
    assert bot.slack.calls_to("views.open") == []


async def test_redraft_after_rejection_starts_a_new_thread_linking_the_rejected_one(
    bot: Bot,
) -> None:
    first = await bot.draft()
    rejected = await bot.billing.queries.find("P-123")
    await bot.submit_reject(rejected.id, "wrong_scope", "Milestone 3, not 2")
    await bot.slack.wait_until(lambda: not bot.slack.message(first.ts).button_action_ids(), 10)

    second = await bot.draft()
    assert second.thread_ts != first.thread_ts
    summary = bot.slack.message(second.thread_ts)
    assert f"p{first.thread_ts.replace('.', '')}" in str(summary.blocks)
    redraft = await bot.billing.queries.find("P-123")
    assert redraft.supersedes_id == rejected.id


async def test_sent_paid_partially_then_fully_each_confirmed(bot: Bot) -> None:
    number = await approve(bot)
    _, name = await bot.command(f"sent {number}", OWNER)
    (reply,) = await bot.replies(name)
    assert number in reply and "sent" in reply

    _, name = await bot.command(f"paid {number} 428.00", OWNER)
    (reply,) = await bot.replies(name)
    assert "*sent*" in reply and "€1,000.00" in reply  # 1,428.00 total - 428.00

    _, name = await bot.command(f"paid {number} 1000.01", APPROVER)
    (reply,) = await bot.replies(name)
    assert "more than the balance" in reply
    assert (await bot.billing.queries.find(number)).balance.amount == 1000

    _, name = await bot.command(f"paid {number}", APPROVER)
    (reply,) = await bot.replies(name)
    assert "*paid*" in reply
    state = await bot.billing.queries.find(number)
    assert state.status.value == "paid" and state.balance.amount == 0


async def test_void_needs_a_reason_an_approver_and_keeps_the_number(bot: Bot) -> None:
    number = await approve(bot)
    response, _ = await bot.command(f"void {number}", APPROVER)
    assert "reason is required" in response.text  # usage errors come with the ack

    _, name = await bot.command(f"void {number} duplicate of another", OWNER)
    (reply,) = await bot.replies(name)
    assert "Only approvers" in reply

    _, name = await bot.command(f"void {number} client cancelled", BOSS)
    (reply,) = await bot.replies(name)
    assert "void" in reply
    state = await bot.billing.queries.find(number)
    assert state.status.value == "void" and state.number == number

    _, name = await bot.command(f"paid {number}", BOSS)
    (reply,) = await bot.replies(name)
    assert "void" in reply and "payments" in reply


async def test_stranger_cannot_mark_paid(bot: Bot) -> None:
    number = await approve(bot)
    _, name = await bot.command(f"paid {number}", STRANGER)
    (reply,) = await bot.replies(name)
    assert "Only approvers and the record's owner" in reply
    assert (await bot.billing.queries.find(number)).status.value == "approved"


async def test_status_list_and_help(bot: Bot) -> None:
    number = await approve(bot)
    _, name = await bot.command(f"status {number}")
    (reply,) = await bot.replies(name)
    assert number in reply and "approved" in reply

    _, name = await bot.command("list mine", OWNER)
    (reply,) = await bot.replies(name)
    assert number in reply

    response, _ = await bot.command("help")
    assert "/invoice draft ID" in response.text

    response, _ = await bot.command("frobnicate")
    assert "I don't know `frobnicate`" in response.text


async def test_bad_signature_and_stale_timestamp_get_401(bot: Bot) -> None:
    body = slash_command_body(text="draft P-123", user_id=DRAFTER)
    assert (await post_signed(bot.url, body, "wrong-secret")).status == 401
    stale = int(time.time()) - 6 * 60
    assert (await post_signed(bot.url, body, SECRET, timestamp=stale)).status == 401
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_another_workspace_cannot_touch_invoices(bot: Bot) -> None:
    buttons = await bot.draft()
    response, _ = await bot.command("draft P-123", DRAFTER, team_id="T0OTHER")
    assert "another workspace" in response.text
    _, name = await bot.click("invoice_approve", buttons, APPROVER, team_id="T0OTHER")
    (reply,) = await bot.replies(name)
    assert "another workspace" in reply
    assert (await bot.billing.queries.find("P-123")).status.value == "draft"


async def test_forged_button_value_cannot_approve_for_a_non_approver(bot: Bot) -> None:
    buttons = await bot.draft()
    state = await bot.billing.queries.find("P-123")
    _, name = await bot.click("invoice_approve", buttons, STRANGER, value=str(state.id))
    (reply,) = await bot.replies(name)
    assert "Only approvers" in reply
    _, name = await bot.click("invoice_approve", buttons, APPROVER, value="99999")
    (reply,) = await bot.replies(name)
    assert "no invoice" in reply
    assert (await bot.billing.queries.find("P-123")).number is None


async def test_a_429_from_slack_is_survived(bot: Bot) -> None:
    bot.slack.fail_next("chat.postMessage", status=429, retry_after=0)
    buttons = await bot.draft()
    assert buttons.button_action_ids() == ["invoice_approve", "invoice_reject"]
    assert bot.slack.attempts("chat.postMessage") >= 3  # one refused, summary and buttons


async def test_slack_outage_keeps_the_draft_and_tells_the_person(bot: Bot) -> None:
    bot.slack.fail_all(status=500, methods=["chat.postMessage"])
    _, name = await bot.command("draft P-123")
    replies = await bot.replies(name, timeout=30)
    assert "saved" in replies[0] and "retried" in replies[0]
    state = await bot.billing.queries.find("P-123")
    assert state.status.value == "draft"

    _, name = await bot.command("status P-123")
    (reply,) = await bot.replies(name)
    status_post = bot.reply_posts(name)[0]
    assert "Re-post now" in str(status_post.get("blocks"))

    bot.slack.recover()
    _, name = await bot.click("invoice_retry_post", None, DRAFTER, value=str(state.id))
    (reply,) = await bot.replies(name, timeout=30)
    assert reply == "Posted."
    await bot.buttons_message("P-123")


async def test_a_draft_slack_will_not_post_is_withdrawn_and_can_be_drafted_again(bot: Bot) -> None:
    """Withdrawn, not rejected: nobody decided anything, so no correction is counted."""
    channel = bot.slack.add_channel(CHANNEL, bot_member=False, members=[DRAFTER])
    _, name = await bot.command("draft P-123")
    (reply,) = await bot.replies(name)
    assert "not_in_channel" in reply and "/invite @invoicebot" in reply
    withdrawn = await bot.billing.queries.find("P-123")
    assert withdrawn.status.value == "withdrawn" and withdrawn.rejection_category is None
    await bot.settled("P-123")  # its withdrawal is announced too: no thread to tell
    today = bot.billing.today(bot.clock())
    summary = await bot.billing.reporting.period_summary(
        today, today + timedelta(days=1), bot.clock()
    )
    assert summary.rejections == []

    channel.members.add(bot.slack.bot_user_id)  # /invite @invoicebot
    buttons = await bot.draft()  # a new draft, in a new thread
    assert buttons.button_action_ids() == ["invoice_approve", "invoice_reject"]
    assert (await bot.billing.queries.find("P-123")).id != withdrawn.id


async def test_replies_go_to_the_response_url_where_the_bot_may_not_post(bot: Bot) -> None:
    """A command typed in a DM between two people: chat.postEphemeral fails there."""
    bot.slack.fail_next("chat.postEphemeral", error="channel_not_found")
    _, name = await bot.command("status P-404", channel="D0TWOPEOPLE")
    (reply,) = await bot.replies(name)
    assert "no invoice 'P-404'" in reply
    assert [r.name for r in bot.slack.responses] == [name]


async def test_the_rejection_reason_is_a_reply_in_the_thread(bot: Bot) -> None:
    buttons = await bot.draft()
    state = await bot.billing.queries.find("P-123")
    await bot.submit_reject(state.id, "wrong_due_date", "Due 2027-01-15 per contract")
    await bot.slack.wait_until(
        lambda: any(
            "Due 2027-01-15 per contract" in (m.text or "") + str(m.blocks)
            for m in bot.slack.messages(thread_ts=buttons.thread_ts)
            if m.ts != buttons.ts
        ),
        10,
    )
