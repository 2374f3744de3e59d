"""The App Home tab shows an approver the drafts waiting, and everyone their invoices."""

from datetime import UTC, datetime
from typing import Any

from slackstandin import app_home_opened_event, event_callback_body, post_signed
from tests.e2e.harness import APPROVER, OWNER, SECRET, Bot, visible_text


async def open_home(bot: Bot, user: str) -> str:
    before = len(bot.slack.calls_to("views.publish"))
    response = await post_signed(bot.url, event_callback_body(app_home_opened_event(user)), SECRET)
    assert response.status == 200
    await bot.slack.wait_until(lambda: len(bot.slack.calls_to("views.publish")) > before, 10)
    call = bot.slack.calls_to("views.publish")[-1]
    assert call.params["user_id"] == user
    return str(call.params["view"])


async def test_app_home_lists_drafts_for_approvers_and_own_invoices(bot: Bot) -> None:
    await bot.draft()
    approver_home = await open_home(bot, APPROVER)
    assert "Drafts waiting for a decision" in approver_home and "draft of P-123" in approver_home

    owner_home = await open_home(bot, OWNER)
    assert "Drafts waiting" not in owner_home
    assert "Your invoices" in owner_home and "draft of P-123" in owner_home


# -- the dashboard (issue 12) ----------------------------------------------------------------


def buttons(view: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    return [
        element
        for block in view["blocks"]
        for element in block.get("elements") or []
        if element.get("action_id") == action_id
    ]


async def open_view(bot: Bot, user: str) -> dict[str, Any]:
    await open_home(bot, user)
    return dict(bot.slack.calls_to("views.publish")[-1].params["view"])


async def click_home(bot: Bot, user: str, button: dict[str, Any]) -> dict[str, Any]:
    """Click a Home tab button; returns the view published after it."""
    before = len(bot.slack.calls_to("views.publish"))
    home = {"blocks": [], "ts": "1.0"}
    await bot.click(button["action_id"], home, user, value=button["value"])
    await bot.slack.wait_until(lambda: len(bot.slack.calls_to("views.publish")) > before, 20)
    return dict(bot.slack.calls_to("views.publish")[-1].params["view"])


def images(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b["type"] == "image"]


async def test_the_home_chart_is_drawn_once_a_day_and_reused(bot: Bot) -> None:
    shown = await open_view(bot, APPROVER)
    (chart,) = bot.slack.uploaded_files
    assert images(shown)[0]["slack_file"] == {"id": chart.file_id}
    assert chart.content is not None and chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    again = await open_view(bot, "U0BOSS")  # another approver, the same day
    assert images(again)[0]["slack_file"] == {"id": chart.file_id}
    assert len(bot.slack.uploaded_files) == 1
    owner = await open_view(bot, OWNER)
    assert images(owner) == []  # no figures, no chart


async def test_an_approver_approves_from_the_home_tab_and_sees_the_figures(bot: Bot) -> None:
    await bot.draft()
    view = await open_view(bot, APPROVER)
    assert len(images(view)) == 1
    text = visible_text(view)
    assert "This month (2026-11)" in text and "No invoices issued, paid or open." in text
    (approve,) = buttons(view, "home_approve")
    assert len(buttons(view, "invoice_reject")) == 1

    after = await click_home(bot, APPROVER, approve)
    state = await bot.billing.queries.find("P-123")
    assert state.status.value == "approved" and state.number
    after_text = visible_text(after)
    assert f"Approved {state.number}" in after_text
    assert "Drafts waiting for a decision*: none." in after_text
    assert "EUR: issued EUR 1,428.00 (1)" in after_text
    await bot.settled("P-123")  # its final PDF reaches the thread as from the thread's button


async def test_the_owner_sees_overdue_invoices_and_snoozes_one_but_no_figures(bot: Bot) -> None:
    await bot.draft()
    draft = await bot.billing.queries.find("P-123")
    await bot.billing.drafting.approve(draft.id, APPROVER, bot.clock())
    await bot.settled("P-123")
    bot.clock.now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # due 2026-12-01: overdue
    view = await open_view(bot, OWNER)
    text = visible_text(view)
    assert "This month" not in text  # the owner is no approver nor in the finance group
    assert "Your overdue invoices* (1)" in text and "4 days overdue" in text
    assert len(buttons(view, "reminder_mark_paid")) == 1
    (snooze,) = buttons(view, "home_snooze")

    after = await click_home(bot, OWNER, snooze)
    assert "Snoozed INV-2026-0001: no reminders until after" in visible_text(after)
    state = await bot.billing.queries.find("P-123")
    assert state.snoozed_until is not None


async def test_a_refused_home_approval_says_why_on_the_tab(bot: Bot) -> None:
    await bot.draft()
    view = await open_view(bot, APPROVER)
    (approve,) = buttons(view, "home_approve")
    after = await click_home(bot, OWNER, approve)  # a forged click by someone else
    assert "Only approvers can approve invoices." in visible_text(after)
    assert (await bot.billing.queries.find("P-123")).status.value == "draft"


async def test_without_the_chart_upload_the_tab_still_shows_the_figures(bot: Bot) -> None:
    bot.slack.fail_next("files.getUploadURLExternal", error="ratelimited")
    view = await open_view(bot, APPROVER)
    assert images(view) == [] and "This month (2026-11)" in visible_text(view)
    retried = await open_view(bot, APPROVER)  # the next open tries again
    assert len(images(retried)) == 1
