"""A mistyped `/invoice` argument is answered with the argument named and the form expected,
not with the generic help (`/invoice report 2026-13` used to get the whole usage text)."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.parsing import (
    Delegate,
    MarkPaid,
    Refunded,
    Report,
    UnknownSubcommand,
    UsageError,
    parse_command,
)


@pytest.mark.parametrize(
    ("text", "argument", "form"),
    [
        ("report 2026-13", "month: '2026-13'", "2026-11 (YYYY-MM, from 1900-01 to 9998-12)"),
        ("report 1899-12", "month: '1899-12'", "from 1900-01 to 9998-12"),
        ("report 9999-01", "month: '9999-01'", "from 1900-01 to 9998-12"),
        ("report 2026-1", "month: '2026-1'", "YYYY-MM"),
        ("report november", "month: 'november'", "YYYY-MM"),
        ("report 2026-11 2026-12", "'2026-12': one argument too many", "[YYYY-MM]"),
        ("paid INV-1 2026-02-30", "date: '2026-02-30'", "2026-12-01 (YYYY-MM-DD"),
        ("paid INV-1 120.00 1.12.2026", "date: '1.12.2026'", "YYYY-MM-DD"),
        ("refunded INV-1 2026/12/01", "date: '2026/12/01'", "YYYY-MM-DD"),
        ("paid INV-1 -5", "amount: '-5'", "like 120.00"),
        ("paid INV-1 1,000.00", "amount: '1,000.00'", "like 120.00"),
        ("paid INV-1 0", "amount: '0' must be greater than zero", "[AMOUNT]"),
        ("refunded INV-1 0.00", "amount: '0.00' must be greater than zero", "[AMOUNT]"),
        ("paid INV-1 10 20", "'20': one argument too many", "NUMBER [AMOUNT] [DATE]"),
        ("paid", "number: missing", "NUMBER [AMOUNT] [DATE]"),
        ("paid <!channel>", "number: '<!channel>'", "like INV-2026-0001"),
        ("credit INV-1 0.00 double billed", "amount: '0.00' must be greater than zero", "120.00"),
        ("credit INV-1 -5.00 oops", "amount: '-5.00'", "like `120.00`"),
        ("credit INV-1", "reason: missing", "NUMBER [AMOUNT] REASON"),
        ("void INV-1", "reason: missing", "NUMBER REASON"),
        ("hold", "number: missing", "NUMBER REASON"),
        ("sent INV-1 INV-2", "'INV-2': one argument too many", "sent NUMBER"),
        ("draft", "id: missing", "draft ID"),
        ("draft P:1", "id: 'P:1'", "like P-123"),
        ("status", "reference: missing", "NUMBER|ID"),
        ("list someday", "list: 'someday'", "drafts|overdue|mine"),
        ("delegate", "user: missing", "@user until YYYY-MM-DD"),
        ("delegate @olga until 2026-12-24", "user: '@olga' is not a mention", "@user until"),
        ("delegate <@U0OLGA|olga>", "until: missing", "@user until YYYY-MM-DD"),
        ("delegate <@U0OLGA|olga> until 2026-02-30", "until: '2026-02-30'", "YYYY-MM-DD"),
        ("delegate <@U0OLGA|olga> until friday", "until: 'friday'", "YYYY-MM-DD"),
        # The extra word named, as for every other subcommand (these got "until: missing" and
        # the bare usage line).
        ("delegate off now", "'now': one argument too many", "delegate off"),
        (
            "delegate <@U0OLGA|olga> until 2026-12-24 extra",
            "'extra': one argument too many",
            "@user until YYYY-MM-DD",
        ),
        (
            "delegate <@U0OLGA|olga> x until 2026-12-24",
            "user: '<@U0OLGA|olga> x' is not one",
            "@user until YYYY-MM-DD",
        ),
        ("delegate until 2026-12-24", "user: missing", "@user until YYYY-MM-DD"),
        # A date in other digits is a date, refused as one ("one argument too many" before).
        ("paid INV-1 12 ２０２６-１２-０１", "date: '２０２６-１２-０１'", "YYYY-MM-DD"),
        ("paid INV-1 ٢٠٢٦-١٢-٠١", "date: '٢٠٢٦-١٢-٠١'", "YYYY-MM-DD"),
    ],
)
def test_a_bad_argument_is_named_with_the_form_expected(
    text: str, argument: str, form: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert not isinstance(caught.value, UnknownSubcommand)
    message = str(caught.value)
    assert message.startswith(argument), message
    assert form in message, message


def test_an_unknown_subcommand_is_named_with_the_subcommands_there_are() -> None:
    with pytest.raises(UnknownSubcommand) as caught:
        parse_command("repot 2026-11")
    message = str(caught.value)
    assert message.startswith("subcommand: I don't know `repot`")
    assert "report" in message and "delegate" in message


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("report 1900-01", Report("1900-01")),
        ("report 9998-12", Report("9998-12")),
        ("paid INV-1 .50", MarkPaid("INV-1", ".50")),
        ("paid INV-1 2026-12-01 120.00", MarkPaid("INV-1", "120.00", date(2026, 12, 1))),
        ("refunded INV-1 2024-02-29", Refunded("INV-1", None, date(2024, 2, 29))),
        ("delegate <@U0OLGA|olga> until 2026-12-24", Delegate("U0OLGA", date(2026, 12, 24))),
    ],
)
def test_arguments_in_the_forms_named_are_taken(text: str, command: object) -> None:
    assert parse_command(text) == command


def test_a_long_zero_amount_is_quoted_shortened_as_every_argument_is() -> None:
    # Every other refusal quotes at most 40 characters of the word; this one quoted it all.
    with pytest.raises(UsageError) as caught:
        parse_command("paid INV-1 " + "0" * 300)
    assert str(caught.value).startswith("amount: '" + "0" * 40 + "' must be greater than zero")
