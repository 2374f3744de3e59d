"""What the invoice's locale and countries make of its values: numbers, money, dates,
country names, and the word an English invoice uses for the tax."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from billing_core.formatting import format_money
from billing_core.invoice import Invoice
from billing_core.money import Money
from billing_core.pdf.text import address_lines, clean

# Countries whose sales tax is called VAT on an English invoice (EU, EEA, UK, CH).
_VAT_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "GB", "UK", "NO", "IS", "LI", "CH",
})  # fmt: skip


def tax_word(country: str) -> str:
    """What an English invoice calls the sales tax of a seller in `country`: VAT or Tax."""
    code = (country or "").upper()
    return "VAT" if code in _VAT_COUNTRIES or not code else "Tax"


class Formatter:
    """Numbers, money and dates as the invoice's locale writes them (babel / CLDR), cleaned
    like any other text (CLDR puts bidi marks into some locales' numbers and dates)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def money(self, value: Money) -> str:
        # decimal_quantization=False: never round a unit price of 0.1234 to 0.12 for display;
        # amounts that are already whole cents still get both decimals from the currency.
        return clean(format_money(value, self.locale))

    def quantity(self, value: Decimal) -> str:
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
        else:
            value = value.normalize()
        return clean(format_decimal(value, locale=self.locale, decimal_quantization=False))

    def rate(self, percent: Decimal) -> str:
        return clean(
            format_percent(
                percent.normalize() / 100, locale=self.locale, decimal_quantization=False
            )
        )

    def date(self, value: date) -> str:
        return clean(format_date(value, format="medium", locale=self.locale))

    def country(self, code: str) -> str:
        if not code:
            return ""
        return clean(_territories(self.locale).get(code.upper(), code.upper()))


@functools.lru_cache(maxsize=32)
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


def buyer_country(invoice: Invoice, fmt: Formatter) -> str:
    """The country line under a buyer abroad ("" at home, or when the address names it)."""
    code = (invoice.buyer.country or "").upper()
    if not code or code == (invoice.seller.country or "").upper():
        return ""
    local = fmt.country(code)
    text = " ".join(address_lines(invoice.buyer.address)).casefold()
    if any(n.casefold() in text for n in (local, Formatter("en").country(code))):
        return ""
    return local
