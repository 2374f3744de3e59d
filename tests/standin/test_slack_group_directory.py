"""`usergroups.users.list` on the stand-in, and the Slack group directory
(handlers.slack_groups) reading it: members, and each failure as a reason a person can act on."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billing_core.usecases.groups import DirectoryError
from handlers.slack_groups import SlackGroupDirectory
from slackstandin import SlackStandIn

METHOD = "usergroups.users.list"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        stand_in.add_usergroup("S0FINANCE", ["U0FINA", "U0FINB"])
        yield stand_in


def directory(slack: SlackStandIn, **kwargs: Any) -> SlackGroupDirectory:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, **kwargs)
    return SlackGroupDirectory(client)


async def test_the_stand_in_lists_a_seeded_group_and_knows_no_other(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    answer = await client.usergroups_users_list(usergroup="S0FINANCE")
    assert answer["users"] == ["U0FINA", "U0FINB"]
    with pytest.raises(SlackApiError) as unknown:
        await client.usergroups_users_list(usergroup="S0NOPE")
    assert unknown.value.response["error"] == "no_such_subteam"
    slack.fail_next(METHOD, error="missing_scope")
    with pytest.raises(SlackApiError) as injected:
        await client.usergroups_users_list(usergroup="S0FINANCE")
    assert injected.value.response["error"] == "missing_scope"


async def test_the_directory_reads_the_members(slack: SlackStandIn) -> None:
    assert await directory(slack).members("S0FINANCE") == ("U0FINA", "U0FINB")
    assert slack.calls_to(METHOD)[-1].params["usergroup"] == "S0FINANCE"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("missing_scope",
         "missing_scope; ask an admin to reinstall the app with the usergroups:read scope"),
        ("not_allowed_token_type",
         "not_allowed_token_type; SLACK_BOT_TOKEN must be the app's bot token (xoxb-…)"),
        ("paid_teams_only", "paid_teams_only; user groups need a paid Slack plan"),
        ("plan_upgrade_required", "plan_upgrade_required; user groups need a paid Slack plan"),
        ("paid_only", "paid_only; user groups need a paid Slack plan"),
        ("something_new", "Slack answered something_new"),
    ],
)  # fmt: skip
async def test_each_slack_error_becomes_a_reason_with_what_to_do(
    slack: SlackStandIn, error: str, reason: str
) -> None:
    slack.fail_next(METHOD, error=error)
    with pytest.raises(DirectoryError) as failed:
        await directory(slack).members("S0FINANCE")
    assert failed.value.reason.startswith(reason)


async def test_an_unknown_group_says_to_check_the_config(slack: SlackStandIn) -> None:
    with pytest.raises(DirectoryError) as failed:
        await directory(slack).members("S0TYPO")
    assert failed.value.reason == (
        "no_such_subteam; Slack has no user group with this ID; check [approval.groups] in "
        "invoicebot.toml"
    )


async def test_a_rate_limit_and_a_server_error_become_reasons(slack: SlackStandIn) -> None:
    slack.fail_next(METHOD, status=429, retry_after=0)
    with pytest.raises(DirectoryError) as limited:
        await directory(slack, retry_handlers=[]).members("S0FINANCE")
    assert limited.value.reason.startswith("ratelimited; Slack asked to slow down")
    slack.fail_next(METHOD, status=503)
    with pytest.raises(DirectoryError) as down:
        await directory(slack, retry_handlers=[]).members("S0FINANCE")
    assert down.value.reason.startswith("service_unavailable; Slack is having trouble")


async def test_slack_out_of_reach_is_a_reason_not_a_crash(unused_tcp_port: int) -> None:
    client = AsyncWebClient(token="xoxb-x", base_url=f"http://127.0.0.1:{unused_tcp_port}/api/")
    with pytest.raises(DirectoryError) as failed:
        await SlackGroupDirectory(client).members("S0FINANCE")
    assert failed.value.reason.startswith("Slack could not be reached (")
