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
from babel.numbers import NumberPattern, get_currency_symbol

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


@functools.lru_cache(maxsize=1024)
def _money_pattern(
    locale: str, currency: str, places: tuple[int, int]
) -> tuple[Locale, NumberPattern, bool]:
    """The locale's currency pattern with `places` decimals and, where the pattern allows,
    `currency`'s sign and code written in: (locale, pattern, whether babel must still
    apply the currency).

    Why: babel 2.19's `NumberPattern.apply(currency=...)` looks the sign up for every amount
    and evaluates the currency's plural name even when the pattern has no place for it (the
    `¤¤¤` replacement's argument is computed first): that was a fifth of a reminder run's CPU
    at 100,000 invoices (py-spy, bench/reminders.py). Written in once, babel still formats
    every digit; `¤¤¤` (the plural name) depends on the amount, so such a pattern is left to
    babel. tests/unit/test_formatting.py checks both give the same text in every locale."""
    parsed, standard = _pattern(locale, "currency")
    pattern = copy.copy(standard)
    pattern.frac_prec = places
    affixes = (*pattern.prefix, *pattern.suffix)
    if any("¤¤¤" in affix for affix in affixes):
        return parsed, pattern, True
    sign = get_currency_symbol(currency, parsed)

    def written(affix: str) -> str:  # babel's order: the code first, then the sign
        return affix.replace("¤¤", currency.upper()).replace("¤", sign)

    (positive, negative), (after, after_negative) = pattern.prefix, pattern.suffix
    pattern.prefix = (written(positive), written(negative))
    pattern.suffix = (written(after), written(after_negative))
    return parsed, pattern, False


def format_money(value: Money, locale: str = "en_US") -> str:
    """`€1,200.00` (en_US), `1.200,00 €` (de_DE): the exact amount in the locale's style.

    Raises babel's `UnknownLocaleError` for a locale CLDR does not have, `ValueError` for a
    string that is not a locale name ("en-US", ""); policy.py checks locales at start."""
    places = _places(value.amount, value.currency)
    parsed, pattern, needs_currency = _money_pattern(locale, value.currency, places)
    currency = value.currency if needs_currency else None
    return str(pattern.apply(value.amount, parsed, currency=currency, currency_digits=False))


def format_total(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """A sum in a report: `EUR 1,428.00`, rounded half-up to the currency's minor unit."""
    rounded = round_half_up(amount, currency)
    parsed, standard = _pattern(locale, "decimal")
    pattern = copy.copy(standard)
    pattern.frac_prec = (minor_unit(currency),) * 2
    return f"{currency} {pattern.apply(rounded, parsed)}"
