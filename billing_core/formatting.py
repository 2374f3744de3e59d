"""Amounts as people read them, in one place for the PDF, chat messages and reports.

Shows at least the currency's ISO 4217 minor unit (RSD 100.50, JPY 1,000, KWD 12.345) and never
rounds away digits the amount has (a unit price of 0.1234 stays 0.1234). babel's defaults would
use CLDR's cash digits (RSD 100) and round half-even.
"""

from __future__ import annotations

import copy
import functools
from decimal import Decimal

from babel import Locale
from babel.numbers import NumberPattern

from billing_core.money import Money, minor_unit, round_half_up


@functools.cache
def _pattern(locale: str, kind: str) -> tuple[Locale, NumberPattern]:
    parsed = Locale.parse(locale)
    formats = parsed.currency_formats if kind == "currency" else parsed.decimal_formats
    return parsed, formats["standard" if kind == "currency" else None]


def _places(amount: Decimal, currency: str) -> tuple[int, int]:
    exponent = amount.as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    minor = minor_unit(currency)
    return minor, max(minor, own)


def format_money(value: Money, locale: str = "en_US") -> str:
    """`€1,200.00` (en_US), `1.200,00 €` (de_DE): the exact amount in the locale's style."""
    parsed, standard = _pattern(locale, "currency")
    pattern = copy.copy(standard)
    pattern.frac_prec = _places(value.amount, value.currency)
    return str(pattern.apply(value.amount, parsed, currency=value.currency, currency_digits=False))


def format_total(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """A sum in a report: `EUR 1,428.00`, rounded half-up to the currency's minor unit."""
    rounded = round_half_up(amount, currency)
    parsed, standard = _pattern(locale, "decimal")
    pattern = copy.copy(standard)
    pattern.frac_prec = (minor_unit(currency),) * 2
    return f"{currency} {pattern.apply(rounded, parsed)}"
