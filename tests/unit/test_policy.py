"""The policy file: every key optional; unknown keys and bad values named at startup."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import pytest

from billing_core.errors import ConfigError
from billing_core.policy import Policy, parse_policy
from handlers.slack_settings import parse_slack_settings


def test_empty_file_gives_the_documented_defaults() -> None:
    policy = parse_policy({})
    assert policy == Policy()
    assert policy.invoice.number_format == "INV-{year}-{seq:04d}"
    assert policy.invoice.currency == "EUR"
    assert policy.invoice.payment_terms_days == 14
    assert policy.approval.four_eyes_threshold == Decimal("5000.00")


def test_design_example_file_parses() -> None:
    policy = parse_policy(
        {
            "company": {"name": "Northwind Studio GmbH", "country": "de", "tax_id": "DE9"},
            "invoice": {"number_format": "INV-{year}-{seq:04d}", "currency": "EUR"},
            "approval": {
                "approvers": ["U0APPROVER", "U0BOSS"],
                "four_eyes_threshold": "5000.00",
                "nudge_after_hours": 24,
            },
            "reminders": {
                "timezone": "Europe/Berlin",
                "time": "09:00",
                "stages_days": [1, 7, 14, 30],
                "escalation_channel": "C0FINANCE",
            },
        }
    )
    assert policy.company.country == "DE"
    assert policy.approval.approvers == ("U0APPROVER", "U0BOSS")
    assert policy.reminders.time == time(9, 0)
    assert policy.reminders.stages_days == (1, 7, 14, 30)
    slack = parse_slack_settings({"slack": {"billing_channel": "C0BILLING"}})
    assert slack.billing_channel == "C0BILLING"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"approvals": {}}, "approvals: unknown section"),
        ({"invoice": {"numberformat": "x"}}, "invoice.numberformat: unknown key"),
        ({"company": {"logo_url": "x"}}, "company.logo_url: unknown key"),
        ({"invoice": "INV"}, "invoice: must be a table"),
        ({"approval": {"four_eyes_threshold": 5000.5}}, "approval.four_eyes_threshold:"),
        ({"approval": {"four_eyes_threshold": "lots"}}, "approval.four_eyes_threshold:"),
        ({"approval": {"four_eyes_threshold": "-1"}}, "approval.four_eyes_threshold:"),
        ({"approval": {"approvers": "U0BOSS"}}, "approval.approvers:"),
        ({"approval": {"approvers": ["U0BOSS", "bob"]}}, "approval.approvers[1]:"),
        ({"approval": {"nudge_after_hours": 0}}, "approval.nudge_after_hours:"),
        ({"reminders": {"timezone": "Mars/Olympus"}}, "reminders.timezone:"),
        ({"reminders": {"timezone": "../../etc/passwd"}}, "reminders.timezone:"),
        ({"reminders": {"time": "9am"}}, "reminders.time:"),
        ({"reminders": {"time": "24:00"}}, "reminders.time:"),
        ({"reminders": {"stages_days": [7, 1]}}, "reminders.stages_days:"),
        ({"reminders": {"stages_days": [1, "7"]}}, "reminders.stages_days[1]:"),
        ({"reminders": {"escalation_channel": "#finance"}}, "reminders.escalation_channel:"),
        ({"invoice": {"number_format": "INV-{year}"}}, "invoice.number_format:"),
        ({"invoice": {"number_format": "INV-{id}-{seq}"}}, "invoice.number_format:"),
        ({"invoice": {"currency": "EURO"}}, "invoice.currency:"),
        ({"invoice": {"payment_terms_days": -1}}, "invoice.payment_terms_days:"),
        ({"invoice": {"payment_terms_days": True}}, "invoice.payment_terms_days:"),
        ({"invoice": {"locale": "xx_YY"}}, "invoice.locale:"),
        ({"invoice": {"einvoice": "zugferd"}}, "invoice.einvoice:"),
        ({"company": {"country": "Germany"}}, "company.country:"),
        ({"company": {"name": 5}}, "company.name:"),
    ],
)
def test_bad_policy_is_refused_naming_the_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(data)
    assert str(caught.value).startswith(key)


def test_a_bad_slack_key_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"^slack.billing_channel:"):
        parse_slack_settings({"slack": {"billing_channel": "billing"}})
    with pytest.raises(ConfigError, match=r"^slack.channel: unknown key"):
        parse_slack_settings({"slack": {"channel": "C0X"}})


def test_number_format_error_says_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match=r"invoice.number_format: must contain \{seq\}"):
        parse_policy({"invoice": {"number_format": "INV-{year}"}})


def test_threshold_as_toml_integer_is_accepted() -> None:
    policy = parse_policy({"approval": {"four_eyes_threshold": 5000}})
    assert policy.approval.four_eyes_threshold == Decimal(5000)


def test_report_viewers_may_see_figures_besides_the_approvers() -> None:
    from billing_core.permissions import may_see_figures

    policy = parse_policy(
        {"approval": {"approvers": ["U0APPROVER"]}, "reports": {"viewers": ["U0FINANCE"]}}
    )
    assert policy.reports.viewers == ("U0FINANCE",)
    assert may_see_figures("U0APPROVER", policy) and may_see_figures("U0FINANCE", policy)
    assert not may_see_figures("U0OWNER", policy)
    with pytest.raises(ConfigError, match=r"reports.viewers\[1\]"):
        parse_policy({"reports": {"viewers": ["U0FINANCE", "finance team"]}})
    with pytest.raises(ConfigError, match=r"reports\.viewers: must be a list"):
        parse_policy({"reports": {"viewers": "U0FINANCE"}})
    with pytest.raises(ConfigError, match=r"reports\.people: unknown key"):
        parse_policy({"reports": {"people": []}})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"approval": {"four_eyes_threshold": "many"}}, "approval.four_eyes_threshold"),
        ({"approval": {"four_eyes_threshold": 5000.5}}, "approval.four_eyes_threshold"),
        ({"approval": {"four_eyes_threshold": ""}}, "approval.four_eyes_threshold"),
        ({"invoice": {"currency": "EURO"}}, "invoice.currency"),
        ({"invoice": {"language": "xx"}}, "invoice.language"),
        ({"invoice": {"locale": "xx_YY"}}, "invoice.locale"),
        ({"reminders": {"timezone": "Mars/Olympus"}}, "reminders.timezone"),
        ({"approval": {"approvers": ["U0A", "U0B"], "rules": [
            {"steps": ["approvers"]},
            {"currency": "EUR", "min": "abc", "steps": ["approvers"]}]}},
         "approval.rules[1].min"),
        ({"approval": {"approvers": ["U0A", "U0B"], "rules": [
            {"currency": "EUR", "max": 1.5, "steps": ["approvers"]}]}},
         "approval.rules[0].max"),
        ({"approval": {"approvers": ["U0A", "U0B"], "rules": [
            {"name": "big", "currency": "EUR", "min": "x", "steps": ["approvers"]}]}},
         "approval.rules[0] 'big'.min"),
        ({"approval": {"approvers": ["U0A"], "rules": [
            {"currency": "EURO", "steps": ["approvers"]}]}},
         "approval.rules[0].currency"),
    ],
)  # fmt: skip
def test_each_error_names_its_key_once(data: dict[str, Any], key: str) -> None:
    # "approval.rules[1].min: approval.rules[1].min is not a plain decimal number": the key
    # came back inside the engine's message about the value.
    with pytest.raises(ConfigError) as caught:
        parse_policy(data)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{key}: ")
    assert problem.count(key) == 1, problem


def test_every_bad_key_is_named_not_only_the_first() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(
            {
                "invoices": {},
                "company": {"country": "Germany", "logo_url": "x", "fax": "y"},
                "invoice": {"language": "klingon", "payment_terms_days": -1},
                "approval": {
                    "approvers": ["U0A", "bob", "carol"],
                    "groups": {"lead": [], "ok": ["U0B"]},
                    "rules": [
                        {"steps": ["nobody"], "four_eyes": "yes"},
                        {"currency": "EUR", "min": "9", "max": "1", "steps": ["ok"]},
                    ],
                },
                "reminders": {"time": "9am", "stages_days": [7, 1]},
                "reports": {"viewers": "U0FIN"},
            }
        )
    keys = [problem.split(": ", 1)[0] for problem in caught.value.problems]
    assert keys == [
        "invoices",
        "company.fax",
        "company.logo_url",
        "company.country",
        "invoice.payment_terms_days",
        "invoice.language",
        "approval.approvers[1]",
        "approval.approvers[2]",
        "approval.groups.lead",
        "approval.rules[0].steps[0]",
        "approval.rules[0].four_eyes",
        "approval.rules[1]",
        "reminders.time",
        "reminders.stages_days",
        "reports.viewers",
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_every_bad_stage_is_named_not_only_the_first() -> None:
    # As approval.approvers[1] and [2] are: stages_days named only its first bad element.
    with pytest.raises(ConfigError) as caught:
        parse_policy({"reminders": {"stages_days": [0, "x", 7, True]}})
    keys = [problem.split(": ", 1)[0] for problem in caught.value.problems]
    assert keys == [
        "reminders.stages_days[0]",
        "reminders.stages_days[1]",
        "reminders.stages_days[3]",
    ]


@pytest.mark.parametrize(
    ("given", "kept"),
    [("de", "de"), ("DE", "de"), ("de-de", "de"), ("de_DE", "de"), ("De-De", "de"),
     (" fr ", "fr"), ("EN_us", "en"), ("pl-PL", "pl")],
)  # fmt: skip
def test_the_invoice_language_is_taken_in_any_case_and_spelling(given: str, kept: str) -> None:
    policy = parse_policy({"invoice": {"language": given}})
    assert policy.invoice.language == kept  # the catalog's name (billing_core/pdf/locales)
    assert policy.invoice.figures_locale == f"{kept}_{kept.upper() if kept != 'en' else 'US'}"


@pytest.mark.parametrize("given", ["xx", "german", "de-CH", "en_GB", "deu", "", "de-DE-1996"])
def test_an_unknown_language_is_refused_listing_the_supported_ones(given: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy({"invoice": {"language": given}})
    (problem,) = caught.value.problems
    assert problem.startswith(f"invoice.language: {given!r} is not supported")
    assert "en, de, fr, es, it, nl, pl" in problem and "[invoice] locale" in problem


@pytest.mark.parametrize(
    ("table", "attribute", "kept"),
    [
        ({"invoice": {"currency": "eur"}}, ("invoice", "currency"), "EUR"),
        ({"invoice": {"locale": "de-ch"}}, ("invoice", "locale"), "de_CH"),
        ({"invoice": {"locale": "EN_gb"}}, ("invoice", "locale"), "en_GB"),
        ({"invoice": {"einvoice": "Factur-X"}}, ("invoice", "einvoice"), "factur-x"),
        ({"company": {"country": "de"}}, ("company", "country"), "DE"),
        ({"reminders": {"timezone": "europe/berlin"}}, ("reminders", "timezone"), "Europe/Berlin"),
        ({"reminders": {"timezone": "UTC"}}, ("reminders", "timezone"), "UTC"),
    ],
)
def test_codes_from_a_fixed_list_are_taken_in_any_case(
    table: dict[str, Any], attribute: tuple[str, str], kept: str
) -> None:
    policy = parse_policy(table)
    assert getattr(getattr(policy, attribute[0]), attribute[1]) == kept


def test_rule_currency_and_kinds_are_taken_in_any_case() -> None:
    policy = parse_policy({"approval": {"approvers": ["U0A"], "rules": [
        {"currency": "eur", "kinds": ["Project"], "steps": ["approvers"]}]}})  # fmt: skip
    (rule,) = policy.approval.rules
    assert rule.currency == "EUR" and rule.kinds == frozenset({"project"})


def test_a_bad_key_brings_no_follow_on_errors_for_the_keys_that_lean_on_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy({"invoice": {"number_format": "R-{id}", "credit_note_format": "INV-{seq}"}})
    assert [p.split(":")[0] for p in caught.value.problems] == ["invoice.number_format"]

    with pytest.raises(ConfigError) as caught:
        parse_policy({"approval": {"approvers": ["U0A", "bob"], "rules": [
            {"steps": ["approvers", "approvers"], "four_eyes": False}]}})  # fmt: skip
    assert [p.split(":")[0] for p in caught.value.problems] == ["approval.approvers[1]"]
