"""Business policy: the `invoicebot.toml` file as frozen dataclasses.

`parse_policy(data)` turns the parsed TOML dict into a `Policy`, refusing unknown keys and bad
values with the key named (`ConfigError("approval.four_eyes_threshold: ...")`). Reading the file
and the environment happens in `bot.settings`, which also checks that a logo file exists;
this module does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billing_core.approval_config import parse_matrix
from billing_core.approval_rules import ApprovalGroup, ApprovalRule
from billing_core.errors import BillingError, ConfigError
from billing_core.language import LOCALE_OF, language_problem
from billing_core.money import check_currency, parse_decimal
from billing_core.numbering import check_number_format, series_apart


@dataclass(frozen=True)
class CompanyPolicy:
    name: str = "Your Company"
    address: str = ""
    country: str = ""
    tax_id: str = ""
    email: str = ""
    iban: str = ""
    bic: str = ""
    logo: Path | None = None


EInvoiceKind = Literal["factur-x"]


@dataclass(frozen=True)
class InvoicePolicy:
    number_format: str = "INV-{year}-{seq:04d}"
    credit_note_format: str = "CN-{year}-{seq:04d}"  # the credit notes' own gapless series
    currency: str = "EUR"
    payment_terms_days: int = 14
    language: str = "en"  # the PDF's labels; a record's client.language wins
    locale: str | None = None  # None: the language's own (billing_core.language.LOCALE_OF)
    einvoice: EInvoiceKind | None = None

    @property
    def figures_locale(self) -> str:
        """The locale of figures that belong to no one invoice (reports, charts): `locale`
        when set, else the default language's (en -> en_US, de -> de_DE, ...)."""
        return self.locale or LOCALE_OF[self.language]


@dataclass(frozen=True)
class ApprovalPolicy:
    approvers: tuple[str, ...] = ()
    four_eyes_threshold: Decimal | None = Decimal("5000.00")
    nudge_after_hours: int = 24
    # Where steps waiting past a rule's escalate_after_hours are posted (default: the
    # `[reminders] escalation_channel`); None: escalation is off.
    escalation_channel: str | None = None
    # The approval matrix (billing_core.approval_rules): no rules means the fields above alone.
    groups: tuple[ApprovalGroup, ...] = ()
    rules: tuple[ApprovalRule, ...] = ()


@dataclass(frozen=True)
class ReminderPolicy:
    timezone: str = "UTC"
    time: time = time(9, 0)
    stages_days: tuple[int, ...] = (1, 7, 14, 30)
    escalation_channel: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ReportsPolicy:
    """Who may see billing figures besides the approvers (a finance group; member IDs)."""

    viewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    company: CompanyPolicy = field(default_factory=CompanyPolicy)
    invoice: InvoicePolicy = field(default_factory=InvoicePolicy)
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    reports: ReportsPolicy = field(default_factory=ReportsPolicy)

    @property
    def escalation_channel(self) -> str | None:
        """Where waiting approval steps are escalated: `[approval] escalation_channel`, else
        `[reminders] escalation_channel`; None when neither is set."""
        return self.approval.escalation_channel or self.reminders.escalation_channel


# Member and channel IDs as the chat workspace writes them (U0123ABCD, C0123ABCD).
_CHAT_ID = re.compile(r"^[UWCGD][A-Z0-9]{2,}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


SECTIONS = (
    "company",
    "invoice",
    "approval",
    "reminders",
    "reports",
)  # the engine's; adapters add theirs


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string, got {type(value).__name__}")
    return value


def _int(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}: must be a whole number from {low} to {high}, got {value!r}")
    return value


def chat_id(key: str, value: Any) -> str:
    """A member or channel ID, or ConfigError naming `key`."""
    text = _string(key, value)
    if not _CHAT_ID.fullmatch(text):
        raise ConfigError(f"{key}: {text!r} is not a member or channel ID (like U0123ABCD)")
    return text


def section(data: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    """The `[name]` table of the policy file, refusing keys not in `allowed`."""
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{name}: must be a table ([{name}])")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{name}.{unknown[0]}: unknown key (known keys: {', '.join(sorted(allowed))})"
        )
    return dict(table)


def parse_policy(data: Mapping[str, Any], base_dir: Path | None = None) -> Policy:
    """Build a Policy from the TOML dict; every key optional, every bad one named."""
    sections = set(SECTIONS)
    unknown = sorted(set(data) - sections)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section (known: {', '.join(sorted(sections))})")

    c = section(data, "company", {f.name for f in CompanyPolicy.__dataclass_fields__.values()})
    company_kwargs: dict[str, Any] = {}
    for key in ("name", "address", "tax_id", "email", "iban", "bic"):
        if key in c:
            company_kwargs[key] = _string(f"company.{key}", c[key])
    if "country" in c:
        country = _string("company.country", c["country"]).upper()
        if not _COUNTRY.fullmatch(country):
            raise ConfigError(f"company.country: {country!r} is not an ISO 3166-1 alpha-2 code")
        company_kwargs["country"] = country
    if "logo" in c:
        logo = Path(_string("company.logo", c["logo"]))
        if not logo.is_absolute() and base_dir is not None:
            logo = base_dir / logo
        if logo.suffix.lower() not in {".png", ".jpg", ".jpeg"}:
            raise ConfigError(f"company.logo: must be a PNG or JPEG file, got {logo.name}")
        company_kwargs["logo"] = logo

    i = section(data, "invoice", {f for f in InvoicePolicy.__dataclass_fields__})
    invoice_kwargs: dict[str, Any] = {}
    if "number_format" in i:
        fmt = _string("invoice.number_format", i["number_format"])
        try:
            check_number_format(fmt)
        except BillingError as exc:
            raise ConfigError(f"invoice.number_format: {exc}") from None
        invoice_kwargs["number_format"] = fmt
    if "credit_note_format" in i:
        fmt = _string("invoice.credit_note_format", i["credit_note_format"])
        try:
            check_number_format(fmt)
        except BillingError as exc:
            raise ConfigError(f"invoice.credit_note_format: {exc}") from None
        invoice_kwargs["credit_note_format"] = fmt
    invoice_fmt = invoice_kwargs.get("number_format", InvoicePolicy.number_format)
    credit_fmt = invoice_kwargs.get("credit_note_format", InvoicePolicy.credit_note_format)
    if not series_apart(invoice_fmt, credit_fmt):
        raise ConfigError(
            f"invoice.credit_note_format: {credit_fmt!r} must start with other text than "
            f"invoice.number_format {invoice_fmt!r} (like CN- beside INV-), or a credit "
            "note could take an invoice's number"
        )
    if "currency" in i:
        try:
            invoice_kwargs["currency"] = check_currency(i["currency"])
        except BillingError as exc:
            raise ConfigError(f"invoice.currency: {exc}") from None
    if "payment_terms_days" in i:
        invoice_kwargs["payment_terms_days"] = _int(
            "invoice.payment_terms_days", i["payment_terms_days"], 0, 365
        )
    if "locale" in i:
        loc = _string("invoice.locale", i["locale"])
        if not _LOCALE.fullmatch(loc) or not _babel_knows(loc):
            raise ConfigError(f"invoice.locale: {loc!r} is not a known locale like en_US or de_DE")
        invoice_kwargs["locale"] = loc
    if "language" in i:
        language = _string("invoice.language", i["language"])
        why = language_problem(language)
        if why:
            raise ConfigError(f"invoice.language: {why}")
        invoice_kwargs["language"] = language
    if "einvoice" in i:
        kind = _string("invoice.einvoice", i["einvoice"])
        if kind != "factur-x":
            raise ConfigError(f'invoice.einvoice: {kind!r} is not supported (use "factur-x")')
        invoice_kwargs["einvoice"] = "factur-x"

    a = section(data, "approval", {f for f in ApprovalPolicy.__dataclass_fields__})
    approval_kwargs: dict[str, Any] = {}
    if "approvers" in a:
        approvers = a["approvers"]
        if not isinstance(approvers, list):
            raise ConfigError("approval.approvers: must be a list of member IDs")
        approval_kwargs["approvers"] = tuple(
            chat_id(f"approval.approvers[{n}]", v) for n, v in enumerate(approvers)
        )
    if "four_eyes_threshold" in a:
        raw = a["four_eyes_threshold"]
        try:
            threshold = parse_decimal(raw, what="approval.four_eyes_threshold")
        except BillingError as exc:
            raise ConfigError(f"approval.four_eyes_threshold: {exc}") from None
        if threshold < 0:
            raise ConfigError("approval.four_eyes_threshold: must not be negative")
        approval_kwargs["four_eyes_threshold"] = threshold
    if "nudge_after_hours" in a:
        approval_kwargs["nudge_after_hours"] = _int(
            "approval.nudge_after_hours", a["nudge_after_hours"], 1, 24 * 30
        )
    if "escalation_channel" in a:
        approval_kwargs["escalation_channel"] = chat_id(
            "approval.escalation_channel", a["escalation_channel"]
        )
    if "groups" in a or "rules" in a:
        matrix = parse_matrix(a, approval_kwargs.get("approvers", ()))
        approval_kwargs["groups"], approval_kwargs["rules"] = matrix

    r = section(data, "reminders", {f for f in ReminderPolicy.__dataclass_fields__})
    reminder_kwargs: dict[str, Any] = {}
    if "timezone" in r:
        tz = _string("reminders.timezone", r["timezone"])
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"reminders.timezone: unknown time zone {tz!r}") from None
        reminder_kwargs["timezone"] = tz
    if "time" in r:
        text = _string("reminders.time", r["time"])
        match = _TIME.fullmatch(text)
        if not match:
            raise ConfigError(f'reminders.time: {text!r} is not a time like "09:00"')
        reminder_kwargs["time"] = time(int(match[1]), int(match[2]))
    if "stages_days" in r:
        stages = r["stages_days"]
        if not isinstance(stages, list) or not stages:
            raise ConfigError("reminders.stages_days: must be a non-empty list of days")
        days = [_int(f"reminders.stages_days[{n}]", v, 1, 3650) for n, v in enumerate(stages)]
        if days != sorted(set(days)):
            raise ConfigError("reminders.stages_days: must be strictly increasing")
        reminder_kwargs["stages_days"] = tuple(days)
    if "escalation_channel" in r:
        reminder_kwargs["escalation_channel"] = chat_id(
            "reminders.escalation_channel", r["escalation_channel"]
        )

    viewers = section(data, "reports", {"viewers"}).get("viewers", [])
    if not isinstance(viewers, list):
        raise ConfigError("reports.viewers: must be a list of member IDs")
    return Policy(
        company=CompanyPolicy(**company_kwargs),
        invoice=InvoicePolicy(**invoice_kwargs),
        approval=ApprovalPolicy(**approval_kwargs),
        reminders=ReminderPolicy(**reminder_kwargs),
        reports=ReportsPolicy(
            tuple(chat_id(f"reports.viewers[{n}]", v) for n, v in enumerate(viewers))
        ),
    )


def _babel_knows(locale: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return False
    return True
