"""Money: exact Decimal amounts in one currency; floats and mixed currencies refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_core.errors import BillingError, CurrencyMismatch, InvalidAmount, InvalidCurrency
from billing_core.money import Money, minor_unit, parse_decimal, round_half_up, sum_money


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def test_money_refuses_a_float_amount() -> None:
    with pytest.raises(InvalidAmount, match="Decimal"):
        Money(1.5, "EUR")  # type: ignore[arg-type]


def test_money_refuses_nan_and_infinity() -> None:
    for text in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(InvalidAmount, match="finite"):
            Money(Decimal(text), "EUR")


def test_money_refuses_a_currency_that_is_not_iso_4217_shaped() -> None:
    for code in ("EURO", "€", "", "E1R", None):
        with pytest.raises(InvalidCurrency):
            Money(Decimal(1), code)  # type: ignore[arg-type]


def test_money_upper_cases_the_currency_code() -> None:
    assert Money(Decimal("1.00"), "eur").currency == "EUR"


def test_parse_decimal_refuses_a_float_saying_to_use_a_string() -> None:
    with pytest.raises(InvalidAmount, match=r'decimal string like "120.00", not a float'):
        parse_decimal(1.5)


def test_parse_decimal_refuses_booleans() -> None:
    with pytest.raises(InvalidAmount, match="true/false"):
        parse_decimal(True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NaN", "not a plain decimal number"),
        ("Infinity", "not a plain decimal number"),
        ("-inf", "not a plain decimal number"),
        ("1e3", "not a plain decimal number"),
        ("1E-2", "not a plain decimal number"),
        ("1,000.00", "not a plain decimal number"),
        ("1 000", "not a plain decimal number"),
        ("1_000", "not a plain decimal number"),
        ("12.34.5", "not a plain decimal number"),
        ("0x10", "not a plain decimal number"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("1.23456", "more than 4 decimal places"),
        ("1000000000000", "too large"),
        ("-1000000000000", "too large"),
    ],
)
def test_parse_decimal_refuses_malformed_text_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason):
        parse_decimal(text)


def test_parse_decimal_refuses_non_finite_decimals() -> None:
    with pytest.raises(InvalidAmount, match="finite"):
        parse_decimal(Decimal("NaN"))


def test_parse_decimal_names_the_field_in_its_reason() -> None:
    with pytest.raises(InvalidAmount, match=r"^unit_price is too large"):
        parse_decimal("99999999999999", what="unit_price")


def test_parse_decimal_accepts_plain_decimals_and_integers_exactly() -> None:
    assert parse_decimal(" 120.00 ") == Decimal("120.00")
    assert parse_decimal("-0.5") == Decimal("-0.5")
    assert parse_decimal(".5") == Decimal("0.5")
    assert parse_decimal(42) == Decimal(42)
    assert parse_decimal("999999999999.99") == Decimal("999999999999.99")
    assert str(parse_decimal("0.10")) == "0.10"


def test_adding_or_subtracting_two_currencies_raises_currency_mismatch() -> None:
    usd = Money(Decimal("1.00"), "USD")
    with pytest.raises(CurrencyMismatch, match="EUR with USD"):
        eur("1.00") + usd
    with pytest.raises(CurrencyMismatch):
        eur("1.00") - usd


@pytest.mark.parametrize("compare", ["<", "<=", ">", ">="])
def test_comparing_two_currencies_raises_currency_mismatch(compare: str) -> None:
    usd = Money(Decimal("1.00"), "USD")
    ops = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    with pytest.raises(CurrencyMismatch):
        ops[compare](eur("1.00"), usd)


def test_currency_mismatch_is_a_billing_error_users_see() -> None:
    assert issubclass(CurrencyMismatch, BillingError)


def test_money_refuses_to_add_a_bare_number() -> None:
    with pytest.raises(TypeError):
        eur("1.00") + Decimal(1)  # type: ignore[operator]


def test_arithmetic_keeps_the_amount_exact() -> None:
    total = sum_money([eur("0.10")] * 3, "EUR")
    assert total == eur("0.30")
    assert eur("0.30") - eur("0.10") == eur("0.20")
    assert -eur("1.00") == eur("-1.00")


def test_empty_sum_is_zero_in_the_given_currency() -> None:
    assert sum_money([], "JPY") == Money(Decimal(0), "JPY")
    assert str(sum_money([], "KWD")) == "0.000 KWD"


def test_minor_units_follow_iso_4217() -> None:
    assert minor_unit("EUR") == 2
    assert minor_unit("JPY") == 0
    assert minor_unit("KWD") == 3


def test_jpy_rounds_half_up_to_whole_yen() -> None:
    assert round_half_up(Decimal("1000.5"), "JPY") == Decimal("1001")
    assert str(Money(Decimal("1000.5"), "JPY")) == "1001 JPY"


def test_kwd_rounds_half_up_to_three_places() -> None:
    assert round_half_up(Decimal("1.2345"), "KWD") == Decimal("1.235")
    assert str(Money(Decimal("1.2345"), "KWD")) == "1.235 KWD"


def test_rounding_is_half_up_not_bankers() -> None:
    assert round_half_up(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert round_half_up(Decimal("-0.125"), "EUR") == Decimal("-0.13")
    assert round_half_up(Decimal("2.5"), "JPY") == Decimal("3")


def test_money_parse_refuses_more_decimals_than_the_currency_has() -> None:
    with pytest.raises(InvalidAmount, match="more than 0 decimal places"):
        Money.parse("100.5", "JPY")
    with pytest.raises(InvalidAmount, match="more than 2 decimal places"):
        Money.parse("1.005", "EUR")
    assert Money.parse("1.005", "KWD") == Money(Decimal("1.005"), "KWD")
    assert Money.parse("12", "EUR").amount == Decimal("12.00")


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
)
def test_addition_then_subtraction_gives_back_the_original_amount(a: Decimal, b: Decimal) -> None:
    x, y = Money(a, "EUR"), Money(b, "EUR")
    assert (x + y) - y == x


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_accepted_as_an_amount(value: float) -> None:
    with pytest.raises(InvalidAmount):
        parse_decimal(value)
