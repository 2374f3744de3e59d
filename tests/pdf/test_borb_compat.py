"""The borb workarounds (bundled_fonts.py, writer.py): widths equal borb's, fonts and writer too."""

from __future__ import annotations

import io
import unicodedata

import pytest
from borb.pdf import PDF, Document, Page, TrueTypeFont, UsageStatistics
from borb.pdf.font.composite_font.cid_type_0_font import CIDType0Font
from fontTools.ttLib import TTFont

from billing_core.pdf.bundled_fonts import (
    BOLD_FONT_FILE,
    REGULAR_FONT_FILE,
    IndexedWidthCIDFont,
    bold_font,
    regular_font,
    unsupported_characters,
)
from billing_core.pdf.writer import (
    BORB_VERSION,
    clear_layout_caches,
    layout_cache_entries,
    write_pdf,
)

FONTS = [(REGULAR_FONT_FILE, regular_font), (BOLD_FONT_FILE, bold_font)]


def _borb_width(cid_font: CIDType0Font, text: list[tuple[int, str]], **kwargs: float) -> int:
    """borb's own implementation, called on the same font dictionary."""
    return CIDType0Font.get_width(cid_font, text, **kwargs)


def _indexed_copy(widths: list) -> IndexedWidthCIDFont:
    font = IndexedWidthCIDFont()
    font["W"] = widths
    font["DW"] = 250
    return font


def test_importing_opts_out_of_borb_usage_statistics() -> None:
    assert UsageStatistics._UsageStatistics__HAS_OPTED_IN is False


@pytest.mark.parametrize(("path", "loader"), FONTS, ids=["regular", "bold"])
def test_indexed_width_equals_borb_on_every_glyph_of_the_bundled_font(path, loader) -> None:
    descendant = loader().font["DescendantFonts"][0]
    assert isinstance(descendant, IndexedWidthCIDFont)
    glyphs = len(TTFont(path, lazy=True).getGlyphOrder())
    for cid in range(glyphs):
        for size in (1000, 9, 8.5):
            text = [(cid, "x")]
            expected = _borb_width(descendant, text, font_size=size)
            assert descendant.get_width(text, font_size=size) == expected, (cid, size)


@pytest.mark.parametrize(("path", "loader"), FONTS, ids=["regular", "bold"])
def test_indexed_width_equals_borb_on_borbs_own_width_array(path, loader) -> None:
    # The /W array exactly as borb builds it ("cid [w] cid [w] ..." for every glyph), so the
    # index is proven against borb's format as well as the compact one the module writes.
    borbs = TrueTypeFont.from_file(path)["DescendantFonts"][0]
    ours = _indexed_copy(borbs["W"])
    glyphs = len(TTFont(path, lazy=True).getGlyphOrder())
    for cid in range(glyphs):
        assert ours.get_width([(cid, "x")]) == _borb_width(borbs, [(cid, "x")]), cid


def test_indexed_width_equals_borb_on_strings_with_spacing() -> None:
    font = regular_font().font
    descendant = font["DescendantFonts"][0]
    for text in ("Müller & Søn GmbH", "Ж Ω Ł ß ø € – “quoted” …", "1.200,00\xa0€", "a  b"):
        cids = [(font.get_character_code(c), "space" if c == " " else "x") for c in text]
        for kwargs in ({}, {"character_spacing": 0.5}, {"word_spacing": 2.0, "font_size": 9.5}):
            assert descendant.get_width(cids, **kwargs) == _borb_width(descendant, cids, **kwargs)


def test_indexed_width_follows_borbs_rules_for_both_w_forms_and_overlaps() -> None:
    # Form 1 "c [w ...]" and form 2 "c_first c_last w", with an overlap: first match wins.
    widths = [0, [500, 600], 1, [999], 10, 20, 700, 15, 30, 800, 40, [300, 310, 320]]
    ours = _indexed_copy(widths)
    borbs = CIDType0Font()
    borbs["W"], borbs["DW"] = widths, 250
    for cid in [0, 1, 2, *range(9, 45)]:
        try:
            expected = _borb_width(borbs, [(cid, "x")], font_size=1000)
        except StopIteration:  # borb's crash on a cid /W does not list
            assert ours.get_width([(cid, "x")], font_size=1000) == 250
            continue
        assert ours.get_width([(cid, "x")], font_size=1000) == expected, cid


def test_a_cid_missing_from_w_gets_dw_where_borb_raises() -> None:
    descendant = regular_font().font["DescendantFonts"][0]
    with pytest.raises(StopIteration):
        _borb_width(descendant, [(-1, "x")])
    assert descendant.get_width([(-1, "x")], font_size=1000) == descendant["DW"]


@pytest.mark.parametrize(("path", "loader"), FONTS, ids=["regular", "bold"])
def test_widths_are_the_fonts_advance_widths(path, loader) -> None:
    # borb's own /W gives width 0 to every glyph whose name is not in its Adobe Glyph List.
    ttf = TTFont(path, lazy=True)
    units, hmtx = ttf["head"].unitsPerEm, ttf["hmtx"]
    embedded = loader()
    for code_point, glyph in ttf.getBestCmap().items():
        char = chr(code_point)
        if char in embedded.advances:
            assert embedded.advances[char] == round(hmtx[glyph][0] * 1000 / units), char
    assert embedded.width("«Ж»", 10) > 15


@pytest.mark.parametrize(("path", "loader"), FONTS, ids=["regular", "bold"])
def test_every_printable_character_is_encoded_as_its_own_glyph(path, loader) -> None:
    ttf = TTFont(path, lazy=True)
    gid = {glyph: n for n, glyph in enumerate(ttf.getGlyphOrder())}
    embedded = loader()
    for code_point, glyph in ttf.getBestCmap().items():
        char = chr(code_point)
        if unicodedata.category(char).startswith(("C", "Z")) and char not in " \xa0\u202f":
            continue
        assert char in embedded.advances, f"U+{code_point:04X}"
        assert embedded.font.get_character_code(char) == gid[glyph]


def test_coverage_includes_the_promised_scripts_and_symbols() -> None:
    wanted = "AzßøŁłȘșŻżΩωЖжЇїҐґ–—“”‘’„•…€£¥₽₺₹₴№"
    assert unsupported_characters(wanted) == ""
    assert unsupported_characters("漢字 😀 ש") == "漢字😀ש"


def test_fonts_load_once_per_process() -> None:
    assert regular_font() is regular_font()
    assert bold_font() is bold_font()
    assert regular_font().font is not bold_font().font


def _small_document() -> Document:
    """One page with text laid out by borb's own Chunk (which fills borb's layout caches)."""
    from borb.pdf.layout_element.text.chunk import Chunk

    document = Document()
    page = Page()
    document.append_page(page)
    chunk = Chunk("Müller & Søn – Ж Ω", font=regular_font().font, font_size=12)
    chunk.paint(available_space=(72, 700, 300, 12), page=page)
    return document


def test_text_borbs_chunk_draws_with_a_bundled_font_is_embedded_and_copyable(pdf_text) -> None:
    from billing_core.pdf.subsetting import embed_font_subsets

    document = _small_document()
    embed_font_subsets(document)
    pdf = write_pdf(document)
    clear_layout_caches()
    assert "Müller & Søn – Ж Ω" in pdf_text(pdf)
    font = document.get_page(0)["Resources"]["Font"]["F1"]
    assert "+DejaVuSans" in font["BaseFont"]
    assert "FontFile2" in font["DescendantFonts"][0]["FontDescriptor"]


def test_write_pdf_writes_what_borb_writes(make_invoice, many_lines, agency_final) -> None:
    # Two separately built, identical documents (document.py makes IDs and dates deterministic),
    # one written by each writer, so the xref numbering is compared too.
    from billing_core.pdf.document import invoice_document

    for invoice in (agency_final, make_invoice(many_lines(70))):  # one page; a 3-page draft
        ours = write_pdf(invoice_document(invoice))
        buffer = io.BytesIO()
        PDF.write(what=invoice_document(invoice), where_to=buffer)
        assert ours == buffer.getvalue()
        assert ours.startswith(b"%PDF-") and ours.rstrip().endswith(b"%%EOF")


def test_the_pinned_borb_version_is_the_installed_one_and_the_one_each_pdf_names() -> None:
    from importlib.metadata import version

    assert version("borb") == BORB_VERSION  # pyproject's pin and writer.py's constant agree
    pdf = write_pdf(_small_document())
    assert f"% version {BORB_VERSION}\n".encode() in pdf


def test_clear_layout_caches_empties_borbs_memoised_layout() -> None:
    write_pdf(_small_document())
    assert layout_cache_entries() > 0
    clear_layout_caches()
    assert layout_cache_entries() == 0


@pytest.mark.parametrize(("path", "loader"), FONTS, ids=["regular", "bold"])
def test_metrics_read_from_the_tables_match_what_borb_measures_by_drawing(path, loader) -> None:
    # borb draws every glyph through a bounds pen for the bounding box (most of its 345 ms per
    # process); the `head` table holds the same box, and glyph "H" its cap height.
    theirs = TrueTypeFont.from_file(path)["DescendantFonts"][0]["FontDescriptor"]
    ours = loader().font["DescendantFonts"][0]["FontDescriptor"]
    for mine, borbs in zip(ours["FontBBox"], theirs["FontBBox"], strict=True):
        assert abs(mine - borbs) <= 0.5
    assert abs(ours["Ascent"] - theirs["Ascent"]) <= 0.5
    assert abs(ours["Descent"] - theirs["Descent"]) <= 0.5
    units = TTFont(path, lazy=True)["head"].unitsPerEm
    assert ours["CapHeight"] == round(theirs["CapHeight"] * 1000 / units)  # borb: font units
