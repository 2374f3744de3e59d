"""Hostile data through the real app and the Slack stand-in: mentions and mrkdwn from records
are escaped in everything the bot posts; text no font can print is refused before drafting."""

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from billing_core.policy import ApprovalPolicy
from slackstandin import UPLOAD, SlackStandIn
from tests.e2e.harness import APPROVER, CHANNEL, POLICY, Bot, record_json, start_bot, stop_bot

# U0BOSS is no approver here, so no legitimate message of the bot mentions them.
ONE_APPROVER = replace(POLICY, approval=ApprovalPolicy(approvers=(APPROVER,)))
NAME = "<!channel> <@U0BOSS> *bold* @here"
ESCAPED_NAME = "&lt;!channel&gt; &lt;@U0BOSS&gt; *bold* @here"
RAW_SPECIALS = ("<!channel>", "<!here>", "<@U0BOSS>", "<!subteam", "<https://evil")


@pytest.fixture
async def hostile_bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(slack, tmp_path, ONE_APPROVER)
    try:
        yield running
    finally:
        await stop_bot(running)


def _posted(slack: SlackStandIn) -> list[str]:
    """Everything the bot sent to Slack (API calls and response_url posts), as JSON text;
    the uploaded PDF bytes themselves are not Slack markup and are left out."""
    return [
        json.dumps(call.params, ensure_ascii=False) for call in slack.calls if call.method != UPLOAD
    ]


async def test_mentions_and_links_from_record_data_are_escaped_in_every_message(
    hostile_bot: Bot, slack: SlackStandIn
) -> None:
    bot = hostile_bot
    data = record_json("P-INJ", title="<!here> relaunch")
    data["client"]["name"] = NAME
    data["scope_ref"] = "<https://evil.example|click> <!subteam^S0TEAM>"
    data["line_items"][0]["description"] = "<@U0BOSS> hours"
    await bot.add_records(data, record_json("P-REJ", title="<!channel>"))

    buttons = await bot.draft("P-INJ")
    for text in ("status P-INJ", "list", "list mine"):
        response, name = await bot.command(text)
        assert response.status == 200
        await bot.replies(name)
    response, _ = await bot.click("invoice_approve", buttons, APPROVER)
    assert response.status == 200
    await slack.wait_until(lambda: len(slack.uploaded_files) == 2, 20)
    await slack.wait_until(lambda: not slack.message(buttons.ts).button_action_ids(), 10)

    rejected = await bot.draft("P-REJ")
    state = await bot.billing.queries.find("P-REJ")
    assert (await bot.submit_reject(state.id, "other", "<!channel> <@U0BOSS> wrong")).status == 200
    await slack.wait_until(lambda: not slack.message(rejected.ts).button_action_ids(), 10)

    posted = _posted(slack)
    for text in posted:
        for special in RAW_SPECIALS:
            assert special not in text, text
        # Wherever the client name went, it went escaped.
        assert text.count("*bold* @here") == text.count(ESCAPED_NAME), text
    carrying_name = [t for t in posted if ESCAPED_NAME in t]
    assert len(carrying_name) >= 3  # the summary, the status reply, the final PDF's comment
    assert any("&lt;https://evil.example|click&gt;" in t for t in posted)
    assert any("&lt;!channel&gt; &lt;@U0BOSS&gt; wrong" in t for t in posted)  # reject reason
    assert any(call.method == "chat.postEphemeral" for call in slack.calls)


async def test_draft_with_cjk_client_name_is_refused_naming_the_characters(bot: Bot) -> None:
    data = record_json("P-CJK")
    data["client"]["name"] = "株式会社テスト"
    await bot.add_records(data)

    response, name = await bot.command("draft P-CJK")
    assert response.status == 200
    (reply,) = await bot.replies(name)
    assert "株" in reply and "U+682A" in reply and "client" in reply

    overview = await bot.billing.records.overview("P-CJK")
    assert overview.invoices == []
    assert bot.slack.messages(channel=CHANNEL) == [] and bot.slack.uploaded_files == []


@pytest.mark.parametrize(
    "text",
    [
        "draft " + "\u202e\u200b\x1b" * 3400,
        "x" * 10_000,
        "draft P-123\u200b",
        "draft \u202eP-123",
        "\x00",
        "paid P-123 ١٢٣ ٢٠٢٦-١٢-٠١",
    ],
    ids=["10k-bidi-zero-width", "10k", "zero-width", "rtl-override", "nul", "arabic-digits"],
)
async def test_hostile_command_text_gets_an_answer_and_changes_nothing(bot: Bot, text: str) -> None:
    response, _ = await bot.command(text)
    assert response.status == 200
    assert response.text  # usage help or a reason, never a silent failure
    overview = await bot.billing.records.overview("P-123")
    assert overview.invoices == []
