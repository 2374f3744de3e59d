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
    credits_id: int | None = None  # a credit note: the invoice it corrects
    credited: Decimal = Decimal(0)  # an invoice: the sum of its issued credit notes
    refunded: Decimal = Decimal(0)  # refunds paid out to the client
    held_reason: str | None = None  # on hold (disputed): why; never chased while held

    @property
    def is_credit_note(self) -> bool:
        return self.credits_id is not None

    @property
    def credited_total(self) -> Money:
        return Money(self.credited, self.invoice.currency).rounded()

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
        """What is still owed: total - paid - credited while approved or sent, else zero."""
        if self.status not in OPEN_STATUSES:
            return Money.zero(self.invoice.currency)
        return self.invoice.total - self.paid - self.credited_total

    @property
    def refund_owed(self) -> Money:
        """What credit notes took off beyond the balance of a paid invoice: owed back to the
        client (paid + credited - total - refunded, never below zero)."""
        refunded = Money(self.refunded, self.invoice.currency).rounded()
        excess = self.paid + self.credited_total - self.invoice.total - refunded
        return excess if excess.amount > 0 else Money.zero(self.invoice.currency)

    @property
    def label(self) -> str:
        """How people refer to it: the number, or "draft of P-123"."""
        if self.number:
            return self.number
        if self.is_credit_note:
            return f"credit note draft for {self.invoice.credits_number}"
        return f"draft of {self.record_id}"

    def is_overdue(self, today: date) -> bool:
        """Overdue is derived: open, balance due, due date before `today` (business tz)."""
        return (
            self.status in OPEN_STATUSES
            and self.balance.amount > Decimal(0)
            and self.invoice.due_date < today
        )

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.invoice.due_date).days)
