"""The real console script: `invoicebot serve` as a subprocess, driven like Slack drives it.

The stand-in runs in the test's event loop, the bot in its own process (default SQLite file
in its working directory, policy from ./invoicebot.toml). Also: start-up refusals.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from slackstandin import SlackStandIn, block_action_body, post_signed, slash_command_body
from tests.e2e.harness import APPROVER, BOSS, CHANNEL, DRAFTER, record_json
from tests.e2e.test_draft_approve import pdf_text

SECRET = "process-signing-secret"
INVOICEBOT = str(Path(sys.executable).with_name("invoicebot"))
# The DESIGN.md example, verbatim (its approvers are U0APPROVER and U0BOSS; its logo.png does
# not exist, which must only be a warning).
TOML = (Path(__file__).with_name("design_example.toml")).read_text(encoding="utf-8")
assert f'approvers = ["{APPROVER}", "{BOSS}"]' in TOML
_OWN_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "INVOICEBOT_CONFIG",
    "INVOICEBOT_API_TOKEN",
    "HOST",
    "PORT",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(**values: str) -> dict[str, str]:
    """This environment without anything invoicebot reads, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k not in _OWN_VARS}
    env.update(values)
    return env


async def run_cli(
    cwd: Path, env: dict[str, str], *args: str, timeout: float = 30
) -> tuple[int | None, str, str]:
    """Run `invoicebot ARGS` to completion; returns (returncode, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        INVOICEBOT,
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


@dataclass
class Served:
    proc: asyncio.subprocess.Process
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
async def served(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Served]:
    (tmp_path / "invoicebot.toml").write_text(TOML, encoding="utf-8")
    (tmp_path / "records.json").write_text(json.dumps([record_json()]), encoding="utf-8")
    port = free_port()
    env = base_env(
        SLACK_BOT_TOKEN=str(slack.bot_token),
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        HOST="127.0.0.1",
        PORT=str(port),
    )
    code, out, err = await run_cli(tmp_path, env, "records", "import", "records.json")
    assert code == 0, err
    assert "1 new" in out and (tmp_path / "invoicebot.db").is_file()

    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            INVOICEBOT, "serve", cwd=tmp_path, env=env, stdout=sink, stderr=sink
        )
    running = Served(proc, f"http://127.0.0.1:{port}", log)
    try:
        await wait_healthy(running, timeout=20)
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def wait_healthy(served: Served, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if served.proc.returncode is not None:
                pytest.fail(f"serve exited with {served.proc.returncode}:\n{served.output()}")
            try:
                async with session.get(f"{served.url}/healthz") as resp:
                    if resp.status == 200 and (await resp.json()) == {"ok": True}:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"no healthy /healthz within {timeout}s:\n{served.output()}")


def find_message(slack: SlackStandIn, predicate: Callable[[Any], bool]) -> Any:
    return next((m for m in slack.messages() if predicate(m)), None)


async def test_serve_drafts_approves_and_stops_cleanly_on_sigterm(
    slack: SlackStandIn, served: Served
) -> None:
    events = f"{served.url}/slack/events"
    body = slash_command_body(
        text="draft P-123",
        user_id=DRAFTER,
        channel_id=CHANNEL,
        team_id=slack.team_id,
        response_url=slack.response_url("draft"),
    )
    response = await post_signed(events, body, SECRET)
    assert response.status == 200, response.text
    assert "Drafting an invoice for P-123" in response.text

    def has_buttons(m: Any) -> bool:
        return "invoice_approve" in m.button_action_ids()

    def pdfs() -> list[Any]:
        # Only the invoice's PDFs: serve runs on the real clock, and on the first business
        # day of a month its scheduler also posts last month's report chart (a PNG).
        return [f for f in slack.uploaded_files if f.filename.endswith(".pdf")]

    await slack.wait_until(lambda: pdfs() and find_message(slack, has_buttons) is not None, 30)
    draft = pdfs()[0]
    assert draft.channel_id == CHANNEL and draft.thread_ts
    assert "DRAFT" in pdf_text(draft.content or b"")
    buttons = find_message(slack, has_buttons)
    assert buttons.thread_ts == draft.thread_ts

    click = block_action_body(
        "invoice_approve",
        message=buttons,
        user_id=APPROVER,
        team_id=slack.team_id,
        response_url=slack.response_url("approve"),
    )
    response = await post_signed(events, click, SECRET)
    assert response.status == 200, response.text
    await slack.wait_until(lambda: len(pdfs()) == 2, 30)
    final = pdfs()[1]
    assert final.thread_ts == draft.thread_ts
    text = pdf_text(final.content or b"")
    assert re.search(r"INV-\d{4}-0001", text) and "DRAFT" not in text
    await slack.wait_until(lambda: not slack.message(buttons.ts).button_action_ids(), 10)

    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(served.proc.wait(), 15)
    took = time.monotonic() - started
    assert code == 0, served.output()
    assert took < 10, f"took {took:.1f}s to stop"
    assert "Traceback" not in served.output(), served.output()


@pytest.mark.parametrize(
    ("missing", "args"),
    [
        ("SLACK_BOT_TOKEN", ["serve"]),
        ("SLACK_SIGNING_SECRET", ["serve"]),
        ("SLACK_APP_TOKEN", ["serve", "--socket"]),
    ],
)
async def test_serve_without_a_token_names_it_and_where_to_get_it(
    tmp_path: Path, missing: str, args: list[str]
) -> None:
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-0000-unused",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        PORT=str(free_port()),
    )
    env.pop(missing, None)
    code, _, err = await run_cli(tmp_path, env, *args)
    assert code == 2  # a configuration error, as a usage error
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert missing in lines[0] and "api.slack.com/apps" in lines[0]
    assert not (tmp_path / "invoicebot.db").exists()


async def test_serve_with_a_bad_policy_key_fails_at_start_naming_it(tmp_path: Path) -> None:
    (tmp_path / "invoicebot.toml").write_text(
        '[approval]\napprovers = ["U0APPROVER"]\nfour_eyes_treshold = "100"\n', encoding="utf-8"
    )
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-0000-unused",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        PORT=str(free_port()),
    )
    code, _, err = await run_cli(tmp_path, env, "serve")
    assert code == 2  # a configuration error, as a usage error
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "approval.four_eyes_treshold" in lines[0] and "invoicebot.toml" in lines[0]
