"""Files the CLI writes (a draft PDF, a chart): whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path


class OutputUnwritable(Exception):
    """The file asked for cannot be written (exit code 2, the message says why)."""


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file in the same folder, so a failure
    never leaves half a file. Raises OutputUnwritable naming the path and the reason."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:  # the usual permissions (umask), unlike mkstemp's 0600
            out.write(content)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputUnwritable(f"cannot write {path}: {exc.strerror or exc}") from None
