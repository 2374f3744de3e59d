"""Parsing `/invoice ...` text into a command. Pure: no Slack, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from billing_core.errors import BillingError
from billing_core.money import check_currency
from billing_core.usecases.queries import LIST_KINDS, ListKind
from handlers.arguments import (
    DATE,
    DATE_LIKE,
    ID_ARG,
    NUMBER_ARG,
    REFERENCE_ARG,
    amount_argument,
    date_argument,
    month_argument,
    one_argument,
    reference_argument,
)
from handlers.arguments import UnknownSubcommand as UnknownSubcommand  # re-exported
from handlers.arguments import UsageError as UsageError  # re-exported

MAX_COMMAND_LENGTH = 3000
MAX_CLIENT_QUERY = 200  # a client's name is at most 200 characters
LIST_USAGE = "[drafts|overdue|mine|refunds|uninvoiced|client NAME]"
DELEGATE_USAGE = "usage: `/invoice delegate @user until YYYY-MM-DD` or `/invoice delegate off`"
VERBS = (
    "draft", "status", "list", "sent", "paid", "void", "credit", "hold", "release", "unpay",
    "refunded", "report", "delegate", "help",
)  # fmt: skip

USAGE = """\
*Usage*
• `/invoice draft ID` — draft an invoice from record ID, for approval in a thread
• `/invoice status NUMBER|ID` — where an invoice stands
• `/invoice list [drafts|overdue|mine|refunds|uninvoiced|client NAME]` — open invoices,
  drafts waiting, overdue, yours, refunds owed to clients, completed work not invoiced yet,
  or one client's invoices
• `/invoice sent NUMBER` — mark an approved invoice as sent (approvers and the owner)
• `/invoice paid NUMBER [AMOUNT] [DATE]` — record a payment; no amount means the whole balance
• `/invoice void NUMBER REASON` — void an approved invoice never sent (approvers)
• `/invoice credit NUMBER [AMOUNT] REASON` — draft a credit note (all, `120.00`, `1200 JPY`)
• `/invoice hold NUMBER REASON` / `/invoice release NUMBER` — stop / resume chasing
• `/invoice unpay NUMBER REASON` — reverse the last payment recorded
• `/invoice refunded NUMBER [AMOUNT] [DATE]` — a refund owed was paid out
• `/invoice report [YYYY-MM]` — the month's figures and chart (approvers and finance)
• `/invoice delegate @user until YYYY-MM-DD` / `/invoice delegate off` — while you are away
  (that day included), another approver of your group signs your steps / end it early
• `/invoice help` — this help"""


@dataclass(frozen=True)
class Draft:
    record_id: str


@dataclass(frozen=True)
class Status:
    reference: str


@dataclass(frozen=True)
class ListInvoices:
    kind: ListKind
    client: str = ""  # for kind "client": part of the client's name


@dataclass(frozen=True)
class ListUninvoiced:
    """Completed records without an approved invoice, and what stops each."""


@dataclass(frozen=True)
class MarkSent:
    number: str


@dataclass(frozen=True)
class MarkPaid:
    number: str
    amount: str | None = None
    paid_on: date | None = None


@dataclass(frozen=True)
class Void:
    number: str
    reason: str


@dataclass(frozen=True)
class Credit:
    number: str
    reason: str
    amount: str | None = None  # a gross amount; None: everything still creditable
    currency: str | None = None  # when the amount was followed by a currency code


@dataclass(frozen=True)
class Hold:
    number: str
    reason: str


@dataclass(frozen=True)
class Release:
    number: str


@dataclass(frozen=True)
class Unpay:
    number: str
    reason: str


@dataclass(frozen=True)
class Refunded:
    number: str
    amount: str | None = None
    refunded_on: date | None = None


@dataclass(frozen=True)
class Report:
    month: str | None = None


@dataclass(frozen=True)
class Delegate:
    """`delegate` signs the sender's steps until the end of `until` (business date)."""

    delegate: str
    until: date


@dataclass(frozen=True)
class EndDelegation:
    """`/invoice delegate off`: end the sender's delegation now."""


@dataclass(frozen=True)
class Help:
    pass


Command = (
    Draft
    | Status
    | ListInvoices
    | ListUninvoiced
    | MarkSent
    | MarkPaid
    | Void
    | Credit
    | Hold
    | Release
    | Unpay
    | Refunded
    | Report
    | Delegate
    | EndDelegation
    | Help
)

_CREDIT_USAGE = (
    "usage: `/invoice credit NUMBER [AMOUNT] REASON` (the reason is required; AMOUNT has a "
    "decimal point, like `120.00`, or is followed by the currency code, like `1200 JPY`)"
)
_NUMBER = re.compile(r"\d+(\.\d+)?")
_DECIMAL = re.compile(r"\d*\.\d+")
_CURRENCY = re.compile(r"[A-Z]{3}")
# Amount-like words we do not take (sign, thousands separator, decimal comma, exponent, NaN):
# read as the start of the reason they would silently credit the whole invoice.
_AMOUNT_LIKE = re.compile(
    r"[+-]?[\d.,]*\d[\d.,]*|[+-]?\d[\d.,]*e[+-]?\d+|[+-]?(nan|inf(inity)?)([.,]\d*)?",
    re.IGNORECASE,
)


def _is_currency(word: str) -> bool:
    """An ISO 4217 code in capitals (so `2 VAT wrong` is a reason, not an amount)."""
    if not _CURRENCY.fullmatch(word):
        return False
    try:
        check_currency(word)
    except BillingError:
        return False
    return True


def parse_credit(text: str) -> Credit:
    """`credit NUMBER [AMOUNT] REASON`: the second word is an AMOUNT only when it has a
    decimal point (`120.00`) or is followed by a currency code (`1200 JPY`); otherwise it
    starts the reason (`credit INV-1 2 hours billed twice` is a full credit)."""
    parts = text.split(None, 2)
    if len(parts) < 3:
        raise UsageError(f"{'reason' if len(parts) == 2 else 'number'}: missing: {_CREDIT_USAGE}")
    number = reference_argument(parts[1], NUMBER_ARG)
    rest = parts[2].strip()
    words = rest.split(None, 2)
    amount: str | None = None
    currency: str | None = None
    if len(words) >= 2 and _NUMBER.fullmatch(words[0]) and _is_currency(words[1]):
        amount, currency = words[0], words[1]
        rest = words[2] if len(words) > 2 else ""
    elif _DECIMAL.fullmatch(words[0]):
        amount = words[0]
        rest = rest.split(None, 1)[1] if len(words) > 1 else ""
    elif _looks_like_an_amount(words):
        raise UsageError(
            f"amount: {words[0][:40]!r} is not an amount we take: write it like `120.00` "
            "(a point for decimals, no sign, no thousands separator), or leave it out to "
            "credit the whole invoice"
        )
    if amount is not None:
        amount_argument(amount, _CREDIT_USAGE)  # the zero check; its form was matched above
    if not rest.strip():
        raise UsageError(f"reason: missing: {_CREDIT_USAGE}")
    return Credit(number, rest.strip(), amount, currency)


def _looks_like_an_amount(words: list[str]) -> bool:
    """A second word meant as an amount but not written as one (`-5.00`, `1,000.00`,
    `120,00`, `1e3`, `NaN.0`, or any word with a digit followed by a currency code). Plain
    whole numbers and words like `3rd` or `v1.2` stay the start of a reason."""
    first = words[0]
    if len(words) >= 2 and _is_currency(words[1]) and any(c.isdigit() for c in first):
        return True
    return not _NUMBER.fullmatch(first) and bool(_AMOUNT_LIKE.fullmatch(first))


def parse_command(text: str) -> Command:
    """Turn the text after `/invoice` into a command, or raise UsageError saying why: the
    message starts with the argument at fault (`month: '2026-13' is not a month like ...`)
    and ends with the subcommand's usage."""
    if len(text) > MAX_COMMAND_LENGTH:
        raise UsageError(f"that command is too long ({len(text)} characters)")
    words = text.split()
    if not words:
        return Help()
    verb, args = words[0].lower(), words[1:]
    if verb in ("help", "?"):
        return Help()
    if verb == "draft":
        usage = "usage: `/invoice draft ID` (for example `/invoice draft P-123`)"
        return Draft(reference_argument(one_argument(args, "id", usage), ID_ARG))
    if verb == "status":
        usage = "usage: `/invoice status NUMBER|ID`"
        return Status(reference_argument(one_argument(args, "reference", usage), REFERENCE_ARG))
    if verb == "list":
        wanted = args[0].lower() if args else "open"
        usage = f"usage: `/invoice list {LIST_USAGE}`"
        if wanted == "client":
            name = text.split(None, 2)[2].strip() if len(args) > 1 else ""
            if not name or len(name) > MAX_CLIENT_QUERY:
                raise UsageError(
                    f"name: {'missing' if not name else 'too long'}: "
                    f"usage: `/invoice list client NAME` (part of the client's name, "
                    f"up to {MAX_CLIENT_QUERY} characters)"
                )
            return ListInvoices("client", name)
        if wanted == "uninvoiced" and len(args) == 1:
            return ListUninvoiced()
        kinds = [kind for kind in LIST_KINDS if kind == wanted]
        if not kinds:
            raise UsageError(f"list: {args[0][:40]!r} is not a list we keep: {usage}")
        if len(args) > 1:
            raise UsageError(f"{args[1][:40]!r}: one argument too many: {usage}")
        return ListInvoices(kinds[0])
    if verb == "sent":
        usage = "usage: `/invoice sent NUMBER`"
        return MarkSent(reference_argument(one_argument(args, "number", usage), NUMBER_ARG))
    if verb in ("paid", "refunded"):
        return _parse_settled(verb, args)
    if verb in ("hold", "unpay", "void"):
        usage = f"usage: `/invoice {verb} NUMBER REASON` (the reason is required)"
        if not args:
            raise UsageError(f"number: missing: {usage}")
        number = reference_argument(args[0], NUMBER_ARG)
        if len(args) < 2:
            raise UsageError(f"reason: missing: {usage}")
        reason = text.split(None, 2)[2].strip()
        if verb == "hold":
            return Hold(number, reason)
        return Unpay(number, reason) if verb == "unpay" else Void(number, reason)
    if verb == "release":
        usage = "usage: `/invoice release NUMBER`"
        return Release(reference_argument(one_argument(args, "number", usage), NUMBER_ARG))
    if verb == "credit":
        return parse_credit(text)
    if verb == "report":
        if len(args) > 1:
            raise UsageError(f"{args[1][:40]!r}: one argument too many: "
                             "usage: `/invoice report [YYYY-MM]`")  # fmt: skip
        return Report(month_argument(args[0]) if args else None)
    if verb == "delegate":
        return parse_delegate(text.strip()[len(words[0]) :])
    raise UnknownSubcommand(
        f"subcommand: I don't know `{verb[:30]}` (one of: {', '.join(VERBS)}; "
        "`/invoice help` says what each does)"
    )


def _parse_settled(verb: str, args: list[str]) -> MarkPaid | Refunded:
    """`paid|refunded NUMBER [AMOUNT] [DATE]`, AMOUNT and DATE in either order."""
    usage = f"usage: `/invoice {verb} NUMBER [AMOUNT] [DATE]`"
    if not args:
        raise UsageError(f"number: missing: {usage}")
    number = reference_argument(args[0], NUMBER_ARG)
    amount: str | None = None
    on: date | None = None
    for word in args[1:]:
        if (DATE.fullmatch(word) or DATE_LIKE.fullmatch(word)) and on is None:
            on = date_argument(word, "date", usage)
        elif amount is None and not DATE_LIKE.fullmatch(word):
            amount = amount_argument(word, usage)
        else:
            raise UsageError(f"{word[:40]!r}: one argument too many: {usage}")
    if verb == "refunded":
        return Refunded(number, amount, on)
    return MarkPaid(number, amount, on)


# `<@U123|name> until DATE`: a mention as Slack escapes it for a command with
# `should_escape: true` (the name part may hold spaces).
_DELEGATE = re.compile(r"^(\S+|<@[^>]*>)\s+until\s+(\S+)$", re.IGNORECASE)
# The words after the last `until` (what the date and anything after it are).
_UNTIL = re.compile(r"(?:.*\s)?until(?:\s+(.*))?$", re.IGNORECASE)
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")


def parse_delegate(rest: str) -> Delegate | EndDelegation:
    """`delegate <@U123|name> until 2026-12-24` or `delegate off` (`rest` is the text after
    the verb). A plain `@name` (the manifest's `should_escape` off, or a name typed without
    picking the person) is refused: only the escaped mention names one person for sure."""
    rest = rest.strip()
    words = rest.split()
    if words and words[0].lower() == "off":
        if len(words) > 1:
            raise UsageError(f"{words[1][:40]!r}: one argument too many: {DELEGATE_USAGE}")
        return EndDelegation()
    parts = _DELEGATE.fullmatch(rest)
    if parts is None:
        if not rest:
            raise UsageError(f"user: missing: {DELEGATE_USAGE}")
        after = _UNTIL.match(rest)
        tail = (after[1] or "").split() if after is not None else []
        if after is None or not tail:
            raise UsageError(f"until: missing (the last day you are away): {DELEGATE_USAGE}")
        if len(tail) == 1:  # the date alone after `until`: what stands before is no one mention
            user = rest[: after.start(1)].strip()[: -len("until")].strip()
            problem = f"{user[:40]!r} is not one mention" if user else "missing"
            raise UsageError(f"user: {problem}: {DELEGATE_USAGE}")
        extra = tail[1]  # the date is one word: the next one is too many
        raise UsageError(f"{extra[:40]!r}: one argument too many: {DELEGATE_USAGE}")
    mention = _MENTION.fullmatch(parts[1])
    if mention is None:
        raise UsageError(
            f"user: {parts[1][:40]!r} is not a mention; pick the person from the @ list "
            f"({DELEGATE_USAGE})"
        )
    try:
        if not DATE.fullmatch(parts[2]):
            raise ValueError
        until = date.fromisoformat(parts[2])
    except ValueError:
        raise UsageError(
            f"until: {parts[2][:40]!r} is not a date like 2026-12-24 (YYYY-MM-DD, the last day "
            f"you are away): {DELEGATE_USAGE}"
        ) from None
    return Delegate(mention[1], until)
