"""`invoicebot sandbox` as a person runs it: a real process, its own store, Ctrl-C stops it."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.conftest import (
    INVOICEBOT,
    Sandbox,
    alive,
    free_port,
    post_json,
    start_sandbox,
    wait_until,
)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    running = start_sandbox(tmp_path, {"DATABASE_URL": "postgresql://nowhere/x",
                                       "SLACK_BOT_TOKEN": "xoxb-real-workspace"})  # fmt: skip
    yield running
    running.stop()


def test_it_prints_the_page_address_and_ignores_the_real_settings(sandbox: Sandbox) -> None:
    output = sandbox.output()
    assert f"open http://127.0.0.1:{sandbox.port}/" in output
    assert "ignoring DATABASE_URL, SLACK_BOT_TOKEN" in output
    # its own store in the working directory, with the demo records
    db = sandbox.cwd / "invoicebot-sandbox.db"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM records")}
    assert ids == {"P-101", "P-102", "P-103", "L-201"}


def test_ctrl_c_stops_it_cleanly_and_leaves_nothing_listening_or_running(
    sandbox: Sandbox,
) -> None:
    post_json(sandbox.url + "page/command", {"user": "U0ADA", "text": "draft P-101"})
    wait_until(lambda: bool(sandbox.children()), 30, "a render worker")  # a PDF was made
    children = sandbox.children()
    ports_before = sandbox.listening_ports()
    assert sandbox.port in ports_before and len(ports_before) >= 2  # the page and the bot
    sandbox.proc.send_signal(signal.SIGINT)
    assert sandbox.proc.wait(timeout=30) == 0
    for port in ports_before:
        assert not listening(port), port
    wait_until(lambda: not any(alive(pid) for pid in children), 10, "workers to exit")


def test_a_second_sandbox_on_a_port_in_use_says_so_in_one_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    result = subprocess.run(
        [INVOICEBOT, "sandbox", "--port", str(sandbox.port)],
        cwd=other, env={**os.environ, "PYTHONUNBUFFERED": "1"}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert str(sandbox.port) in errors[0] and "invoicebot:" in errors[0]


def test_the_flags_win_over_host_and_port_in_the_environment(tmp_path: Path) -> None:
    port = free_port()
    running = start_sandbox(tmp_path, {"PORT": "1"}, args=["--port", str(port)])
    try:
        assert running.port == port and listening(port)
    finally:
        running.stop()


def test_records_already_in_its_store_are_used_as_they_are(tmp_path: Path) -> None:
    first = start_sandbox(tmp_path)
    first.stop()
    db = tmp_path / "invoicebot-sandbox.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE records SET title = 'Renamed by me' WHERE id = 'P-101'")
    again = start_sandbox(tmp_path)
    try:
        with sqlite3.connect(db) as conn:
            (title,) = conn.execute("SELECT title FROM records WHERE id = 'P-101'").fetchone()
        assert title == "Renamed by me"
    finally:
        again.stop()


def test_ctrl_c_stops_it_while_a_page_is_open_and_listening_for_changes(sandbox: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=30) as page:
        page.sendall(b"GET /page/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while b"data: " not in received:  # the page's event stream is open
            received += page.recv(4096)
        sandbox.proc.send_signal(signal.SIGINT)
        assert sandbox.proc.wait(timeout=30) == 0
        page.settimeout(5)
        while page.recv(4096):  # the stream was ended by the server, not left hanging
            pass
    assert not listening(sandbox.port)
