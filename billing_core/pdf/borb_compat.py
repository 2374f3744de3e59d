"""Everything billing_core needs from borb 3.0.9, and every workaround for it, in one module.

borb is pinned (pyproject.toml) because this module reaches into its internals. What it
provides, each for a reason found by reading borb's source:

- No telemetry. borb's `UsageStatistics` posts to an AWS endpoint from `PDF.read`/`PDF.write`,
  flushes at process exit (atexit) and replaces the SIGINT/SIGTERM handlers on first use.
  Importing this module opts out, and `write_pdf` never calls `PDF.write`, so the statistics
  code is not even reached (it would also print a licence reminder to stdout every 64
  documents). Other borb code that reaches the network, none of which billing_core uses:
  `Image(<str>)` (fetches the string as a URL: pass bytes or a Path), `GoogleTrueTypeFont`,
  `Unsplash`, `DallE`, `Lipsum`'s Markov model.
- The bundled fonts, loaded once per process (`regular_font()`, `bold_font()`), with
  * a correct /W width array: borb gives width 0 to every glyph whose name is not in its
    Adobe Glyph List (637 of the 1074 glyphs of our subset, « » and Ж among them), so text
    would overlap;
  * an indexed width lookup (`IndexedWidthCIDFont`): borb scans the whole /W array for every
    new character of every measured string (with the whole of DejaVu Sans embedded, a 10-line
    invoice took 4.7 s), and raises StopIteration for a glyph /W does not list.
- `write_pdf(document)`: borb's writer, byte for byte, minus its quadratic steps: it appends
  to an immutable bytes object, scans the xref list for every object it numbers and for every
  object it writes, and offers each of the thousands of numbers in /W to twenty visitors.
  (A 10-line invoice: 8 ms to write instead of 37.)
- `clear_layout_caches()`: borb memoises layout results with `functools.cache` on methods, which
  keeps every element of every document alive for the life of the process.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import borb.pdf
from borb.pdf import Document, TrueTypeFont, UsageStatistics
from borb.pdf.font.composite_font.cid_type_0_font import CIDType0Font
from borb.pdf.font.font import Font
from borb.pdf.primitives import name, reference
from borb.pdf.visitor.write_new.build_xref_visitor import BuildXRefVisitor
from borb.pdf.visitor.write_new.facade_visitor import FacadeVisitor

# At import, before anything can render: nothing in this process may post statistics.
UsageStatistics.opt_out()

BORB_VERSION = "3.0.9"
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


class IndexedWidthCIDFont(CIDType0Font):
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

    def get_width(  # type: ignore[override]
        self,
        text: list[tuple[int, str]],
        character_spacing: float = 0,
        font_size: float = 12,
        word_spacing: float = 0,
    ) -> int:
        """Width in points of `text` (pairs of cid and glyph name), rounded up like borb."""
        if "W" not in self:
            return self.get("DW", 1000)
        if not text:
            return 0
        index = self._width_index()
        default = self.get("DW", 1000)
        # Same float operations in the same order as borb, so math.ceil agrees to the point.
        cid_widths = [index.lookup(cid, default) / 1000 for cid, _ in text]
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


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


class _LinearXRefVisitor(BuildXRefVisitor):
    """borb's xref builder, same object numbers, without its two list scans per node."""

    @staticmethod
    def _BuildXRefVisitor__build_xref(document: Document) -> list[reference]:
        # The traversal of BuildXRefVisitor.__build_xref, step for step; borb asks
        # "already numbered?" and "highest number?" by scanning the xref list every time.
        is_direct = BuildXRefVisitor._BuildXRefVisitor__is_direct_object
        id_to_parent: dict[int, Any] = {}
        xref: list[reference] = []
        numbered: set[int] = set()
        stack: list[Any] = [document]
        while stack:
            node = stack.pop()
            parent = id_to_parent.get(id(node))
            if id(node) in numbered:
                continue
            if isinstance(node, dict):
                for key in sorted(node.keys()):
                    value = node[key]
                    id_to_parent[id(value)] = node
                    stack.append(value)
            if isinstance(node, list):
                for value in node:
                    id_to_parent[id(value)] = node
                    stack.append(value)
            if is_direct(node, parent):
                continue
            if (
                isinstance(parent, dict)
                and parent.get("XRef") is not None
                and parent["XRef"] == node
            ):
                continue
            if isinstance(node, (list, dict)):
                xref.append(
                    reference(
                        object_nr=len(xref) + 1,
                        generation_nr=0,
                        id=id(node),
                        referenced_object=node,
                    )
                )
                numbered.add(id(node))
        return xref


class _Writer(FacadeVisitor):
    """borb's writer, same output, without its quadratic steps."""

    def __init__(self) -> None:
        super().__init__()
        # borb appends with `bytes += bytes`, copying the whole file on every token.
        self._FacadeVisitor__destination = bytearray()
        visitors = self._FacadeVisitor__visitors
        for n, visitor in enumerate(visitors):
            if type(visitor) is BuildXRefVisitor:
                visitors[n] = _LinearXRefVisitor(root=self)
        self._xref: Any = None
        self._xref_len = -1
        self._by_id: dict[int, Any] = {}

    def visit(self, node: Any) -> bool:
        # Numbers are most of the nodes (the fonts' /W arrays); borb offers each to twenty
        # visitors in turn. Same text as its IntVisitor / FloatVisitor.
        kind = type(node)
        if kind is int:
            self._append_bytes(str(node).encode("latin1"))
            return True
        if kind is float:
            self._append_bytes(str(round(node, 7)).encode("latin1"))
            return True
        return super().visit(node)

    def get_reference(self, node: Any) -> Any:
        # borb scans the whole xref list for every object it writes; index it once built.
        document = self._FacadeVisitor__document
        if document is None:
            return node
        xref = document.get("XRef", [])
        if xref is not self._xref or len(xref) != self._xref_len:
            self._xref, self._xref_len = xref, len(xref)
            self._by_id = {}
            for entry in xref:
                if isinstance(entry, reference):
                    self._by_id.setdefault(id(entry.get_referenced_object()), entry)
        return self._by_id.get(id(node), node)


def write_pdf(document: Document) -> bytes:
    """Serialise `document` to PDF bytes, like `PDF.write` minus its usage statistics."""
    writer = _Writer()
    writer.visit(node=document)
    return bytes(writer.bytes())


# ---------------------------------------------------------------------------------------------
# Layout caches
# ---------------------------------------------------------------------------------------------


def _cached_methods() -> list[Any]:
    """Every functools.cache'd function on the classes borb.pdf exports (and their bases)."""
    found: dict[int, Any] = {}
    for exported in vars(borb.pdf).values():
        if isinstance(exported, type):
            for klass in exported.__mro__:
                for attribute in vars(klass).values():
                    if hasattr(attribute, "cache_clear") and hasattr(attribute, "cache_info"):
                        found.setdefault(id(attribute), attribute)
    return list(found.values())


_CACHED_METHODS = _cached_methods()


def clear_layout_caches() -> None:
    """Drop borb's memoised layout results (they hold every element ever laid out)."""
    for method in _CACHED_METHODS:
        method.cache_clear()


def layout_cache_entries() -> int:
    """How many results borb's layout caches hold right now (for tests and the benchmark)."""
    return sum(method.cache_info().currsize for method in _CACHED_METHODS)
