"""The line table's rows spread over pages: borb does not split a table across pages.

Heights come from line counts alone, so the pages are decided before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from billing_core.pdf.style import ROW_PAD, TABLE, TABLE_LEADING


@dataclass(frozen=True)
class Cells:
    """The texts of one table row, its description already wrapped to its column."""

    pos: str
    description: list[str]
    quantity: str
    unit_price: str
    rate: str
    net: str


@dataclass(frozen=True)
class Fragment:
    """The part of one table row that sits on one page (a row taller than a page splits)."""

    cells: Cells
    lines: list[str]
    first: bool

    @property
    def height(self) -> float:
        return 2 * ROW_PAD + TABLE_LEADING * len(self.lines) - (TABLE_LEADING - TABLE)


def paginate(
    cells: Sequence[Cells],
    *,
    first_top: float,
    next_top: float,
    body_bottom: float,
    tail_height: float,
) -> list[list[Fragment]]:
    """The rows' fragments, page by page: each page's rows from its top (`first_top` on
    page 1, `next_top` after) down to `body_bottom`, with room under the last row for the
    totals (`tail_height` high)."""
    fresh = next_top - body_bottom
    pages: list[list[Fragment]] = [[]]
    y = first_top
    for cell in cells:
        remaining, first = cell.description, True
        while True:
            frag = Fragment(cell, remaining, first)
            if frag.height <= y - body_bottom:
                pages[-1].append(frag)
                y -= frag.height
                break
            if pages[-1] and frag.height <= fresh:
                pages.append([])
                y = next_top
                continue
            # Taller than a whole page (or than what is left): split between lines.
            fit = int((y - body_bottom - 2 * ROW_PAD + (TABLE_LEADING - TABLE)) // TABLE_LEADING)
            if fit < 1 or (fit < 2 and pages[-1]):
                pages.append([])
                y = next_top
                continue
            head = Fragment(cell, remaining[:fit], first)
            pages[-1].append(head)
            remaining, first = remaining[fit:], False
            pages.append([])
            y = next_top
    # The totals must fit under the last row; if not, take the last row along with them
    # so the totals page does not start without context.
    if tail_height > y - body_bottom:
        last = pages[-1]
        if len(last) > 1 and last[-1].height + tail_height <= fresh:
            moved = last.pop()
            pages.append([moved])
        else:
            pages.append([])
    return pages
