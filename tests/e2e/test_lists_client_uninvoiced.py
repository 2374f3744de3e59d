"""`/invoice list client NAME` and `/invoice list uninvoiced`, paged within Slack's limits."""

from __future__ import annotations

import re
from datetime import date

from tests.e2e.harness import APPROVER, DRAFTER, OWNER, Bot, record_json
from tests.e2e.test_faults_replies import more_button
from tests.e2e.test_reject_and_commands import approve


async def test_list_client_matches_part_of_the_name_in_any_case(bot: Bot) -> None:
    await bot.add_records(record_json("P-2", client={"name": "Acme 100% Corp", "email": "a@b.c"}))
    number = await approve(bot)  # Müller & Søn GmbH
    await bot.billing.drafting.start_draft("P-2", DRAFTER, bot.clock())

    _, name = await bot.command("list client müller", APPROVER)
    (reply,) = await bot.replies(name)
    assert number in reply and "P-2" not in reply
    assert "(1)" in reply

    _, name = await bot.command("list client ACME 100%", APPROVER)
    (reply,) = await bot.replies(name)
    assert "draft of P-2" in reply and number not in reply

    _, name = await bot.command("list client 100_", APPROVER)  # _ is no wildcard
    (reply,) = await bot.replies(name)
    assert ": none." in reply

    response, _ = await bot.command("list client", APPROVER)
    assert "usage: `/invoice list client NAME`" in response.text


async def test_list_uninvoiced_says_what_stops_each_record_and_pages_on(bot: Bot) -> None:
    # P-123 (the fixture's record) completed 2026-11-20, ready; 24 more not ready (no email
    # or address); P-W completed with a draft waiting.
    broken = {"name": "Nobody GmbH"}
    await bot.add_records(
        *(record_json(f"P-N{n:02d}", client=broken, completed_at="2026-11-1" + str(n % 10))
          for n in range(24)),
        record_json("P-W", completed_at="2026-11-24"),
        record_json("P-LATER", completed_at="2026-12-20"),  # not completed yet on Nov 25
    )  # fmt: skip
    await bot.billing.drafting.start_draft("P-W", OWNER, bot.clock())

    _, name = await bot.command("list uninvoiced", OWNER)
    (first,) = await bot.replies(name)
    assert "Completed but not invoiced* (26) — showing 1–20" in first
    assert "P-N00 " in first and "missing client.email: missing (or give client.address)" in first
    page = bot.reply_posts(name)[0]
    button = more_button(page)
    assert button is not None
    message = {"blocks": page["blocks"], "ts": "1.0"}
    _, name = await bot.click(button["action_id"], message, OWNER, value=button["value"])
    (second,) = await bot.replies(name)
    assert "showing 21–26" in second
    assert "P-W Website relaunch" in second and "a draft waits for a decision" in second
    assert "ready: draft it with `/invoice draft P-123`" in second
    assert "P-LATER" not in first + second
    seen = re.findall(r"• (P-[A-Z0-9-]+) ", first + second)
    assert len(seen) == len(set(seen)) == 26
    assert date(2026, 11, 25) == bot.billing.today(bot.clock())


async def test_list_client_shows_credited_invoices_and_their_credit_notes(bot: Bot) -> None:
    number = await approve(bot)  # Müller & Søn GmbH, 1428.00
    note = await bot.billing.crediting.start_credit(number, OWNER, "cancelled", bot.clock())
    issued = await bot.billing.drafting.approve(note.state.id, APPROVER, bot.clock())
    assert issued.number is not None

    _, name = await bot.command("list client müller", APPROVER)
    (reply,) = await bot.replies(name)
    assert number in reply and issued.number in reply
    assert "(2)" in reply
    assert f"issued, credits {number}, dated" in reply and "credited, due" in reply
