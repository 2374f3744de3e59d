"""The PDF in the invoice's language: every label from the gettext catalogs, numbers and dates
in that language's locale; nothing falls back to English by accident."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from billing_core.invoice import Invoice
from billing_core.language import SUPPORTED
from billing_core.pdf import render_invoice_pdf
from billing_core.pdf.translations import LOCALES_DIR, catalog_path

PDF_SOURCES = sorted((Path(__file__).parents[2] / "billing_core" / "pdf").glob("*.py"))


def msgids_in_code() -> set[str]:
    """Every string the PDF code passes to `_` (extracted as xgettext would, with Babel)."""
    found: set[str] = set()
    for path in PDF_SOURCES:
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"_": None}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_code_uses_labels_from_a_catalog() -> None:
    found = msgids_in_code()
    assert {"INVOICE", "CREDIT NOTE", "Due date", "Page {page} of {pages}", "Tax"} <= found
    with catalog_path("de").open("rb") as po:  # and no catalog keeps labels nobody uses
        assert {m.id for m in read_po(po) if m.id} == found


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED if lang != "en"])
def test_every_msgid_used_in_code_is_translated_in_every_catalog(language: str) -> None:
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = sorted(msgids_in_code() - set(translated))
    assert missing == [], f"{language}: not translated: {missing}"
    for msgid, text in translated.items():  # placeholders survive translation
        assert set(_fields(msgid)) == set(_fields(text)), (language, msgid, text)


def test_every_supported_language_has_a_catalog_and_no_catalog_is_unsupported() -> None:
    on_disk = {p.name for p in LOCALES_DIR.iterdir() if p.is_dir()}
    assert on_disk == set(SUPPORTED) - {"en"}


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def in_language(invoice: Invoice, language: str, locale: str) -> Invoice:
    return dataclasses.replace(invoice, language=language, locale=locale)


@pytest.mark.parametrize(
    ("language", "locale", "expected"),
    [
        ("de", "de_DE", ["RECHNUNG", "Fällig am", "Rechnungsnr.", "USt. 19 %", "Seite 1 von 1",
                         "Gesamtbetrag", "Bitte überweisen Sie", "23.492,16 €", "20.11.2026"]),
        ("fr", "fr_FR", ["FACTURE", "Date d'échéance", "N° de facture", "TVA 19 %",
                         "Page 1 sur 1", "Total à payer", "23 492,16 €", "20 nov. 2026"]),
        ("pl", "pl_PL", ["FAKTURA", "Termin płatności", "Nr faktury", "Strona 1 z 1",
                         "Do zapłaty", "23 492,16 €"]),
        ("es", "es_ES", ["FACTURA", "Fecha de vencimiento", "Total a pagar"]),
        ("it", "it_IT", ["FATTURA", "Data di scadenza", "Totale dovuto"]),
        ("nl", "nl_NL", ["FACTUUR", "Vervaldatum", "Te betalen"]),
    ],
)  # fmt: skip
def test_an_invoice_reads_in_its_language(
    make_invoice: Callable[..., Invoice],
    pdf_text: Callable[[bytes], str],
    language: str,
    locale: str,
    expected: list[str],
) -> None:
    invoice = in_language(make_invoice(number="INV-2026-0042"), language, locale)
    text = pdf_text(render_invoice_pdf(invoice))
    for label in expected:
        assert label in text, (language, label)
    for english in ("INVOICE", "Due date", "Page 1 of 1", "Total due"):
        assert english not in text


def test_a_draft_says_draft_in_its_language(
    make_invoice: Callable[..., Invoice], pdf_text: Callable[[bytes], str]
) -> None:
    text = pdf_text(render_invoice_pdf(in_language(make_invoice(), "de", "de_DE")))
    assert "ENTWURF" in text and "Zur Freigabe" in text and "DRAFT" not in text


@pytest.mark.parametrize(
    ("language", "locale", "expected"),
    [
        ("de", "de_DE", ["GUTSCHRIFT", "Gutschriftsnr.", "Zur Rechnung", "INV-2026-0042",
                         "Gutschriftsbetrag", "-23.492,16 €", "Grund: Projekt abgesagt"]),
        ("fr", "fr_FR", ["AVOIR", "N° d'avoir", "Avoir sur facture", "INV-2026-0042",
                         "Total crédité", "Motif : Projekt abgesagt"]),
    ],
)  # fmt: skip
def test_a_credit_note_reads_in_its_language(
    make_invoice: Callable[..., Invoice],
    pdf_text: Callable[[bytes], str],
    language: str,
    locale: str,
    expected: list[str],
) -> None:
    original = make_invoice(number="INV-2026-0042")
    note = dataclasses.replace(
        original,
        number="CN-2026-0001",
        kind="credit_note",
        credits_number="INV-2026-0042",
        credits_issue_date=original.issue_date,
        issue_date=date(2026, 11, 30),
        due_date=date(2026, 11, 30),
        credit_reason="Projekt abgesagt",
        language=language,
        locale=locale,
    )
    text = pdf_text(render_invoice_pdf(note))
    for label in expected:
        assert label in text, (language, label)
    assert "CREDIT NOTE" not in text and "Total credited" not in text


def test_standard_vat_category_notes_read_in_the_language_and_a_given_reason_as_given(
    make_invoice: Callable[..., Invoice], pdf_text: Callable[[bytes], str]
) -> None:
    from decimal import Decimal

    from billing_core.invoice import InvoiceLine
    from billing_core.money import Money

    lines = (
        InvoiceLine("Beratung", Decimal(1), Money(Decimal("1000.00"), "EUR"), Decimal(0), "AE",
                    "Reverse charge"),
        InvoiceLine("Erste-Hilfe-Kurs", Decimal(1), Money(Decimal("300.00"), "EUR"), Decimal(0),
                    "E", "Steuerfrei nach §4 Nr. 21 UStG"),
    )  # fmt: skip
    invoice = dataclasses.replace(
        in_language(make_invoice(number="INV-2026-0042"), "de", "de_DE"), lines=lines
    )
    text = pdf_text(render_invoice_pdf(invoice))
    assert "AE: Steuerschuldnerschaft des Leistungsempfängers" in text
    assert "E: Steuerfrei nach §4 Nr. 21 UStG" in text
    assert "Reverse charge" not in text
