"""Money: an exact Decimal amount in one ISO 4217 currency.

Floats are refused everywhere (they cannot represent 0.10 exactly), and so is arithmetic
across currencies. Rounding is always named: half-up to the currency's minor unit.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from billing_core.errors import CurrencyMismatch, InvalidAmount, InvalidCurrency

# Minor units per ISO 4217 where they differ from 2. Anything not listed has cents.
_MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3,
    "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0,
    "TND": 3, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# ASCII digits only: "١٢٣" or full-width digits are not something finance typed on purpose.
_AMOUNT_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")

# Far above any real invoice, low enough that a typo of many digits is caught and
# every amount fits a NUMERIC(18, 4) column.
MAX_ABS_AMOUNT = Decimal("999999999999.99")
MAX_DECIMAL_PLACES = 4


def minor_unit(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return _MINOR_UNITS.get(currency, 2)


@functools.cache
def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency, as a Decimal exponent (EUR: 0.01)."""
    return Decimal(1).scaleb(-minor_unit(currency))


def check_currency(code: object) -> str:
    """Return an upper-case ISO 4217 code or raise InvalidCurrency."""
    if isinstance(code, str) and code in _known_currencies():
        return code  # the common case, on every Money created: already a valid code
    text = code.strip() if isinstance(code, str) else ""
    if not _CURRENCY_RE.fullmatch(text.upper()) or not text.isascii():
        raise InvalidCurrency(f"not a three-letter ISO 4217 currency code: {str(code)[:20]!r}")
    if text.upper() not in _known_currencies():
        raise InvalidCurrency(f"unknown ISO 4217 currency code: {text.upper()!r}")
    return text.upper()


@functools.cache
def _known_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def parse_decimal(
    value: object, *, max_places: int = MAX_DECIMAL_PLACES, what: str = "amount"
) -> Decimal:
    """Parse a decimal string (or int / Decimal) strictly.

    Refuses floats, NaN, infinities, exponent notation, thousands separators, more than
    `max_places` decimals and magnitudes above MAX_ABS_AMOUNT, each with a reason.
    """
    if isinstance(value, (bool, float)):
        kind = "a float" if isinstance(value, float) else "true/false"
        raise InvalidAmount(f'{what} must be a decimal string like "120.00", not {kind}')
    if isinstance(value, int):
        if abs(value) > MAX_ABS_AMOUNT:  # before str(): ints over 4300 digits cannot print
            raise InvalidAmount(f"{what} is too large (at most {MAX_ABS_AMOUNT})")
        value = str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(f"{what} must be a finite number")
        result = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidAmount(f"{what} is empty")
        if not _AMOUNT_RE.fullmatch(text):
            raise InvalidAmount(f"{what} is not a plain decimal number: {value[:40]!r}")
        try:
            result = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex already rules this out
            raise InvalidAmount(f"{what} is not a number: {value[:40]!r}") from None
    else:
        raise InvalidAmount(f"{what} must be a decimal string, got {type(value).__name__}")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_places:
        raise InvalidAmount(f"{what} has more than {max_places} decimal places: {result}")
    if abs(result) > MAX_ABS_AMOUNT:
        raise InvalidAmount(f"{what} is too large: at most {MAX_ABS_AMOUNT}")
    return result


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency. Immutable; arithmetic keeps the currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal):
            raise InvalidAmount(f"Money needs a Decimal amount, got {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise InvalidAmount("Money amount must be finite")
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(round_half_up(Decimal(0), currency), currency)

    @classmethod
    def parse(cls, value: object, currency: str) -> Money:
        """Money from a decimal string, rounded to the minor unit only if already exact."""
        amount = parse_decimal(value, max_places=minor_unit(check_currency(currency)))
        return cls(round_half_up(amount, currency), currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def rounded(self) -> Money:
        """This amount rounded half-up to the currency's minor unit."""
        return Money(round_half_up(self.amount, self.currency), self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def sum_money(items: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum amounts of one currency; an empty sum is zero in `currency`."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
