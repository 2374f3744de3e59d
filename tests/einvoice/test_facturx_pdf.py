"""A final invoice with `einvoice = "factur-x"` is one file for people and machines: the PDF
reads as before, and the XML extracted from it is a valid EN 16931 invoice saying the same."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from decimal import Decimal

import facturx
import pypdf
import pytest

from billing_core.invoice import Invoice
from billing_core.pdf import render_einvoice_preview, render_invoice_pdf
from tests.einvoice.checks import (
    Cii,
    recomputation_problems,
    schematron_failures,
    structure_problems,
    xsd_valid,
)
from tests.einvoice.conftest import line

Build = Callable[..., Invoice]


def attached_xml(pdf: bytes) -> bytes:
    """factur-x.xml as a receiver's software extracts it (the factur-x library)."""
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    return bytes(xml)


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def reverse_charge_and_standard(mixed_vat_invoice: Invoice) -> Invoice:
    return mixed_vat_invoice


def test_the_final_pdf_carries_the_invoice_as_valid_en16931_xml(
    reverse_charge_and_standard: Invoice,
) -> None:
    pdf = render_invoice_pdf(reverse_charge_and_standard)
    xml = attached_xml(pdf)
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert recomputation_problems(cii) == []
    assert cii.number == "INV-2026-0042"
    assert cii.issue_date == "20261130"
    assert cii.settlement("ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime") == "20261201"
    iban = "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount"
    assert cii.settlement(f"{iban}/ram:IBANID") == "DE89370400440532013000"
    assert [(b.category, b.rate, b.basis, b.tax) for b in cii.breakdown] == [
        ("AE", Decimal("0.00"), Decimal("1000.00"), Decimal("0.00")),
        ("S", Decimal("7.00"), Decimal("160.00"), Decimal("11.20")),
        ("S", Decimal("19.00"), Decimal("37.03"), Decimal("7.04")),
    ]
    # The PDF a person reads says the same, from the same snapshot.
    text = text_of(pdf)
    assert "INVOICE" in text and "DRAFT" not in text
    assert "INV-2026-0042" in text
    for amount in (cii.total("LineTotalAmount"), cii.total("GrandTotalAmount")):
        assert f"€{amount:,.2f}" in text
    assert "VAT 7% on €160.00 €11.20" in text
    assert "VAT 19% on €37.03 €7.04" in text
    assert "AE: Reverse charge" in text


def test_the_final_pdf_is_pdfa3_factur_x_in_one_piece(reverse_charge_and_standard: Invoice) -> None:
    pdf = render_invoice_pdf(reverse_charge_and_standard)
    assert structure_problems(pdf) == []


def test_the_structure_check_can_fail(reverse_charge_and_standard: Invoice) -> None:
    """facturx's generate_from_binary appends the new file to the old one: caught."""
    plain_pdfa = render_invoice_pdf(dataclasses.replace(reverse_charge_and_standard, einvoice=None))
    assert structure_problems(plain_pdfa)  # no XMP part 3, no attachment
    appended = facturx.generate_from_binary(
        render_invoice_pdf(reverse_charge_and_standard),
        attached_xml(render_invoice_pdf(reverse_charge_and_standard)),
        check_xsd=False,
    )
    assert any("headers" in p for p in structure_problems(appended))


def test_without_einvoicing_and_for_drafts_the_pdf_stays_plain(
    reverse_charge_and_standard: Invoice,
) -> None:
    for invoice in (
        dataclasses.replace(reverse_charge_and_standard, einvoice=None),
        dataclasses.replace(reverse_charge_and_standard, number=None),
    ):
        reader = pypdf.PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
        assert reader.attachments == {}
        assert "/AF" not in reader.trailer["/Root"]


def test_a_preview_is_marked_draft_in_the_pdf_and_in_the_xml(
    reverse_charge_and_standard: Invoice,
) -> None:
    draft = dataclasses.replace(reverse_charge_and_standard, number=None)
    pdf = render_einvoice_preview(draft)
    assert structure_problems(pdf) == []
    xml = attached_xml(pdf)
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert cii.number == "DRAFT-P-123"
    assert cii.notes[0].startswith("PREVIEW of a draft, not an invoice")
    text = text_of(pdf)
    assert "DRAFT" in text and "not valid for payment" in text
    assert "INV-" not in text
    with pytest.raises(ValueError, match="a preview is of a draft"):
        render_einvoice_preview(reverse_charge_and_standard)


def test_accented_names_survive_into_the_xml(final_invoice: Build) -> None:
    client = {
        "name": "Ærøskøbing Ølbryggeri ApS – Zoë Ångström",
        "email": "zoe@example.dk",
        "address": "Vestergade 3\n5970 Ærøskøbing",
        "country": "DK",
        "tax_id": "DK13585628",
    }
    pdf = render_invoice_pdf(final_invoice([line("1", "100.00", "0", tax_category="K")],
                                           client=client))  # fmt: skip
    cii = Cii(attached_xml(pdf))
    assert cii.text("//ram:BuyerTradeParty/ram:Name") == client["name"]
    assert cii.text("//ram:BuyerTradeParty//ram:CityName") == "Ærøskøbing"
    assert schematron_failures(attached_xml(pdf)) == []
    assert client["name"] in text_of(pdf)


@pytest.mark.slow
def test_a_300_line_factur_x_pdf_is_valid_and_adds_up(final_invoice: Build) -> None:
    lines = [
        line(str(n % 7 + 1), f"{n}.{n % 100:02d}5", "19" if n % 3 else "7") for n in range(300)
    ]
    pdf = render_invoice_pdf(final_invoice(lines))
    assert structure_problems(pdf) == []
    xml = attached_xml(pdf)
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert len(cii.lines) == 300
    assert recomputation_problems(cii) == []
    assert f"€{cii.total('GrandTotalAmount'):,.2f}" in text_of(pdf)
