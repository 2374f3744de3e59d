"""Which schema version the code expects, read from the migration files without Alembic."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def head_revisions() -> set[str]:
    """The revision ids at the head of the migration chain, read from the version files.

    Alembic finds them by importing every migration (and itself: about 0.15 s of a cold CLI
    command); the `revision` and `down_revision` lines say the same. tests/store checks that
    the two agree.
    """
    revisions, parents = _chain()
    return revisions - parents


def known_revisions() -> set[str]:
    """Every revision id of the migration chain: a database at any other one was written by
    code this version does not know (a newer invoicebot), and no migration leads from it."""
    return _chain()[0]


def _chain() -> tuple[set[str], set[str]]:
    """(every revision id, every revision id named as a parent), from the version files."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision\b[^=\n]*=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision\b[^=\n]*=(.*)$", source, re.M)
        if revision is None or down is None:
            raise RuntimeError(f"{path.name}: no revision or down_revision line")
        revisions.add(revision[1])
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down[1]))
    return revisions, parents
