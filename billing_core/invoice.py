"""Invoices: an immutable snapshot of a record, with totals per tax rate.

`draft_invoice(record, policy, today)` copies everything the invoice shows (seller, buyer,
lines, dates) so editing the record later never changes an invoice already drafted.

Rounding (EN 16931 style): each line net = quantity x unit price rounded half-up to the
currency's minor unit; tax per rate = rate x (sum of the line nets at that rate), rounded
half-up; total = sum of nets + sum of taxes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Literal

from billing_core.einvoice.readiness import vat_problems
from billing_core.errors import FieldProblem, InvoiceInvalid, RecordNotReady
from billing_core.language import LOCALE_OF, language_problem, language_tag
from billing_core.money import MAX_ABS_AMOUNT, Money, round_half_up, sum_money
from billing_core.policy import CompanyPolicy, EInvoiceKind, Policy
from billing_core.records import Client, Record, line_vat
from billing_core.vat import TaxCategory


@dataclass(frozen=True)
class Party:
    """Seller or buyer as printed on the invoice."""

    name: str
    address: str = ""
    country: str = ""
    tax_id: str = ""
    email: str = ""
    iban: str = ""
    bic: str = ""

    @classmethod
    def from_company(cls, company: CompanyPolicy) -> Party:
        return cls(
            name=company.name,
            address=company.address,
            country=company.country,
            tax_id=company.tax_id,
            email=company.email,
            iban=company.iban,
            bic=company.bic,
        )

    @classmethod
    def from_client(cls, client: Client) -> Party:
        return cls(
            name=client.name,
            address=client.address,
            country=client.country,
            tax_id=client.tax_id,
            email=client.email,
        )


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_price: Money
    tax_rate: Decimal  # percent
    tax_category: TaxCategory | None = None  # effective: S above 0 %, None at 0 % if not given
    tax_exemption_reason: str = ""  # effective (BT-120), the category's wording by default

    @cached_property
    def net(self) -> Money:
        """Quantity x unit price, rounded half-up to the minor unit."""
        currency = self.unit_price.currency
        return Money(round_half_up(self.quantity * self.unit_price.amount, currency), currency)


@dataclass(frozen=True)
class TaxLine:
    """One VAT breakdown (EN 16931 BG-23): a category and rate's base and tax, as printed in
    the totals block."""

    rate: Decimal
    net: Money
    tax: Money
    category: TaxCategory | None = None
    exemption_reason: str = ""


DocumentType = Literal["invoice", "credit_note"]


@dataclass(frozen=True)
class Invoice:
    """What an invoice says. Status, payments and the drafter live in the store, not here."""

    record_id: str
    title: str
    scope_ref: str
    owner: str
    seller: Party
    buyer: Party
    currency: str
    lines: tuple[InvoiceLine, ...]
    issue_date: date
    due_date: date
    payment_terms_days: int | None = None  # set when the due date was derived from terms
    locale: str = "en_US"  # numbers and dates on the PDF
    number: str | None = None
    logo_path: str | None = None
    service_date: date | None = None  # the record's completed_at
    # A credit note (EN 16931 type 381) names the invoice it corrects (BT-25, BT-26); its
    # amounts are positive, as on the invoice, and are read as a credit.
    kind: DocumentType = "invoice"
    credits_number: str | None = None
    credits_issue_date: date | None = None
    credit_reason: str = ""
    language: str = "en"  # the PDF's labels (billing_core.language.SUPPORTED)
    einvoice: EInvoiceKind | None = None  # the final PDF carries EN 16931 XML (policy at draft)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @cached_property
    def subtotal(self) -> Money:
        return sum_money([line.net for line in self.lines], self.currency)

    @cached_property
    def tax_lines(self) -> tuple[TaxLine, ...]:
        """Per (rate, category), rate ascending: base = sum of line nets, tax rounded half-up
        once. Only 0 % lines have categories other than S, so the amounts are those of a
        grouping by rate alone."""
        bases: dict[tuple[Decimal, str], Money] = {}
        first: dict[tuple[Decimal, str], InvoiceLine] = {}
        for line in self.lines:
            key: tuple[Decimal, str] = (_plain(line.tax_rate), line.tax_category or "")
            bases[key] = bases.get(key, Money.zero(self.currency)) + line.net
            first.setdefault(key, line)
        out = []
        for key in sorted(bases):
            rate, base, line = key[0], bases[key], first[key]
            tax = Money(round_half_up(base.amount * rate / 100, self.currency), self.currency)
            out.append(TaxLine(rate, base, tax, line.tax_category, line.tax_exemption_reason))
        return tuple(out)

    @cached_property
    def tax_total(self) -> Money:
        return sum_money([t.tax for t in self.tax_lines], self.currency)

    @cached_property
    def total(self) -> Money:
        return self.subtotal + self.tax_total

    @property
    def is_draft(self) -> bool:
        return self.number is None

    def finalised(self, number: str, issue_date: date) -> Invoice:
        """The approved version: a number, issued today, due date moved if it came from terms.

        Raises InvoiceInvalid when its dates no longer hold on `issue_date` (a fixed due date
        that has passed since the draft; EN 16931 has no invoice due before it is issued)."""
        due = self.due_date
        if self.is_credit_note:  # nothing falls due on a credit note: it is dated, not due
            due = issue_date
        elif self.payment_terms_days is not None:
            due = issue_date + timedelta(days=self.payment_terms_days)
        problems = date_problems(issue_date, due, self.service_date)
        if problems:
            raise InvoiceInvalid(problems)
        return dataclasses.replace(self, number=number, issue_date=issue_date, due_date=due)


def vat_notes(tax_lines: tuple[TaxLine, ...]) -> list[TaxLine]:
    """The breakdowns whose exemption reason the invoice must state, once per category and
    reason (EN 16931 BT-120; Art. 226 VAT Directive: reverse charge, exemptions)."""
    seen: set[tuple[str | None, str]] = set()
    out = []
    for tax in tax_lines:
        key = (tax.category, tax.exemption_reason)
        if tax.exemption_reason and key not in seen:
            seen.add(key)
            out.append(tax)
    return out


def _plain(rate: Decimal) -> Decimal:
    """The rate without trailing zeros and never in exponent form (20, not 2E+1)."""
    rate = rate.normalize()
    exponent = rate.as_tuple().exponent
    return rate.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else rate


def amount_problems(lines: tuple[InvoiceLine, ...], currency: str) -> list[FieldProblem]:
    """What is wrong with an invoice's money: its net and total must be greater than zero and
    its VAT zero or more (negative lines are discounts; credits belong to credit notes)."""
    probe = Invoice("", "", "", "", Party(""), Party(""), currency, lines, date.min, date.min)
    problems = []
    if probe.subtotal.amount <= 0:
        problems.append(
            FieldProblem(
                "line_items", f"total must be greater than zero (the net is {probe.subtotal})"
            )
        )
    elif probe.tax_total.amount < 0:
        problems.append(
            FieldProblem(
                "line_items",
                f"the VAT would be {probe.tax_total}: discounts may not take more tax off than "
                "the lines at that rate add (credits belong to credit notes)",
            )
        )
    elif probe.total.amount <= 0:
        problems.append(
            FieldProblem("line_items", f"total must be greater than zero (it is {probe.total})")
        )
    else:
        gross = sum(abs(ln.net.amount) * (100 + ln.tax_rate) / 100 for ln in lines)
        if gross > MAX_ABS_AMOUNT:
            too_large = f"total with tax is too large (at most {MAX_ABS_AMOUNT})"
            problems.append(FieldProblem("line_items", too_large))
    return problems


def date_problems(
    issue_date: date, due_date: date, service_date: date | None
) -> list[FieldProblem]:
    """An invoice is not due before it is issued, nor issued before the work was done."""
    problems = []
    if due_date < issue_date:
        problems.append(
            FieldProblem("due_date", f"{due_date} is before the invoice date {issue_date}")
        )
    if service_date is not None and service_date > issue_date:
        problems.append(
            FieldProblem(
                "completed_at",
                f"{service_date} is after the invoice date {issue_date} (work not done yet)",
            )
        )
    return problems


def readiness_problems(record: Record, policy: Policy, today: date) -> list[FieldProblem]:
    """Everything the record lacks before it can be invoiced on `today`, by field name."""
    problems: list[FieldProblem] = []
    if not record.client.name:
        problems.append(FieldProblem("client.name", "missing"))
    if not record.client.email and not record.client.address:
        problems.append(FieldProblem("client.email", "missing (or give client.address)"))
    currency = record.currency or policy.invoice.currency
    if not record.line_items:
        problems.append(FieldProblem("line_items", "missing (or give amount)"))
    elif currency:
        problems += amount_problems(_lines(record, currency), currency)
    if not currency:
        problems.append(FieldProblem("currency", "missing"))
    if not record.owner:
        problems.append(FieldProblem("owner", "missing (a member ID like U0123ABCD)"))
    if record.client.language and (why := language_problem(record.client.language)):
        problems.append(FieldProblem("client.language", why))
    due, _ = _due_date(record, policy, today)
    problems += date_problems(today, due, record.completed_at)
    einvoice = policy.invoice.einvoice is not None
    problems += vat_problems(record, policy.company, einvoice, currency or "")
    return problems


def _lines(record: Record, currency: str) -> tuple[InvoiceLine, ...]:
    lines = []
    for li in record.line_items:
        vat = line_vat(li)
        price = Money(li.unit_price, currency)
        lines.append(
            InvoiceLine(li.description, li.quantity, price, li.tax_rate, vat.category, vat.reason)
        )
    return tuple(lines)


def _due_date(record: Record, policy: Policy, today: date) -> tuple[date, int | None]:
    """The record's due date, or `today` plus its (or the policy's) payment terms."""
    if record.due_date is not None:
        return record.due_date, None
    terms = (
        record.payment_terms_days
        if record.payment_terms_days is not None
        else policy.invoice.payment_terms_days
    )
    return today + timedelta(days=terms), terms


def draft_invoice(record: Record, policy: Policy, today: date) -> Invoice:
    """Build the draft invoice for a ready record, or raise RecordNotReady listing every gap."""
    problems = readiness_problems(record, policy, today)
    if problems:
        raise RecordNotReady(record.id, problems)
    currency = record.currency or policy.invoice.currency
    due, terms = _due_date(record, policy, today)
    # Checked above; a record stored before tags were normalised may say "de-DE".
    language = language_tag(record.client.language) or policy.invoice.language
    return Invoice(
        record_id=record.id,
        title=record.title,
        scope_ref=record.scope_ref,
        owner=record.owner,
        seller=Party.from_company(policy.company),
        buyer=Party.from_client(record.client),
        currency=currency,
        lines=_lines(record, currency),
        issue_date=today,
        due_date=due,
        payment_terms_days=terms,
        language=language,
        locale=policy.invoice.locale or LOCALE_OF[language],
        logo_path=str(policy.company.logo) if policy.company.logo else None,
        service_date=record.completed_at,
        einvoice=policy.invoice.einvoice,
    )
