"""The CLI runs in tmp_path against its own SQLite file, with no Slack or policy settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the CLI in tmp_path against tmp_path/x.db, with no Slack or policy settings."""
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    for name in list(os.environ):
        if name.startswith(("SLACK_", "INVOICEBOT_")) or name in ("PORT", "HOST"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url
