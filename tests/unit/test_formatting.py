"""Slack, the PDF and reports show the same figures, exact at the currency's minor unit."""

import copy
from decimal import Decimal

import pytest
from babel import Locale
from babel.localedata import locale_identifiers
from babel.numbers import NumberPattern, parse_pattern

from billing_core import formatting
from billing_core.formatting import format_money, format_total
from billing_core.money import Money


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        ("1200.00", "EUR", "en_US", "€1,200.00"),
        ("1200.00", "EUR", "de_DE", "1.200,00\xa0€"),
        ("100.50", "RSD", "en_US", "RSD100.50"),  # CLDR's cash digits would say RSD100
        ("1.125", "IQD", "en_US", "IQD1.125"),
        ("1000", "JPY", "en_US", "¥1,000"),
        ("0.1234", "EUR", "en_US", "€0.1234"),  # a unit price keeps its precision
    ],
)
def test_money_is_shown_exactly(amount: str, currency: str, locale: str, shown: str) -> None:
    assert format_money(Money(Decimal(amount), currency), locale) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1428.0000", "EUR", "EUR 1,428.00"),
        ("1000", "JPY", "JPY 1,000"),
        ("12.3450", "KWD", "KWD 12.345"),
        ("0.005", "EUR", "EUR 0.01"),  # half-up, not half-even
    ],
)
def test_report_totals_round_half_up_to_the_minor_unit(
    amount: str, currency: str, shown: str
) -> None:
    assert format_total(Decimal(amount), currency) == shown


def _babel_itself(value: Money, locale: str, pattern_text: str | None = None) -> str:
    """What babel prints when it applies the currency itself, for every amount."""
    parsed = Locale.parse(locale)
    pattern = copy.copy(
        parse_pattern(pattern_text) if pattern_text else parsed.currency_formats["standard"]
    )
    pattern.frac_prec = formatting._places(value.amount, value.currency)
    return str(pattern.apply(value.amount, parsed, currency=value.currency, currency_digits=False))


AMOUNTS = ("0", "1", "-1234.5", "1200.00", "1234567.891", "0.1234", "-0.01")


def test_money_reads_as_babel_would_write_it_in_every_locale() -> None:
    # format_money writes the currency's sign into the pattern once per (locale, currency)
    # instead of letting babel look it up per amount; the text must not change anywhere.
    for locale in locale_identifiers():
        for currency in ("EUR", "USD", "JPY", "KWD", "CHF", "INR", "BRL", "CVE"):
            for amount in AMOUNTS:
                value = Money(Decimal(amount), currency)
                assert format_money(value, locale) == _babel_itself(value, locale), (
                    locale, currency, amount,
                )  # fmt: skip


def test_a_pattern_naming_the_currency_by_its_plural_name_is_left_to_babel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No CLDR locale's standard currency pattern uses ¤¤¤ (the name, which depends on the
    # amount) today; if one does, babel still writes it.
    plural_name = "#,##0.00 ¤¤¤"

    def pattern(locale: str, kind: str) -> tuple[Locale, NumberPattern]:
        return Locale.parse(locale), parse_pattern(plural_name)

    monkeypatch.setattr(formatting, "_pattern", pattern)
    formatting._money_pattern.cache_clear()
    try:
        for amount in ("1", "2", "0.5"):
            value = Money(Decimal(amount), "EUR")
            shown = format_money(value, "en_US")
            assert shown == _babel_itself(value, "en_US", plural_name)
            assert shown.endswith("euro" if amount == "1" else "euros")
    finally:
        formatting._money_pattern.cache_clear()
