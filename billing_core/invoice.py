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
from typing import Any

from billing_core.einvoice.readiness import vat_problems
from billing_core.errors import FieldProblem, InvoiceInvalid, RecordNotReady
from billing_core.money import MAX_ABS_AMOUNT, Money, round_half_up, sum_money
from billing_core.policy import CompanyPolicy, EInvoiceKind, Policy
from billing_core.records import Client, Record, line_vat
from billing_core.vat import TaxCategory, category_of


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
    locale: str = "en_US"
    number: str | None = None
    logo_path: str | None = None
    service_date: date | None = None  # the record's completed_at
    einvoice: EInvoiceKind | None = None  # the final PDF carries EN 16931 XML (policy at draft)

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
        if self.payment_terms_days is not None:
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
        locale=policy.invoice.locale,
        logo_path=str(policy.company.logo) if policy.company.logo else None,
        service_date=record.completed_at,
        einvoice=policy.invoice.einvoice,
    )


def invoice_to_json(invoice: Invoice) -> dict[str, Any]:
    """The snapshot as plain JSON (amounts as strings) for storage."""
    return {
        "record_id": invoice.record_id,
        "title": invoice.title,
        "scope_ref": invoice.scope_ref,
        "owner": invoice.owner,
        "seller": dataclasses.asdict(invoice.seller),
        "buyer": dataclasses.asdict(invoice.buyer),
        "currency": invoice.currency,
        "lines": [_line_json(line) for line in invoice.lines],
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "payment_terms_days": invoice.payment_terms_days,
        "locale": invoice.locale,
        "number": invoice.number,
        "logo_path": invoice.logo_path,
        "service_date": invoice.service_date.isoformat() if invoice.service_date else None,
        **({"einvoice": invoice.einvoice} if invoice.einvoice else {}),
    }


def _line_json(line: InvoiceLine) -> dict[str, str]:
    out = {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price.amount),
        "tax_rate": str(line.tax_rate),
    }
    # Only when set, so snapshots stored before VAT categories existed read back unchanged.
    if line.tax_category is not None:
        out["tax_category"] = line.tax_category
    if line.tax_exemption_reason:
        out["tax_exemption_reason"] = line.tax_exemption_reason
    return out


def invoice_from_json(data: dict[str, Any]) -> Invoice:
    """Inverse of invoice_to_json."""
    currency = data["currency"]
    return Invoice(
        record_id=data["record_id"],
        title=data["title"],
        scope_ref=data["scope_ref"],
        owner=data["owner"],
        seller=Party(**data["seller"]),
        buyer=Party(**data["buyer"]),
        currency=currency,
        lines=tuple(
            InvoiceLine(
                line["description"],
                Decimal(line["quantity"]),
                Money(Decimal(line["unit_price"]), currency),
                Decimal(line["tax_rate"]),
                # Snapshots from before VAT categories: a rate above 0 was standard rated.
                category_of(line.get("tax_category"))
                or ("S" if Decimal(line["tax_rate"]) > 0 else None),
                line.get("tax_exemption_reason", ""),
            )
            for line in data["lines"]
        ),
        issue_date=date.fromisoformat(data["issue_date"]),
        due_date=date.fromisoformat(data["due_date"]),
        payment_terms_days=data.get("payment_terms_days"),
        locale=data.get("locale", "en_US"),
        number=data.get("number"),
        logo_path=data.get("logo_path"),
        service_date=date.fromisoformat(data["service_date"]) if data.get("service_date") else None,
        einvoice="factur-x" if data.get("einvoice") == "factur-x" else None,
    )
