"""The bundled fonts as borb fonts: loaded once per process from the font's own tables.

DejaVu Sans subsets (fonts/, made by fonts/make_subset.py), loaded once per process
(`regular_font()`, `bold_font()`) in a few milliseconds:
* metrics straight from the font's tables with fontTools (advance widths from `hmtx`, the
  bounding box from `head`, ascent and descent from `hhea`, the cap height from the header of
  glyph "H"), where borb's `TrueTypeFont.from_file` parses the file twice and draws every
  glyph through a bounds pen (345 ms per process, three quarters of it drawing);
* text encoded through the font's cmap (character -> glyph id, which is the CID under the
  Identity CIDToGIDMap), where borb goes through glyph names and its Adobe Glyph List and
  gives width 0 to the 637 of our 1074 glyphs that list does not name (« » and Ж among them);
* an indexed width lookup (`IndexedWidthCIDFont`): borb scans the whole /W array for every
  new character of every measured string, and raises StopIteration for a glyph /W lacks.

These process-wide fonts are what borb draws with; they carry no font program. What a PDF
embeds is made per document by subsetting.py: only the glyphs its pages show.

What the fonts can print is decided here too (`unsupported_characters`), from their cmap.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from borb.pdf.font.composite_font.cid_type_0_font import CIDType0Font
from borb.pdf.font.composite_font.composite_font import CompositeFont
from borb.pdf.primitives import name

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT_FILE = FONT_DIR / "DejaVuSans-Subset.ttf"
BOLD_FONT_FILE = FONT_DIR / "DejaVuSans-Bold-Subset.ttf"

# ---------------------------------------------------------------------------------------------
# Width lookup
# ---------------------------------------------------------------------------------------------


class _WidthIndex:
    """borb's /W matching rules, evaluated once: cid -> width, first matching entry wins.

    borb accepts both /W forms of PDF 32000-1 9.7.4.3 and scans for them with these exact
    predicates, so the index does the same scan once instead of once per character.
    """

    def __init__(self, widths: list[Any]) -> None:
        self.source = widths
        self.source_len = len(widths)
        # Form 1, "c [w1 w2 ...]": expanded, bounded by the total length of the arrays.
        self.by_cid: dict[int, Any] = {}
        # Form 2, "c_first c_last w": kept as ranges (they may span 65536 cids), tried in order.
        self.ranges: list[tuple[Any, Any, Any]] = []
        n = len(widths)
        for i in range(n):
            start = widths[i]
            if not isinstance(start, int):
                continue
            if i + 1 < n and isinstance(widths[i + 1], list):
                for offset, width in enumerate(widths[i + 1]):
                    self.by_cid.setdefault(start + offset, width)
            if (
                i + 2 < n
                and isinstance(widths[i + 1], (float, int))
                and isinstance(widths[i + 2], (float, int))
            ):
                self.ranges.append((start, widths[i + 1], widths[i + 2]))
        self._memo: dict[int, Any] = {}

    def lookup(self, cid: int, default: Any) -> Any:
        width = self.by_cid.get(cid)
        if width is not None:
            return width
        width = self._memo.get(cid)
        if width is None:
            width = next((w for lo, hi, w in self.ranges if lo <= cid <= hi), default)
            self._memo[cid] = width
        return width


class IndexedWidthCIDFont(CIDType0Font):  # type: ignore[misc]  # borb ships no types
    """borb's CIDFont (the descendant of a Type0 font) with an indexed /W lookup.

    `get_width` returns exactly what `CIDType0Font.get_width` returns (tests/pdf check every
    glyph of the bundled fonts), with two deliberate differences: a cid that /W does not list
    gets /DW, as the PDF spec says (borb raises StopIteration), and empty text is 0 wide
    (borb raises IndexError).
    """

    _index: _WidthIndex | None = None

    def _width_index(self) -> _WidthIndex:
        widths = self["W"]
        index = self._index
        # Rebuilt if /W is replaced or grows; /W is not edited in place after loading.
        if index is None or index.source is not widths or index.source_len != len(widths):
            index = _WidthIndex(widths)
            self._index = index
        return index

    def get_width(
        self,
        text: list[tuple[int, str]],
        character_spacing: float = 0,
        font_size: float = 12,
        word_spacing: float = 0,
    ) -> int:
        """Width in points of `text` (pairs of cid and glyph name), rounded up like borb."""
        if "W" not in self:
            return cast(int, self.get("DW", 1000))
        if not text:
            return 0
        index = self._width_index()
        default = self.get("DW", 1000)
        # Same float operations in the same order as borb, so math.ceil agrees to the point.
        cid_widths: list[float] = [index.lookup(cid, default) / 1000 for cid, _ in text]
        cid_widths = [w + character_spacing for w in cid_widths]
        cid_widths[-1] -= character_spacing
        cid_widths = [
            (cid_widths[i] + word_spacing) if text[i][1] == "space" else cid_widths[i]
            for i in range(len(text))
        ]
        return math.ceil(sum(cid_widths) * font_size)


# ---------------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------------


class BundledType0Font(CompositeFont):  # type: ignore[misc]  # borb ships no types
    """borb's Type 0 font (Identity-H), encoding a character as the glyph the cmap names.

    borb's `Chunk` asks the font for each character's code; borb's own answer comes from the
    reverse of a ToUnicode map it built from glyph names. Ours is the font's cmap, read once.
    """

    def __init__(self, codes: dict[str, int]) -> None:
        super().__init__()
        self._codes = codes

    def get_character_code(self, character: str) -> int:
        """The glyph id (= CID) of `character`, -1 if the font has none (borb's convention)."""
        return self._codes.get(character, -1)


@dataclass(frozen=True, eq=False)
class EmbeddedFont:
    """One bundled font: the borb Font object to draw with, what it can show, and what a
    document needs to embed a subset of it (subsetting.py).

    `advances`: for every character the font can print, its advance width in 1/1000 em, the
    same numbers as the /W array borb measures with, so wrapping computed here and borb's own
    layout agree. `codes`: character -> glyph id. `glyph_chars`: glyph id -> the character a
    reader gets back when copying it (the lowest code point the cmap maps to that glyph).
    `widths`: advance width of every glyph id, 1/1000 em. `descriptor`: the PDF font
    descriptor's metrics (PDF 32000-1 9.8), without the font program. `file_bytes`: the
    bundled TrueType file; `glyph_order`: its glyph names by id (fontTools would otherwise
    derive them from the cmap again for every subset).
    """

    font: BundledType0Font
    advances: dict[str, float]
    path: Path
    postscript_name: str
    codes: dict[str, int]
    glyph_chars: dict[int, str]
    widths: list[int]
    descriptor: dict[str, Any]
    file_bytes: bytes
    glyph_order: tuple[str, ...]

    def width(self, text: str, size: float) -> float:
        """Width in points of `text` at `size`. Every character must be covered."""
        advances = self.advances
        return sum(advances[c] for c in text) * size / 1000

    def missing(self, text: str) -> str:
        """The characters of `text` this font cannot print, each once, in order of appearance."""
        advances = self.advances
        return "".join(dict.fromkeys(c for c in text if c not in advances))


# Characters no font should draw: controls, bidi marks, soft hyphen, unassigned, separators.
_NOT_PRINTED = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _load(path: Path, *, bold: bool) -> EmbeddedFont:
    """Read the tables borb needs (cmap, hmtx, head, hhea, post, name, one glyph header) and
    build the drawing font; fontTools parses a table only when it is first asked for."""
    from fontTools.ttLib import TTFont

    file_bytes = path.read_bytes()
    ttf = TTFont(path, lazy=True)
    units: int = ttf["head"].unitsPerEm

    def per_mille(value: float) -> int:
        return round(value * 1000 / units)

    glyph_order = ttf.getGlyphOrder()
    hmtx = ttf["hmtx"]
    # Whole units of 1/1000 em (what most PDF producers write; 1/2000 em is far below
    # anything visible).
    widths = [per_mille(hmtx[g][0]) for g in glyph_order]
    gid = {glyph: i for i, glyph in enumerate(glyph_order)}
    codes: dict[str, int] = {}
    glyph_chars: dict[int, str] = {}
    for code_point, glyph in sorted(ttf.getBestCmap().items()):
        char = chr(code_point)
        if unicodedata.category(char) in _NOT_PRINTED:
            continue
        codes[char] = gid[glyph]
        glyph_chars.setdefault(gid[glyph], char)

    # The PostScript name (name ID 6), kept to what a PDF name may hold unescaped.
    postscript = ttf["name"].getDebugName(6) or path.stem
    postscript_name = "".join(c for c in postscript if (c.isascii() and c.isalnum()) or c in "-_")
    head, hhea = ttf["head"], ttf["hhea"]
    os2 = ttf["OS/2"]
    # OS/2 has sCapHeight from version 2 on; ours is version 1, so the top of "H" it is.
    cap_height = getattr(os2, "sCapHeight", 0) or ttf["glyf"]["H"].yMax
    descriptor: dict[str, Any] = {
        "Ascent": per_mille(hhea.ascent),
        "Descent": per_mille(hhea.descent),
        "CapHeight": per_mille(cap_height),
        "Flags": 4,  # symbolic: glyphs outside the standard Latin set (as borb writes)
        "FontBBox": [per_mille(v) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "FontStretch": name("Normal"),
        "FontWeight": 700 if bold else 400,
        "ItalicAngle": ttf["post"].italicAngle,
        "StemV": 120 if bold else 80,  # not in a TrueType font; the usual estimate
        "Type": name("FontDescriptor"),
    }

    font = BundledType0Font(codes)
    font[name("BaseFont")] = name(postscript_name)
    font[name("Subtype")] = name("Type0")
    font[name("Encoding")] = name("Identity-H")
    cid_font = IndexedWidthCIDFont()
    cid_font[name("Type")] = name("Font")
    cid_font[name("Subtype")] = name("CIDFontType2")
    cid_font[name("BaseFont")] = name(postscript_name)
    cid_font[name("CIDSystemInfo")] = {
        name("Registry"): "Adobe",
        name("Ordering"): "Identity",
        name("Supplement"): 0,
    }
    cid_font[name("CIDToGIDMap")] = name("Identity")
    cid_font[name("DW")] = 1000
    cid_font[name("W")] = [0, widths]
    cid_font[name("FontDescriptor")] = {
        name(k): v for k, v in {**descriptor, "FontName": name(postscript_name)}.items()
    }
    font[name("DescendantFonts")] = [cid_font]
    advances = {char: float(widths[g]) for char, g in codes.items()}
    return EmbeddedFont(
        font=font,
        advances=advances,
        path=path,
        postscript_name=postscript_name,
        codes=codes,
        glyph_chars=glyph_chars,
        widths=widths,
        descriptor=descriptor,
        file_bytes=file_bytes,
        glyph_order=tuple(glyph_order),
    )


_lock = threading.Lock()
_loaded: tuple[EmbeddedFont, EmbeddedFont] | None = None


def _fonts() -> tuple[EmbeddedFont, EmbeddedFont]:
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = (_load(REGULAR_FONT_FILE, bold=False), _load(BOLD_FONT_FILE, bold=True))
    return _loaded


def regular_font() -> EmbeddedFont:
    """The bundled regular weight, loaded on first use and shared for the process's life."""
    return _fonts()[0]


def bold_font() -> EmbeddedFont:
    """The bundled bold weight, loaded on first use and shared for the process's life."""
    return _fonts()[1]


def bundled_fonts() -> tuple[EmbeddedFont, EmbeddedFont]:
    """Both weights (regular, bold), loaded on first use."""
    return _fonts()


def preload() -> None:
    """Load both fonts now (a worker's initializer calls this so its first render is fast)."""
    _fonts()


def unsupported_characters(text: str) -> str:
    """Characters of `text` (after NFC) that one of the bundled weights cannot print."""
    text = unicodedata.normalize("NFC", text)
    regular, bold = regular_font(), bold_font()
    return "".join(dict.fromkeys(regular.missing(text) + bold.missing(text)))
