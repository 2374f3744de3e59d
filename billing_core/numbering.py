"""Invoice number formats: `{year}`, `{month}` and `{seq}` (with an optional format spec).

The sequence restarts every year when the format contains `{year}`; otherwise it runs on
forever. Allocation itself (the counter row moving in the approving transaction) lives in
the store; this module only says which counter a number comes from and how it is written.
"""

from __future__ import annotations

import re
import string
from datetime import date

from billing_core.errors import BillingError

_FIELDS = {"year", "month", "seq"}
# What a formatted number may look like when someone types or sends one (no spaces or
# control characters, so lookups never reach the database with e.g. NUL).
INVOICE_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


MAX_WIDTH = 20  # the widest field a number may ask for; numbers are at most 64 characters


class BadNumberFormat(BillingError, ValueError):
    pass


def check_number_format(fmt: str) -> None:
    """Raise BadNumberFormat unless `fmt` uses only {year}, {month}, {seq} and has {seq}."""
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise BadNumberFormat(f"not a valid format: {exc}") from None
    names = {name for _, name, _, _ in parsed if name is not None}
    unknown = names - _FIELDS
    if unknown:
        raise BadNumberFormat(
            f"unknown field {{{sorted(unknown)[0]}}}; use {{year}} {{month}} {{seq}}"
        )
    if "seq" not in names:
        raise BadNumberFormat("must contain {seq}, or numbers would repeat")
    if "month" in names and "year" not in names:
        raise BadNumberFormat("{month} without {year} would repeat numbers every year")
    # A width is checked before anything is formatted: `{seq:x>99999999}` built a 100 MB
    # sample number (and error line) at start-up.
    for _, _, spec, _ in parsed:
        widths = [int(digits) for digits in re.findall(r"\d+", spec or "")]
        if widths and max(widths) > MAX_WIDTH:
            raise BadNumberFormat(f"a field width of {max(widths)} is more than {MAX_WIDTH}")
    try:
        sample = format_number(fmt, date(2026, 1, 1), 1)
    except (ValueError, TypeError) as exc:
        raise BadNumberFormat(f"cannot format a number with it: {exc}") from None
    if not INVOICE_NUMBER_RE.fullmatch(sample):
        raise BadNumberFormat(
            f"numbers like {sample!r} could not be typed back (use letters, digits, '-', "
            "'_', '.' or '/', no spaces, at most 64 characters)"
        )


def counter_key(fmt: str, issue_date: date) -> str:
    """The name of the counter a number comes from: per year if the format shows the year."""
    names = {name for _, name, _, _ in string.Formatter().parse(fmt) if name}
    return f"year:{issue_date.year}" if "year" in names else "all"


def format_number(fmt: str, issue_date: date, seq: int) -> str:
    """Write sequence number `seq` in the configured format, e.g. INV-2026-0007."""
    return fmt.format(year=issue_date.year, month=_TwoDigits(issue_date.month), seq=seq)


class _TwoDigits(int):
    """An int that prints as two digits unless the format asks otherwise ({month} -> 03)."""

    def __format__(self, spec: str) -> str:
        return format(int(self), spec or "02d")


def series_apart(first: str, second: str) -> bool:
    """True when no number of format `first` can equal one of `second`: their literal texts
    before the first field differ and neither is a prefix of the other (INV- and CN-); a
    format starting with a field (digits) is apart from one starting with a letter."""
    a = next(iter(string.Formatter().parse(first)))[0]
    b = next(iter(string.Formatter().parse(second)))[0]
    if not a or not b:
        return (a or b)[:1].isalpha()
    return not a.startswith(b) and not b.startswith(a)


def credit_counter_key(fmt: str, issue_date: date) -> str:
    """The counter of the credit notes' own series ("cn:year:2026" or "cn:all")."""
    return f"cn:{counter_key(fmt, issue_date)}"
