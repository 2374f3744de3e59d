"""An e-invoicing company and a builder of final invoices from record data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from billing_core.invoice import Invoice, draft_invoice
from billing_core.policy import Policy, parse_policy
from billing_core.records import parse_record

ISSUED = date(2026, 11, 30)
COMPANY = {
    "name": "Northwind Studio GmbH",
    "address": "Torstrasse 1\n10119 Berlin\nGermany",
    "country": "DE",
    "tax_id": "DE999999999",
    "email": "billing@northwind.example",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
}


@pytest.fixture
def einvoice_policy() -> Policy:
    return parse_policy({"company": COMPANY, "invoice": {"einvoice": "factur-x"}})


def line(quantity: str, price: str, rate: str = "19", **extra: str) -> dict[str, str]:
    return {"description": "Work", "quantity": quantity, "unit_price": price, "tax_rate": rate,
            **extra}  # fmt: skip


@pytest.fixture
def final_invoice(
    record_data: Callable[..., dict[str, Any]], einvoice_policy: Policy
) -> Callable[..., Invoice]:
    """`final_invoice(lines, **record_changes)`: the record drafted and approved as
    INV-2026-0042 on 2026-11-30 (service date 2026-11-20)."""

    def build(lines: list[dict[str, str]], **changes: Any) -> Invoice:
        data = record_data(line_items=lines, completed_at="2026-11-20", **changes)
        draft = draft_invoice(parse_record(data), einvoice_policy, ISSUED)
        return draft.finalised("INV-2026-0042", ISSUED)

    return build


@pytest.fixture
def mixed_vat_invoice(final_invoice: Callable[..., Invoice]) -> Invoice:
    """INV-2026-0042 of Nov 30: the rounding trap at 19 % (5 × 7.405), a 7 % line and a
    reverse-charge line (AE, 0 %)."""
    return final_invoice(  # type: ignore[no-any-return]
        [
            line("5", "7.405", "19"),
            line("2", "80.00", "7"),
            line("1", "1000.00", "0", tax_category="AE"),
        ]
    )
