"""Checks shared by the policy file's sections: each raises ConfigError naming its key once
(`approval.rules[1].min: is not a plain decimal number: 'abc'`), and `Problems` gathers
them so that one start lists every bad key, not the first. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from billing_core.errors import BillingError, ConfigError
from billing_core.money import parse_decimal

# Member and channel IDs as the chat workspace writes them (U0123ABCD, C0123ABCD).
_CHAT_ID = re.compile(r"^[UWCGD][A-Z0-9]{2,}$")


class Problems:
    """What is wrong with a file, gathered key by key: `with problems.key(): ...` keeps a
    ConfigError raised inside and goes on; `raise_any()` raises them all as one."""

    def __init__(self) -> None:
        self.found: list[str] = []

    @contextmanager
    def key(self) -> Iterator[None]:
        try:
            yield
        except ConfigError as exc:
            self.found.extend(exc.problems)

    def raise_any(self) -> None:
        if self.found:
            raise ConfigError(*self.found)


def string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string, got {type(value).__name__}")
    return value


def whole_number(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}: must be a whole number from {low} to {high}, got {value!r}")
    return value


def decimal(key: str, value: Any) -> Decimal:
    """An amount: a decimal string or a whole number, never a float (billing_core.money)."""
    try:
        amount = parse_decimal(value, what=key)
    except BillingError as exc:
        # parse_decimal's message starts with `what`; the key is named once, in front.
        raise ConfigError(f"{key}: {str(exc).removeprefix(f'{key} ')}") from None
    return amount


def chat_id(key: str, value: Any) -> str:
    """A member or channel ID, or ConfigError naming `key`."""
    text = string(key, value)
    if not _CHAT_ID.fullmatch(text):
        raise ConfigError(f"{key}: {text!r} is not a member or channel ID (like U0123ABCD)")
    return text


def section(data: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    """The `[name]` table of the policy file, refusing every key not in `allowed`."""
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{name}: must be a table ([{name}])")
    known = ", ".join(sorted(allowed))
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(*(f"{name}.{key}: unknown key (known keys: {known})" for key in unknown))
    return dict(table)
