"""VAT categories on lines: what a record may say, what it defaults to, what the PDF prints,
and what e-invoicing additionally asks for (EN 16931)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pypdf
import pytest

from billing_core.errors import RecordInvalid, RecordNotReady
from billing_core.importing import parse_records_file
from billing_core.invoice import draft_invoice
from billing_core.invoice_json import invoice_from_json, invoice_to_json
from billing_core.pdf import render_invoice_pdf
from billing_core.policy import Policy
from billing_core.records import parse_record, record_to_json

TODAY = date(2026, 11, 25)
Builder = Callable[..., dict[str, Any]]


def line(rate: str = "19", price: str = "100.00", **extra: str) -> dict[str, str]:
    return {"description": "Work", "quantity": "1", "unit_price": price, "tax_rate": rate, **extra}


def problems_of(error: RecordInvalid | RecordNotReady) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def einvoicing(policy: Policy, **company: str) -> Policy:
    base = {"address": "Torstrasse 1\n10119 Berlin", "tax_id": "DE999999999", **company}
    return dataclasses.replace(
        policy,
        company=dataclasses.replace(policy.company, **base),
        invoice=dataclasses.replace(policy.invoice, einvoice="factur-x"),
    )


def test_a_line_above_zero_is_standard_rated_and_the_old_format_reads_back_unchanged(
    record_data: Builder, policy: Policy
) -> None:
    data = record_data()
    record = parse_record(data)
    assert record.line_items[0].tax_category is None  # as given: nothing
    assert record_to_json(record)["line_items"] == data["line_items"]
    invoice = draft_invoice(record, policy, TODAY)
    assert [(t.category, t.exemption_reason) for t in invoice.tax_lines] == [("S", "")]


def test_standard_wordings_are_the_default_and_exempt_needs_a_reason(record_data: Builder) -> None:
    record = parse_record(
        record_data(
            line_items=[
                line("0", tax_category="AE"),
                line("0", tax_category="k"),
                line("0", tax_category="G"),
            ]
        )
    )
    assert [li.tax_category for li in record.line_items] == ["AE", "K", "G"]
    with pytest.raises(RecordInvalid) as caught:
        parse_record(record_data(line_items=[line("0", tax_category="E")]))
    assert problems_of(caught.value)["line_items[0].tax_exemption_reason"].startswith(
        "missing: category E (exempt) needs the legal reason"
    )


def test_every_bad_category_field_is_named_at_once(record_data: Builder) -> None:
    data = record_data(
        line_items=[
            line("19", tax_category="X"),
            line("0", tax_category="S"),
            line("7", tax_category="Z"),
            line("19", tax_exemption_reason="Because"),
            line("0", tax_category="E", tax_exemption_reason="§4 Nr. 21 UStG"),
            line("0", tax_category="E", tax_exemption_reason="§4 Nr. 14 UStG"),
        ]
    )
    with pytest.raises(RecordInvalid) as caught:
        parse_record(data)
    problems = problems_of(caught.value)
    assert set(problems) == {
        "line_items[0].tax_category",
        "line_items[1].tax_category",
        "line_items[2].tax_rate",
        "line_items[3].tax_exemption_reason",
    }
    assert "S, Z, E, AE, K, G, O" in problems["line_items[0].tax_category"]
    assert problems["line_items[2].tax_rate"] == "must be 0 for category Z (zero rated), not 7"


def test_lines_of_one_category_and_rate_agree_on_their_reason(record_data: Builder) -> None:
    data = record_data(
        line_items=[
            line("0", tax_category="E", tax_exemption_reason="§4 Nr. 21 UStG"),
            line("0", tax_category="E", tax_exemption_reason="§4 Nr. 21 UStG"),
            line("0", tax_category="E", tax_exemption_reason="§4 Nr. 14 UStG"),
            line("0", tax_category="AE", tax_exemption_reason="Reverse charge"),  # the default
            line("0", tax_category="AE"),
        ]
    )
    with pytest.raises(RecordInvalid) as caught:
        parse_record(data)
    assert list(problems_of(caught.value)) == ["line_items[2].tax_exemption_reason"]
    assert "differs from line_items[0]" in str(caught.value)


def test_reverse_charge_and_intra_community_need_the_buyers_vat_id(
    record_data: Builder, policy: Policy
) -> None:
    data = record_data(line_items=[line("0", tax_category="AE")])
    del data["client"]["tax_id"]
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(parse_record(data), policy, TODAY)
    assert problems_of(caught.value) == {
        "client.tax_id": "missing: AE (reverse charge) needs the buyer's VAT ID"
    }


def test_zero_percent_without_category_is_fine_on_paper_and_named_for_an_einvoice(
    record_data: Builder, policy: Policy
) -> None:
    record = parse_record(record_data(line_items=[line("19"), line("0")]))
    draft_invoice(record, policy, TODAY)  # a plain PDF: fine
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(record, einvoicing(policy), TODAY)
    assert list(problems_of(caught.value)) == ["line_items[1].tax_category"]


def test_einvoicing_names_every_missing_party_field(record_data: Builder, policy: Policy) -> None:
    data = record_data(line_items=[line("0", tax_category="K")], completed_at=None)
    del data["client"]["country"]
    bare = einvoicing(policy, address="", tax_id="", country="")
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(parse_record(data), bare, TODAY)
    assert set(problems_of(caught.value)) == {
        "client.country",
        "company.address",
        "company.country",
        "company.tax_id",
        "completed_at",
    }


def test_a_currency_with_three_decimals_cannot_be_einvoiced(
    record_data: Builder, policy: Policy
) -> None:
    record = parse_record(record_data(currency="KWD"))
    draft_invoice(record, policy, TODAY)
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(record, einvoicing(policy), TODAY)
    assert list(problems_of(caught.value)) == ["currency"]


def test_category_o_stands_alone_on_an_einvoice(record_data: Builder, policy: Policy) -> None:
    record = parse_record(record_data(line_items=[line("19"), line("0", tax_category="O")]))
    draft_invoice(record, policy, TODAY)
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(record, einvoicing(policy), TODAY)
    assert "cannot share an e-invoice" in problems_of(caught.value)["line_items"]


def test_the_breakdown_groups_by_category_and_rate_and_the_snapshot_keeps_it(
    record_data: Builder, policy: Policy
) -> None:
    exempt = "Exempt under §4 Nr. 21 UStG"
    record = parse_record(
        record_data(
            line_items=[
                line("19", "100.00"),
                line("0", "50.00", tax_category="E", tax_exemption_reason=exempt),
                line("0", "30.00", tax_category="Z"),
                line("0", "20.00", tax_category="E", tax_exemption_reason=exempt),
            ]
        )
    )
    invoice = draft_invoice(record, policy, TODAY)
    breakdown = [(t.category, str(t.rate), str(t.net.amount)) for t in invoice.tax_lines]
    assert breakdown == [("E", "0", "70.00"), ("Z", "0", "30.00"), ("S", "19", "100.00")]
    assert invoice_from_json(invoice_to_json(invoice)) == invoice


def test_a_snapshot_stored_before_categories_reads_as_standard_rated(
    record_data: Builder, policy: Policy
) -> None:
    invoice = draft_invoice(parse_record(record_data()), policy, TODAY)
    old = invoice_to_json(invoice)
    for stored in old["lines"]:
        del stored["tax_category"]
    assert invoice_from_json(old) == invoice


def test_the_pdf_prints_each_categorys_note_under_the_totals(
    record_data: Builder, policy: Policy
) -> None:
    record = parse_record(
        record_data(
            line_items=[
                line("19", "100.00"),
                line("0", "1000.00", tax_category="AE"),
                line("0", "50.00", tax_category="E", tax_exemption_reason="§4 Nr. 21 UStG"),
            ]
        )
    )
    pdf = render_invoice_pdf(draft_invoice(record, policy, TODAY))
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "VAT 0% (AE) on €1,000.00" in text
    assert "AE: Reverse charge" in text
    assert "E: §4 Nr. 21 UStG" in text
    assert "VAT 19% on €100.00 €19.00" in text


def test_csv_lines_carry_category_and_reason() -> None:
    text = (
        "id,owner,client_name,client_email,client_tax_id,description,unit_price,tax_rate,"
        "tax_category,tax_exemption_reason\n"
        "P-1,U0OWNER,Acme,a@example.com,FR123,Work,100,0,AE,\n"
        "P-1,,,,,Course,50,0,E,Exempt (Art. 132)\n"
    )
    (record,) = parse_records_file("r.csv", text)
    assert [(li.tax_category, li.tax_exemption_reason) for li in record.line_items] == [
        ("AE", ""),
        ("E", "Exempt (Art. 132)"),
    ]
