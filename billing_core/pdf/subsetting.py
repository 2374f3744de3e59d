"""Fonts embedded per document: only the glyphs its pages show, still copyable as text.

A document is drawn with the process-wide fonts of bundled_fonts.py, which carry no font
program. `embed_font_subsets(document)` then gives the document its own copy of each bundled
font it uses, with
* a font program cut down to the glyphs its pages show, by fontTools' subsetter (the library
  PDF and web-font tools use; a TrueType subset must keep the glyphs that composite glyphs
  are built of, and fix up loca, maxp and hmtx: not something to write ourselves). Glyph ids
  are kept (`retain_gids`), so the content streams borb wrote stay valid as they are; the
  dropped glyphs cost 2 bytes of loca and 4 of hmtx each, which compress to almost nothing;
* /W listing the widths of those glyphs only;
* a /ToUnicode map of those glyphs only, so text copied or searched in a viewer comes out
  as the characters that were drawn.
Measured on a 10-line invoice: 104 KB with both whole bundled fonts, 22 KB with subsets.

The glyphs are read back from the page content streams (`/F1 9 Tf ... <00240025> Tj`, or
borb's Chunk's `[<0024><0025>] TJ`), so whatever drew the text, every glyph shown is embedded.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from typing import Any

from borb.pdf import Document
from borb.pdf.primitives import name, stream

from billing_core.pdf.bundled_fonts import EmbeddedFont, bundled_fonts

# A font selection, or a text-showing operator with hex strings of 4-digit glyph ids
# (Identity-H): `<00240025> Tj` as canvas.py writes, `[<0024><0025>] TJ` as borb's Chunk does.
_TEXT_OPERATOR = re.compile(
    rb"/([^\s/\[\]<>()]+)\s+[-+.\d]+\s+Tf"
    rb"|(\[(?:\s*<[0-9A-Fa-f]*>)*\s*\]\s*TJ|<[0-9A-Fa-f]*>\s*Tj)"
)
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")


def embed_font_subsets(document: Document) -> None:
    """Replace every bundled font on the document's pages by a subset embedded for it.

    Pages drawing with the same bundled font share one subset of it. Fonts that are not
    bundled ones are left as they are. Deterministic: the same pages give the same bytes.
    """
    bundled = {id(font.font): font for font in bundled_fonts()}
    pages = [document.get_page(i) for i in range(document.get_number_of_pages())]
    used: dict[int, set[int]] = {}
    for page in pages:
        fonts = page.get("Resources", {}).get("Font", {})
        for label, gids in _glyphs_by_font(page).items():
            font = fonts.get(label) if isinstance(label, str) else None
            if font is not None and id(font) in bundled:
                used.setdefault(id(font), set()).update(gids)
    subsets = {key: subset_font(bundled[key], gids) for key, gids in used.items()}
    for page in pages:
        fonts = page.get("Resources", {}).get("Font", {})
        for label, font in list(fonts.items()):
            if id(font) in subsets:
                fonts[label] = subsets[id(font)]


def _glyphs_by_font(page: Any) -> dict[str, set[int]]:
    """Resource name of each font the page's content selects -> glyph ids it shows in it."""
    contents = page.get("Contents")
    streams = contents if isinstance(contents, list) else [contents]
    found: dict[str, set[int]] = {}
    current: str | None = None
    for content in streams:
        if not isinstance(content, stream):
            continue
        for match in _TEXT_OPERATOR.finditer(content.get("DecodedBytes", b"")):
            if match[1] is not None:
                current = match[1].decode("latin1")
            elif current is not None:
                gids = found.setdefault(current, set())
                for hex_string in _HEX.findall(match[2]):
                    gids.update(
                        int(hex_string[i : i + 4], 16) for i in range(0, len(hex_string), 4)
                    )
    return found


def subset_font(font: EmbeddedFont, gids: set[int]) -> dict[str, Any]:
    """A Type 0 font dictionary embedding `font` cut down to `gids` (glyph 0, .notdef, is
    always kept: viewers draw it for a code the font lacks)."""
    gids = {0, *(g for g in gids if 0 <= g < len(font.widths))}
    ordered = sorted(gids)
    # PDF 32000-1 9.6.4: a subset's name is a tag of six capital letters, "+", the font's
    # name; the tag differs between different subsets (here: derived from the glyph ids).
    digest = hashlib.sha256(repr((font.postscript_name, ordered)).encode()).digest()
    base_font = name("".join(chr(65 + b % 26) for b in digest[:6]) + "+" + font.postscript_name)

    program = _font_program(font, ordered)
    font_file = stream()
    font_file[name("DecodedBytes")] = program
    font_file[name("Bytes")] = zlib.compress(program, 9)
    font_file[name("Filter")] = name("FlateDecode")
    font_file[name("Length")] = len(font_file["Bytes"])
    font_file[name("Length1")] = len(program)

    descriptor = {name(k): v for k, v in font.descriptor.items()}
    descriptor[name("FontName")] = base_font
    descriptor[name("FontFile2")] = font_file
    cid_font = {
        name("Type"): name("Font"),
        name("Subtype"): name("CIDFontType2"),
        name("BaseFont"): base_font,
        name("CIDSystemInfo"): {
            name("Registry"): "Adobe",
            name("Ordering"): "Identity",
            name("Supplement"): 0,
        },
        name("CIDToGIDMap"): name("Identity"),
        name("FontDescriptor"): descriptor,
        name("W"): _width_runs(font, ordered),
    }
    return {
        name("Type"): name("Font"),
        name("Subtype"): name("Type0"),
        name("BaseFont"): base_font,
        name("Encoding"): name("Identity-H"),
        name("DescendantFonts"): [cid_font],
        name("ToUnicode"): _to_unicode(font, ordered),
    }


def _font_program(font: EmbeddedFont, gids: list[int]) -> bytes:
    """The TrueType file with only `gids` (and the glyphs they are composed of) kept."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = True  # CIDs in the content streams are glyph ids of the whole font
    # The bundled fonts carry no hinting (make_subset.py strips it). "Keep hinting" and no
    # recalculated bounding boxes let fontTools copy each kept glyph's bytes as they are
    # instead of decoding and re-encoding its outline: 4.5 ms per font instead of 20. The
    # whole font's bounding box and maxp limits stay, still true of the subset.
    options.hinting = True
    options.layout_features = []  # borb does no shaping or kerning
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "MATH", "gasp"]
    options.glyph_names = False
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # the copyright and licence records stay
    options.recalc_timestamp = False  # same glyphs, same bytes
    ttf = TTFont(io.BytesIO(font.file_bytes), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    ttf.setGlyphOrder(list(font.glyph_order))  # as loaded once; saves naming 1,000 glyphs
    subsetter = subset.Subsetter(options)
    unicodes = [ord(font.glyph_chars[g]) for g in gids if g in font.glyph_chars]
    subsetter.populate(gids=gids, unicodes=unicodes)
    subsetter.subset(ttf)
    out = io.BytesIO()
    ttf.save(out)
    return out.getvalue()


def _width_runs(font: EmbeddedFont, gids: list[int]) -> list[Any]:
    """/W in its "c [w1 w2 ...]" form, one run per stretch of consecutive glyph ids."""
    runs: list[Any] = []
    for gid in gids:
        if runs and runs[-2] + len(runs[-1]) == gid:
            runs[-1].append(font.widths[gid])
        else:
            runs += [gid, [font.widths[gid]]]
    return runs


def _to_unicode(font: EmbeddedFont, gids: list[int]) -> stream:
    """A ToUnicode CMap (PDF 32000-1 9.10.3) for `gids`, in UTF-16BE, 100 entries a block."""
    pairs = [
        f"<{gid:04X}> <{font.glyph_chars[gid].encode('utf-16-be').hex().upper()}>"
        for gid in gids
        if gid in font.glyph_chars
    ]
    blocks = "".join(
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n"
        for chunk in (pairs[i : i + 100] for i in range(0, len(pairs), 100))
    )
    text = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + blocks
        + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    cmap = stream()
    data = text.encode("ascii")
    cmap[name("DecodedBytes")] = data
    cmap[name("Bytes")] = zlib.compress(data, 9)
    cmap[name("Filter")] = name("FlateDecode")
    cmap[name("Length")] = len(cmap["Bytes"])
    return cmap
