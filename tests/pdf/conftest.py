"""Builders of invoices for the PDF tests, and reading text back out of a PDF.

Test modules get these as fixtures (pytest advises against importing from conftest.py):
`make_invoice`, `many_lines`, `with_party`, `pdf_text`, `pdf_pages_text`, `pdf_words`.
"""

from __future__ import annotations

import dataclasses
import html
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from billing_core.invoice import Invoice, draft_invoice
from billing_core.policy import InvoicePolicy, Policy
from billing_core.records import parse_record
from bot.demo import SELLER, example_record

ISSUE_DATE = date(2026, 11, 20)


# A realistic month at a Berlin design agency: mixed tax rates, accents, quantities in hours.
AGENCY_LINES = [
    ("UX-Workshop mit Stakeholdern (2 Tage, vor Ort in München)", "16", "135.00", "19"),
    ("Konzeption Informationsarchitektur und Sitemap", "12.5", "120.00", "19"),
    ("Screendesign Desktop & Mobile – Startseite, Produktseiten, Checkout", "38", "110.00", "19"),
    ("Design-System: Farben, Typografie, Komponenten in Figma", "22", "110.00", "19"),
    ("Frontend-Entwicklung (React, TypeScript)", "64", "105.00", "19"),
    ("Barrierefreiheits-Audit nach WCAG 2.2 AA", "8", "125.00", "19"),
    ("Stockfoto-Lizenzen (12 Bilder, erweiterte Nutzung)", "12", "39.90", "19"),
    ("Fachbuch „Gestaltung digitaler Produkte“ für das Kundenteam", "3", "49.00", "7"),
    ("Projektmanagement und Abstimmungen", "10", "95.00", "19"),
    ("Reisekosten Berlin–München (Bahn, 2. Klasse)", "1", "238.40", "0"),
]


def _record_data(
    lines: list[tuple[str, str, str, str]] | None = None, **overrides: Any
) -> dict[str, Any]:
    """A record in the DESIGN.md JSON shape; `overrides` replace top-level keys."""
    line_items = [
        {"description": d, "quantity": q, "unit_price": p, "tax_rate": t}
        for d, q, p, t in (lines if lines is not None else AGENCY_LINES)
    ]
    # Due from payment terms (a draft's due date moves on approval), no service date.
    changes = {"due_date": None, "completed_at": None, "payment_terms_days": 14}
    return example_record(line_items=line_items, **{**changes, **overrides})


def _make_invoice(
    lines: list[tuple[str, str, str, str]] | None = None,
    *,
    locale: str = "en_US",
    number: str | None = None,
    **overrides: Any,
) -> Invoice:
    """A draft (or, with `number`, final) invoice built the way the bot builds one."""
    policy = Policy(company=SELLER, invoice=InvoicePolicy(locale=locale))
    invoice = draft_invoice(parse_record(_record_data(lines, **overrides)), policy, ISSUE_DATE)
    if number is not None:
        invoice = invoice.finalised(number, ISSUE_DATE)
    return invoice


def _many_lines(count: int) -> list[tuple[str, str, str, str]]:
    """`count` lines with accented text, some long enough to wrap, two tax rates."""
    out = []
    for n in range(1, count + 1):
        text = f"Leistung {n}: Überarbeitung Größenangaben für Straße & Café"
        if n % 7 == 0:
            text += " – inklusive Abstimmung mit dem Kunden, Korrekturschleife und Übergabe"
        out.append((text, str(n % 5 + 1), f"{80 + n % 40}.50", "7" if n % 10 == 0 else "19"))
    return out


def _with_party(invoice: Invoice, who: str, **changes: Any) -> Invoice:
    """The invoice with fields of its seller or buyer replaced (for text the parser refuses)."""
    party = dataclasses.replace(getattr(invoice, who), **changes)
    return dataclasses.replace(invoice, **{who: party})


def _spaces(text: str) -> str:
    # babel puts no-break and narrow no-break spaces in amounts ("1.200,00\xa0€").
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _pdf_pages_text(pdf: bytes) -> list[str]:
    """Text of each page, via pdftotext (poppler) when installed, else pypdf."""
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        pages = out.split("\f")
        pages = pages[:-1] if pages and not pages[-1].strip() else pages
    else:
        pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    return [_spaces(page) for page in pages]


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(_pdf_pages_text(pdf))


@dataclasses.dataclass(frozen=True)
class Word:
    """A word's box in PDF points, measured from the page's top-left corner (like poppler)."""

    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


def _pdf_words(pdf: bytes) -> list[Word]:
    """Every word with its box (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    words, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        match = WORD_RE.search(line)
        if match:
            x0, top, x1, bottom = (float(match[i]) for i in range(1, 5))
            words.append(Word(page, _spaces(html.unescape(match[5])), x0, x1, top, bottom))
    return words


WORD_RE = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>'
)


@pytest.fixture(scope="session")
def agency_draft() -> Invoice:
    return _make_invoice(locale="de_DE")


@pytest.fixture(scope="session")
def agency_final() -> Invoice:
    return _make_invoice(locale="de_DE", number="INV-2026-0042")


@pytest.fixture(scope="session")
def make_invoice() -> Callable[..., Invoice]:
    return _make_invoice


@pytest.fixture(scope="session")
def many_lines() -> Callable[[int], list[tuple[str, str, str, str]]]:
    return _many_lines


@pytest.fixture(scope="session")
def with_party() -> Callable[..., Invoice]:
    return _with_party


@pytest.fixture(scope="session")
def pdf_text() -> Callable[[bytes], str]:
    return _pdf_text


@pytest.fixture(scope="session")
def pdf_pages_text() -> Callable[[bytes], list[str]]:
    return _pdf_pages_text


@pytest.fixture(scope="session")
def pdf_words() -> Callable[[bytes], list[Word]]:
    return _pdf_words
