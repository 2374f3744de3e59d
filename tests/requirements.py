"""What a test needs from the machine, and what happens when it is missing.

A developer without root may lack a system tool (poppler-utils, Chromium) or a PostgreSQL
server: those tests are skipped, with the reason saying how to get it. scripts/test as root
installs all of them, so there a missing one means a broken install step, not a choice: it
exports INVOICEBOT_TESTS_NO_SKIP=1 and the same check fails the test instead of hiding it.
"""

from __future__ import annotations

import os
import shutil

import pytest

NO_SKIP = os.environ.get("INVOICEBOT_TESTS_NO_SKIP") == "1"


def unavailable(reason: str) -> None:
    """Skip the calling test, or fail it where everything must be present."""
    if NO_SKIP:
        pytest.fail(f"{reason} (INVOICEBOT_TESTS_NO_SKIP=1: scripts/test should have set it up)")
    pytest.skip(reason)


def require_tools(*names: str, why: str) -> None:
    """Skip (or fail, see the module) unless every program in `names` is on PATH."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        unavailable(f"needs {', '.join(missing)} on PATH: {why}")
