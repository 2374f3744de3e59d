"""Business policy: the `invoicebot.toml` file as frozen dataclasses.

`parse_policy(data)` turns the parsed TOML dict into a `Policy`, refusing unknown keys and bad
values with one ConfigError whose `problems` name every bad key once
(`approval.four_eyes_threshold: is not a plain decimal number: 'many'`). Reading the file
and the environment happens in `bot.settings`, which also checks that a logo file exists;
this module does no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from billing_core.approval_config import parse_matrix
from billing_core.approval_rules import ApprovalGroup, ApprovalRule
from billing_core.config_values import (
    Problems,
    chat_id,
    decimal,
    section,
    string,
    whole_number,
)
from billing_core.errors import BillingError, ConfigError
from billing_core.language import LOCALE_OF, language_problem, language_tag
from billing_core.money import check_currency
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


def parse_policy(data: Mapping[str, Any], base_dir: Path | None = None) -> Policy:
    """Build a Policy from the TOML dict; every key optional. Raises one ConfigError whose
    `problems` name every bad key (not only the first), each once.

    Codes and tags from a fixed list are taken in any case and normalised: currencies
    ("eur" -> "EUR"), countries, `invoice.language` ("DE", "de-de", "de_DE" -> "de",
    billing_core.language), `invoice.locale` ("de-de" -> "de_DE"), `invoice.einvoice`
    ("Factur-X"), `reminders.timezone` ("europe/berlin" -> "Europe/Berlin") and rule `kinds`.
    Names people choose (groups, rules) and chat IDs are taken as written."""
    found = Problems()
    sections = set(SECTIONS)
    with found.key():
        unknown = sorted(set(data) - sections)
        if unknown:
            known = ", ".join(sorted(sections))
            raise ConfigError(*(f"{name}: unknown section (known: {known})" for name in unknown))
    company = _company(data, found, base_dir)
    invoice = _invoice(data, found)
    approval = _approval(data, found)
    reminders = _reminders(data, found)
    viewers: tuple[str, ...] = ()
    with found.key():
        raw = section(data, "reports", {"viewers"}).get("viewers", [])
        if not isinstance(raw, list):
            raise ConfigError("reports.viewers: must be a list of member IDs")
        viewers = _each(found, raw, lambda n, v: chat_id(f"reports.viewers[{n}]", v))
    found.raise_any()
    return Policy(company, invoice, approval, reminders, ReportsPolicy(viewers))


def _table(
    data: Mapping[str, Any], name: str, allowed: set[str], found: Problems
) -> dict[str, Any]:
    """The section's keys we know (its unknown keys, or all when it is no table, noted)."""
    with found.key():
        return section(data, name, allowed)
    table = data.get(name)
    return {k: v for k, v in table.items() if k in allowed} if isinstance(table, Mapping) else {}


def _each(found: Problems, values: list[Any], check: Callable[[int, Any], str]) -> tuple[str, ...]:
    """`check(n, value)` of every item, each bad one noted."""
    kept: list[str] = []
    for n, value in enumerate(values):
        with found.key():
            kept.append(check(n, value))
    return tuple(kept)


def _company(data: Mapping[str, Any], found: Problems, base_dir: Path | None) -> CompanyPolicy:
    c = _table(data, "company", set(CompanyPolicy.__dataclass_fields__), found)
    kwargs: dict[str, Any] = {}
    for key in ("name", "address", "tax_id", "email", "iban", "bic"):
        if key in c:
            with found.key():
                kwargs[key] = string(f"company.{key}", c[key])
    if "country" in c:
        with found.key():
            country = string("company.country", c["country"]).strip().upper()
            if not _COUNTRY.fullmatch(country):
                raise ConfigError(
                    f"company.country: {country!r} is not an ISO 3166-1 alpha-2 code (like DE)"
                )
            kwargs["country"] = country
    if "logo" in c:
        with found.key():
            logo = Path(string("company.logo", c["logo"]))
            if not logo.is_absolute() and base_dir is not None:
                logo = base_dir / logo
            if logo.suffix.lower() not in {".png", ".jpg", ".jpeg"}:
                raise ConfigError(f"company.logo: must be a PNG or JPEG file, got {logo.name}")
            kwargs["logo"] = logo
    return CompanyPolicy(**kwargs)


def _invoice(data: Mapping[str, Any], found: Problems) -> InvoicePolicy:
    i = _table(data, "invoice", set(InvoicePolicy.__dataclass_fields__), found)
    kwargs: dict[str, Any] = {}
    before = len(found.found)
    for key in ("number_format", "credit_note_format"):
        if key in i:
            with found.key():
                fmt = string(f"invoice.{key}", i[key])
                try:
                    check_number_format(fmt)
                except BillingError as exc:
                    raise ConfigError(f"invoice.{key}: {exc}") from None
                kwargs[key] = fmt
    invoice_fmt = kwargs.get("number_format", InvoicePolicy.number_format)
    credit_fmt = kwargs.get("credit_note_format", InvoicePolicy.credit_note_format)
    # Compared only when both are good: a bad one's default would raise a clash not meant.
    if len(found.found) == before and not series_apart(invoice_fmt, credit_fmt):
        found.found.append(
            f"invoice.credit_note_format: {credit_fmt!r} must start with other text than "
            f"invoice.number_format {invoice_fmt!r} (like CN- beside INV-), or a credit "
            "note could take an invoice's number"
        )
    if "currency" in i:
        with found.key():
            try:
                kwargs["currency"] = check_currency(i["currency"])
            except BillingError as exc:
                raise ConfigError(f"invoice.currency: {exc}") from None
    if "payment_terms_days" in i:
        with found.key():
            kwargs["payment_terms_days"] = whole_number(
                "invoice.payment_terms_days", i["payment_terms_days"], 0, 365
            )
    if "locale" in i:
        with found.key():
            kwargs["locale"] = _locale(string("invoice.locale", i["locale"]))
    if "language" in i:
        with found.key():
            language = string("invoice.language", i["language"])
            tag = language_tag(language)
            if tag is None:
                raise ConfigError(f"invoice.language: {language_problem(language)}")
            kwargs["language"] = tag
    if "einvoice" in i:
        with found.key():
            kind = string("invoice.einvoice", i["einvoice"])
            if kind.strip().lower() != "factur-x":
                raise ConfigError(f'invoice.einvoice: {kind!r} is not supported (use "factur-x")')
            kwargs["einvoice"] = "factur-x"
    return InvoicePolicy(**kwargs)


def _locale(text: str) -> str:
    """`de_DE` from any case and `-` or `_` (as in "de-de"), when Babel knows it."""
    language, _, region = text.strip().replace("-", "_").partition("_")
    loc = language.lower() + (f"_{region.upper()}" if region else "")
    if not _LOCALE.fullmatch(loc) or not _babel_knows(loc):
        raise ConfigError(f"invoice.locale: {text!r} is not a known locale like en_US or de_DE")
    return loc


def _approval(data: Mapping[str, Any], found: Problems) -> ApprovalPolicy:
    a = _table(data, "approval", set(ApprovalPolicy.__dataclass_fields__), found)
    kwargs: dict[str, Any] = {}
    if "approvers" in a:
        with found.key():
            approvers = a["approvers"]
            if not isinstance(approvers, list):
                raise ConfigError("approval.approvers: must be a list of member IDs")
            kwargs["approvers"] = _each(
                found, approvers, lambda n, v: chat_id(f"approval.approvers[{n}]", v)
            )
    if "four_eyes_threshold" in a:
        with found.key():
            threshold = decimal("approval.four_eyes_threshold", a["four_eyes_threshold"])
            if threshold < 0:
                raise ConfigError("approval.four_eyes_threshold: must not be negative")
            kwargs["four_eyes_threshold"] = threshold
    if "nudge_after_hours" in a:
        with found.key():
            kwargs["nudge_after_hours"] = whole_number(
                "approval.nudge_after_hours", a["nudge_after_hours"], 1, 24 * 30
            )
    if "escalation_channel" in a:
        with found.key():
            kwargs["escalation_channel"] = chat_id(
                "approval.escalation_channel", a["escalation_channel"]
            )
    if "groups" in a or "rules" in a:
        # The rules are checked against the approvers as written, bad IDs too: with only the
        # good ones the built-in group could look short of people ("can never be signed"),
        # a consequence of the bad ID already named, not a fault of the rule.
        raw = a.get("approvers", [])
        written = tuple(v for v in raw if isinstance(v, str)) if isinstance(raw, list) else ()
        with found.key():
            kwargs["groups"], kwargs["rules"] = parse_matrix(a, written)
    return ApprovalPolicy(**kwargs)


def _reminders(data: Mapping[str, Any], found: Problems) -> ReminderPolicy:
    r = _table(data, "reminders", set(ReminderPolicy.__dataclass_fields__), found)
    kwargs: dict[str, Any] = {}
    if "timezone" in r:
        with found.key():
            kwargs["timezone"] = _timezone(string("reminders.timezone", r["timezone"]))
    if "time" in r:
        with found.key():
            text = string("reminders.time", r["time"])
            match = _TIME.fullmatch(text)
            if not match:
                raise ConfigError(f'reminders.time: {text!r} is not a time like "09:00"')
            kwargs["time"] = time(int(match[1]), int(match[2]))
    if "stages_days" in r:
        with found.key():
            stages = r["stages_days"]
            if not isinstance(stages, list) or not stages:
                raise ConfigError("reminders.stages_days: must be a non-empty list of days")
            each = Problems()  # every bad day named, not only the first
            days: list[int] = []
            for n, v in enumerate(stages):
                with each.key():
                    days.append(whole_number(f"reminders.stages_days[{n}]", v, 1, 3650))
            each.raise_any()
            if days != sorted(set(days)):
                raise ConfigError("reminders.stages_days: must be strictly increasing")
            kwargs["stages_days"] = tuple(days)
    if "escalation_channel" in r:
        with found.key():
            kwargs["escalation_channel"] = chat_id(
                "reminders.escalation_channel", r["escalation_channel"]
            )
    return ReminderPolicy(**kwargs)


def _timezone(text: str) -> str:
    """An IANA zone as the tz database spells it, from any case ("europe/berlin")."""
    name = _zones_by_folded_name().get(text.strip().casefold(), text)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"reminders.timezone: unknown time zone {text!r} (an IANA name like Europe/Berlin)"
        ) from None
    return name


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _babel_knows(locale: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return False
    return True
