"""Invoice number formats: {year} {month} {seq}; yearly counters only when the year shows."""

from __future__ import annotations

from datetime import date

import pytest

from billing_core.numbering import (
    BadNumberFormat,
    check_number_format,
    counter_key,
    format_number,
)


def test_default_format_writes_year_and_four_digit_sequence() -> None:
    assert format_number("INV-{year}-{seq:04d}", date(2026, 3, 9), 7) == "INV-2026-0007"


def test_month_prints_with_two_digits() -> None:
    assert format_number("{year}/{month}/{seq:03d}", date(2026, 3, 9), 12) == "2026/03/012"
    assert format_number("{year}{month}-{seq}", date(2026, 11, 9), 1) == "202611-1"


def test_sequence_wider_than_its_padding_is_not_cut() -> None:
    assert format_number("INV-{seq:04d}", date(2026, 1, 1), 12345) == "INV-12345"


@pytest.mark.parametrize(
    "fmt", ["INV-{year}-{seq:04d}", "{seq}", "R{year}{month}{seq:05d}", "A-{seq:x}"]
)
def test_valid_formats_are_accepted(fmt: str) -> None:
    check_number_format(fmt)


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [
        ("INV-{year}", "must contain {seq}"),
        ("INV-2026", "must contain {seq}"),
        ("INV-{yr}-{seq}", "unknown field {yr}"),
        ("INV-{0}-{seq}", "unknown field {0}"),
        ("INV-{}", "unknown field"),
        ("INV-{seq.real}", "unknown field"),
        ("INV-{month}-{seq}", "{month} without {year}"),
        ("INV-{seq", "not a valid format"),
        ("INV-{seq:%Y}", "cannot format a number"),
        ("INV-{year:q}-{seq}", "cannot format a number"),
        ("CN-{seq:x>99999999}", "a field width of 99999999 is more than 20"),  # 100 MB before
        ("CN-{seq:0>99999}", "a field width of 99999 is more than 20"),
    ],
)
def test_bad_formats_are_refused_with_a_reason(fmt: str, reason: str) -> None:
    with pytest.raises(BadNumberFormat) as caught:
        check_number_format(fmt)
    assert reason in str(caught.value)


def test_counter_is_per_year_when_the_format_shows_the_year() -> None:
    fmt = "INV-{year}-{seq:04d}"
    assert counter_key(fmt, date(2026, 12, 31)) != counter_key(fmt, date(2027, 1, 1))
    assert counter_key(fmt, date(2026, 1, 1)) == counter_key(fmt, date(2026, 12, 31))


def test_counter_runs_on_forever_without_the_year() -> None:
    assert counter_key("INV-{seq:06d}", date(2026, 12, 31)) == counter_key(
        "INV-{seq:06d}", date(2031, 1, 1)
    )
