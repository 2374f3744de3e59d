"""Slack, the PDF and reports show the same figures, exact at the currency's minor unit."""

from decimal import Decimal

import pytest

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
