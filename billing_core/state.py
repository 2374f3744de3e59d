"""An invoice as it stands: the snapshot plus status, payments and decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from billing_core.invoice import Invoice
from billing_core.money import Money
from billing_core.status import OPEN_STATUSES, Status


@dataclass(frozen=True)
class InvoiceState:
    id: int
    invoice: Invoice
    status: Status
    paid: Money
    drafted_by: str
    drafted_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection_category: str | None = None
    rejection_reason: str | None = None
    void_reason: str | None = None
    supersedes_id: int | None = None
    snoozed_until: date | None = None

    @property
    def number(self) -> str | None:
        return self.invoice.number

    @property
    def record_id(self) -> str:
        return self.invoice.record_id

    @property
    def owner(self) -> str:
        return self.invoice.owner

    @property
    def total(self) -> Money:
        return self.invoice.total

    @property
    def balance(self) -> Money:
        """What is still owed: zero unless approved or sent."""
        if self.status not in OPEN_STATUSES:
            return Money.zero(self.invoice.currency)
        return self.invoice.total - self.paid

    @property
    def label(self) -> str:
        """How people refer to it: the number, or "draft of P-123"."""
        return self.number or f"draft of {self.record_id}"

    def is_overdue(self, today: date) -> bool:
        """Overdue is derived: open, balance due, due date before `today` (business tz)."""
        return (
            self.status in OPEN_STATUSES
            and self.balance.amount > Decimal(0)
            and self.invoice.due_date < today
        )

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.invoice.due_date).days)
