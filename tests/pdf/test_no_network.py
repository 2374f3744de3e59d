"""No outbound connection while rendering, in worker processes, or at process exit.

borb 3.0.9 posts usage statistics to an AWS endpoint (queued on PDF.write, flushed by an
atexit handler). The check runs a render in a fresh interpreter whose sitecustomize installs
an audit hook on socket.connect / socket.getaddrinfo (and friends) before anything else: every
attempt is logged to a file and refused. sitecustomize is imported by every process started
with that PYTHONPATH, including the spawned PdfRenderer workers, and its atexit handler is
registered first, so it runs last: after borb's own exit handlers.

borb needs `requests` to post (factur-x installs it); a stand-in `requests` first on the path
turns any attempt into a real socket call the hook can see. A control run that opts back in
proves the harness catches borb when it does phone home.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SITECUSTOMIZE = textwrap.dedent(
    """
    import atexit, os, sys

    _LOG = os.environ["NETWORK_AUDIT_LOG"]
    _WATCHED = {
        "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
        "socket.sendmsg", "socket.gethostbyaddr", "http.client.connect", "urllib.Request",
    }

    def _write(line):
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(line + "\\n")

    def _hook(event, args):
        if event in _WATCHED:
            _write(f"{os.getpid()} {event} {args!r}")
            raise RuntimeError(f"network access refused by test: {event}")

    sys.addaudithook(_hook)
    atexit.register(lambda: _write(f"{os.getpid()} exit-checked"))
    """
)

# A stand-in for the `requests` package: makes each call a real (refused) socket attempt.
FAKE_REQUESTS = textwrap.dedent(
    """
    import socket
    from urllib.parse import urlsplit

    def _connect(url, *args, **kwargs):
        host = urlsplit(url).hostname
        socket.create_connection((host, 443), timeout=1)

    post = get = _connect
    """
)

RENDER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import _make_invoice
    from billing_core.pdf import PdfRenderer, render_invoice_pdf

    invoice = _make_invoice(number="INV-2026-0001")
    # 70 documents: more than borb's in-memory queue (64), which would flush in a thread.
    for _ in range(70):
        render_invoice_pdf(invoice)
    with PdfRenderer(max_workers=1, max_tasks_per_child=2) as renderer:
        for _ in range(3):
            assert renderer.render_sync(invoice).startswith(b"%PDF")
    # The Factur-X path too: factur-x imports requests (for a schematron server it is never
    # asked to use here).
    import dataclasses
    from facturx import get_xml_from_pdf
    standard = _make_invoice([("Work", "1", "100.00", "19")], number="INV-2026-0002")
    pdf = render_invoice_pdf(dataclasses.replace(standard, einvoice="factur-x"))
    assert get_xml_from_pdf(pdf, check_xsd=False)[0] == "factur-x.xml"
    print("rendered")
    """
)

CONTROL = textwrap.dedent(
    """
    import io
    import billing_core.pdf.borb_compat  # opts out ...
    from borb.pdf import PDF, Document, Page, UsageStatistics

    UsageStatistics.opt_in()  # ... and back in: borb as it ships
    document = Document()
    document.append_page(Page())
    PDF.write(what=document, where_to=io.BytesIO())
    print("rendered")
    """
)


def _run(tmp_path: Path, script: str) -> tuple[str, list[str]]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (site / "requests.py").write_text(FAKE_REQUESTS)
    log = tmp_path / "network.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
        "NETWORK_AUDIT_LOG": str(log),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "rendered" in result.stdout
    return result.stdout, log.read_text().splitlines() if log.exists() else []


def test_rendering_opens_no_connection_during_render_or_at_exit(tmp_path: Path) -> None:
    script = RENDER.format(tests=str(Path(__file__).parent))
    _, log = _run(tmp_path, script)
    attempts = [line for line in log if "exit-checked" not in line]
    assert attempts == []
    exited = {line.split()[0] for line in log if "exit-checked" in line}
    assert len(exited) >= 2, log  # the main process and at least one pool worker


def test_the_harness_catches_borb_phoning_home(tmp_path: Path) -> None:
    _, log = _run(tmp_path, CONTROL)
    attempts = [line for line in log if "exit-checked" not in line]
    assert any("socket.getaddrinfo" in line or "socket.connect" in line for line in attempts)
    assert "lambda-url.us-east-1.on.aws" in "\n".join(attempts)
