"""The heart of the product: /invoice draft, the PDF in a thread, an approver's click."""

import asyncio
import io

from pypdf import PdfReader

from tests.e2e.harness import APPROVER, CHANNEL, DRAFTER, STRANGER, Bot


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


async def test_draft_posts_summary_draft_pdf_and_buttons_into_one_thread(bot: Bot) -> None:
    response, _ = await bot.command("draft P-123")
    assert response.status == 200
    buttons = await bot.buttons_message("P-123")

    summary = [m for m in bot.slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(summary) == 1
    assert "Müller &amp; Søn GmbH" in str(summary[0].blocks)
    upload = bot.slack.uploaded_files[0]
    assert upload.thread_ts == summary[0].ts and upload.channel_id == CHANNEL
    text = pdf_text(upload.content)
    assert "DRAFT" in text and "Müller & Søn GmbH" in text
    assert buttons.thread_ts == summary[0].ts
    assert buttons.button_action_ids() == ["invoice_approve", "invoice_reject"]
    labels = [e["text"]["text"] for b in buttons.blocks for e in b.get("elements", [])
              if e.get("type") == "button"]  # fmt: skip
    assert labels == ["Approve", "Reject"]


async def test_approve_numbers_the_invoice_posts_final_pdf_and_removes_buttons(bot: Bot) -> None:
    buttons = await bot.draft()
    response, _ = await bot.click("invoice_approve", buttons, APPROVER)
    assert response.status == 200
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    final = bot.slack.uploaded_files[1]
    assert final.thread_ts == buttons.thread_ts
    text = pdf_text(final.content)
    assert "INV-2026-0001" in text and "DRAFT" not in text
    await bot.slack.wait_until(lambda: not bot.slack.message(buttons.ts).button_action_ids(), 10)
    updated = bot.slack.message(buttons.ts)
    assert f"<@{APPROVER}>" in updated.text and "INV-2026-0001" in updated.text
    state = await bot.billing.queries.find("INV-2026-0001")
    assert state.status.value == "approved"
    document = await bot.billing.documents.get(state.id, "final")
    assert document is not None and document.record_id == "P-123"


async def test_ten_concurrent_approve_clicks_issue_one_number(bot: Bot) -> None:
    buttons = await bot.draft()
    clicks = await asyncio.gather(
        *(bot.click("invoice_approve", buttons, APPROVER) for _ in range(10))
    )
    assert all(r.status == 200 for r, _ in clicks)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    await bot.slack.wait_until(lambda: len(bot.slack.ephemerals) >= 9, 10)
    late = [e.text for e in bot.slack.ephemerals if e.user == APPROVER]
    assert len(late) == 9 and all("already approved" in t for t in late)
    overview = await bot.billing.records.overview("P-123")
    assert [s.number for s in overview.invoices] == ["INV-2026-0001"]


async def test_non_approver_cannot_approve_and_nothing_changes(bot: Bot) -> None:
    buttons = await bot.draft()
    _, name = await bot.click("invoice_approve", buttons, STRANGER)
    (reply,) = await bot.replies(name)
    assert "Only approvers" in reply
    state = await bot.billing.queries.find("P-123")
    assert state.status.value == "draft" and state.number is None


async def test_four_eyes_refuses_the_drafter_approving_their_own_large_invoice(
    bot: Bot,
) -> None:
    from dataclasses import replace

    from billing_core.policy import ApprovalPolicy

    bot.billing.policy = replace(
        bot.billing.policy,
        approval=ApprovalPolicy(
            approvers=(APPROVER,), four_eyes_threshold=__import__("decimal").Decimal("1000")
        ),
    )
    buttons = await bot.draft(user=APPROVER)
    _, name = await bot.click("invoice_approve", buttons, APPROVER)
    (reply,) = await bot.replies(name)
    assert "Four-eyes" in reply
    assert (await bot.billing.queries.find("P-123")).number is None


async def test_draft_of_unknown_record_is_an_ephemeral_error_and_stores_nothing(bot: Bot) -> None:
    _, name = await bot.command("draft P-404")
    (reply,) = await bot.replies(name)
    assert "no record with ID 'P-404'" in reply
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_draft_of_unready_record_names_every_missing_field(bot: Bot) -> None:
    from tests.e2e.harness import record_json

    await bot.add_records(record_json("P-7", owner="", client={"name": ""}, line_items=[]))
    _, name = await bot.command("draft P-7")
    (reply,) = await bot.replies(name)
    for field in ("client.name", "client.email", "line_items", "owner"):
        assert field in reply
    overview = await bot.billing.records.overview("P-7")
    assert overview.invoices == []


async def test_drafting_again_points_to_the_open_draft(bot: Bot) -> None:
    await bot.draft()
    _, name = await bot.command("draft P-123", DRAFTER)
    (reply,) = await bot.replies(name)
    assert "already has a draft" in reply and "https://slack.com/archives/" in reply
    assert len((await bot.billing.records.overview("P-123")).invoices) == 1
