"""The App Home tab shows an approver the drafts waiting, and everyone their invoices."""

from slackstandin import app_home_opened_event, event_callback_body, post_signed
from tests.e2e.harness import APPROVER, OWNER, SECRET, Bot


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
