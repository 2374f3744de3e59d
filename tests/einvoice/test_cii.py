"""The EN 16931 XML says what the invoice says: BT values, VAT breakdown and totals, valid
against the Factur-X XSD and with no failed assert of the EN 16931 schematron."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from billing_core.einvoice.cii import invoice_xml, postal_address
from billing_core.invoice import Invoice
from tests.einvoice.checks import (
    Breakdown,
    Cii,
    recomputation_problems,
    schematron_failures,
    xsd_valid,
)
from tests.einvoice.conftest import line

Build = Callable[..., Invoice]
FR_CLIENT = {
    "name": "Société Générale d'Études SARL",
    "email": "compta@example.fr",
    "address": "12 rue de l'Église\n75004 Paris",
    "country": "FR",
    "tax_id": "FR40303265045",
}


def checked(invoice: Invoice) -> Cii:
    """The invoice's XML after every check a receiver would make."""
    xml = invoice_xml(invoice)
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert recomputation_problems(cii) == []
    return cii


def test_the_xml_carries_the_invoices_facts(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("10", "120.00")], scope_ref="SOW-17 milestone 2"))
    assert cii.number == "INV-2026-0042"
    assert cii.type_code == "380"
    assert cii.issue_date == "20261130"
    assert cii.settlement("ram:InvoiceCurrencyCode") == "EUR"
    assert cii.settlement("ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime") == "20261201"
    assert cii.text("//ram:BuyerReference") == "SOW-17 milestone 2"
    assert cii.text("//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == "20261120"
    means = "ram:SpecifiedTradeSettlementPaymentMeans"
    assert cii.settlement(f"{means}/ram:TypeCode") == "58"
    assert cii.settlement(f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == (
        "DE89370400440532013000"
    )
    assert cii.settlement(f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == (
        "COBADEFFXXX"
    )
    assert cii.settlement("ram:PaymentReference") == "INV-2026-0042"
    seller = "//ram:SellerTradeParty"
    assert cii.text(f"{seller}/ram:Name") == "Northwind Studio GmbH"
    assert cii.text(f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "DE999999999"
    )
    assert cii.text(f"{seller}/ram:PostalTradeAddress/ram:CityName") == "Berlin"
    assert cii.text(f"{seller}/ram:PostalTradeAddress/ram:PostcodeCode") == "10119"
    assert cii.text("//ram:BuyerTradeParty/ram:Name") == "Müller & Søn GmbH"
    assert cii.text("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == "DE"
    assert cii.total("GrandTotalAmount") == Decimal("1428.00")


def test_two_tax_rates_get_one_breakdown_each(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("10", "120.00", "19"), line("3", "33.33", "7")]))
    assert cii.breakdown == [
        Breakdown("S", Decimal("7.00"), Decimal("99.99"), Decimal("7.00"), ""),
        Breakdown("S", Decimal("19.00"), Decimal("1200.00"), Decimal("228.00"), ""),
    ]
    assert cii.total("DuePayableAmount") == Decimal("1534.99")


def test_the_rounding_trap_rounds_the_line_once(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("5", "7.405")]))
    assert cii.lines[0][2] == Decimal("37.03")  # 37.025 half-up
    assert cii.breakdown[0].tax == Decimal("7.04")  # 19 % of 37.03 = 7.0357
    assert cii.total("GrandTotalAmount") == Decimal("44.07")


def test_reverse_charge_to_another_eu_country(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("8", "150.00", "0", tax_category="AE")], client=FR_CLIENT))
    assert cii.breakdown == [
        Breakdown("AE", Decimal("0.00"), Decimal("1200.00"), Decimal("0.00"), "Reverse charge")
    ]
    buyer = "//ram:BuyerTradeParty"
    assert cii.text(f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == "FR40303265045"
    assert cii.text(f"{buyer}/ram:Name") == "Société Générale d'Études SARL"
    assert cii.text(f"{buyer}/ram:PostalTradeAddress/ram:CityName") == "Paris"


def test_intra_community_supply_names_the_delivery_country(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("1", "900.00", "0", tax_category="K")], client=FR_CLIENT))
    assert cii.text("//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == "FR"
    assert cii.breakdown[0].reason == "Intra-community supply"


def test_an_exempt_line_beside_a_standard_one(final_invoice: Build) -> None:
    reason = "Exempt under §4 Nr. 21 UStG"
    cii = checked(
        final_invoice(
            [
                line("2", "400.00"),
                line("1", "250.00", "0", tax_category="E", tax_exemption_reason=reason),
            ]
        )
    )
    assert [(b.category, b.reason) for b in cii.breakdown] == [("E", reason), ("S", "")]
    assert cii.total("TaxTotalAmount") == Decimal("152.00")


def test_outside_the_scope_of_vat_names_no_vat_ids(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("1", "500.00", "0", tax_category="O")]))
    assert cii.breakdown[0].reason == "Not subject to VAT"
    assert cii.text("//ram:SpecifiedTaxRegistration/ram:ID") == ""


def test_a_discount_line_is_a_negative_quantity_at_a_positive_price(final_invoice: Build) -> None:
    cii = checked(final_invoice([line("10", "100.00"), line("1", "-50.00")]))
    assert cii.lines[1][:3] == (Decimal("-1"), Decimal("50.00"), Decimal("-50.00"))


@pytest.mark.slow
def test_a_300_line_invoice(final_invoice: Build) -> None:
    lines = [line(str(n % 7 + 1), f"{n}.{n % 100:02d}", "19" if n % 3 else "7") for n in range(300)]
    cii = checked(final_invoice(lines))
    assert len(cii.lines) == 300


def test_a_preview_is_numbered_as_a_draft_and_says_so(final_invoice: Build) -> None:
    draft = final_invoice([line("1", "10.00")])
    from dataclasses import replace

    xml = invoice_xml(replace(draft, number=None), preview=True)
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert cii.number == "DRAFT-P-123"
    assert cii.notes[0].startswith("PREVIEW of a draft, not an invoice")
    with pytest.raises(ValueError, match="needs an invoice number"):
        invoice_xml(replace(draft, number=None))


def test_the_schematron_catches_what_a_broken_file_gets_wrong(final_invoice: Build) -> None:
    """The checks can fail: a total off by one cent is caught by the recomputation, a missing
    seller country by the schematron."""
    xml = invoice_xml(final_invoice([line("1", "10.00")]))
    broken = xml.replace(b"<ram:GrandTotalAmount>11.90<", b"<ram:GrandTotalAmount>11.91<")
    assert recomputation_problems(Cii(broken))
    assert any(f.startswith("BR-CO-15") for f in schematron_failures(broken))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Torstrasse 1\n10119 Berlin\nGermany",
         {"line_one": "Torstrasse 1", "postcode": "10119", "city_name": "Berlin"}),
        ("Hauptstraße 5\n80331 München",
         {"line_one": "Hauptstraße 5", "postcode": "80331", "city_name": "München"}),
        ("c/o Studio B\nRue Neuve 3\n1000 Bruxelles\nBelgium",
         {"line_one": "c/o Studio B", "line_two": "Rue Neuve 3", "postcode": "1000",
          "city_name": "Bruxelles"}),
        ("Somewhere", {"line_one": "Somewhere"}),
        ("", {}),
    ],
)  # fmt: skip
def test_postal_addresses_split_into_cii_fields(text: str, expected: dict[str, str]) -> None:
    assert postal_address(text) == expected
