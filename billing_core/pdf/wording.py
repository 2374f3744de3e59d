"""The wording of an invoice PDF that depends on what it is (an invoice or a credit note, a
draft or final), apart from where it is drawn."""

from __future__ import annotations

from billing_core.invoice import Invoice
from billing_core.pdf.formatter import Formatter
from billing_core.pdf.text import clean


def payment_sentence(inv: Invoice, fmt: Formatter) -> str:
    """What the payment block says: how and when to pay; for a draft, that it is none yet;
    for a credit note, which invoice it reduces, by how much, and why."""
    total, due = fmt.money(inv.total), fmt.date(inv.due_date)
    is_draft = inv.number is None
    if inv.is_credit_note:
        original = clean(inv.credits_number or "")
        dated = f" of {fmt.date(inv.credits_issue_date)}" if inv.credits_issue_date else ""
        sentence = (
            f"This credit note reduces invoice {original}{dated} by {total}. Nothing is "
            "to be paid; what was paid beyond the reduced amount is refunded."
        )
        if inv.credit_reason:
            sentence += f" Reason: {clean(inv.credit_reason)}"
        if is_draft:
            sentence = "Draft for approval, no credit note number yet. " + sentence
        return sentence
    if is_draft:
        # A due date derived from terms moves with the approval date (Invoice.finalised).
        if inv.payment_terms_days is None:
            due_when = f"by {due}"
        elif inv.payment_terms_days == 0:
            due_when = "on the invoice date"
        else:
            due_when = f"{inv.payment_terms_days} days after the invoice date"
        return (
            "Draft for approval: no invoice number yet, not a request for payment. "
            f"Once approved, {total} will be due {due_when}."
        )
    terms = f" ({inv.payment_terms_days} days net)" if inv.payment_terms_days else ""
    return f"Please transfer {total} by {due}{terms}, quoting {inv.number}."


def draft_note(inv: Invoice) -> str:
    """Under a draft's title: what the draft is not yet."""
    if inv.is_credit_note:
        return "Credit note for approval – not yet valid"
    return "For approval – not valid for payment"


def total_label(inv: Invoice) -> str:
    if inv.is_credit_note:
        return "Total credited"
    return "Total" if inv.number is None else "Total due"
