"""The Slack app manifests grant what the bot calls, and point Slack at /slack/events."""

from pathlib import Path

import pytest
import yaml

SLACK = Path(__file__).resolve().parents[2] / "slack"
# Each scope and the Web API methods the bot calls that need it.
NEEDED_SCOPES = {
    "commands": "/invoice",
    "chat:write": "chat.postMessage, chat.update, chat.postEphemeral",
    "files:write": "files.getUploadURLExternal, files.completeUploadExternal",
    "im:write": "conversations.open",
    "channels:history": "conversations.history, conversations.replies (public channels)",
    "groups:history": "conversations.history, conversations.replies (private channels)",
    "files:read": "files.info",
    "usergroups:read": "usergroups.users.list ([approval.groups] given as a user group ID)",
}


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest-socket.yaml"])
def test_manifest_has_the_command_interactivity_and_scopes_the_bot_uses(name: str) -> None:
    manifest = yaml.safe_load((SLACK / name).read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/invoice"
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= set(NEEDED_SCOPES)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    socket = manifest["settings"]["socket_mode_enabled"]
    assert socket is (name == "manifest-socket.yaml")
    if not socket:
        assert command["url"].endswith("/slack/events")
        assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_both_manifests_ask_for_the_same_scopes_and_events() -> None:
    http, socket = (
        yaml.safe_load((SLACK / name).read_text(encoding="utf-8"))
        for name in ("manifest.yaml", "manifest-socket.yaml")
    )
    assert http["oauth_config"] == socket["oauth_config"]
    events = [m["settings"]["event_subscriptions"]["bot_events"] for m in (http, socket)]
    assert events[0] == events[1]
    commands = [m["features"]["slash_commands"][0] for m in (http, socket)]
    assert commands[0]["should_escape"] == commands[1]["should_escape"]


def test_the_readme_lists_every_scope_the_manifests_ask_for() -> None:
    readme = (SLACK.parent / "README.md").read_text(encoding="utf-8")
    manifest = yaml.safe_load((SLACK / "manifest.yaml").read_text(encoding="utf-8"))
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"| `{scope}` |" in readme, scope


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest-socket.yaml"])
def test_the_command_escapes_mentions_so_delegate_gets_a_user_id(name: str) -> None:
    manifest = yaml.safe_load((SLACK / name).read_text(encoding="utf-8"))
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True
    readme = (SLACK.parent / "README.md").read_text(encoding="utf-8")
    assert "| `should_escape: true` (on `/invoice`" in readme
