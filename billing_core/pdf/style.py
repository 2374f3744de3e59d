"""The invoice page's design, shared by every block: A4 geometry, type scale, colours."""

from __future__ import annotations

# --- geometry (points; A4 portrait) ----------------------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = 595, 842
LEFT, RIGHT = 56.0, 595 - 50.0  # content box; a slightly wider left margin, as on paper
TOP = PAGE_HEIGHT - 48.0
BOTTOM = 30.0
CONTENT_WIDTH = RIGHT - LEFT

# --- type scale -------------------------------------------------------------------------------
BODY = 9.0
SMALL = 7.5
TABLE = 8.5
TABLE_LEADING = 11.5
ROW_PAD = 5.0
TABLE_HEADER_HEIGHT = 22.0
TOTALS_WIDTH = 250.0  # the totals block, flush right under the table
PAYMENT_WIDTH = CONTENT_WIDTH - TOTALS_WIDTH - 30  # payment terms, left of the totals

# --- colours (RGB 0..1) -----------------------------------------------------------------------
INK = (0.11, 0.13, 0.16)
MUTED = (0.42, 0.45, 0.50)
RULE = (0.84, 0.86, 0.89)
BAND = (0.95, 0.96, 0.97)
DRAFT_RED = (0.78, 0.16, 0.16)
