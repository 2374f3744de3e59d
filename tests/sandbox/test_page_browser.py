"""`invoicebot sandbox` in a real browser: a person drafts, approves, rejects and gets a
reminder on the chat page, against the real bot (a real process) and the Slack stand-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.sandbox.browser import ChatPage, chromium, pdf_text
from tests.sandbox.conftest import Sandbox, start_sandbox

ADA, BEN, OLGA = "U0ADA", "U0BEN", "U0OLGA"  # bot.demo: two approvers and the owner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    yield from chromium()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    running = start_sandbox(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def page(browser: WebDriver, sandbox: Sandbox) -> ChatPage:
    return ChatPage(browser, sandbox.url).open()


def due_date(page: ChatPage, record_id: str) -> date:
    summary = page.message("#channel-messages", f"Draft invoice for {record_id}").text
    found = re.search(r"Due:\s*(\d{4}-\d{2}-\d{2})", summary)
    assert found, summary
    return date.fromisoformat(found.group(1))


def test_a_person_drafts_gets_the_pdf_in_a_thread_and_approves_it(page: ChatPage) -> None:
    intro = page.text("#intro")
    for record_id in ("P-101", "P-102", "P-103", "L-201"):
        assert record_id in intro
    assert page.one("select[name=user]").get_attribute("value") == ADA  # may draft and approve

    page.command("/invoice draft P-101")
    page.thread_shows("Draft PDF for P-101", "Approve", "Reject")  # it opens by itself
    page.message("#channel-messages", "Draft invoice for P-101")  # the summary in the channel
    [draft_pdf] = page.file_links("#thread-messages")
    assert "Müller & Søn Café Zürich GmbH" in pdf_text(draft_pdf)
    page.shot("1-draft-thread")

    page.click("#thread-messages", "Approve")
    text = page.thread_shows("Approved by @Ada Lovelace (approver) as INV-")
    number = re.search(r"INV-\d{4}-\d{4}", text)
    assert number, text
    links = page.until(lambda: len(page.file_links("#thread-messages")) == 2
                       and page.file_links("#thread-messages"), "the final PDF")  # fmt: skip
    final = pdf_text(links[1])
    assert number.group(0) in final and "Müller & Søn Café Zürich GmbH" in final
    assert not page.all("#thread-messages button.btn")  # the buttons are gone
    page.shot("2-approved")


def test_a_reject_asks_for_a_reason_in_a_dialog_and_the_thread_shows_it(page: ChatPage) -> None:
    page.command("/invoice draft P-101")
    page.open_thread("Draft invoice for P-101")
    page.click("#thread-messages", "Reject")
    page.until(lambda: page.one("dialog#modal").get_attribute("open") is not None, "the dialog")
    assert page.text("#modal-submit") == "Reject"

    page.one("#modal-submit").click()  # no reason: the bot's error shows in the dialog
    shown = ".input-block[data-block-id=reason] .field-error:not([hidden])"
    error = page.until(lambda: page.one(shown).text, "the field error")
    assert error == "Please say what is wrong."
    page.shot("3-reject-dialog")

    page.one(".input-block[data-block-id=category] select[name=category]").send_keys("Wrong amount")
    page.one("textarea[name=reason]").send_keys("Ten hours, not twelve <b>please</b>")
    page.one("#modal-submit").click()
    page.until(lambda: page.one("dialog#modal").get_attribute("open") is None, "the dialog closing")
    text = page.thread_shows("Rejected by @Ada Lovelace (approver)", "Wrong amount")
    assert "Ten hours, not twelve <b>please</b>" in text  # shown as typed, never as HTML
    assert [b.text for b in page.all("#thread-messages b") if b.text == "please"] == []


def test_the_drafter_is_refused_above_four_eyes_and_another_approver_approves(
    page: ChatPage,
) -> None:
    page.command("/invoice draft P-102")
    page.open_thread("Draft invoice for P-102")
    page.click("#thread-messages", "Approve")
    refusal = page.until(lambda: "Four-eyes rule" in page.one("#toast").text
                         and page.one("#toast").text, "the four-eyes refusal")  # fmt: skip
    assert "Only visible to you" in str(refusal)
    assert "Approved by" not in page.one("#thread-messages").text
    page.shot("4-four-eyes-refusal")

    page.be(BEN)
    page.click("#thread-messages", "Approve")
    page.thread_shows("Approved by @Ben Okafor (approver) as INV-")


def test_reminders_as_of_a_later_date_reach_the_owner_with_mark_paid_and_snooze(
    page: ChatPage,
) -> None:
    page.command("/invoice draft P-103")
    page.open_thread("Draft invoice for P-103")
    page.click("#thread-messages", "Approve")
    page.thread_shows("Approved by")
    as_of = due_date(page, "P-103") + timedelta(days=10)

    page.be(OLGA)
    page.tab("dms")
    page.js("arguments[0].value = arguments[1]", page.one("#remind-date"), as_of.isoformat())
    page.one("#remind-run").click()
    summary = page.until(lambda: "overdue invoice" in page.one("#remind-summary").text
                         and page.one("#remind-summary").text, "the reminder run")  # fmt: skip
    assert f"as of {as_of.isoformat()}" in str(summary)
    reminder = page.message("#dm-messages", "You have 1 overdue invoice")
    assert "10 days overdue" in reminder.text and "Café Olé S.L." in reminder.text
    labels = [b.text for b in reminder.find_elements(By.CSS_SELECTOR, "button.btn")]
    assert page.one("#tab-dms").text == "DMs"  # the tab says DMs; its count is drawn by CSS
    assert labels[0] == "Mark paid" and labels[1].startswith("Snooze"), labels
    page.shot("5-reminder-dm")

    page.click("#dm-messages", "Snooze 3 days")
    page.until(lambda: "Snoozed INV-" in page.one("#toast").text, "the snooze confirmation")
    page.click("#dm-messages", "Mark paid")
    page.until(lambda: page.one("#modal-submit").text == "Record payment", "the Mark paid dialog")
    page.one("#modal-submit").click()
    page.until(lambda: page.one("dialog#modal").get_attribute("open") is None, "the dialog closing")
    page.tab("channel")
    page.thread_shows("Payment of €2,856.00", "recorded by")


def test_the_home_tab_shows_the_app_home(page: ChatPage) -> None:
    page.tab("home")
    home = page.until(lambda: "Opening" not in page.one("#home-view").text
                      and page.one("#home-view").text, "the App Home")  # fmt: skip
    assert home
    page.shot("6-home")
