"""Running `invoicebot sandbox` as a real process, and driving its page in Chromium."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVOICEBOT = str(Path(sys.executable).with_name("invoicebot"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post_json(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.loads(answer.read() or b"{}"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


@dataclass
class Sandbox:
    proc: subprocess.Popen[str]
    port: int
    cwd: Path
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return "\n".join(self.lines)

    def children(self) -> list[int]:
        """Live child processes (the render workers)."""
        found = []
        for task in Path("/proc").iterdir():
            if task.name.isdigit():
                try:
                    stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == self.proc.pid and stat[0] != "Z":
                    found.append(int(task.name))
        return found

    def listening_ports(self) -> set[int]:
        """TCP ports this process listens on (from /proc/net/tcp and its socket inodes)."""
        inodes = set()
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and parts[9] in inodes:  # 0A: LISTEN
                    ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        return ports

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_sandbox(
    cwd: Path, env: dict[str, str] | None = None, args: list[str] | None = None
) -> Sandbox:
    """Start `python -m bot.cli sandbox` in `cwd` on a free port; returns once the page answers."""
    port = free_port()
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    argv = args if args is not None else ["--port", str(port)]
    if "--port" in argv:
        port = int(argv[argv.index("--port") + 1])
    proc = subprocess.Popen(
        [INVOICEBOT, "sandbox", *argv],
        cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    sandbox = Sandbox(proc, port, cwd)
    assert proc.stdout is not None
    stream = proc.stdout

    def read() -> None:
        for line in stream:
            sandbox.lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    try:
        wait_until(lambda: "open http://" in sandbox.output() or proc.poll() is not None, 60,
                   "the sandbox to start")  # fmt: skip
    except TimeoutError:
        sandbox.stop()
        raise
    if proc.poll() is not None:
        pytest.fail(f"the sandbox exited with {proc.returncode}:\n{sandbox.output()}")
    return sandbox


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
