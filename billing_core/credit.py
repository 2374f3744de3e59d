"""Credit notes: the pure rules. A credit note corrects an issued invoice by a document of its
own (EN 16931 type 381, its own gapless series) that names the invoice and reverses all of it
or part of its gross amount.

- What may be credited: an approved, sent or paid invoice, up to its total less what earlier
  credit notes took off (`creditable`). Payments do not limit a credit: crediting a paid
  invoice leaves a refund owed to the client (`InvoiceState.refund_owed`).
- A full credit of an invoice never credited before repeats its lines exactly. Any other
  credit (a partial gross amount, or what remains after earlier credits) is split across the
  invoice's tax rates in proportion to each rate's gross (net + tax), each share rounded
  half-up to the minor unit and the rounding difference given to the largest share, so the
  shares add up to the amount asked. Each share becomes one line whose net is chosen so
  that net + tax (DESIGN.md rounding: tax on the net of its rate, half-up) equals the share;
  where VAT rounding makes no net reach the share exactly, the nearest below is taken (at
  most one minor unit per rate under the amount asked, never above it).
- After the credit, balance = total - paid - credited. A balance brought to zero (or below)
  closes the invoice: `credited` when nothing was paid, `paid` when something was; either
  way it is never chased again (`credit_action`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing_core.errors import CreditRefused
from billing_core.invoice import Invoice, InvoiceLine
from billing_core.money import Money, quantum, round_half_up
from billing_core.state import InvoiceState
from billing_core.status import Action, Status

CREDITABLE_STATUSES = frozenset({Status.APPROVED, Status.SENT, Status.PAID})


def creditable(state: InvoiceState) -> Money:
    """What credit notes may still take off `state`: its total less what was credited."""
    if state.is_credit_note or state.status not in CREDITABLE_STATUSES:
        return Money.zero(state.invoice.currency)
    left = state.invoice.total - state.credited_total
    return left if left.amount > 0 else Money.zero(state.invoice.currency)


def check_creditable(state: InvoiceState, amount: Money | None) -> Money:
    """The gross amount a credit note of `state` takes off: `amount`, or everything still
    creditable when None. Raises CreditRefused (with the reason) for a credit note, a draft,
    a void or fully credited invoice, a non-positive amount or one above what is left."""
    label = state.label
    if state.is_credit_note:
        raise CreditRefused(f"{label} is a credit note; credit the invoice it corrects")
    if state.status not in CREDITABLE_STATUSES:
        raise CreditRefused(
            f"{label} is {state.status.value}; only approved, sent or paid invoices are "
            "corrected by a credit note"
        )
    left = creditable(state)
    if left.is_zero():
        raise CreditRefused(f"{label} is fully credited already ({state.credited_total})")
    if amount is None:
        return left
    if amount.currency != state.invoice.currency:
        currency = state.invoice.currency
        raise CreditRefused(f"amount: {label} is in {currency}, not {amount.currency}")
    if amount.amount <= 0:
        raise CreditRefused("amount: a credit must be greater than zero")
    if amount.amount != round_half_up(amount.amount, amount.currency):
        raise CreditRefused(
            f"amount: {amount.amount} has more decimals than {amount.currency} has "
            f"(like {quantum(amount.currency)})"
        )
    if amount > left:
        raise CreditRefused(
            f"amount: {amount} is more than what is still creditable on {label} ({left})"
        )
    return amount


def credit_lines(original: Invoice, gross: Money, description: str) -> tuple[InvoiceLine, ...]:
    """One line per VAT breakdown (rate and category) of `original`, splitting `gross` in
    proportion (see module doc), each with the breakdown's category and exemption reason.
    Breakdowns whose share rounds to zero are left out."""
    currency = original.currency
    grosses = [(t, (t.net + t.tax).amount) for t in original.tax_lines]
    whole = sum(g for _, g in grosses)
    shares = [round_half_up(gross.amount * g / whole, currency) for _, g in grosses]
    # The rounding difference goes to the largest share: the shares add up to `gross`.
    largest = max(range(len(shares)), key=lambda n: grosses[n][1])
    shares[largest] += gross.amount - sum(shares)
    lines = []
    for (tax, _), share in zip(grosses, shares, strict=True):
        if share <= 0:
            continue
        rate = tax.rate
        net = _net_for_gross(share, rate, currency)
        code = f", {tax.category}" if tax.category not in (None, "S") else ""
        label = (
            description if len(grosses) == 1 else f"{description} ({_rate_text(rate)} % VAT{code})"
        )
        money = Money(net, currency)
        lines.append(
            InvoiceLine(label, Decimal(1), money, rate, tax.category, tax.exemption_reason)
        )
    return tuple(lines)


def _net_for_gross(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The largest net whose net + tax (tax rounded half-up) is at most `gross`; equal to it
    whenever VAT rounding lets any net reach it."""
    step = quantum(currency)
    net = round_half_up(gross * 100 / (100 + rate), currency) + step

    def with_tax(n: Decimal) -> Decimal:
        return n + round_half_up(n * rate / 100, currency)

    while with_tax(net) > gross:
        net -= step
    return net


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def draft_credit_note(
    original: InvoiceState, amount: Money | None, reason: str, today: date
) -> Invoice:
    """The credit note draft for `original` (an approved, sent or paid invoice): dated
    `today`, the original's parties, currency and language, lines as the module doc says.
    Raises CreditRefused as `check_creditable` does."""
    gross = check_creditable(original, amount)
    invoice = original.invoice
    number = invoice.number or ""
    if gross == invoice.total and original.credited_total.is_zero():
        lines = invoice.lines  # a full credit repeats the invoice line by line
    else:
        lines = credit_lines(invoice, gross, f"Credit on invoice {number}")
    return Invoice(
        record_id=invoice.record_id,
        title=invoice.title,
        scope_ref=invoice.scope_ref,
        owner=invoice.owner,
        seller=invoice.seller,
        buyer=invoice.buyer,
        currency=invoice.currency,
        lines=lines,
        issue_date=today,
        due_date=today,
        locale=invoice.locale,
        language=invoice.language,
        logo_path=invoice.logo_path,
        service_date=invoice.service_date,
        kind="credit_note",
        credits_number=number,
        credits_issue_date=invoice.issue_date,
        credit_reason=reason,
        einvoice=invoice.einvoice,  # an e-invoice is corrected by an e-invoice (type 381)
    )


def credit_action(original: InvoiceState, credit: Money) -> Action:
    """How issuing a credit note of `credit` moves `original`: CREDIT (the status stays),
    CREDIT_CLOSE (balance reaches zero, nothing paid: credited) or CREDIT_SETTLE (balance
    reaches zero or below, something paid: paid). Raises CreditRefused when `credit` is more
    than still creditable (a concurrent credit note got there first)."""
    left = creditable(original)
    if credit > left:
        raise CreditRefused(
            f"{credit} is more than what is still creditable on {original.label} ({left}); "
            "another credit note was issued meanwhile. Reject this draft and credit less."
        )
    if original.status is Status.PAID:
        return Action.CREDIT
    if (original.balance - credit).amount > 0:
        return Action.CREDIT
    return Action.CREDIT_SETTLE if original.paid.amount > 0 else Action.CREDIT_CLOSE
