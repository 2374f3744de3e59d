"""Invoice totals: line nets rounded half-up, tax per rate on the sum of nets (EN 16931)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billing_core.errors import RecordNotReady
from billing_core.invoice import Invoice, draft_invoice
from billing_core.invoice_json import invoice_from_json, invoice_to_json
from billing_core.money import Money
from billing_core.policy import Policy
from billing_core.records import parse_record

TODAY = date(2026, 11, 25)


def line(quantity: str, unit_price: str, tax_rate: str = "19", description: str = "Work") -> dict:
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": tax_rate,
    }


@pytest.fixture
def invoice_of(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> Callable[..., Invoice]:
    def build(lines: list[dict], currency: str = "EUR", **changes: Any) -> Invoice:
        data = record_data(line_items=lines, currency=currency, **changes)
        return draft_invoice(parse_record(data), policy, TODAY)

    return build


def money(text: str, currency: str = "EUR") -> Money:
    return Money(Decimal(text), currency)


def test_design_example_totals(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("10", "120.00", "19")])
    assert invoice.subtotal == money("1200.00")
    assert invoice.tax_total == money("228.00")
    assert invoice.total == money("1428.00")


def test_tax_is_rounded_once_per_rate_not_per_line(invoice_of: Callable[..., Invoice]) -> None:
    # Per line: 1.05 x 7% = 0.0735 -> 0.07, three times 0.21. Per rate: 3.15 x 7% = 0.2205 -> 0.22.
    invoice = invoice_of([line("1", "1.05", "7")] * 3)
    assert invoice.tax_total == money("0.22")
    assert invoice.total == money("3.37")


def test_mixed_tax_rates_get_one_tax_line_each_in_ascending_order(
    invoice_of: Callable[..., Invoice],
) -> None:
    invoice = invoice_of(
        [
            line("1", "1.05", "7"),
            line("1", "10.00", "19"),
            line("1", "1.05", "7"),
            line("1", "5.00", "0"),
            line("1", "1.05", "7.00"),
        ]
    )
    summary = [(t.rate, t.net, t.tax) for t in invoice.tax_lines]
    assert summary == [
        (Decimal(0), money("5.00"), money("0.00")),
        (Decimal(7), money("3.15"), money("0.22")),
        (Decimal(19), money("10.00"), money("1.90")),
    ]
    assert invoice.subtotal == money("18.15")
    assert invoice.tax_total == money("2.12")
    assert invoice.total == money("20.27")


def test_tax_rates_print_without_exponent(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("1", "100", "20"), line("1", "100", "10.50"), line("1", "1", "100")])
    assert [str(t.rate) for t in invoice.tax_lines] == ["10.5", "20", "100"]


def test_line_net_is_rounded_half_up_to_the_cent(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("0.5", "0.25", "0"), line("3", "0.3333", "0")])
    assert [ln.net for ln in invoice.lines] == [money("0.13"), money("1.00")]
    assert invoice.total == money("1.13")


def test_jpy_invoice_rounds_to_whole_yen(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("3", "333.5", "10")], currency="JPY")
    assert invoice.lines[0].net == money("1001", "JPY")
    assert invoice.tax_total == money("100", "JPY")
    assert invoice.total == money("1101", "JPY")
    assert str(invoice.total) == "1101 JPY"


def test_kwd_invoice_rounds_to_three_places(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("1", "1.2345", "5")], currency="KWD")
    assert invoice.lines[0].net == money("1.235", "KWD")
    assert invoice.tax_total == money("0.062", "KWD")
    assert str(invoice.total) == "1.297 KWD"


def test_zero_rate_lines_add_no_tax(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("2", "50.00", "0")])
    assert invoice.tax_total == money("0.00")
    assert invoice.total == money("100.00")


def test_negative_discount_line_reduces_net_and_tax(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("10", "120.00", "19"), line("1", "-200.00", "19", "Discount")])
    assert invoice.lines[1].net == money("-200.00")
    assert invoice.subtotal == money("1000.00")
    assert invoice.tax_total == money("190.00")
    assert invoice.total == money("1190.00")


def test_a_discount_bigger_than_the_work_is_not_ready(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    record = parse_record(record_data(line_items=[line("1", "10"), line("1", "-10")]))
    with pytest.raises(RecordNotReady, match="line_items: total must be greater than zero"):
        draft_invoice(record, policy, TODAY)


def test_amount_stands_in_for_line_items_as_one_untaxed_line(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    record = parse_record(record_data(line_items=None, amount="999.99"))
    invoice = draft_invoice(record, policy, TODAY)
    assert [(ln.description, ln.tax_rate) for ln in invoice.lines] == [
        ("SOW-17 milestone 2", Decimal(0))
    ]
    assert invoice.total == money("999.99")


def test_currency_defaults_to_the_policy_currency(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    invoice = draft_invoice(parse_record(record_data(currency=None)), policy, TODAY)
    assert invoice.currency == "EUR"
    assert invoice.total.currency == "EUR"


def test_due_date_from_payment_terms_counts_from_the_approval_day(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    record = parse_record(record_data(due_date=None, payment_terms_days=30))
    draft = draft_invoice(record, policy, TODAY)
    assert draft.due_date == date(2026, 12, 25)
    final = draft.finalised("INV-2026-0001", date(2026, 12, 1))
    assert (final.number, final.issue_date, final.due_date) == (
        "INV-2026-0001",
        date(2026, 12, 1),
        date(2026, 12, 31),
    )


def test_a_given_due_date_is_kept_on_approval(invoice_of: Callable[..., Invoice]) -> None:
    final = invoice_of([line("1", "1")]).finalised("INV-2026-0001", date(2026, 11, 30))
    assert final.due_date == date(2026, 12, 1)


def test_snapshot_survives_a_json_round_trip(invoice_of: Callable[..., Invoice]) -> None:
    invoice = invoice_of([line("10", "1.05", "7"), line("2.5", "-1.10", "7"), line("3", "9.99")])
    again = invoice_from_json(invoice_to_json(invoice))
    assert again == invoice
    assert again.total == invoice.total


def test_a_total_too_large_to_store_is_not_ready(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    huge = [line("9999999", "99999999", "19")]
    with pytest.raises(RecordNotReady, match="line_items: total with tax is too large"):
        draft_invoice(parse_record(record_data(line_items=huge)), policy, TODAY)
    just_fits = [line("1", "840335293276.46", "19")]  # 999999999999.99 with tax
    assert draft_invoice(parse_record(record_data(line_items=just_fits)), policy, TODAY)


# -- faults: totals and dates a finance user would never accept --------------------------------


def test_a_discount_at_a_taxed_rate_cannot_make_the_vat_negative(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    """100.00 at 0 % and -90.00 at 19 %: net 10.00, VAT -17.10, total -7.10. Refused."""
    lines = [line("1", "100.00", "0"), line("1", "-90.00", "19", "Discount")]
    record = parse_record(record_data(line_items=lines))
    with pytest.raises(RecordNotReady, match=r"line_items: the VAT would be .*-17\.10"):
        draft_invoice(record, policy, TODAY)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([line("1", "10"), line("1", "-10")], "total must be greater than zero"),
        ([line("1", "-5", "0")], "total must be greater than zero"),
        ([line("1", "100.00", "0"), line("1", "-90.00", "19")], "the VAT would be"),
    ],
)
def test_net_and_total_must_be_positive_and_vat_not_negative(
    record_data: Callable[..., dict[str, Any]],
    policy: Policy,
    lines: list[dict[str, str]],
    message: str,
) -> None:
    record = parse_record(record_data(line_items=lines))
    with pytest.raises(RecordNotReady, match=message):
        draft_invoice(record, policy, TODAY)


def test_zero_rate_invoices_and_discounts_within_a_rate_stay_valid(
    invoice_of: Callable[..., Invoice],
) -> None:
    exempt = invoice_of([line("1", "500.00", "0")])
    assert exempt.tax_total == money("0.00") and exempt.total == money("500.00")
    discounted = invoice_of([line("1", "100.00", "19"), line("1", "-90.00", "19")])
    assert discounted.total == money("11.90")


def test_a_due_date_before_the_invoice_date_is_refused_at_draft(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    record = parse_record(record_data(due_date="2025-01-01"))
    with pytest.raises(RecordNotReady, match="due_date: 2025-01-01 is before the invoice date"):
        draft_invoice(record, policy, TODAY)


def test_a_service_date_in_the_future_is_refused_at_draft(
    record_data: Callable[..., dict[str, Any]], policy: Policy
) -> None:
    record = parse_record(record_data(completed_at="2026-12-24"))
    with pytest.raises(RecordNotReady, match="completed_at: 2026-12-24 is after the invoice"):
        draft_invoice(record, policy, TODAY)


def test_a_fixed_due_date_that_passed_while_the_draft_waited_blocks_approval(
    invoice_of: Callable[..., Invoice],
) -> None:
    from billing_core.errors import InvoiceInvalid

    draft = invoice_of([line("1", "100.00")], due_date="2026-11-26")
    assert draft.finalised("INV-1", date(2026, 11, 26)).due_date == date(2026, 11, 26)
    with pytest.raises(InvoiceInvalid, match="due_date: 2026-11-26 is before the invoice date"):
        draft.finalised("INV-1", date(2026, 11, 27))


def test_a_due_date_from_terms_moves_with_a_late_approval_and_stays_valid(
    invoice_of: Callable[..., Invoice],
) -> None:
    draft = invoice_of([line("1", "100.00")], due_date=None, payment_terms_days=0)
    final = draft.finalised("INV-1", date(2027, 1, 4))
    assert final.issue_date == final.due_date == date(2027, 1, 4)
