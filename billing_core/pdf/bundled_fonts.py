"""The bundled fonts as borb fonts: loaded once per process, measured right, and quickly.

DejaVu Sans subsets (fonts/, made by fonts/make_subset.py), loaded once per process
(`regular_font()`, `bold_font()`), with
* a correct /W width array: borb gives width 0 to every glyph whose name is not in its
  Adobe Glyph List (637 of the 1074 glyphs of our subset, « » and Ж among them), so text
  would overlap;
* an indexed width lookup (`IndexedWidthCIDFont`): borb scans the whole /W array for every
  new character of every measured string (with the whole of DejaVu Sans embedded, a 10-line
  invoice took 4.7 s), and raises StopIteration for a glyph /W does not list.

What the fonts can print is decided here too (`unsupported_characters`), from their cmap.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from borb.pdf import TrueTypeFont
from borb.pdf.font.composite_font.cid_type_0_font import CIDType0Font
from borb.pdf.font.font import Font
from borb.pdf.primitives import name

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT_FILE = FONT_DIR / "DejaVuSans-Subset.ttf"
BOLD_FONT_FILE = FONT_DIR / "DejaVuSans-Bold-Subset.ttf"

# PDF 32000-1 9.6.4: an embedded subset's name starts with six capital letters and "+".
_SUBSET_TAG = "INVSUB+"

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


@dataclass(frozen=True, eq=False)
class EmbeddedFont:
    """One bundled font: the borb Font object to draw with, and what it can show.

    `advances` holds, for every character the font can print, its advance width in 1/1000 em,
    taken from the same /W array borb measures with, so wrapping computed here and borb's
    own layout agree.
    """

    font: Font
    advances: dict[str, float]
    path: Path

    def width(self, text: str, size: float) -> float:
        """Width in points of `text` at `size`. Every character must be covered."""
        advances = self.advances
        return sum(advances[c] for c in text) * size / 1000

    def missing(self, text: str) -> str:
        """The characters of `text` this font cannot print, each once, in order of appearance."""
        advances = self.advances
        return "".join(dict.fromkeys(c for c in text if c not in advances))


def _load(path: Path, *, bold: bool) -> EmbeddedFont:
    from fontTools.ttLib import TTFont

    font = TrueTypeFont.from_file(path)
    descendant = font["DescendantFonts"][0]
    indexed = IndexedWidthCIDFont()
    indexed.update(descendant)
    font["DescendantFonts"][0] = indexed

    ttf = TTFont(path, lazy=True)
    units_per_em = ttf["head"].unitsPerEm
    hmtx = ttf["hmtx"]
    glyph_order = ttf.getGlyphOrder()
    # Identity CIDToGIDMap: cid == glyph id. One "0 [w0 w1 ...]" run, whole units (what most
    # PDF producers write; 1/2000 em is far below anything visible).
    indexed[name("W")] = [0, [round(hmtx[g][0] * 1000 / units_per_em) for g in glyph_order]]

    base = name(_SUBSET_TAG + str(font["BaseFont"]))
    font[name("BaseFont")] = base
    indexed[name("BaseFont")] = base
    descriptor = indexed["FontDescriptor"]
    descriptor[name("FontName")] = base
    # borb stores the cap height in font units (1493); the descriptor wants 1/1000 em.
    cap_height = getattr(ttf["OS/2"], "sCapHeight", 0)
    if cap_height:
        descriptor[name("CapHeight")] = round(cap_height * 1000 / units_per_em)
    if bold:
        descriptor[name("FontWeight")] = 700

    # Only characters borb will encode to the glyph the font's cmap names are printable:
    # borb encodes text through the reverse of its ToUnicode map, built from glyph names.
    index = indexed._width_index()
    gid = {glyph: i for i, glyph in enumerate(glyph_order)}
    advances: dict[str, float] = {}
    for code_point, glyph in ttf.getBestCmap().items():
        char = chr(code_point)
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue  # controls, bidi marks, soft hyphen: not something to print
        if font.get_character_code(char) != gid[glyph]:
            continue
        advances[char] = float(index.lookup(gid[glyph], 0))
    return EmbeddedFont(font=font, advances=advances, path=path)


_lock = threading.Lock()
_loaded: tuple[EmbeddedFont, EmbeddedFont] | None = None


def _fonts() -> tuple[EmbeddedFont, EmbeddedFont]:
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                regular = _load(REGULAR_FONT_FILE, bold=False)
                bold = _load(BOLD_FONT_FILE, bold=True)
                # Both subsets have the same glyph order, so the same ToUnicode map: one
                # object, written once per PDF instead of twice (4.5 KB).
                same = regular.font["ToUnicode"]["DecodedBytes"]
                if bold.font["ToUnicode"]["DecodedBytes"] == same:
                    bold.font[name("ToUnicode")] = regular.font["ToUnicode"]
                _loaded = (regular, bold)
    return _loaded


def regular_font() -> EmbeddedFont:
    """The bundled regular weight, loaded on first use and shared for the process's life."""
    return _fonts()[0]


def bold_font() -> EmbeddedFont:
    """The bundled bold weight, loaded on first use and shared for the process's life."""
    return _fonts()[1]


def preload() -> None:
    """Load both fonts now (a worker's initializer calls this so its first render is fast)."""
    _fonts()


def unsupported_characters(text: str) -> str:
    """Characters of `text` (after NFC) that one of the bundled weights cannot print."""
    text = unicodedata.normalize("NFC", text)
    regular, bold = regular_font(), bold_font()
    return "".join(dict.fromkeys(regular.missing(text) + bold.missing(text)))
