"""Startup configuration: environment and policy file, each bad value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_core.errors import ConfigError
from bot.settings import load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_environment_or_file(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert settings.database_url == "sqlite+aiosqlite:///invoicebot.db"
    assert (settings.host, settings.port) == ("0.0.0.0", 3000)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.config_path is None
    assert settings.api_token is None


def test_policy_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    write(tmp_path / "invoicebot.toml", '[invoice]\ncurrency = "CHF"\n')
    settings = load_settings({}, cwd=tmp_path)
    assert settings.policy.invoice.currency == "CHF"
    assert settings.config_path == tmp_path / "invoicebot.toml"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[approval]\nfour_eyes_threshold = "many"\n', "approval.four_eyes_threshold"),
        ("[approval]\nfour_eyes_threshold = 5000.5\n", "approval.four_eyes_threshold"),
        ('[reminders]\ntimezone = "Europe/Berlinn"\n', "reminders.timezone"),
        ('[invoice]\nnumber_format = "INV-{yyyy}-{seq}"\n', "invoice.number_format"),
        ('[invoice]\nnumber_fmt = "INV-{seq}"\n', "invoice.number_fmt"),
        ('[billing]\nx = "y"\n', "billing"),
    ],
)
def test_bad_policy_file_fails_naming_the_key(tmp_path: Path, toml: str, key: str) -> None:
    config = write(tmp_path / "bad.toml", toml)
    with pytest.raises(ConfigError) as caught:
        load_settings({"INVOICEBOT_CONFIG": str(config)}, cwd=tmp_path)
    assert str(caught.value).startswith(f"bad.toml: {key}")


def test_config_path_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf" / "policy.toml", '[invoice]\ncurrency = "GBP"\n')
    settings = load_settings({"INVOICEBOT_CONFIG": "conf/policy.toml"}, cwd=tmp_path)
    assert settings.policy.invoice.currency == "GBP"


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="INVOICEBOT_CONFIG: file not found"):
        load_settings({"INVOICEBOT_CONFIG": "nope.toml"}, cwd=tmp_path)


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "x.toml", "[invoice\ncurrency = 1\n")
    with pytest.raises(ConfigError, match=r"x\.toml: not valid TOML"):
        load_settings({"INVOICEBOT_CONFIG": str(config)}, cwd=tmp_path)


def test_logo_is_found_relative_to_the_policy_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf" / "logo.png", "not really a png")
    config = write(tmp_path / "conf" / "p.toml", '[company]\nlogo = "logo.png"\n')
    settings = load_settings({"INVOICEBOT_CONFIG": str(config)}, cwd=tmp_path)
    assert settings.policy.company.logo == tmp_path / "conf" / "logo.png"


def test_a_missing_logo_is_a_warning_not_a_stop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write(tmp_path / "p.toml", '[company]\nname = "N"\nlogo = "missing.png"\n')
    settings = load_settings({"INVOICEBOT_CONFIG": str(config)}, cwd=tmp_path)
    assert settings.policy.company.logo is None
    assert "company.logo: file not found" in caplog.text


@pytest.mark.parametrize("port", ["http", "70000", "-1", "30 00", "²"])
def test_bad_port_is_refused_naming_port(tmp_path: Path, port: str) -> None:
    with pytest.raises(ConfigError, match=r"^PORT: "):
        load_settings({"PORT": port}, cwd=tmp_path)


def test_port_and_host_are_read(tmp_path: Path) -> None:
    settings = load_settings({"PORT": "8080", "HOST": "127.0.0.1"}, cwd=tmp_path)
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://postgres@localhost/db",
        "sqlite+pysqlite:///x.db",
        "mysql+aiomysql://u@h/db",
    ],
)
def test_unsupported_database_driver_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=r"DATABASE_URL: driver .* is not supported"):
        load_settings({"DATABASE_URL": url}, cwd=tmp_path)


def test_not_a_database_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"DATABASE_URL: .* is not a database URL"):
        load_settings({"DATABASE_URL": "invoicebot.db"}, cwd=tmp_path)


@pytest.mark.parametrize("timeout", ["abc", "-1", "1e3", "nan"])
def test_a_sqlite_timeout_that_is_not_seconds_is_refused(tmp_path: Path, timeout: str) -> None:
    # It reached float() in the engine: a ValueError traceback from every command ('abc'),
    # or a negative busy timeout (no wait at all) taken silently ('-1').
    url = f"sqlite+aiosqlite:///x.db?timeout={timeout}"
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": url}, cwd=tmp_path)
    assert caught.value.problems == (
        f"DATABASE_URL: timeout: {timeout!r} is not a number of seconds like 30 (how long a "
        "writer waits for another process's lock)",
    )


def test_supported_database_urls_are_kept(tmp_path: Path) -> None:
    for url in ("sqlite+aiosqlite:///x.db", "postgresql+asyncpg://u@h:5432/db"):
        assert load_settings({"DATABASE_URL": url}, cwd=tmp_path).database_url == url


def test_tokens_of_the_wrong_kind_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN: a bot token starts with xoxb-"):
        load_settings({"SLACK_BOT_TOKEN": "xapp-1"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        load_settings({"SLACK_APP_TOKEN": "xoxb-1"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        load_settings({"SLACK_API_URL": "slack.com/api"}, cwd=tmp_path)


def test_slack_api_url_gets_a_trailing_slash(tmp_path: Path) -> None:
    settings = load_settings({"SLACK_API_URL": "http://127.0.0.1:9999/api"}, cwd=tmp_path)
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"


def test_requiring_a_missing_token_says_where_to_get_it(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN is not set: .*OAuth & Permissions"):
        settings.require("SLACK_BOT_TOKEN")


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_database_urls_get_the_async_driver(tmp_path: Path, given: str, used: str) -> None:
    assert load_settings({"DATABASE_URL": given}, cwd=tmp_path).database_url == used


@pytest.mark.parametrize(
    ("file", "problem"),
    [(None, "INVOICEBOT_CONFIG: file not found: "), ("x = [", "not valid TOML")],
)
def test_a_config_file_that_cannot_be_read_is_listed_with_the_environments_problems(
    tmp_path: Path, file: str | None, problem: str
) -> None:
    # The file's error was raised alone: PORT and the token were named only once it was fixed.
    if file is not None:
        write(tmp_path / "p.toml", file)
    env = {"INVOICEBOT_CONFIG": "p.toml", "PORT": "abc", "SLACK_BOT_TOKEN": "abc"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env, cwd=tmp_path)
    first, *rest = caught.value.problems
    assert problem in first
    assert rest == [
        "PORT: 'abc' is not a port number (0-65535)",
        "SLACK_BOT_TOKEN: a bot token starts with xoxb-",
    ]
