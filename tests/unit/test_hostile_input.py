"""Hostile input, property-based: whatever arrives, a clear refusal or an exact result.

Records, amounts, command text and PDF text each either parse/render or fail with the named
refusal of their module (RecordInvalid, InvalidAmount, UsageError, UnsupportedCharacters):
never another exception, never a float.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from billing_core.errors import (
    ImportFailed,
    InvalidAmount,
    InvalidCurrency,
    RecordInvalid,
    UnsupportedCharacters,
)
from billing_core.importing import parse_records_file
from billing_core.invoice import Invoice, draft_invoice
from billing_core.money import MAX_ABS_AMOUNT, Money, parse_decimal
from billing_core.policy import CompanyPolicy, Policy
from billing_core.records import (
    _CLIENT_KEYS,
    _LINE_KEYS,
    _TOP_KEYS,
    LineItem,
    Record,
    parse_record,
)
from handlers.parsing import MAX_COMMAND_LENGTH, Help, UsageError, parse_command

# -- strategies ---------------------------------------------------------------------------------

# Characters people paste and attackers like: controls, bidi overrides, zero-width, BOM,
# non-ASCII digits and spaces, surrogate-free astral characters.
NASTY_CHARS = (
    "\x00\x07\x1b\x7f\x85\u00a0\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202e"
    "\u2066\u2069\u2028\u2029\u3000\ufeff\ufffd١٢٣٤٥٦٧٨٩٠０１２３𝟏𝟐߁\U0001f600"
)
nasty_text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(NASTY_CHARS)), max_size=60)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
    st.from_regex(r"-?\d{1,14}(\.\d{1,6})?", fullmatch=True),
    st.sampled_from(["", " ", "EUR", "eur", "2026-12-01", "U0OWNER", "U0OWNER\n", "project"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=12,
)


def keyed(keys: set[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects mostly using the expected keys, sometimes others."""
    key = st.one_of(st.sampled_from(sorted(keys)), nasty_text)
    return st.dictionaries(key, values, max_size=len(keys) + 2)


line_objects = keyed(_LINE_KEYS, json_values)
record_objects = st.builds(
    lambda top, client, lines: {**top, "client": client, "line_items": lines},
    keyed(_TOP_KEYS - {"client", "line_items"}, json_values),
    st.one_of(keyed(_CLIENT_KEYS, json_values), json_values),
    st.one_of(st.lists(st.one_of(line_objects, json_values), max_size=3), json_values),
)


# -- records ------------------------------------------------------------------------------------


def _assert_no_floats(value: Any) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _assert_no_floats(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            _assert_no_floats(item)
    else:
        assert not isinstance(value, float)
        if isinstance(value, Decimal):
            assert value.is_finite()


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(record_objects, json_values))
def test_parse_record_returns_a_record_or_raises_record_invalid(data: Any) -> None:
    try:
        record = parse_record(data)
    except RecordInvalid as exc:
        assert exc.problems
        assert all(isinstance(p.field, str) and p.message for p in exc.problems)
        str(exc)  # the message renders
        return
    assert isinstance(record, Record)
    _assert_no_floats(record)
    for line in record.line_items:
        assert isinstance(line, LineItem) and line.quantity > 0 and 0 <= line.tax_rate <= 100
    assert record.owner == "" or record.owner.isalnum()


@given(json_values)
def test_any_record_that_parses_survives_a_json_round_trip(value: Any) -> None:
    data = {"id": "P-1", "title": "T", "amount": "10.00", "client": {"name": value}}
    try:
        record = parse_record(json.loads(json.dumps(data)))
    except RecordInvalid as exc:
        assert [p.field for p in exc.problems] == ["client.name"]
        return
    assert value in (None, "") or record.client.name == unicodedata.normalize("NFC", value.strip())


def test_owner_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(RecordInvalid) as caught:
        parse_record({"id": "P-1", "owner": "U0OWNER\n"})
    assert [p.field for p in caught.value.problems] == ["owner"]


def test_every_bad_field_is_named_at_once() -> None:
    data = {
        "id": "P 1",
        "currency": "€",
        "due_date": "31.12.2026",
        "colour": "red",
        "client": {"name": "ACME\x00", "email": "nope"},
        "line_items": [{"description": "x", "unit_price": 1.5, "quantity": "1e3"}],
    }
    with pytest.raises(RecordInvalid) as caught:
        parse_record(data)
    assert [p.field for p in caught.value.problems] == [
        "colour", "id", "client.email", "client.name", "currency", "due_date",
        "line_items[0].quantity", "line_items[0].unit_price",
    ]  # fmt: skip


# -- amounts ------------------------------------------------------------------------------------

REFUSED_AMOUNTS = [
    "", "   ", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e3", "1E3", "1e-2",
    "1,000.00", "1.000,00", "1 000", "1_000", "12.34567", "0.00001", "1000000000000.00",
    "9" * 5000, "--1", "+-1", "1.2.3", "0x10", "½", "¹²", "12€", "€12", "1..2", ".", "-",
    "١٢.٣٤٥٦٧", "١٢٣", "１２３.４５", "𝟏𝟐",  # only ASCII digits: others are refused, not guessed
]  # fmt: skip
EXACT_AMOUNTS = {
    "0": Decimal("0"),
    "-5": Decimal("-5"),
    "+7.5": Decimal("7.5"),
    ".5": Decimal("0.5"),
    "5.": Decimal("5"),
    " 12.30\n": Decimal("12.30"),
    "\u00a012\u3000": Decimal("12"),
    "999999999999.99": MAX_ABS_AMOUNT,
    "0.0001": Decimal("0.0001"),
}


@pytest.mark.parametrize("text", REFUSED_AMOUNTS)
def test_malformed_amounts_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidAmount, match="amount"):
        parse_decimal(text)


@pytest.mark.parametrize(("text", "expected"), EXACT_AMOUNTS.items())
def test_plain_decimal_amounts_parse_exactly(text: str, expected: Decimal) -> None:
    result = parse_decimal(text)
    assert isinstance(result, Decimal) and result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", [0.1, float("nan"), float("inf"), 1e3, True, None, [], {}])
def test_non_decimal_types_are_refused(value: Any) -> None:
    with pytest.raises(InvalidAmount):
        parse_decimal(value)


@pytest.mark.parametrize(
    "value",
    [10**5000, -(10**5000), 10**12, Decimal("1e400")],
    ids=["10**5000", "-10**5000", "10**12", "1e400"],
)
def test_huge_numbers_are_refused_as_too_large(value: Any) -> None:
    with pytest.raises(InvalidAmount, match="too large"):
        parse_decimal(value)


def _check_amount(value: Any) -> None:
    try:
        result = parse_decimal(value)
    except InvalidAmount as exc:
        assert str(exc).startswith("amount ")
        return
    assert isinstance(result, Decimal) and result.is_finite()
    assert abs(result) <= MAX_ABS_AMOUNT
    assert -result.as_tuple().exponent <= 4  # type: ignore[operator]
    if isinstance(value, str):
        assert result == Decimal(value.strip())


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=40),
        nasty_text,
        st.from_regex(r"\s*[+-]?\d{0,20}([.,]\d{0,8})?([eE][+-]?\d{1,4})?\s*", fullmatch=True),
        st.integers(),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.floats(),
    )
)
def test_any_amount_is_an_exact_decimal_or_a_clear_refusal(value: Any) -> None:
    _check_amount(value)


@given(st.text(max_size=30), st.text(max_size=5))
def test_money_parse_never_fails_any_other_way(value: str, currency: str) -> None:
    try:
        money = Money.parse(value, currency)
    except (InvalidAmount, InvalidCurrency):
        return
    assert isinstance(money.amount, Decimal) and money.amount.is_finite()


# -- command text -------------------------------------------------------------------------------

VERBS = ["draft", "status", "list", "sent", "paid", "void", "report", "help", "?", "DRAFT"]
command_texts = st.one_of(
    st.text(),
    nasty_text,
    st.builds(
        lambda verb, args: " ".join([verb, *args]),
        st.sampled_from(VERBS),
        st.lists(
            st.one_of(nasty_text, st.from_regex(r"[\w./-]{1,20}", fullmatch=True)), max_size=4
        ),
    ),
)


@settings(max_examples=400)
@given(command_texts)
def test_parse_command_returns_a_command_or_raises_usage_error(text: str) -> None:
    try:
        command = parse_command(text)
    except UsageError as exc:
        assert str(exc)
        return
    for field in dataclasses.fields(command):  # type: ignore[arg-type]
        value = getattr(command, field.name)
        if field.name in ("record_id", "reference", "number"):
            assert value.isascii() and value.isprintable() and " " not in value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \t\n",
        "x" * 10_000,
        "draft " + "P" * (MAX_COMMAND_LENGTH + 1),
        "draft P-1\u200b",
        "draft \u202eP-1",
        "draft P-1\x00",
        "draft <!channel>",
        "paid INV-1 10 ٢٠٢٦-١٢-٠١",
        "paid INV-1 2026-02-30",
        "void INV-1 \u200b",
        "report ٢٠٢٦-١٢",
        "\ufeffdraft P-1",
    ],
)
def test_awkward_command_text_is_a_command_or_a_usage_error(text: str) -> None:
    try:
        command = parse_command(text)
    except UsageError:
        return
    assert command == Help() or dataclasses.is_dataclass(command)


def test_ten_thousand_characters_are_refused_as_too_long() -> None:
    with pytest.raises(UsageError, match="too long"):
        parse_command("draft " + "x" * 10_000)


def test_zero_width_and_bidi_characters_do_not_sneak_into_a_record_id() -> None:
    for text in ("draft P-1\u200b", "draft \u202eP-1", "status P\u200d-1"):
        with pytest.raises(UsageError):
            parse_command(text)


# -- PDF text -----------------------------------------------------------------------------------

POLICY = Policy(company=CompanyPolicy(name="Northwind Studio GmbH", country="DE"))
BASE = draft_invoice(
    parse_record(
        {
            "id": "P-1",
            "title": "Website",
            "owner": "U0OWNER",
            "client": {"name": "ACME", "address": "1 Road\nTown"},
            "currency": "EUR",
            "due_date": "2026-12-01",
            "line_items": [{"description": "Design", "quantity": "2", "unit_price": "100.00"}],
        }
    ),
    POLICY,
    date(2026, 11, 20),
)
pdf_text = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0x052F), max_size=80),  # Latin/Greek/Cyrillic
    st.text(max_size=40),
    nasty_text,
)


def _with_text(name: str, title: str, description: str) -> Invoice:
    line = dataclasses.replace(BASE.lines[0], description=description)
    buyer = dataclasses.replace(BASE.buyer, name=name)
    return dataclasses.replace(BASE, buyer=buyer, title=title, lines=(line,))


def _check_refusal(exc: UnsupportedCharacters, *texts: str) -> None:
    assert exc.characters
    # Each field is printed (and normalized) on its own: joined first, "H" and a combining
    # dot below from the next field would compose into "Ḥ" (hypothesis found it).
    printed = "".join(unicodedata.normalize("NFC", t) for t in texts)
    assert all(c in printed for c in exc.characters)
    assert "cannot render" in str(exc)


@settings(max_examples=300, deadline=None)
@given(pdf_text, pdf_text, pdf_text)
def test_check_renderable_passes_or_names_the_characters(
    name: str, title: str, description: str
) -> None:
    from billing_core.pdf import check_renderable

    try:
        check_renderable(_with_text(name, title, description))
    except UnsupportedCharacters as exc:
        _check_refusal(exc, name, title, description)


@settings(max_examples=25, deadline=None)
@given(pdf_text, pdf_text, pdf_text)
def test_render_gives_a_pdf_or_names_the_characters(
    name: str, title: str, description: str
) -> None:
    from billing_core.pdf import render_invoice_pdf

    try:
        pdf = render_invoice_pdf(_with_text(name, title, description))
    except UnsupportedCharacters as exc:
        _check_refusal(exc, name, title, description)
        return
    assert pdf.startswith(b"%PDF")


@settings(max_examples=10, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x052F), min_size=1, max_size=20))
def test_latin_greek_and_cyrillic_text_always_renders(text: str) -> None:
    from billing_core.pdf import render_invoice_pdf

    assume(text.strip() and all(unicodedata.category(c)[0] in "LNPSZ" for c in text))
    assume(not any(unicodedata.category(c) in ("Zl", "Zp") for c in text))
    try:
        render_invoice_pdf(_with_text(text, text, text))
    except UnsupportedCharacters as exc:  # the bundled subset may lack rare symbols
        assert all(unicodedata.category(c)[0] in "PSN" or ord(c) > 0x24F for c in exc.characters)


# -- importing: all or nothing --------------------------------------------------------------


def _good(n: int) -> dict[str, Any]:
    return {"id": f"P-{n}", "title": "T", "amount": "10.00", "client": {"name": "C"}}


@settings(max_examples=50)
@given(
    st.integers(min_value=2, max_value=30),
    st.data(),
    st.sampled_from([("amount", 1.5), ("currency", "EURO"), ("due_date", "soon"), ("x", 1)]),
)
def test_one_bad_record_among_many_fails_the_whole_file_naming_only_it(
    count: int, data: st.DataObject, bad: tuple[str, Any]
) -> None:
    records = [_good(n) for n in range(count)]
    index = data.draw(st.integers(min_value=0, max_value=count - 1))
    records[index][bad[0]] = bad[1]
    text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]"
    with pytest.raises(ImportFailed) as caught:
        parse_records_file("records.json", text)
    assert caught.value.problems == [
        f"records.json: line {index + 2}: record P-{index}: {bad[0]}: "
        + caught.value.problems[0].split(f"{bad[0]}: ", 1)[1]
    ]
