"""Each PDF embeds only the glyphs it shows, and what a reader copies is still what was drawn."""

from __future__ import annotations

import io
import unicodedata
import zlib

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from billing_core.pdf import render_invoice_pdf
from billing_core.pdf.bundled_fonts import REGULAR_FONT_FILE, bold_font, regular_font
from tests.requirements import require_tools


def _embedded_fonts(pdf: bytes) -> dict[str, TTFont]:
    """BaseFont -> the TrueType program embedded for it, as fontTools reads it."""
    fonts: dict[str, TTFont] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = descriptor["/FontFile2"].get_object().get_data()
            fonts[str(font["/BaseFont"])] = TTFont(io.BytesIO(program))
    return fonts


def _outlined_glyphs(font: TTFont) -> int:
    glyf = font["glyf"]
    return sum(1 for g in font.getGlyphOrder() if glyf[g].numberOfContours != 0)


def test_each_font_embeds_the_glyphs_the_pages_show_and_no_others(
    agency_final, make_invoice, many_lines, pdf_text
) -> None:
    for invoice in (agency_final, make_invoice(many_lines(300), number="INV-2026-0300")):
        pdf = render_invoice_pdf(invoice)
        shown = {c for c in pdf_text(pdf) if not c.isspace()}
        fonts = _embedded_fonts(pdf)
        assert len(fonts) == 2  # regular and bold, one subset each however many pages
        covered: set[str] = set()
        for base_font, font in fonts.items():
            characters = {chr(cp) for cp in font.getBestCmap()}
            assert characters - {" ", "\xa0", "\u202f"} <= shown, base_font
            covered |= characters
            # Whole bundled font: 1,000+ outlines. Accented letters are composites, so a shown
            # character may bring its base letter and accent along.
            assert _outlined_glyphs(font) <= 2 * len(characters) + 1, base_font
        assert shown <= covered


def test_a_ten_line_invoice_embeds_under_a_fifth_of_each_bundled_font(agency_final) -> None:
    pdf = render_invoice_pdf(agency_final)
    # What the whole bundled font takes in a PDF: its file, deflated as borb embedded it.
    whole = len(zlib.compress(REGULAR_FONT_FILE.read_bytes(), 9))
    reader = PdfReader(io.BytesIO(pdf))
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        program = descriptor["/FontFile2"].get_object().get_data()
        assert len(zlib.compress(program, 9)) < whole / 5, font["/BaseFont"]
    assert len(pdf) < 30_000


def _printable_in_both_weights() -> list[str]:
    """Every character both bundled weights can print that text extraction gives back as
    itself: no spaces or marks, and unchanged by NFC (the renderer composes text first)."""
    regular, bold = regular_font(), bold_font()
    return [
        c
        for c in sorted(regular.advances)
        if c in bold.advances
        and not unicodedata.category(c).startswith(("Z", "M"))
        and unicodedata.normalize("NFC", c) == c
    ]


def test_every_printable_character_is_copied_out_as_itself(make_invoice, pdf_words) -> None:
    require_tools("pdftotext", why="reads words with pdftotext -bbox (poppler-utils)")
    # The ToUnicode map of a subset is made per document; a wrong or missing entry would turn
    # copied or searched text into other characters or nothing. Five-character words are
    # never wrapped, so each must come back whole.
    characters = _printable_in_both_weights()
    assert len(characters) > 900
    words = ["".join(characters[i : i + 5]) for i in range(0, len(characters), 5)]
    lines = [(" ".join(words[i : i + 12]), "1", "1.00", "19") for i in range(0, len(words), 12)]
    pdf = render_invoice_pdf(make_invoice(lines, number="A-1"))
    extracted = {w.text for w in pdf_words(pdf)}
    missing = [w for w in words if w not in extracted]
    assert missing == []
