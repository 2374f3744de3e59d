"""The Slack app manifests grant what the bot calls, and point Slack at /slack/events."""

from pathlib import Path

import pytest
import yaml

SLACK = Path(__file__).resolve().parents[2] / "slack"
NEEDED_SCOPES = {"commands", "chat:write", "files:write", "im:write"}


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest-socket.yaml"])
def test_manifest_has_the_command_interactivity_and_scopes_the_bot_uses(name: str) -> None:
    manifest = yaml.safe_load((SLACK / name).read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/invoice"
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= NEEDED_SCOPES
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    socket = manifest["settings"]["socket_mode_enabled"]
    assert socket is (name == "manifest-socket.yaml")
    if not socket:
        assert command["url"].endswith("/slack/events")
        assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
