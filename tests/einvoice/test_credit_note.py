"""A credit note of an e-invoice is an e-invoice too: EN 16931 type 381 with positive amounts,
naming the invoice it corrects (BT-25 number, BT-26 date), valid against the Factur-X XSD and
the EN 16931 schematron, inside the credit note's final PDF (which reads as a credit)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import facturx
import pypdf
import pytest

from billing_core.credit import draft_credit_note
from billing_core.einvoice.cii import invoice_xml
from billing_core.invoice import Invoice
from billing_core.money import Money
from billing_core.pdf import render_invoice_pdf
from billing_core.state import InvoiceState
from billing_core.status import Status
from tests.einvoice.checks import (
    Breakdown,
    Cii,
    recomputation_problems,
    schematron_failures,
    structure_problems,
    xsd_valid,
)
from tests.einvoice.conftest import line

Build = Callable[..., Invoice]
CREDITED_ON = date(2026, 12, 4)
D = Decimal


def issued(invoice: Invoice) -> InvoiceState:
    paid = Money.zero(invoice.currency)
    return InvoiceState(
        7, invoice, Status.SENT, paid, "U0OWNER", datetime(2026, 11, 30, tzinfo=UTC)
    )


def credit_note(original: Invoice, amount: str | None, reason: str) -> Invoice:
    """Drafted by the credit rules and approved as CN-2026-0001 on Dec 4."""
    gross = None if amount is None else Money(D(amount), original.currency)
    draft = draft_credit_note(issued(original), gross, reason, CREDITED_ON)
    return draft.finalised("CN-2026-0001", CREDITED_ON)


def checked(xml: bytes) -> Cii:
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert recomputation_problems(cii) == []
    return cii


@pytest.fixture
def original(mixed_vat_invoice: Invoice) -> Invoice:
    return mixed_vat_invoice


def test_a_full_credit_note_is_type_381_with_positive_amounts_naming_the_invoice(
    original: Invoice,
) -> None:
    note = credit_note(original, None, "Order cancelled")
    assert note.einvoice == "factur-x"  # the original was an e-invoice
    pdf = render_invoice_pdf(note)
    assert structure_problems(pdf) == []
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    cii = checked(bytes(xml))
    assert cii.type_code == "381"
    assert cii.number == "CN-2026-0001"
    assert cii.issue_date == "20261204"
    preceding = "ram:InvoiceReferencedDocument"
    assert cii.settlement(f"{preceding}/ram:IssuerAssignedID") == "INV-2026-0042"  # BT-25
    assert cii.settlement(f"{preceding}/ram:FormattedIssueDateTime/*") == "20261130"  # BT-26
    assert cii.total("GrandTotalAmount") == original.total.amount == D("1215.27")
    assert cii.total("DuePayableAmount") > 0
    assert [b.category for b in cii.breakdown] == ["AE", "S", "S"]
    assert all(b.basis >= 0 and b.tax >= 0 for b in cii.breakdown)
    assert "Credit note for invoice INV-2026-0042: Order cancelled" in cii.notes
    means = "ram:SpecifiedTradeSettlementPaymentMeans"
    assert cii.settlement(f"{means}/ram:TypeCode") == "1"  # nothing to pay to the seller
    assert cii.settlement(f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ""
    # The page a person reads presents the same amounts as a credit.
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "CREDIT NOTE" in text and "INV-2026-0042" in text
    assert "-€1,215.27" in text


def test_a_partial_credit_keeps_each_breakdowns_vat_category(original: Invoice) -> None:
    """120.00 of 1215.27 split over AE 0 % (1000.00), S 7 % (171.20) and S 19 % (44.07) in
    proportion: 98.74 + 0.01 rounding difference, 16.90, 4.35. 16.90 is 15.79 + 1.11 VAT;
    no net makes 4.35 at 19 % (3.65 + 0.69 = 4.34, 3.66 + 0.70 = 4.36), so 4.34: a cent
    under, never over. The AE share stays reverse charge, with its reason (BT-120)."""
    note = credit_note(original, "120.00", "Discount agreed")
    cii = checked(invoice_xml(note, "381"))
    assert cii.type_code == "381"
    assert cii.breakdown == [
        Breakdown("AE", D("0.00"), D("98.75"), D("0.00"), "Reverse charge"),
        Breakdown("S", D("7.00"), D("15.79"), D("1.11"), ""),
        Breakdown("S", D("19.00"), D("3.65"), D("0.69"), ""),
    ]
    assert cii.total("GrandTotalAmount") == D("119.99")
    assert cii.settlement("ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ("INV-2026-0042")


def test_without_e_invoicing_the_credit_note_stays_a_plain_pdf(final_invoice: Build) -> None:
    import dataclasses

    plain = dataclasses.replace(final_invoice([line("10", "120.00")]), einvoice=None)
    pdf = render_invoice_pdf(credit_note(plain, None, "Order cancelled"))
    assert b"factur-x.xml" not in pdf
