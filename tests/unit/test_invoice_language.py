"""Which language and locale an invoice gets: the client's language, else the policy's;
the language's own locale unless `[invoice] locale` is set; an unsupported one is named."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from billing_core.errors import ConfigError, RecordNotReady
from billing_core.invoice import draft_invoice
from billing_core.invoice_json import invoice_from_json, invoice_to_json
from billing_core.policy import parse_policy
from billing_core.records import parse_record, record_to_json
from bot.demo import example_record

TODAY = date(2026, 11, 20)


def record(**client: Any) -> Any:
    data = example_record("P-1")
    data["client"] = {**data["client"], **client}
    return parse_record(data)


def test_english_and_en_us_by_default() -> None:
    invoice = draft_invoice(record(), parse_policy({}), TODAY)
    assert (invoice.language, invoice.locale) == ("en", "en_US")


def test_the_clients_language_wins_and_brings_its_locale() -> None:
    policy = parse_policy({"invoice": {"language": "fr"}})
    assert (draft_invoice(record(), policy, TODAY).locale) == "fr_FR"
    invoice = draft_invoice(record(language="de"), policy, TODAY)
    assert (invoice.language, invoice.locale) == ("de", "de_DE")
    assert invoice_from_json(invoice_to_json(invoice)) == invoice


def test_a_locale_set_in_the_policy_file_is_kept_whatever_the_language() -> None:
    policy = parse_policy({"invoice": {"locale": "de_CH"}})
    invoice = draft_invoice(record(language="pl"), policy, TODAY)
    assert (invoice.language, invoice.locale) == ("pl", "de_CH")


def test_an_unsupported_policy_language_stops_the_start_naming_the_key_and_the_list() -> None:
    with pytest.raises(ConfigError, match=r"invoice\.language: 'xx' is not supported.*en, de"):
        parse_policy({"invoice": {"language": "xx"}})


def test_an_unsupported_client_language_is_a_readiness_problem() -> None:
    with pytest.raises(RecordNotReady) as caught:
        draft_invoice(record(language="tlh"), parse_policy({}), TODAY)
    (problem,) = caught.value.problems
    assert problem.field == "client.language" and "en, de, fr, es, it, nl, pl" in problem.message


def test_the_clients_language_is_part_of_the_record_json() -> None:
    assert record_to_json(record(language="DE"))["client"]["language"] == "de"
    assert "language" not in record_to_json(record())["client"]


@pytest.mark.parametrize("given", ["de-DE", "de_DE", "DE-de"])
def test_a_clients_language_tag_with_its_own_region_is_the_catalogs_language(given: str) -> None:
    # "de-DE" was refused at draft time: only "de" (after lower-casing) was taken.
    assert record_to_json(record(language=given))["client"]["language"] == "de"
    invoice = draft_invoice(record(language=given), parse_policy({}), TODAY)
    assert (invoice.language, invoice.locale) == ("de", "de_DE")


def test_a_stored_client_language_tag_still_drafts() -> None:
    # Records stored before tags were normalised keep what they said ("de-de").
    fresh = record()
    stored = dataclasses.replace(fresh, client=dataclasses.replace(fresh.client, language="de-de"))
    assert draft_invoice(stored, parse_policy({}), TODAY).language == "de"


def test_a_record_kind_is_taken_in_any_case() -> None:
    data = example_record("P-1")
    assert parse_record({**data, "kind": "Lead"}).kind == "lead"
