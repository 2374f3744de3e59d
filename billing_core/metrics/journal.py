"""The accountant's journal: one row per issued invoice and per credit note, with net and
VAT per rate. Pure.

CSV columns: number, issue_date, client, currency, status, then for every VAT rate that occurs
in the month `net_<rate>` and `vat_<rate>` (rates in percent, ascending: `net_19`, `vat_19`),
then net, vat, total and `credits` (the number of the invoice a credit note corrects; empty on
an invoice). Amounts are decimal strings at the currency's minor unit; a rate a document does
not use is empty. A credit note's amounts are negative (a credit, as booked against the
invoice's revenue and VAT); its status is `issued`.
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
    credits: str = ""  # a credit note: the number of the invoice it corrects


def journal_entry(invoice: Invoice, status: str) -> JournalEntry:
    """The journal row of an approved invoice or credit note (its snapshot's totals, as
    printed; a credit note's negated). Net and VAT per rate sum over VAT categories."""
    sign = -1 if invoice.is_credit_note else 1
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for t in invoice.tax_lines:
        net, vat = by_rate.get(t.rate, (Decimal(0), Decimal(0)))
        by_rate[t.rate] = (net + sign * t.net.amount, vat + sign * t.tax.amount)
    return JournalEntry(
        number=invoice.number or "",
        issue_date=invoice.issue_date,
        client=invoice.buyer.name,
        currency=invoice.currency,
        status=status,
        by_rate=tuple((rate, net, vat) for rate, (net, vat) in sorted(by_rate.items())),
        net=sign * invoice.subtotal.amount,
        vat=sign * invoice.tax_total.amount,
        total=sign * invoice.total.amount,
        credits=(invoice.credits_number or "") if invoice.is_credit_note else "",
    )


def _amount(value: Decimal, currency: str) -> str:
    return str(value.quantize(quantum(currency)))


def journal_csv_rows(entries: Sequence[JournalEntry]) -> list[list[str]]:
    """Header row first, then one row per entry (see the module docstring)."""
    rates = sorted({_plain(rate) for e in entries for rate, _, _ in e.by_rate})
    header = ["number", "issue_date", "client", "currency", "status"]
    for rate in rates:
        header += [f"net_{rate}", f"vat_{rate}"]
    header += ["net", "vat", "total", "credits"]
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
            e.credits,
        ]
        rows.append(row)
    return rows
