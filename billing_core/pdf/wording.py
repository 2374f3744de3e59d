"""The wording of an invoice PDF that depends on what it is (an invoice or a credit note, a
draft or final), apart from where it is drawn. `_` is the invoice language's gettext."""

from __future__ import annotations

from collections.abc import Callable

from billing_core.invoice import Invoice
from billing_core.pdf.formatter import Formatter
from billing_core.pdf.text import clean

Gettext = Callable[[str], str]


def payment_sentence(inv: Invoice, fmt: Formatter, _: Gettext) -> str:
    """What the payment block says: how and when to pay; for a draft, that it is none yet;
    for a credit note, which invoice it reduces, by how much, and why."""
    total, due = fmt.money(inv.total), fmt.date(inv.due_date)
    is_draft = inv.number is None
    if inv.is_credit_note:
        sentence = _(
            "This credit note reduces invoice {number} of {date} by {total}. Nothing is to be "
            "paid; what was paid beyond the reduced amount is refunded."
        ).format(
            number=clean(inv.credits_number or ""),
            date=fmt.date(inv.credits_issue_date or inv.issue_date),
            total=total,
        )
        if inv.credit_reason:
            sentence += " " + _("Reason: {reason}").format(reason=clean(inv.credit_reason))
        if is_draft:
            sentence = _("Draft for approval, no credit note number yet.") + " " + sentence
        return sentence
    if is_draft:
        # A due date derived from terms moves with the approval date (Invoice.finalised).
        if inv.payment_terms_days is None:
            due_when = _("by {date}").format(date=due)
        elif inv.payment_terms_days == 0:
            due_when = _("on the invoice date")
        else:
            due_when = _("{days} days after the invoice date").format(days=inv.payment_terms_days)
        return _(
            "Draft for approval: no invoice number yet, not a request for payment. Once "
            "approved, {total} will be due {when}."
        ).format(total=total, when=due_when)
    if inv.payment_terms_days:
        return _("Please transfer {total} by {date} ({days} days net), quoting {number}.").format(
            total=total, date=due, days=inv.payment_terms_days, number=inv.number
        )
    return _("Please transfer {total} by {date}, quoting {number}.").format(
        total=total, date=due, number=inv.number
    )


def draft_note(inv: Invoice, _: Gettext) -> str:
    """Under a draft's title: what the draft is not yet."""
    if inv.is_credit_note:
        return _("Credit note for approval – not yet valid")
    return _("For approval – not valid for payment")


def total_label(inv: Invoice, _: Gettext) -> str:
    if inv.is_credit_note:
        return _("Total credited")
    return _("Total") if inv.number is None else _("Total due")


def fact_rows(inv: Invoice, fmt: Formatter, _: Gettext) -> list[tuple[str, str, bool]]:
    """The facts block beside the client: (label, value, bold)."""
    kind = _("Credit note no.") if inv.is_credit_note else _("Invoice no.")
    rows = [
        (kind, inv.number or _("assigned on approval"), True),
        (_("Issue date"), fmt.date(inv.issue_date), False),
    ]
    if inv.is_credit_note:
        # The invoice it corrects (EN 16931 BT-25, BT-26); a credit note falls not due.
        rows.append((_("Credits invoice"), clean(inv.credits_number or ""), True))
        if inv.credits_issue_date:
            rows.append((_("Invoice date"), fmt.date(inv.credits_issue_date), False))
    else:
        rows.append((_("Due date"), fmt.date(inv.due_date), True))
    if inv.service_date:
        # German invoices must state when the service was delivered (§14 UStG).
        rows.append((_("Service date"), fmt.date(inv.service_date), False))
    if inv.scope_ref:
        rows.append((_("Reference"), clean(inv.scope_ref), False))
    rows.append((_("Record ID"), clean(inv.record_id), False))
    return rows
