"""Settings: secrets and endpoints from the environment, business policy from the TOML file.

Everything is checked at start: bad values fail with one ConfigError naming every bad
variable and key (the CLI prints one line each and exits 2).
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from billing_core.config_values import Problems
from billing_core.errors import BillingError, ConfigError
from billing_core.policy import SECTIONS, Policy, parse_policy
from billing_core.store.urls import DEFAULT_DATABASE_URL, sqlite_file
from handlers.slack_settings import SECTION as SLACK_SECTION
from handlers.slack_settings import SlackSettings, parse_slack_settings

log = logging.getLogger(__name__)

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_CONFIG_FILE = "invoicebot.toml"

_WHERE_TOKENS = {
    "SLACK_BOT_TOKEN": (
        "the Bot User OAuth Token (xoxb-...) from api.slack.com/apps > your app > "
        "OAuth & Permissions, after installing the app to your workspace"
    ),
    "SLACK_SIGNING_SECRET": (
        "the Signing Secret from api.slack.com/apps > your app > Basic Information > "
        "App Credentials"
    ),
    "SLACK_APP_TOKEN": (
        "an app-level token (xapp-...) with the connections:write scope, from "
        "api.slack.com/apps > your app > Basic Information > App-Level Tokens "
        "(and Socket Mode switched on)"
    ),
}


class StartFailed(BillingError):
    """The settings are fine but the service cannot start now (the port is taken, Slack
    cannot be reached): the CLI exits 1, not the 2 of a configuration error."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    host: str = "0.0.0.0"
    port: int = 3000
    api_token: str | None = None
    config_path: Path | None = None
    policy: Policy = field(default_factory=Policy)
    slack: SlackSettings = field(default_factory=SlackSettings)

    def require(self, *names: str) -> None:
        """Fail with the missing variable named and where to get it."""
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        for name in names:
            if not values[name]:
                raise ConfigError(f"{name} is not set: set it to {_WHERE_TOKENS[name]}")


def load_settings(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Read the environment and the policy file (INVOICEBOT_CONFIG or ./invoicebot.toml)."""
    env = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()

    config_path: Path | None = None
    policy = Policy()
    slack = SlackSettings()
    found = Problems()  # every bad variable and key, listed at once
    if env.get("INVOICEBOT_CONFIG"):
        config_path = Path(env["INVOICEBOT_CONFIG"])
        if not config_path.is_absolute():
            config_path = cwd / config_path
        if not config_path.is_file():
            # Noted, not raised: the environment's other problems are listed with it.
            found.found.append(f"INVOICEBOT_CONFIG: file not found: {config_path}")
            config_path = None
    elif (cwd / DEFAULT_CONFIG_FILE).is_file():
        config_path = cwd / DEFAULT_CONFIG_FILE
    data: dict[str, Any] | None = None
    if config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            found.found.append(f"{config_path}: not valid TOML ({exc})")
        except (OSError, UnicodeDecodeError) as exc:
            found.found.append(f"{config_path}: cannot read ({exc})")
    if config_path is not None and data is not None:
        policy, slack = _policy_file(data, config_path, found)
        logo = policy.company.logo
        if logo is not None and not logo.is_file():
            # A missing logo must not stop invoicing: say so, and render without it.
            log.warning(
                "%s: company.logo: file not found: %s; PDFs have no logo", config_path.name, logo
            )
            policy = replace(policy, company=replace(policy.company, logo=None))

    port_text = env.get("PORT", "3000")
    if not (port_text.isascii() and port_text.isdigit()) or not 0 <= int(port_text) <= 65535:
        found.found.append(f"PORT: {port_text!r} is not a port number (0-65535)")
        port_text = "3000"

    api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.startswith(("http://", "https://")):
        found.found.append(f"SLACK_API_URL: {api_url!r} is not an http(s) URL")
    if not api_url.endswith("/"):
        api_url += "/"

    bot_token = env.get("SLACK_BOT_TOKEN") or None
    if bot_token and not bot_token.startswith("xoxb-"):
        found.found.append("SLACK_BOT_TOKEN: a bot token starts with xoxb-")
    app_token = env.get("SLACK_APP_TOKEN") or None
    if app_token and not app_token.startswith("xapp-"):
        found.found.append("SLACK_APP_TOKEN: an app-level token starts with xapp-")

    database_url = _with_async_driver(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    with found.key():
        _check_database_url(database_url)
    found.raise_any()

    return Settings(
        database_url=database_url,
        slack_bot_token=bot_token,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=app_token,
        slack_api_url=api_url,
        host=env.get("HOST") or "0.0.0.0",
        port=int(port_text),
        api_token=env.get("INVOICEBOT_API_TOKEN") or None,
        config_path=config_path,
        policy=policy,
        slack=slack,
    )


def _policy_file(
    data: Mapping[str, Any], path: Path, found: Problems
) -> tuple[Policy, SlackSettings]:
    """The engine's policy and the `[slack]` table; their problems noted, named `FILE: key`."""
    policy, slack = Policy(), SlackSettings()
    known = (*SECTIONS, SLACK_SECTION)
    unknown = sorted(set(data) - set(known))
    found.found += [f"{path.name}: {name}: unknown section (known: {', '.join(sorted(known))})"
                    for name in unknown]  # fmt: skip
    core = {key: value for key, value in data.items() if key in SECTIONS}
    try:
        policy = parse_policy(core, base_dir=path.parent)
    except ConfigError as exc:
        found.found += exc.within(f"{path.name}: ").problems
    try:
        slack = parse_slack_settings(data)
    except ConfigError as exc:
        found.found += exc.within(f"{path.name}: ").problems
    return policy, slack


def _with_async_driver(url: str) -> str:
    """Accept the usual spellings (postgres://, postgresql://, sqlite:///) for our drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    return url


def _check_database_url(url: str) -> None:
    if sqlite_file(url) is not None:
        return  # the usual SQLite file: fine, and no need to import SQLAlchemy to know it
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL: {url!r} is not a database URL") from None
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ConfigError(
            f"DATABASE_URL: driver {parsed.drivername!r} is not supported; use "
            "sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB"
        )
    timeout = parsed.query.get("timeout") if parsed.drivername == "sqlite+aiosqlite" else None
    if timeout is not None and not (
        isinstance(timeout, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", timeout)
    ):
        # The engine's float() raised a traceback from every command ('abc'), or took a
        # negative busy timeout ('-1': no wait at all). The form urls.py reads directly.
        raise ConfigError(
            f"DATABASE_URL: timeout: {timeout!r} is not a number of seconds like 30 (how long a "
            "writer waits for another process's lock)"
        )
