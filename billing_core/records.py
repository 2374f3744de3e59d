"""Lead and project records: parsing the public JSON shape and checking readiness.

`parse_record(data)` accepts the DESIGN.md JSON object and returns a frozen `Record`, or raises
`RecordInvalid` listing every malformed field by name. `invoice.readiness_problems` lists what
an invoice still needs (client contact, a positive total, an owner, ...). Both are pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from billing_core.errors import BillingError, FieldProblem, RecordInvalid
from billing_core.language import language_tag
from billing_core.money import check_currency, parse_decimal
from billing_core.vat import (
    TAX_CATEGORIES,
    LineVat,
    TaxCategory,
    breakdown_problems,
    category_of,
    effective_category,
    effective_reason,
    line_problems,
)

RECORD_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,20}$")  # a workspace member ID
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")

RecordKind = Literal["lead", "project"]
KINDS: tuple[RecordKind, ...] = ("lead", "project")
MAX_LINES = 1000
_TEXT_LIMITS = {"title": 200, "scope_ref": 200, "name": 200, "email": 254, "address": 500,
                "tax_id": 40, "description": 500, "tax_exemption_reason": 300}  # fmt: skip
_TOP_KEYS = {"id", "kind", "title", "owner", "client", "scope_ref", "currency", "due_date",
             "completed_at", "line_items", "amount", "payment_terms_days"}  # fmt: skip
_CLIENT_KEYS = {"name", "email", "address", "country", "tax_id", "language"}
_LINE_KEYS = {"description", "quantity", "unit_price", "tax_rate", "tax_category",
              "tax_exemption_reason"}  # fmt: skip


@dataclass(frozen=True)
class Client:
    name: str = ""
    email: str = ""
    address: str = ""
    country: str = ""
    tax_id: str = ""
    language: str = ""  # the invoice's language (en de fr es it nl pl); "" = the policy's


@dataclass(frozen=True)
class LineItem:
    """A line as the record states it; the currency comes from the record."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal  # percent, e.g. Decimal("19")
    tax_category: TaxCategory | None = None  # as given; see billing_core.vat for the default
    tax_exemption_reason: str = ""  # as given (BT-120); AE, K, G, O have a standard wording


@dataclass(frozen=True)
class Record:
    id: str
    kind: RecordKind = "project"
    title: str = ""
    owner: str = ""
    client: Client = Client()
    scope_ref: str = ""
    currency: str | None = None
    due_date: date | None = None
    completed_at: date | None = None
    line_items: tuple[LineItem, ...] = ()
    payment_terms_days: int | None = None


class _Problems:
    """Collects field problems so one pass reports all of them."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldProblem(field, message))


def _text(
    data: Mapping[str, Any], key: str, field: str, problems: _Problems, *, multiline: bool = False
) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.add(field, f"must be a string, got {type(value).__name__}")
        return ""
    text = unicodedata.normalize("NFC", value.strip())
    limit = _TEXT_LIMITS.get(key, 200)
    if len(text) > limit:
        problems.add(field, f"is too long ({len(text)} characters, at most {limit})")
        return ""
    allowed = "\n" if multiline else ""
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in allowed]
    if bad:
        problems.add(field, f"contains control character U+{ord(bad[0]):04X}")
        return ""
    return text


def _date(data: Mapping[str, Any], key: str, problems: _Problems) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        problems.add(key, "must be a date string like 2026-12-01")
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.add(key, f"is not a date like 2026-12-01: {value[:40]!r}")
        return None


def _decimal(value: Any, field: str, problems: _Problems, *, places: int = 4) -> Decimal | None:
    try:
        return parse_decimal(value, max_places=places, what=field)
    except BillingError as exc:
        problems.add(field, str(exc).removeprefix(f"{field} "))
        return None


def _line(data: Any, field: str, problems: _Problems) -> LineItem | None:
    if not isinstance(data, Mapping):
        problems.add(field, "must be an object with description, quantity, unit_price, tax_rate")
        return None
    for key in sorted(set(data) - _LINE_KEYS):
        problems.add(f"{field}.{key}", "unknown field")
    before = len(problems.items)
    description = _text(data, "description", f"{field}.description", problems)
    if not description and len(problems.items) == before:
        problems.add(f"{field}.description", "missing")
    quantity = _decimal(data.get("quantity", "1"), f"{field}.quantity", problems)
    if quantity is not None and quantity <= 0:
        problems.add(f"{field}.quantity", "must be greater than zero")
    if "unit_price" not in data:
        problems.add(f"{field}.unit_price", "missing")
        unit_price = None
    else:
        unit_price = _decimal(data["unit_price"], f"{field}.unit_price", problems)
    tax_rate = _decimal(data.get("tax_rate", "0"), f"{field}.tax_rate", problems, places=2)
    if tax_rate is not None and not 0 <= tax_rate <= 100:
        problems.add(f"{field}.tax_rate", "must be a percentage from 0 to 100")
    category: TaxCategory | None = None
    raw_category = data.get("tax_category")
    if raw_category not in (None, ""):
        category = category_of(raw_category) if isinstance(raw_category, str) else None
        if category is None:
            problems.add(
                f"{field}.tax_category",
                f"must be one of {', '.join(TAX_CATEGORIES)} (EN 16931 VAT category codes)",
            )
    reason = _text(data, "tax_exemption_reason", f"{field}.tax_exemption_reason", problems)
    if tax_rate is not None and (category is not None or raw_category in (None, "")):
        problems.items += line_problems(field, category, tax_rate, reason)
    if len(problems.items) > before:
        return None
    assert quantity is not None and unit_price is not None and tax_rate is not None
    return LineItem(description, quantity, unit_price, tax_rate, category, reason)


def _language(text: str) -> str:
    """A client's language as the catalogs name it ("DE", "de_DE" -> "de"); one not
    supported is kept (lower case) and refused, named, when it is drafted."""
    return language_tag(text) or text.lower() if text else ""


def parse_record(data: Any) -> Record:
    """Parse one record object (DESIGN.md shape). Raises RecordInvalid listing every problem."""
    problems = _Problems()
    if not isinstance(data, Mapping):
        raise RecordInvalid([FieldProblem("record", "must be a JSON object")])
    for key in sorted(set(data) - _TOP_KEYS):
        problems.add(key, "unknown field")

    record_id = data.get("id")
    if not isinstance(record_id, str) or not RECORD_ID_RE.fullmatch(record_id.strip()):
        problems.add("id", "must be 1-64 letters, digits, '.', '_' or '-' (like P-123)")
        record_id = record_id if isinstance(record_id, str) else None
    else:
        record_id = record_id.strip()

    given = data.get("kind", "project")
    kind: RecordKind = "project"
    for known in KINDS:  # any case: "Project" from a spreadsheet is a project
        if isinstance(given, str) and given.strip().lower() == known:
            kind = known
            break
    else:
        problems.add("kind", f"must be one of {', '.join(KINDS)}")

    title = _text(data, "title", "title", problems)
    scope_ref = _text(data, "scope_ref", "scope_ref", problems)
    owner = data.get("owner") or ""
    if owner and (not isinstance(owner, str) or not USER_ID_RE.fullmatch(owner)):
        problems.add("owner", "must be a member ID like U0123ABCD")
        owner = ""

    client_data = data.get("client") or {}
    client = Client()
    if not isinstance(client_data, Mapping):
        problems.add("client", "must be an object")
    else:
        for key in sorted(set(client_data) - _CLIENT_KEYS):
            problems.add(f"client.{key}", "unknown field")
        email = _text(client_data, "email", "client.email", problems)
        if email and not _EMAIL_RE.fullmatch(email):
            problems.add("client.email", f"is not an email address: {email[:60]!r}")
        country = _text(client_data, "country", "client.country", problems).upper()
        if country and not _COUNTRY_RE.fullmatch(country):
            problems.add("client.country", "must be an ISO 3166-1 alpha-2 code like DE")
        client = Client(
            name=_text(client_data, "name", "client.name", problems),
            email=email,
            address=_text(client_data, "address", "client.address", problems, multiline=True),
            country=country,
            tax_id=_text(client_data, "tax_id", "client.tax_id", problems),
            language=_language(_text(client_data, "language", "client.language", problems)),
        )

    currency = None
    if data.get("currency") not in (None, ""):
        try:
            currency = check_currency(data["currency"])
        except BillingError as exc:
            problems.add("currency", str(exc))

    due_date = _date(data, "due_date", problems)
    completed_at = _date(data, "completed_at", problems)

    terms = data.get("payment_terms_days")
    if terms is not None and (
        isinstance(terms, bool) or not isinstance(terms, int) or not 0 <= terms <= 365
    ):
        problems.add("payment_terms_days", "must be a whole number of days from 0 to 365")
        terms = None

    lines: list[LineItem] = []
    raw_lines = data.get("line_items")
    if raw_lines is not None and "amount" in data:
        problems.add("amount", "give either line_items or amount, not both")
    elif raw_lines is not None:
        if not isinstance(raw_lines, list):
            problems.add("line_items", "must be a list")
        elif len(raw_lines) > MAX_LINES:
            problems.add("line_items", f"has {len(raw_lines)} lines, at most {MAX_LINES}")
        else:
            parsed = [_line(raw, f"line_items[{n}]", problems) for n, raw in enumerate(raw_lines)]
            lines = [line for line in parsed if line is not None]
            if len(lines) == len(parsed):
                problems.items += breakdown_problems([line_vat(line) for line in lines])
    elif "amount" in data:
        amount = _decimal(data["amount"], "amount", problems)
        if amount is not None:
            lines.append(LineItem(scope_ref or title or "Services", Decimal(1), amount, Decimal(0)))

    if problems.items:
        raise RecordInvalid(problems.items, record_id)
    assert isinstance(record_id, str)
    return Record(
        id=record_id,
        kind=kind,
        title=title,
        owner=owner,
        client=client,
        scope_ref=scope_ref,
        currency=currency,
        due_date=due_date,
        completed_at=completed_at,
        line_items=tuple(lines),
        payment_terms_days=terms,
    )


def line_vat(line: LineItem) -> LineVat:
    """The line's effective category, rate and exemption reason (defaults applied)."""
    category = effective_category(line.tax_category, line.tax_rate)
    return LineVat(category, line.tax_rate, effective_reason(category, line.tax_exemption_reason))


def _line_json(li: LineItem) -> dict[str, str]:
    out = {
        "description": li.description,
        "quantity": str(li.quantity),
        "unit_price": str(li.unit_price),
        "tax_rate": str(li.tax_rate),
    }
    # Only when given, so a record in the old format reads back exactly as it was written.
    if li.tax_category is not None:
        out["tax_category"] = li.tax_category
    if li.tax_exemption_reason:
        out["tax_exemption_reason"] = li.tax_exemption_reason
    return out


def record_to_json(record: Record) -> dict[str, Any]:
    """The record in its public JSON shape (amounts as strings), for storage and the API."""
    out: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "title": record.title,
        "owner": record.owner,
        "client": {
            "name": record.client.name,
            "email": record.client.email,
            "address": record.client.address,
            "country": record.client.country,
            "tax_id": record.client.tax_id,
            **({"language": record.client.language} if record.client.language else {}),
        },
        "scope_ref": record.scope_ref,
        "line_items": [_line_json(li) for li in record.line_items],
    }
    if record.currency:
        out["currency"] = record.currency
    if record.due_date:
        out["due_date"] = record.due_date.isoformat()
    if record.completed_at:
        out["completed_at"] = record.completed_at.isoformat()
    if record.payment_terms_days is not None:
        out["payment_terms_days"] = record.payment_terms_days
    return out
