"""The invoice snapshot as EN 16931 CII XML (UN/CEFACT Cross Industry Invoice, Factur-X profile
EN 16931), built with drafthorse from the same `Invoice` the PDF is rendered from.

`invoice_xml(invoice, document_type="380", preview=False)` returns UTF-8 XML bytes that
drafthorse has validated against the Factur-X EN 16931 XSD. A `preview` (a draft, no number)
gets BT-1 `DRAFT-<record id>` and a note saying it is no invoice. `document_type` is the UNTDID
1001 code (BT-3): 380 commercial invoice; a credit note is 381 (`document_type_of` picks it).

A credit note (type 381) carries positive amounts, as EN 16931 wants (the type says they are a
credit), names the invoice it corrects in BT-25 (its number) and BT-26 (its issue date), gives
its reason as a note (BT-22), and asks for no payment: payment means 1 (not defined) without
the seller's account, due on its own date.

Mapping, by EN 16931 term: BT-1 number, BT-2 issue date, BT-5 currency, BT-9 due date, BT-10
buyer reference (the scope reference), BT-20 payment terms, BT-22 notes, BT-27..BT-40 seller
(name, VAT ID BT-31 or tax number BT-32, postal address, country), BT-44..BT-55 buyer, BT-72
actual delivery date (the service date), BT-81 payment means (58 SEPA credit transfer when an
IBAN is configured, else 1 not defined), BT-83 remittance information (the number), BT-84 IBAN,
BT-86 BIC, BG-23 VAT breakdown per (category, rate) with BT-120 exemption reasons, BG-25 lines
(quantity in C62 "one", net price BT-146, line net BT-131, category BT-151 and rate BT-152), and
the document totals BT-106..BT-115.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from billing_core.invoice import Invoice, InvoiceLine, Party

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
INVOICE = "380"  # UNTDID 1001 commercial invoice
CREDIT_NOTE = "381"  # UNTDID 1001 credit note
UNIT_ONE = "C62"  # UN/ECE Rec 20 "one": records give no unit of measure
PREVIEW_NOTE = (
    "PREVIEW of a draft, not an invoice: it has no invoice number and must not be booked or paid."
)
_VAT_ID = re.compile(r"^(?:[A-Z]{2}|EL)[0-9A-Z+*.]{2,12}$")
_POSTCODE_CITY = re.compile(r"^([A-Z]{0,3}-?\d[\dA-Z -]{1,9}?)\s+(\S.*)$")


def document_type_of(invoice: Invoice) -> str:
    """BT-3 of `invoice`: 381 for a credit note, else 380."""
    return CREDIT_NOTE if invoice.is_credit_note else INVOICE


def invoice_xml(invoice: Invoice, document_type: str = INVOICE, *, preview: bool = False) -> bytes:
    """The invoice as Factur-X EN 16931 CII XML (UTF-8 bytes, XSD-validated by drafthorse).

    Raises ValueError when the invoice has no number and is not a `preview`, or a line has no
    VAT category, and whatever
    drafthorse raises when the XML would not match the schema (a bug here, never bad input:
    readiness checks guarantee the fields EN 16931 needs)."""
    if invoice.number is None and not preview:
        raise ValueError("a final e-invoice needs an invoice number")
    uncategorised = [n for n, line in enumerate(invoice.lines) if line.tax_category is None]
    if uncategorised:
        # readiness_problems refuses such a record when e-invoicing is on; this is a guard.
        raise ValueError(f"line_items[{uncategorised[0]}] has no VAT category (tax_category)")
    doc = Document()
    doc.context.guideline_parameter.id = EN16931_GUIDELINE
    number = f"DRAFT-{invoice.record_id}" if preview else str(invoice.number)
    doc.header.id = number
    doc.header.type_code = document_type
    doc.header.issue_date_time = invoice.issue_date
    notes = [PREVIEW_NOTE] if preview else []
    if invoice.title:
        notes.append(invoice.title)
    credit = document_type == CREDIT_NOTE
    if credit and invoice.credit_reason:
        notes.append(f"Credit note for invoice {invoice.credits_number}: {invoice.credit_reason}")
    for text in notes:
        note = IncludedNote()
        note.content = text
        doc.header.notes.add(note)

    trade = doc.trade
    if invoice.scope_ref:
        trade.agreement.buyer_reference = invoice.scope_ref
    in_scope = _within_vat(invoice)
    _party(trade.agreement.seller, invoice.seller, vat_id=in_scope)
    _party(trade.agreement.buyer, invoice.buyer, vat_id=in_scope)
    if not in_scope and invoice.seller.tax_id:
        # BR-CO-26 still wants the seller identified: its tax ID as the seller identifier.
        trade.agreement.seller.id = _compact(invoice.seller.tax_id)
    if invoice.service_date is not None:
        trade.delivery.event.occurrence = invoice.service_date
    if any(line.tax_category == "K" for line in invoice.lines):
        # BR-IC-12: an intra-community supply names the country delivered to.
        trade.delivery.ship_to.address.country_id = invoice.buyer.country

    settlement = trade.settlement
    settlement.currency_code = invoice.currency
    settlement.payment_reference = number
    if credit and invoice.credits_number:
        # BT-25, BT-26: the invoice this credit note corrects (BG-3, preceding invoice).
        preceding = settlement.invoice_referenced_document
        preceding.issuer_assigned_id = invoice.credits_number
        if invoice.credits_issue_date is not None:
            preceding.issue_date_time = invoice.credits_issue_date
    means = PaymentMeans()
    if invoice.seller.iban and not credit:
        means.type_code = "58"  # SEPA credit transfer
        means.payee_account.iban = _compact(invoice.seller.iban)
        if invoice.seller.bic:
            means.payee_institution.bic = _compact(invoice.seller.bic)
    else:
        means.type_code = "1"  # instrument not defined
    settlement.payment_means.add(means)
    for tax in invoice.tax_lines:
        breakdown = ApplicableTradeTax()
        breakdown.calculated_amount = tax.tax.amount
        breakdown.basis_amount = tax.net.amount
        breakdown.type_code = "VAT"
        breakdown.category_code = tax.category
        if tax.exemption_reason:
            breakdown.exemption_reason = tax.exemption_reason
        if tax.category != "O":  # BR-O-09: no rate outside the scope of VAT
            breakdown.rate_applicable_percent = _two_places(tax.rate)
        settlement.trade_tax.add(breakdown)
    terms = PaymentTerms()
    if invoice.payment_terms_days:
        terms.description = f"Net {invoice.payment_terms_days} days"
    terms.due = invoice.due_date
    settlement.terms.add(terms)

    totals = settlement.monetary_summation
    totals.line_total = invoice.subtotal.amount
    totals.charge_total = Decimal("0.00")
    totals.allowance_total = Decimal("0.00")
    totals.tax_basis_total = invoice.subtotal.amount
    totals.tax_total = (invoice.tax_total.amount, invoice.currency)
    totals.grand_total = invoice.total.amount
    totals.due_amount = invoice.total.amount

    for n, line in enumerate(invoice.lines, start=1):
        trade.items.add(_line(n, line))
    xml: bytes = doc.serialize(schema="FACTUR-X_EN16931")
    return xml


def _line(n: int, line: InvoiceLine) -> LineItem:
    item = LineItem()
    item.document.line_id = str(n)
    item.product.name = line.description
    quantity, price = line.quantity, line.unit_price.amount
    if price < 0:
        # BR-27: the net price is never negative; a discount is a negative quantity instead
        # (the line net, quantity x price, is the same).
        quantity, price = -quantity, -price
    item.agreement.net.amount = price
    item.delivery.billed_quantity = (quantity, UNIT_ONE)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = line.tax_category
    if line.tax_category != "O":  # BR-O-05
        item.settlement.trade_tax.rate_applicable_percent = _two_places(line.tax_rate)
    item.settlement.monetary_summation.total_amount = line.net.amount
    return item


def _party(target: Any, party: Party, *, vat_id: bool) -> None:
    """Name, postal address and VAT ID (schemeID VA) or tax number (FC) of seller or buyer."""
    target.name = party.name
    postal = postal_address(party.address)
    address = target.address
    for attr, value in postal.items():
        setattr(address, attr, value)
    address.country_id = party.country
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if party.tax_id and vat_id:
        tax_id = _compact(party.tax_id)
        scheme = "VA" if _VAT_ID.fullmatch(tax_id) else "FC"
        target.tax_registrations.add(TaxRegistration(id=(scheme, tax_id)))


def _within_vat(invoice: Invoice) -> bool:
    """BR-O-02, BR-O-03: an invoice outside the scope of VAT carries no VAT IDs."""
    return any(line.tax_category != "O" for line in invoice.lines)


def postal_address(text: str) -> dict[str, str]:
    """A multi-line address as CII fields: the first line is LineOne, a line starting with a
    postcode gives PostcodeCode and CityName, other lines (up to two) LineTwo and LineThree.
    A last line after the city is taken for the country's name and left out (CountryID says
    it). Example: "Torstrasse 1\\n10119 Berlin\\nGermany" -> line_one, postcode, city_name."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out: dict[str, str] = {}
    city_at = None
    for n, line in enumerate(lines[1:], start=1):
        match = _POSTCODE_CITY.match(line)
        if match:
            out["postcode"], out["city_name"] = match.group(1).strip(), match.group(2)
            city_at = n
    rest = [
        line
        for n, line in enumerate(lines)
        if n != city_at and not (city_at is not None and n > city_at and n == len(lines) - 1)
    ]
    for attr, line in zip(("line_one", "line_two", "line_three"), rest, strict=False):
        out[attr] = line
    return out


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def _two_places(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal("0.01"))
