"""The `[slack]` table of invoicebot.toml: what only the Slack adapter reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing_core.config_values import chat_id, section

SECTION = "slack"


@dataclass(frozen=True)
class SlackSettings:
    billing_channel: str | None = None  # the Monday digest goes here


def parse_slack_settings(data: Mapping[str, Any]) -> SlackSettings:
    """`[slack]` of the parsed policy file; ConfigError naming a bad or unknown key."""
    table = section(data, SECTION, {"billing_channel"})
    channel = table.get("billing_channel")
    return SlackSettings(
        billing_channel=chat_id("slack.billing_channel", channel) if channel is not None else None
    )
