"""`invoicebot sandbox`: the real bot beside a local Slack stand-in and its chat page.

One process, three parts, all on loopback:
- the Slack stand-in (`slackstandin`) and its chat page, at http://HOST:PORT/;
- the real bot: the same code as `serve` in HTTP mode (signed requests, the outbox workers,
  the scheduler), on a free port of its own, its Slack client pointed at the stand-in;
- its own store, `invoicebot-sandbox.db` in the working directory, so demo approvals never
  take numbers, reminder stages or nudges from a real series.

`DATABASE_URL` and every `SLACK_*` variable are ignored (one line says so); the policy file
(`INVOICEBOT_CONFIG` or ./invoicebot.toml) is honoured, else a demo policy is used. An empty
store gets the demo records of `bot.demo`; records already there are used as they are.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from billing_core.policy import Policy, parse_policy
from billing_core.records import parse_record
from bot import demo
from bot.clock import utc_now
from bot.server import Service, build_service, configure_logging, start_http, wait_for_a_signal
from bot.settings import Settings, StartFailed, load_settings
from handlers.reminders import SlackReminderSender
from scheduler.jobs import run_reminders
from slackstandin import SlackStandIn
from slackstandin.page import ChatPage, Person

log = logging.getLogger("invoicebot.sandbox")

DATABASE_FILE = "invoicebot-sandbox.db"
CHANNEL = "C0SANDBOX"


def sandbox_settings(environ: Mapping[str, str], cwd: Path, api_url: str) -> Settings:
    """The settings the sandbox runs with: the policy file if there is one, else the demo
    policy; its own SQLite file; the stand-in as Slack, with a secret of its own."""
    kept = {k: v for k, v in environ.items() if k not in ignored_variables(environ)}
    settings = load_settings(kept, cwd)
    policy = settings.policy
    if settings.config_path is None:
        policy = parse_policy(demo.DEMO_POLICY_TOML)
    return replace(
        settings,
        database_url=f"sqlite+aiosqlite:///{cwd / DATABASE_FILE}",
        slack_bot_token="xoxb-sandbox",
        slack_signing_secret=secrets.token_hex(16),
        slack_app_token=None,
        slack_api_url=api_url,
        host="127.0.0.1",
        port=0,
        policy=policy,
    )


def ignored_variables(environ: Mapping[str, str]) -> list[str]:
    return sorted(k for k in environ if k == "DATABASE_URL" or k.startswith("SLACK_"))


def people(policy: Policy, owners: list[str]) -> list[Person]:
    """Who the page can be: the approvers, the record owners and one ordinary member; the
    first approver first (they may draft and approve, so P-102's refusal is the four-eyes
    rule, not a missing permission)."""
    ids = [*policy.approval.approvers, *owners, demo.DEMO_MEMBER]
    unique = list(dict.fromkeys(i for i in ids if i))
    return [Person(i, demo.DEMO_PEOPLE.get(i, f"User {i}")) for i in unique]


def intro_text() -> str:
    return (
        "Try it: type /invoice draft P-101 below, then click Approve in its thread. "
        "P-102 is above the four-eyes threshold (switch person to approve it), P-103 is due "
        "in three days (approve it, then run reminders in DMs as of a later date), L-201 is "
        "a lead with fields missing. /invoice help lists everything."
    )


async def load_demo_records(service: Service) -> bool:
    """Put the demo records into an empty store; False when it had records already."""
    billing = service.container.billing
    if await billing.records.count():
        return False
    now = utc_now()
    records = [parse_record(r) for r in demo.demo_records(billing.today(now))]
    await billing.records.import_records(records, now)
    return True


async def run_sandbox(
    host: str, port: int, environ: Mapping[str, str], cwd: Path, stop: asyncio.Event | None = None
) -> None:
    """Run until SIGINT/SIGTERM (or `stop`). Raises StartFailed naming the port when it is
    taken, and ConfigError for a bad policy file."""
    configure_logging()
    ignored = ignored_variables(environ)
    if ignored:
        print(f"invoicebot sandbox: ignoring {', '.join(ignored)} (the sandbox uses its own "
              f"store {DATABASE_FILE} and a local Slack)", flush=True)  # fmt: skip
    slack = SlackStandIn(host=host, port=port, bot_token="xoxb-sandbox", auto_join=True)
    settings = sandbox_settings(environ, cwd, api_url=f"http://{host}:{port}/api/")
    page = ChatPage(
        slack,
        app_url="http://127.0.0.1:0/slack/events",  # set once the bot listens
        signing_secret=settings.slack_signing_secret or "",
        people=people(settings.policy, [demo.OWNER_OLGA]),
        channel_id=CHANNEL,
        intro=intro_text(),
    )
    page.install()
    try:
        await slack.start()
    except OSError as exc:
        raise StartFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    settings = replace(settings, slack_api_url=slack.api_url)
    service = None
    runner = None
    try:
        service = await build_service(settings, render_workers=1)
        runner = await start_http(service, "127.0.0.1", 0)
        bot_port = runner.addresses[0][1]
        page.app_url = f"http://127.0.0.1:{bot_port}/slack/events"
        sender = SlackReminderSender(
            service.delivery.client, settings.policy, service.container.store.conversations
        )
        billing = service.container.billing

        async def remind(day: date) -> str:
            summary = await run_reminders(billing, sender, utc_now(), as_of=day)
            if not summary.due:
                return f"Reminders as of {day}: nothing was overdue and not yet reminded."
            failed = f" Failed for {', '.join(summary.failed)}." if summary.failed else ""
            return (
                f"Reminders as of {day}: {len(summary.sent)} overdue invoice(s) in "
                f"{summary.messages} message(s); see DMs.{failed}"
            )

        page.on_remind = remind
        if await load_demo_records(service):
            log.info("loaded the demo records %s", ", ".join(demo.DEMO_RECORD_IDS))
        print(f"invoicebot sandbox: open http://{host}:{slack.port}/ (Ctrl-C stops it)",
              flush=True)  # fmt: skip
        await wait_for_a_signal(stop)
    finally:
        if runner is not None:
            await runner.cleanup()
        if service is not None:
            await service.close()
        await slack.stop()
