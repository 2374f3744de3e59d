"""Everything billing_core needs from borb 3.0.9, and where each workaround for it lives.

borb is pinned (pyproject.toml) because the pdf package reaches into its internals, each time
for a reason found by reading borb's source:

- bundled_fonts.py: the bundled fonts, loaded once per process from the font's tables (borb's
  `TrueTypeFont.from_file` draws every glyph to find a bounding box), encoding through the
  font's cmap, with a correct /W width array (borb's gives width 0 to most of our glyphs) and
  an indexed width lookup (borb's scans the whole /W array for every new character of every
  measured string).
- subsetting.py: each document embeds its own subset of each font, only the glyphs its pages
  show, with /W and /ToUnicode to match (borb embeds the whole font file in every PDF).
- writer.py: no telemetry (importing it opts out of borb's `UsageStatistics`, and `write_pdf`
  never calls `PDF.write`); `write_pdf`, borb's writer byte for byte minus its quadratic
  steps; `clear_layout_caches`, because borb memoises layout for the life of the process.

Code outside the pdf package uses these through this module (`preload()` when a process
starts, the layout-cache helpers in the benchmark); the pdf package imports them from the
modules that define them.
"""

from billing_core.pdf.bundled_fonts import preload, unsupported_characters
from billing_core.pdf.writer import (
    BORB_VERSION,
    clear_layout_caches,
    layout_cache_entries,
    write_pdf,
)

__all__ = [
    "BORB_VERSION",
    "clear_layout_caches",
    "layout_cache_entries",
    "preload",
    "unsupported_characters",
    "write_pdf",
]
