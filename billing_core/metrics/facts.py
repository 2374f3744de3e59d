"""The rows the metrics are computed from: what the store selects, and nothing more.

Dates are business dates (`[reminders].timezone`); amounts are Decimal in the invoice's
currency, never float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

SettlementKind = Literal["payment", "credit", "reversal"]
Outcome = Literal["approved", "rejected"]


@dataclass(frozen=True)
class Tally:
    """How many, and their sum in one currency."""

    count: int = 0
    amount: Decimal = Decimal(0)

    def plus(self, amount: Decimal, count: int = 1) -> Tally:
        return Tally(self.count + count, self.amount + amount)


@dataclass(frozen=True)
class IssuedInvoice:
    """An invoice that was approved (numbered), whatever became of it since.

    `issue_date` is the approval's business date; `void` invoices count as issued and are
    never outstanding or overdue; `sent_on` is when it was first marked sent, if ever."""

    invoice_id: int
    currency: str
    total: Decimal
    issue_date: date
    due_date: date
    void: bool = False
    client: str = ""
    record_id: str = ""
    service_date: date | None = None  # the snapshot's completed_at
    sent_on: date | None = None


@dataclass(frozen=True)
class Settlement:
    """Money that moves an invoice's balance, on its own date: a payment (`clears`: the one
    that brought the balance to zero), a credit (a credit note's gross), or a reversal (a
    payment taken back, /invoice unpay). The balance as of a day is total − payments −
    credits + reversals dated on or before it (issue 13: balance = total − paid − credited)."""

    invoice_id: int
    currency: str
    amount: Decimal
    on: date
    kind: SettlementKind = "payment"
    clears: bool = False


@dataclass(frozen=True)
class Decision:
    """A person's decision on a draft: approved, or rejected with a category."""

    record_id: str
    outcome: Outcome
    on: date
    category: str | None = None
