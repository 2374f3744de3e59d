"""The arguments of `/invoice ...`, each checked with its name and form in the refusal
(`month: '2026-13' is not a month like 2026-11 ...`). Pure: no Slack, no database."""

from __future__ import annotations

import re
from datetime import date

from billing_core.numbering import INVOICE_NUMBER_RE
from billing_core.reports import FIRST_YEAR, LAST_YEAR

# ASCII digits only: `\d` also matches Arabic-Indic digits, which no date or month parses.
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A word meant as a date but not written YYYY-MM-DD (`1.12.2026`, `2026/12/01`, `2026-2-3`):
# taken for an amount it would be refused as "not an amount", which hides what was meant.
# Any digits (`\d`): `２０２６-１２-０１` is meant as a date too, and refused as one (DATE).
DATE_LIKE = re.compile(r"\d{1,4}([-/.])\d{1,2}\1\d{1,4}")
PLAIN_AMOUNT = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")  # as billing_core.money takes them


class UsageError(ValueError):
    """The text is not a command; the message names the argument at fault and the form
    expected (`amount: '-5' is not an amount like 120.00 ...: usage: ...`)."""


class UnknownSubcommand(UsageError):
    """The first word is no subcommand: the reply adds the whole help."""


NUMBER_ARG = ("number", "an invoice number like INV-2026-0001")
ID_ARG = ("id", "a record ID like P-123")
REFERENCE_ARG = ("reference", "an invoice number or record ID, like INV-2026-0001 or P-123")


def reference_argument(word: str, arg: tuple[str, str]) -> str:
    """`word` when it can be a number or ID; else UsageError naming the argument and form."""
    if not INVOICE_NUMBER_RE.fullmatch(word):
        name, form = arg
        raise UsageError(f"{name}: {word[:40]!r} is not {form}")
    return word


def month_argument(word: str) -> str:
    """`YYYY-MM` within the months a report can cover (billing_core.reports)."""
    if not MONTH.fullmatch(word) or not FIRST_YEAR <= int(word[:4]) <= LAST_YEAR:
        raise UsageError(
            f"month: {word[:40]!r} is not a month like 2026-11 (YYYY-MM, from {FIRST_YEAR}-01 "
            f"to {LAST_YEAR}-12): usage: `/invoice report [YYYY-MM]`"
        )
    return word


def date_argument(word: str, name: str, usage: str) -> date:
    """A calendar date written YYYY-MM-DD, or UsageError naming argument `name`."""
    try:
        if not DATE.fullmatch(word):
            raise ValueError(word)
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"{name}: {word[:40]!r} is not a date like 2026-12-01 (YYYY-MM-DD, a day that "
            f"exists): {usage}"
        ) from None


def amount_argument(word: str, usage: str) -> str:
    """A positive amount written like `120.00` (the billing engine checks it against the
    balance and the currency's decimals); else UsageError naming the argument."""
    if not PLAIN_AMOUNT.fullmatch(word):
        raise UsageError(
            f"amount: {word[:40]!r} is not an amount like 120.00 (digits, a point for "
            f"decimals, no sign or thousands separator): {usage}"
        )
    if not any(c in "123456789" for c in word):
        raise UsageError(f"amount: {word[:40]!r} must be greater than zero: {usage}")
    return word


def one_argument(args: list[str], name: str, usage: str) -> str:
    """The single argument `name` of a one-argument subcommand."""
    if not args:
        raise UsageError(f"{name}: missing: {usage}")
    if len(args) > 1:
        raise UsageError(f"{args[1][:40]!r}: one argument too many: {usage}")
    return args[0]
