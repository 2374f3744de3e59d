"""Credit notes through Slack: `/invoice credit`, the draft and its buttons in a thread of
their own, an approver's click, the credit note PDF, and the invoice no longer chased."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from slack_sdk.web.async_client import AsyncWebClient

from handlers.reminders import SlackReminderSender
from scheduler.reminders import run_reminders
from tests.e2e.harness import APPROVER, DRAFTER, OWNER, Bot


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


async def sent_invoice(bot: Bot) -> str:
    """INV-2026-0001 (1428.00 EUR, due 2026-12-01) drafted, approved and marked sent."""
    buttons = await bot.draft()
    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    _, name = await bot.command("sent INV-2026-0001", APPROVER)
    (reply,) = await bot.replies(name)
    assert "marked as sent" in reply
    return "INV-2026-0001"


async def credit_buttons(bot: Bot, number: str) -> Any:
    """The Approve/Reject message of the invoice's newest credit note draft."""
    invoice = await bot.billing.queries.find(number)

    async def newest_draft() -> int | None:
        async with bot.billing.store.unit_of_work(read_only=True) as uow:
            drafts = [s for s in await uow.invoices.credit_notes(invoice.id) if not s.number]
        return drafts[-1].id if drafts else None

    found: list[Any] = []

    def buttons() -> bool:
        block_id = f"decision:{found[0]}" if found else None
        for message in bot.slack.messages():
            if any(b.get("block_id") == block_id for b in message.blocks or []):
                found.append(message)
                return True
        return False

    for _ in range(500):
        draft_id = await newest_draft()
        if draft_id is not None:
            found.append(draft_id)
            break
        await bot.slack.wait_until(lambda: True, 1)
    await bot.slack.wait_until(buttons, 20)
    return found[-1]


async def test_a_full_credit_in_slack_gives_a_numbered_credit_note_and_closes_the_invoice(
    bot: Bot,
) -> None:
    number = await sent_invoice(bot)
    response, _ = await bot.command(f"credit {number} 2 hours billed twice", DRAFTER)
    assert response.status == 200 and "credit note" in response.text
    buttons = await credit_buttons(bot, number)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 3, 20)
    draft_pdf = pdf_text(bot.slack.uploaded_files[2].content)
    assert "DRAFT" in draft_pdf and "INV-2026-0001" in draft_pdf
    assert "CN-" not in draft_pdf

    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 4, 20)
    final = bot.slack.uploaded_files[3]
    assert final.thread_ts == buttons.thread_ts
    text = pdf_text(final.content)
    assert "CREDIT NOTE" in text and "Credit note no." in text and "CN-2026-0001" in text
    assert "Credits invoice" in text and "INV-2026-0001" in text
    assert "Invoice date" in text and "Nov 25, 2026" in text  # the original's date
    assert "Total credited" in text and "-€1,428.00" in text
    assert "Reason: 2 hours billed twice" in text
    assert "DRAFT" not in text and "Due date" not in text

    invoice = await bot.billing.queries.find(number)
    assert invoice.status.value == "credited" and invoice.balance.is_zero()
    note = await bot.billing.queries.find("CN-2026-0001")
    assert note.status.value == "issued" and note.total.amount == invoice.total.amount

    _, name = await bot.command(f"status {number}", OWNER)
    (status,) = await bot.replies(name)
    assert "credited" in status and "Credited €1,428.00" in status


async def test_a_partial_credit_lowers_the_balance_and_a_credited_invoice_is_not_chased(
    bot: Bot,
) -> None:
    number = await sent_invoice(bot)
    await bot.command(f"credit {number} 428.00 discount agreed", DRAFTER)
    buttons = await credit_buttons(bot, number)
    # As a person would: click once the draft PDF is in the thread.
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 3, 20)
    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 4, 20)
    text = pdf_text(bot.slack.uploaded_files[3].content)
    assert "CN-2026-0001" in text and "-€428.00" in text
    invoice = await bot.billing.queries.find(number)
    assert (invoice.status.value, str(invoice.balance.amount)) == ("sent", "1000.00")

    client = AsyncWebClient(token=bot.slack.bot_token, base_url=bot.slack.api_url)
    sender = SlackReminderSender(
        client, bot.billing.policy, bot.service.container.store.conversations
    )
    owner_dms = lambda: bot.slack.messages(channel=bot.slack.dm_channel(OWNER))  # noqa: E731

    async def remind(day: date) -> None:
        at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        await run_reminders(bot.billing, sender, at, as_of=day)

    await remind(date(2026, 12, 4))  # 3 days overdue: chased for what is left
    assert len(owner_dms()) == 1 and "€1,000.00" in str(owner_dms()[0].blocks)

    await bot.command(f"credit {number} rest waived", DRAFTER)
    buttons = await credit_buttons(bot, number)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 5, 20)
    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 6, 20)
    assert "CN-2026-0002" in pdf_text(bot.slack.uploaded_files[5].content)
    assert (await bot.billing.queries.find(number)).status.value == "credited"
    await remind(date(2026, 12, 9))  # the 7-day stage: nothing, the invoice is credited
    assert len(owner_dms()) == 1


async def test_crediting_more_than_is_left_or_a_draft_is_refused_in_private(bot: Bot) -> None:
    number = await sent_invoice(bot)
    _, name = await bot.command(f"credit {number} 2000.00 too much", DRAFTER)
    (reply,) = await bot.replies(name)
    assert "amount" in reply and "more than what is still creditable" in reply
    _, name = await bot.command(f"credit {number} 100 JPY wrong currency", DRAFTER)
    (reply,) = await bot.replies(name)
    assert "is in EUR, not JPY" in reply
    response, _ = await bot.command(f"credit {number}", DRAFTER)  # answered in the ack
    assert "reason is required" in response.text
    invoice = await bot.billing.queries.find(number)
    async with bot.billing.store.unit_of_work(read_only=True) as uow:
        assert await uow.invoices.credit_notes(invoice.id) == []


async def test_a_credit_note_slack_will_not_post_is_withdrawn_and_the_drafter_told(
    bot: Bot,
) -> None:
    number = await sent_invoice(bot)
    bot.slack.add_channel("C0PRIVATE", bot_member=False, members=[DRAFTER])
    _, name = await bot.command(f"credit {number} wrong rate", DRAFTER, channel="C0PRIVATE")
    (reply,) = await bot.replies(name)
    assert "not_in_channel" in reply and "credit note draft was withdrawn" in reply
    assert "retried" not in reply  # it will not be: Slack refused for good
    invoice = await bot.billing.queries.find(number)
    async with bot.billing.store.unit_of_work(read_only=True) as uow:
        (withdrawn,) = await uow.invoices.credit_notes(invoice.id)
    assert withdrawn.status.value == "withdrawn"


@pytest.mark.parametrize(
    "amount", ["1,000.00", "-5.00", "+5.00", "120,00", "1e3", "NaN.0", "-5 EUR"]
)
async def test_an_amount_written_another_way_is_refused_never_a_full_credit(
    bot: Bot, amount: str
) -> None:
    """Read as the start of the reason, `-5.00` would have drafted a credit of the whole
    invoice (found trying it as a user would)."""
    number = await sent_invoice(bot)
    response, _ = await bot.command(f"credit {number} {amount} goodwill", DRAFTER)
    assert "is not an amount we take" in response.text and "120.00" in response.text
    invoice = await bot.billing.queries.find(number)
    async with bot.billing.store.unit_of_work(read_only=True) as uow:
        assert await uow.invoices.credit_notes(invoice.id) == []


async def test_a_reason_that_starts_with_a_number_word_is_a_full_credit(bot: Bot) -> None:
    number = await sent_invoice(bot)
    await bot.command(f"credit {number} 3rd milestone billed twice", DRAFTER)
    await credit_buttons(bot, number)  # drafted, for the whole invoice


async def test_a_german_clients_invoice_and_credit_note_read_in_german(bot: Bot) -> None:
    from tests.e2e.harness import record_json

    data = record_json("P-DE")
    data["client"]["language"] = "de"
    await bot.add_records(data)
    buttons = await bot.draft("P-DE")
    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    text = pdf_text(bot.slack.uploaded_files[1].content).replace("\xa0", " ")
    assert "RECHNUNG" in text and "Fällig am" in text and "1.428,00 €" in text
    assert "INVOICE" not in text
    await bot.command("credit INV-2026-0001 Projekt abgesagt", DRAFTER)
    note_buttons = await credit_buttons(bot, "INV-2026-0001")
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 3, 20)
    await bot.click("invoice_approve", note_buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 4, 20)
    text = pdf_text(bot.slack.uploaded_files[3].content).replace("\xa0", " ")
    assert "GUTSCHRIFT" in text and "CN-2026-0001" in text and "Zur Rechnung" in text
    assert "-1.428,00 €" in text and "Grund: Projekt abgesagt" in text


async def test_a_credit_note_draft_is_listed_and_shown_as_such(bot: Bot) -> None:
    number = await sent_invoice(bot)
    await bot.command(f"credit {number} 100.00 goodwill", DRAFTER)
    await credit_buttons(bot, number)
    _, name = await bot.command("list drafts", APPROVER)
    (listed,) = await bot.replies(name)
    assert f"credit note draft for {number}" in listed and "€100.00" in listed
    _, name = await bot.command("status P-123", APPROVER)  # the record's invoice, not the note
    (status,) = await bot.replies(name)
    assert f"*{number}* — sent" in status
