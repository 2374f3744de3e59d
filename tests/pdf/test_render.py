"""render_invoice_pdf: what a reader of the PDF finds in it, read back with poppler/pypdf."""

from __future__ import annotations

import dataclasses
import io
import random
import re
import struct
import subprocess
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from babel.localedata import locale_identifiers
from pypdf import PdfReader

from billing_core.errors import UnsupportedCharacters
from billing_core.invoice import Invoice
from billing_core.pdf import check_renderable, render_invoice_pdf
from billing_core.pdf.formatter import Formatter
from billing_core.pdf.layout import Layout
from billing_core.pdf.style import PAGE_HEIGHT, PAGE_WIDTH
from billing_core.pdf.writer import layout_cache_entries
from tests.requirements import require_tools


@pytest.fixture(autouse=True)
def _poppler() -> None:
    require_tools("pdftotext", "pdfimages", "pdftoppm", why="the checks read text, images, pixels")


@pytest.fixture(scope="module")
def final_de(agency_final: Invoice) -> tuple[Invoice, bytes]:
    return agency_final, render_invoice_pdf(agency_final)


@pytest.fixture(scope="module")
def draft_de(agency_draft: Invoice) -> tuple[Invoice, bytes]:
    return agency_draft, render_invoice_pdf(agency_draft)


@pytest.fixture(scope="module")
def long_invoice(make_invoice, many_lines) -> tuple[Invoice, bytes]:
    invoice = make_invoice(many_lines(300), number="INV-2026-0300")
    return invoice, render_invoice_pdf(invoice)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ----- content ---------------------------------------------------------------------------------


def test_final_invoice_shows_parties_number_dates_lines_taxes_and_total(final_de, pdf_text) -> None:
    invoice, pdf = final_de
    text = pdf_text(pdf)
    flat = _one_line(text)
    fmt = Formatter("de_DE")
    assert "Müller & Søn GmbH" in text
    assert "Hauptstraße 5" in text and "80331 München" in text
    assert "Northwind Studio GmbH" in text and "Torstraße 1" in text
    assert "INV-2026-0042" in text
    assert "DRAFT" not in text
    assert "20.11.2026" in text and "04.12.2026" in text  # issue and due date, de_DE
    assert "SOW-17 milestone 2" in text and "P-123" in text
    assert "Website relaunch" in text
    for line in invoice.lines:
        assert _one_line(line.description) in flat
        assert fmt.money(line.net).replace("\xa0", " ") in text
    assert "VAT 19 % on 19.408,80 €" in flat and "3.687,67 €" in text
    assert "VAT 7 % on 147,00 €" in flat and "10,29 €" in text
    assert "VAT 0 % on 238,40 €" in flat
    assert "Subtotal (net)" in text and "19.794,20 €" in text
    assert "Total due" in text and "23.492,16 €" in text
    assert "DE89 3704 0044 0532 0130 00" in text and "COBADEFFXXX" in text
    assert "Page 1 of 1" in text


def test_draft_is_marked_draft_and_has_no_number(draft_de, pdf_text) -> None:
    invoice, pdf = draft_de
    text = pdf_text(pdf)
    assert invoice.number is None
    assert "DRAFT" in text
    assert "assigned on approval" in text
    assert not re.search(r"INV-\d{4}", text)
    assert "not a request for payment" in _one_line(text)
    assert "Müller & Søn GmbH" in text and "23.492,16 €" in text


def test_draft_mark_is_drawn_on_every_page_as_a_shape(
    make_invoice, many_lines, pdf_pages_text
) -> None:
    pdf = render_invoice_pdf(make_invoice(many_lines(60)))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert "/GSwm" in page["/Resources"]["/ExtGState"]  # the translucent DRAFT outline
    for page_text in pdf_pages_text(pdf):
        assert "DRAFT" in page_text


def test_amounts_follow_the_locale(make_invoice, pdf_text) -> None:
    lines = [("Consulting", "10", "120.00", "19")]
    en = pdf_text(render_invoice_pdf(make_invoice(lines, locale="en_US", number="A-1")))
    de = pdf_text(render_invoice_pdf(make_invoice(lines, locale="de_DE", number="A-1")))
    assert "€1,200.00" in en and "€228.00" in en and "€1,428.00" in en
    assert "Nov 20, 2026" in en
    assert "1.200,00 €" in de and "228,00 €" in de and "1.428,00 €" in de
    assert "20.11.2026" in de


def test_unit_prices_keep_their_precision_and_quantities_their_decimals(
    make_invoice, pdf_text
) -> None:
    lines = [("API calls", "12500", "0.0125", "19"), ("Hours", "1.5", "100.00", "19")]
    text = pdf_text(render_invoice_pdf(make_invoice(lines, number="A-2")))
    assert "€0.0125" in text and "12,500" in text and "€156.25" in text
    assert "1.5" in text and "€150.00" in text


def test_greek_cyrillic_and_latin_extended_text_survives_extraction(
    make_invoice, with_party, pdf_text
) -> None:
    lines = [
        ("Übersetzung ins Russische: Жуков и партнёры", "1", "100.00", "19"),
        ("Ωmega-Paket für Ελληνικά – Łódź, Ærø, Straße", "1", "200.00", "19"),
        ("Gebühren in € und £, ₽, ₺, ₹ – „Anführung“ ‘einfach’ • Punkt …", "1", "1.00", "0"),
    ]
    invoice = with_party(make_invoice(lines, number="A-3"), "buyer", name="Øresund Łukasiewicz ß")
    text = pdf_text(render_invoice_pdf(invoice))
    for expected in ("Жуков и партнёры", "Ωmega", "Ελληνικά", "Łódź", "Ærø", "Straße",
                     "€ und £, ₽, ₺, ₹", "„Anführung“ ‘einfach’ • Punkt …",
                     "Øresund Łukasiewicz ß"):  # fmt: skip
        assert expected in text, expected


def test_nfd_input_is_rendered_as_the_composed_letters(make_invoice, with_party, pdf_text) -> None:
    invoice = with_party(make_invoice(number="A-4"), "buyer", name="Mu\u0308ller GmbH")
    check_renderable(invoice)
    assert "Müller GmbH" in pdf_text(render_invoice_pdf(invoice))


# ----- pagination ------------------------------------------------------------------------------


def test_300_lines_flow_over_pages_with_header_row_and_page_numbers(
    long_invoice, pdf_pages_text
) -> None:
    invoice, pdf = long_invoice
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 5
    for n, page in enumerate(pages, start=1):
        for header in ("Description", "Qty", "Unit price", "VAT", "Net amount"):
            assert header in page, (n, header)
        assert f"Page {n} of {len(pages)}" in page
    flat = _one_line("\n".join(pages))
    for n in range(1, 301):
        assert len(re.findall(rf"Leistung {n}:", flat)) == 1, n
    assert "INV-2026-0300" in pages[-1]
    total = Formatter("en_US").money(invoice.total)
    assert "Total due" in pages[-1] and total in pages[-1]
    assert "Total due" not in "".join(pages[:-1])


def test_a_row_taller_than_a_page_is_split_not_cut(make_invoice, pdf_pages_text) -> None:
    words = [f"Wort{n:03d}" for n in range(900)]
    invoice = make_invoice([("Kurz", "1", "10.00", "19")], number="A-5")
    invoice = dataclasses.replace(
        invoice,
        lines=(dataclasses.replace(invoice.lines[0], description=" ".join(words)),),
    )
    pdf = render_invoice_pdf(invoice)
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 2
    extracted = set(" ".join(pages).split())
    assert set(words) <= extracted


@pytest.mark.parametrize("seed", range(12))
def test_body_text_never_runs_into_the_footer(seed, make_invoice, pdf_words) -> None:
    # Rows of random height, so pages fill to every level above the footer.
    rng = random.Random(seed)
    vocabulary = ["Konzeption", "Umsetzung", "Überarbeitung", "Größe", "Straße", "Café"]
    lines = [
        (" ".join(rng.choices(vocabulary, k=rng.randint(1, 40))), "2", "10.50", "19")
        for _ in range(rng.randint(20, 70))
    ]
    invoice = make_invoice(lines, number="A-10")
    footer_rule = PAGE_HEIGHT - Layout(invoice).footer_top  # from the top, like poppler
    placed = pdf_words(render_invoice_pdf(invoice))
    assert [w for w in placed if w.top < footer_rule < w.bottom] == []
    assert all(w.x0 >= 56 and w.x1 <= PAGE_WIDTH - 48 for w in placed)
    pages = max(w.page for w in placed)
    numbers = {(w.page, w.text) for w in placed if w.text.isdigit()}
    assert all((page, str(pages)) in numbers for page in range(1, pages + 1))


# ----- wrapping --------------------------------------------------------------------------------


def test_long_names_and_descriptions_wrap_inside_the_page(
    make_invoice, with_party, pdf_words
) -> None:
    long_name = " ".join(["Internationale Handelsgesellschaft für Maschinenbau"] * 3) + " AG"
    long_description = " ".join(
        f"Arbeitspaket{n} Konzeption, Gestaltung und Umsetzung der Übersichtsseiten"
        for n in range(6)
    )
    token = "https://example.com/" + "sehr-langer-pfad/" * 8 + "datei.pdf"
    lines = [(long_description[:480], "1", "100.00", "19"), (token, "1", "1.00", "19")]
    invoice = make_invoice(
        lines, number="A-6", client={"name": long_name[:200], "email": "a@b.example"}
    )
    invoice = with_party(invoice, "buyer", name=long_name)
    pdf = render_invoice_pdf(invoice)
    words = pdf_words(pdf)
    page_width = 595
    assert all(w.x0 > 0 and w.x1 <= page_width - 40 for w in words), [
        w for w in words if w.x1 > page_width - 40
    ]
    extracted = {w.text for w in words}
    for word in long_name.split() + long_description[:480].split():
        assert word in extracted, word
    # The token too long for any line is broken, not cut: its pieces rebuild it.
    assert token in "".join(w.text for w in words)


# ----- refusals --------------------------------------------------------------------------------


def test_cjk_and_emoji_are_refused_naming_the_characters_and_fields(
    make_invoice, with_party
) -> None:
    invoice = with_party(make_invoice(), "buyer", name="東京商事 株式会社")
    invoice = dataclasses.replace(
        invoice,
        lines=(dataclasses.replace(invoice.lines[0], description="Design 😀"), *invoice.lines[1:]),
    )
    with pytest.raises(UnsupportedCharacters) as caught:
        check_renderable(invoice)
    assert set(caught.value.characters) == set("東京商事株式会社😀")
    assert caught.value.field == "client.name, line_items[0].description"
    assert "U+6771" in str(caught.value)
    with pytest.raises(UnsupportedCharacters):
        render_invoice_pdf(invoice)


def test_a_locale_that_writes_in_another_script_is_refused(make_invoice) -> None:
    invoice = make_invoice([("Consulting", "1", "100.00", "0")], locale="hi_IN")
    with pytest.raises(UnsupportedCharacters) as caught:
        check_renderable(invoice)
    assert caught.value.field == "invoice.locale (hi_IN)"


# Bidi marks in numbers, other scripts, narrow no-break spaces, apostrophe separators, ...
TRICKY_LOCALES = [
    "ar_EG", "fa_IR", "he_IL", "hi_IN", "ja_JP", "zh_Hans_CN", "th_TH", "fr_FR", "fr_CH",
    "de_CH", "sv_SE", "ru_RU", "uk_UA", "el_GR", "bg_BG", "kk_KZ", "sr_Latn_RS", "tr_TR",
    "pl_PL", "en_IN", "es_MX", "pt_BR", "nb_NO", "ro_RO",
]  # fmt: skip


@pytest.mark.parametrize("locale", TRICKY_LOCALES + sorted(locale_identifiers())[::60])
def test_every_locale_either_renders_or_is_refused_up_front(locale, make_invoice) -> None:
    invoice = make_invoice([("Design", "1.5", "1234.5678", "19")], number="X-1")
    invoice = dataclasses.replace(invoice, locale=locale)
    try:
        check_renderable(invoice)
    except UnsupportedCharacters as refused:
        assert refused.field == f"invoice.locale ({locale})"
        return
    assert render_invoice_pdf(invoice).startswith(b"%PDF-")


def test_renderable_invoice_passes_the_check(agency_final) -> None:
    assert check_renderable(agency_final) is None


# ----- the file itself ---------------------------------------------------------------------------


def test_ten_line_pdf_is_small_and_deterministic(final_de) -> None:
    invoice, pdf = final_de
    assert len(invoice.lines) == 10
    assert len(pdf) < 30_000  # fonts subset to the glyphs shown (104 KB with whole fonts)
    assert render_invoice_pdf(invoice) == pdf  # same invoice, same bytes


def test_pdf_is_clean_for_poppler_and_pypdf(final_de, tmp_path: Path) -> None:
    _, pdf = final_de
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    listing = fonts.stdout.decode()
    # A subset's name: six capital letters, "+", the font's name (PDF 32000-1 9.6.4).
    assert re.search(r"^[A-Z]{6}\+DejaVuSans ", listing, re.M)
    assert re.search(r"^[A-Z]{6}\+DejaVuSans-Bold ", listing, re.M)
    assert all(" yes yes yes " in row for row in listing.splitlines()[2:])  # emb, sub, uni
    raster = subprocess.run(
        ["pdftoppm", "-r", "20", "-png", "-", str(tmp_path / "page")],
        input=pdf,
        capture_output=True,
        check=True,
    )
    assert raster.stderr == b""
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert reader.metadata.title == "Invoice INV-2026-0042"
    assert reader.metadata.author == "Northwind Studio GmbH"


def test_layout_caches_are_released_after_rendering(agency_final) -> None:
    render_invoice_pdf(agency_final)
    assert layout_cache_entries() == 0


# ----- logo ------------------------------------------------------------------------------------


def _png(width: int, height: int, color_type: int, pixel: bytes, extra: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + pixel * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# An 8x8 mid-grey baseline JPEG, hand-assembled: one-code Huffman tables, one block, DC 0.
_JPEG = (
    b"\xff\xd8"
    + b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    + b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
    + b"\xff\xc4\x00\x14\x00\x01" + b"\x00" * 15 + b"\x00"
    + b"\xff\xc4\x00\x14\x10\x01" + b"\x00" * 15 + b"\x00"
    + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    + b"\x3f"
    + b"\xff\xd9"
)  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "data", "smask"),
    [
        ("logo-rgb.png", _png(40, 12, 2, b"\x1f\x3a\x5f"), False),
        ("logo-rgba.png", _png(40, 12, 6, b"\x1f\x3a\x5f\x80"), True),
        ("logo-palette.png", _png(40, 12, 3, b"\x00", b""), False),
        ("logo.jpg", _JPEG, False),
    ],
)
def test_logo_is_embedded(
    tmp_path: Path, filename: str, data: bytes, smask: bool, make_invoice, pdf_text
) -> None:
    if "palette" in filename:
        plte = b"\x1f\x3a\x5f"
        crc = zlib.crc32(b"PLTE" + plte)
        chunk = struct.pack(">I", 3) + b"PLTE" + plte + struct.pack(">I", crc)
        data = _png(40, 12, 3, b"\x00", chunk)
    path = tmp_path / filename
    path.write_bytes(data)
    invoice = dataclasses.replace(make_invoice(number="A-7"), logo_path=str(path))
    pdf = render_invoice_pdf(invoice)
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode()  # fmt: skip
    rows = listing.splitlines()[2:]
    assert any(" image " in row for row in rows), listing
    assert any(" smask " in row for row in rows) == smask, listing
    raster = subprocess.run(["pdftoppm", "-r", "20", "-png", "-", str(tmp_path / "p")],
                            input=pdf, capture_output=True, check=True)  # fmt: skip
    assert raster.stderr == b""
    assert "Northwind Studio GmbH" in pdf_text(pdf)


def test_unreadable_logo_is_left_out_not_fatal(
    tmp_path: Path, caplog, make_invoice, pdf_text
) -> None:
    path = tmp_path / "logo.png"
    path.write_bytes(b"GIF89a not a png")
    invoice = dataclasses.replace(make_invoice(number="A-8"), logo_path=str(path))
    pdf = render_invoice_pdf(invoice)
    assert "Northwind Studio GmbH" in pdf_text(pdf)
    assert "without logo" in caplog.text


def test_money_never_passes_through_float(make_invoice, pdf_text) -> None:
    # Formatting goes through babel with Decimal in, so 0.1 + 0.2 style errors cannot appear.
    lines = [("A", "3", "0.10", "0"), ("B", "1", "0.20", "0")]
    text = pdf_text(render_invoice_pdf(make_invoice(lines, number="A-9")))
    assert "€0.50" in text
    assert Decimal("0.50") == make_invoice(lines).total.amount


def test_service_date_from_the_record_is_printed(pdf_text) -> None:
    from datetime import date

    from billing_core.invoice import draft_invoice
    from billing_core.policy import Policy
    from billing_core.records import parse_record

    record = parse_record(
        {
            "id": "P-1",
            "owner": "U0OWNER",
            "client": {"name": "Acme", "email": "a@example.com"},
            "completed_at": "2026-11-20",
            "amount": "100.00",
        }
    )
    text = pdf_text(render_invoice_pdf(draft_invoice(record, Policy(), date(2026, 11, 25))))
    assert "Service date" in text and "Nov 20, 2026" in text
