"""paginate: rows over pages from heights alone (no fonts, no drawing)."""

from __future__ import annotations

from billing_core.pdf.pagination import Cells, Fragment, paginate

# A fragment of n lines is 7 + 11.5 n high; page 1 has 400 points for rows, later pages 600.
LIMITS = {"first_top": 500.0, "next_top": 700.0, "body_bottom": 100.0, "tail_height": 50.0}


def _row(n: int, lines: int = 1) -> Cells:
    return Cells(str(n), [f"{n}.{i}" for i in range(lines)], "1", "€1.00", "19%", "€1.00")


def _lines(page: list[Fragment]) -> list[str]:
    return [line for frag in page for line in frag.lines]


def test_rows_that_fit_stay_on_one_page_with_the_totals() -> None:
    rows = [_row(n) for n in range(10)]
    pages = paginate(rows, **LIMITS)
    assert [[frag.cells for frag in page] for page in pages] == [rows]
    assert all(frag.first for frag in pages[0])


def test_a_row_taller_than_a_page_is_split_between_its_lines() -> None:
    row = _row(1, lines=100)
    pages = paginate([row], **LIMITS)
    assert [len(_lines(page)) for page in pages] == [34, 51, 15]
    assert [line for page in pages for line in _lines(page)] == row.description
    assert [frag.first for page in pages for frag in page] == [True, False, False]


def test_totals_that_do_not_fit_take_the_last_row_along() -> None:
    rows = [_row(n) for n in range(21)]  # 21 x 18.5 leaves 11.5 points, the totals need 50
    pages = paginate(rows, **LIMITS)
    assert [[frag.cells for frag in page] for page in pages] == [rows[:20], rows[20:]]


def test_totals_under_a_lone_row_go_to_a_page_of_their_own() -> None:
    pages = paginate([_row(1, lines=34)], **LIMITS)  # 398 of 400 points
    assert [len(page) for page in pages] == [1, 0]
