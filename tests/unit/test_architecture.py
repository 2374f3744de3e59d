"""The dependency direction of docs/architecture.md, checked on the import graph.

billing_core knows no delivery channel; nothing imports bot; the stand-in imports nothing of
the bot. Read from the source (AST), so an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("billing_core", "handlers", "scheduler", "bot", "slackstandin")

FORBIDDEN = {
    # the engine: no adapter, no chat SDK, no web server, no scheduler
    "billing_core": {
        "handlers", "scheduler", "bot", "slackstandin",
        "slack_sdk", "slack_bolt", "aiohttp", "apscheduler",
    },
    "handlers": {"bot", "slackstandin"},
    "scheduler": {"bot", "handlers", "slackstandin", "slack_sdk", "slack_bolt"},
    "slackstandin": {"billing_core", "handlers", "scheduler", "bot"},
    "bot": set(),
}  # fmt: skip


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imports_of(path) & FORBIDDEN[package]:
            bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_the_engine_does_not_even_name_slack_outside_comments() -> None:
    """`grep -ri slack billing_core/` finds only comments (docstrings count as comments).

    Migration 0003 is the exception, on purpose: it moves the Slack threads that older
    versions kept in the invoice rows out into the adapter's conversations, so it must name
    the adapter its data belongs to (its docstring says so)."""
    offenders = []
    for path in sorted((ROOT / "billing_core").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute | ast.arg):
                name = getattr(node, "id", None) or getattr(node, "attr", None) or node.arg  # type: ignore[attr-defined]
                if "slack" in str(name).lower():
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "slack" in node.value.lower()
                and id(node) not in docstrings
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value[:60]!r}")
    assert offenders == []


def test_no_product_file_is_over_400_lines() -> None:
    long = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > 400
    ]
    assert long == []
