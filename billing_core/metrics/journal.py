"""The accountant's journal: one row per issued invoice with net and VAT per rate. Pure.

CSV columns: number, issue_date, client, currency, status, then for every VAT rate that occurs
in the month `net_<rate>` and `vat_<rate>` (rates in percent, ascending: `net_19`, `vat_19`),
then net, vat and total. Amounts are decimal strings at the currency's minor unit; a rate an
invoice does not use is empty. (Credit notes will add rows of their own.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing_core.invoice import Invoice, _plain
from billing_core.money import quantum


@dataclass(frozen=True)
class JournalEntry:
    number: str
    issue_date: date
    client: str
    currency: str
    status: str
    by_rate: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate %, net, VAT), ascending
    net: Decimal
    vat: Decimal
    total: Decimal


def journal_entry(invoice: Invoice, status: str) -> JournalEntry:
    """The journal row of an approved invoice (its snapshot's totals, as printed)."""
    return JournalEntry(
        number=invoice.number or "",
        issue_date=invoice.issue_date,
        client=invoice.buyer.name,
        currency=invoice.currency,
        status=status,
        by_rate=tuple((t.rate, t.net.amount, t.tax.amount) for t in invoice.tax_lines),
        net=invoice.subtotal.amount,
        vat=invoice.tax_total.amount,
        total=invoice.total.amount,
    )


def _amount(value: Decimal, currency: str) -> str:
    return str(value.quantize(quantum(currency)))


def journal_csv_rows(entries: Sequence[JournalEntry]) -> list[list[str]]:
    """Header row first, then one row per entry (see the module docstring)."""
    rates = sorted({_plain(rate) for e in entries for rate, _, _ in e.by_rate})
    header = ["number", "issue_date", "client", "currency", "status"]
    for rate in rates:
        header += [f"net_{rate}", f"vat_{rate}"]
    header += ["net", "vat", "total"]
    rows = [header]
    for e in entries:
        per_rate = {_plain(rate): (net, vat) for rate, net, vat in e.by_rate}
        row = [e.number, e.issue_date.isoformat(), e.client, e.currency, e.status]
        for rate in rates:
            if rate in per_rate:
                net, vat = per_rate[rate]
                row += [_amount(net, e.currency), _amount(vat, e.currency)]
            else:
                row += ["", ""]
        row += [
            _amount(e.net, e.currency),
            _amount(e.vat, e.currency),
            _amount(e.total, e.currency),
        ]
        rows.append(row)
    return rows
