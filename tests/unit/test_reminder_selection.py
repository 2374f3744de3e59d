"""Which overdue invoices are pinged, at which stage, on which day (pure, over a calendar);
and how one owner's reminders are laid out in Slack messages."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing_core.invoice import Invoice, InvoiceLine, Party
from billing_core.money import Money
from billing_core.policy import Policy, ReminderPolicy
from billing_core.reminders import (
    DueReminder,
    business_date,
    by_recipient,
    is_business_day,
    reminders_due,
    snooze_until,
    stage_reached,
)
from billing_core.state import InvoiceState
from billing_core.status import Status
from billing_core.usecases import Billing
from handlers import blocks, chasing_blocks

STAGES = (1, 7, 14, 30)
DUE = date(2026, 12, 1)  # a Tuesday
OWNER = "U0OWNER"


def invoice_state(
    id: int = 1,
    *,
    due: date = DUE,
    status: Status = Status.APPROVED,
    paid: str = "0",
    owner: str = OWNER,
    client: str = "Müller & Søn GmbH",
    snoozed_until: date | None = None,
    currency: str = "EUR",
) -> InvoiceState:
    """An invoice of 1428.00 (1200 net + 19 % tax), numbered unless it is a draft."""
    number = None if status in (Status.DRAFT, Status.REJECTED) else f"INV-2026-{id:04d}"
    invoice = Invoice(
        record_id=f"P-{id}",
        title="Website relaunch",
        scope_ref="",
        owner=owner,
        seller=Party("Northwind Studio GmbH"),
        buyer=Party(client),
        currency=currency,
        lines=(
            InvoiceLine("Design", Decimal(10), Money(Decimal("120.00"), currency), Decimal(19)),
        ),
        issue_date=due - timedelta(days=14),
        due_date=due,
        number=number,
    )
    return InvoiceState(
        id=id,
        invoice=invoice,
        status=status,
        paid=Money(Decimal(paid), currency),
        drafted_by="U0DRAFTER",
        drafted_at=datetime(2026, 11, 1, tzinfo=UTC),
        snoozed_until=snoozed_until,
    )


def day(n: int) -> date:
    """n days after the due date."""
    return DUE + timedelta(days=n)


def due_on(
    states: list[InvoiceState], today: date, sent: dict[int, set[int]] | None = None
) -> list[tuple[int, int]]:
    return [(r.state.id, r.stage) for r in reminders_due(states, sent or {}, today, STAGES)]


class Ledger:
    """What a daily runner remembers: stages pinged per invoice."""

    def __init__(self) -> None:
        self.sent: dict[int, set[int]] = {}

    def run(self, states: list[InvoiceState], today: date) -> list[DueReminder]:
        due = reminders_due(states, self.sent, today, STAGES)
        for r in due:
            self.sent.setdefault(r.state.id, set()).add(r.stage)
        return due


# -- stages over a calendar -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_overdue", "stage"),
    [(0, 0), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3), (29, 3), (30, 4), (400, 4)],
)
def test_stage_reached_at_exactly_the_configured_day(days_overdue: int, stage: int) -> None:
    assert stage_reached(days_overdue, STAGES) == stage


def test_stage_reached_with_a_later_first_stage() -> None:
    assert [stage_reached(d, (3, 10)) for d in (1, 2, 3, 9, 10)] == [0, 0, 1, 1, 2]


def test_daily_runs_over_forty_days_ping_once_per_stage_on_the_boundary_days() -> None:
    ledger = Ledger()
    state = invoice_state()
    pings = {}
    for n in range(-3, 41):
        for r in ledger.run([state], day(n)):
            pings[n] = (r.stage, r.days_overdue, r.last_stage)
    assert pings == {
        1: (1, 1, False),
        7: (2, 7, False),
        14: (3, 14, False),
        30: (4, 30, True),
    }


def test_not_overdue_on_the_due_date_itself() -> None:
    assert due_on([invoice_state()], DUE) == []
    assert due_on([invoice_state()], day(1)) == [(1, 1)]


# -- time zones ---------------------------------------------------------------------------


def billing_in(zone: str) -> Billing:
    return Billing(store=None, policy=Policy(reminders=ReminderPolicy(timezone=zone)))  # type: ignore[arg-type]


def test_business_date_around_midnight_follows_the_business_time_zone() -> None:
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 December in Berlin
    assert billing_in("Europe/Berlin").today(late) == date(2026, 12, 2)
    assert billing_in("UTC").today(late) == date(2026, 12, 1)
    assert billing_in("America/New_York").today(late) == date(2026, 12, 1)
    early = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # still 1 December in New York
    assert billing_in("America/New_York").today(early) == date(2026, 12, 1)
    assert business_date(late, ZoneInfo("Europe/Berlin")) == date(2026, 12, 2)


def test_an_invoice_due_today_is_overdue_in_berlin_after_midnight_but_not_in_utc() -> None:
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    state = invoice_state(due=date(2026, 12, 1))
    assert due_on([state], billing_in("Europe/Berlin").today(late)) == [(1, 1)]
    assert due_on([state], billing_in("UTC").today(late)) == []


# -- weekends -----------------------------------------------------------------------------


def test_business_days_are_monday_to_friday() -> None:
    week = [date(2026, 11, 30) + timedelta(days=n) for n in range(7)]  # Monday..Sunday
    assert [is_business_day(d) for d in week] == [True] * 5 + [False] * 2


def test_selection_itself_evaluates_any_date_a_saturday_included() -> None:
    saturday = date(2026, 12, 5)
    assert due_on([invoice_state()], saturday) == [(1, 1)]
    # Stage 2 is reached on Tuesday 8 December; a weekend in between changes nothing.
    ledger = Ledger()
    state = invoice_state()
    business = [d for n in range(0, 20) if is_business_day(d := day(n))]
    pinged = {d: [r.stage for r in ledger.run([state], d)] for d in business}
    assert {d: s for d, s in pinged.items() if s} == {
        day(1): [1],
        day(7): [2],
        day(14): [3],
    }


def test_a_stage_reached_on_the_weekend_is_sent_on_monday_once() -> None:
    # Due Monday 23 November: stage 2 (7 days) falls on Monday 30th; with stages (1, 5) the
    # second stage falls on Saturday 28th and is sent on the next business day.
    due = date(2026, 11, 23)
    state = invoice_state(due=due)
    sent: dict[int, set[int]] = {1: {1}}
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    assert reminders_due([state], sent, friday, (1, 5)) == []
    (r,) = reminders_due([state], sent, monday, (1, 5))
    assert (r.stage, r.days_overdue) == (2, 7)


# -- snooze, payments, statuses ------------------------------------------------------------


def test_snooze_is_quiet_through_its_last_day_and_pings_the_day_after() -> None:
    snoozed_on = day(6)
    until = snooze_until(snoozed_on)
    assert until == day(9)
    state = invoice_state(snoozed_until=until)
    sent: dict[int, set[int]] = {1: {1}}
    assert due_on([state], day(7), sent) == []  # stage 2 reached, but snoozed
    assert due_on([state], day(9), sent) == []
    assert due_on([state], day(10), sent) == [(1, 2)]


def test_partial_payment_is_still_chased_for_the_balance() -> None:
    state = invoice_state(paid="428.00")
    (r,) = reminders_due([state], {}, day(3), STAGES)
    assert r.state.balance == Money(Decimal("1000.00"), "EUR")
    line = chasing_blocks.reminder_line(r, {})
    assert "€1,000.00" in line and "€1,428.00" not in line


def test_paid_after_the_first_ping_is_never_chased_again() -> None:
    ledger = Ledger()
    assert [r.stage for r in ledger.run([invoice_state()], day(1))] == [1]
    paid = invoice_state(status=Status.PAID, paid="1428.00")
    for n in range(2, 60):
        assert ledger.run([paid], day(n)) == []


def test_fully_paid_but_still_approved_is_not_chased() -> None:
    assert due_on([invoice_state(paid="1428.00")], day(10)) == []


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REJECTED, Status.VOID, Status.PAID])
def test_draft_rejected_void_and_paid_are_never_chased(status: Status) -> None:
    state = invoice_state(status=status, paid="1428.00" if status is Status.PAID else "0")
    for n in (1, 7, 14, 30, 365):
        assert due_on([state], day(n)) == []


def test_sent_invoices_are_chased_like_approved_ones() -> None:
    assert due_on([invoice_state(status=Status.SENT)], day(1)) == [(1, 1)]


# -- catch-up after downtime ----------------------------------------------------------------


def test_catch_up_after_a_twenty_day_outage_sends_one_ping_at_the_highest_stage() -> None:
    ledger = Ledger()
    state = invoice_state()
    assert [r.stage for r in ledger.run([state], day(1))] == [1]
    # Down from day 2 to day 20: stages 2 (day 7) and 3 (day 14) were never sent.
    (r,) = ledger.run([state], day(21))
    assert (r.stage, r.days_overdue) == (3, 21)
    assert ledger.sent == {1: {1, 3}}
    for n in range(22, 30):
        assert ledger.run([state], day(n)) == []
    assert [r.stage for r in ledger.run([state], day(30))] == [4]


def test_catch_up_with_nothing_sent_before_is_one_ping_not_a_burst() -> None:
    (r,) = reminders_due([invoice_state()], {}, day(20), STAGES)
    assert r.stage == 3
    (r,) = reminders_due([invoice_state()], {}, day(45), STAGES)
    assert (r.stage, r.last_stage) == (4, True)


def test_a_higher_stage_already_claimed_hides_the_lower_ones() -> None:
    assert due_on([invoice_state()], day(15), {1: {3}}) == []
    assert due_on([invoice_state()], day(8), {1: {3}}) == []  # e.g. `remind --as-of` earlier
    assert due_on([invoice_state()], day(15), {1: {1, 2}}) == [(1, 3)]


# -- grouping -----------------------------------------------------------------------------


def test_grouped_by_owner_with_unowned_invoices_together_ordered_by_due_date() -> None:
    states = [
        invoice_state(1, owner="U0B", due=day(-3)),
        invoice_state(2, owner="U0A", due=day(-1)),
        invoice_state(3, owner="", due=day(-2)),
        invoice_state(4, owner="U0A", due=day(-5)),
    ]
    grouped = by_recipient(reminders_due(states, {}, DUE, STAGES))
    assert {k: [r.state.id for r in v] for k, v in grouped.items()} == {
        "": [3],
        "U0A": [4, 2],
        "U0B": [1],
    }


# -- Slack layout ---------------------------------------------------------------------------


def reminders_for(count: int, **kwargs: Any) -> list[DueReminder]:
    states = [invoice_state(n, due=day(-(n % 40) - 1), **kwargs) for n in range(1, count + 1)]
    return reminders_due(states, {}, DUE, STAGES)


def sections(message: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in message if b["type"] == "section"]


@pytest.mark.parametrize("client", ["Müller & Søn GmbH", "X" * 200])
def test_sixty_invoices_are_split_over_the_fewest_messages_within_slack_limits(
    client: str,
) -> None:
    reminders = reminders_for(60, client=client)
    chunks = chasing_blocks.reminder_chunks(reminders)
    assert len(chunks) == math.ceil(60 / 24) == 3
    seen: list[int] = []
    for part, chunk in enumerate(chunks, start=1):
        text, message = chasing_blocks.reminder_message(chunk, {}, part, len(chunks))
        assert len(message) <= blocks.MAX_BLOCKS
        assert all(len(s) <= blocks.MAX_TEXT for s in sections(message))
        assert len(text) <= blocks.MAX_TEXT
        assert f"({part}/3)" in sections(message)[0]
        ids = [int(b["block_id"].split(":")[1]) for b in message if b["type"] == "actions"]
        assert ids == [r.state.id for r in chunk]
        seen += ids
    assert sorted(seen) == sorted(r.state.id for r in reminders)
    assert len(seen) == len(set(seen)) == 60


@pytest.mark.parametrize(("count", "messages"), [(1, 1), (24, 1), (25, 2), (48, 2), (49, 3)])
def test_chunk_boundaries(count: int, messages: int) -> None:
    chunks = chasing_blocks.reminder_chunks(reminders_for(count))
    assert len(chunks) == messages
    assert [len(chasing_blocks.reminder_message(c, {})[1]) for c in chunks] == [
        1 + 2 * len(c) for c in chunks
    ]


def test_each_reminder_line_names_number_client_amount_due_date_days_and_thread() -> None:
    (r,) = reminders_due([invoice_state(7, paid="28.00")], {}, day(9), STAGES)
    links = {7: blocks.thread_link("C0SALES", "1700000000.000007") or ""}
    text, message = chasing_blocks.reminder_message([r], links)
    line = sections(message)[1]
    assert "INV-2026-0007" in line and "Müller &amp; Søn GmbH" in line
    assert "€1,400.00" in line and "due 2026-12-01" in line and "9 days overdue" in line
    assert "<https://slack.com/archives/C0SALES/p1700000000000007|INV-2026-0007>" in line
    actions = message[2]
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Mark paid", "Snooze 3 days"]
    assert [e["action_id"] for e in actions["elements"]] == [
        chasing_blocks.MARK_PAID_ACTION,
        chasing_blocks.SNOOZE_ACTION,
    ]
    assert {e["value"] for e in actions["elements"]} == {"7"}
    assert "INV-2026-0007" in text


def test_a_client_named_like_a_mention_is_escaped_in_the_dm_and_escalation() -> None:
    (r,) = reminders_due([invoice_state(client="<!channel> @here <@U0BOSS>")], {}, day(2), STAGES)
    _, message = chasing_blocks.reminder_message([r], {})
    _, escalation = chasing_blocks.escalation_message([r], True, {})
    for rendered in (json.dumps(message), json.dumps(escalation)):
        assert "<!channel>" not in rendered and "<@U0BOSS>" not in rendered
        assert "&lt;!channel&gt; @here &lt;@U0BOSS&gt;" in rendered


def test_mark_paid_modal_defaults_to_the_balance() -> None:
    modal = chasing_blocks.mark_paid_modal(invoice_state(paid="428.00"))
    assert modal["callback_id"] == chasing_blocks.MARK_PAID_MODAL
    assert modal["private_metadata"] == "1"
    assert modal["blocks"][1]["element"]["initial_value"] == "1000.00"


def scheduler_jobs(now: datetime) -> dict[str, Any]:
    from scheduler.jobs import build_scheduler

    policy = Policy(reminders=ReminderPolicy(timezone="Europe/Berlin", time=time(9, 0)))
    scheduler = build_scheduler(policy, None, lambda: now, lambda: None)  # type: ignore[arg-type]
    return {job.id: job for job in scheduler.get_jobs()}


def test_scheduler_trigger_fires_on_business_days_at_the_configured_local_time() -> None:
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    jobs = scheduler_jobs(friday_evening)
    berlin = ZoneInfo("Europe/Berlin")
    fire = jobs["reminders"].trigger.get_next_fire_time(None, friday_evening)
    assert fire == datetime(2026, 12, 7, 9, 0, tzinfo=berlin)  # Monday, 09:00 in Berlin
    assert fire.astimezone(UTC).hour == 8
    after = jobs["reminders"].trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    assert after == datetime(2026, 12, 8, 9, 0, tzinfo=berlin)
    digest = jobs["digest"].trigger.get_next_fire_time(None, friday_evening)
    assert digest == datetime(2026, 12, 7, 9, 0, tzinfo=berlin)
    assert digest.weekday() == 0


@pytest.mark.parametrize(
    ("now", "catch_up"),
    [
        (datetime(2026, 12, 4, 7, 59, tzinfo=UTC), set()),  # Friday 08:59 Berlin: not yet due
        (datetime(2026, 12, 4, 8, 0, tzinfo=UTC), {"reminders-catch-up"}),  # Friday 09:00
        (datetime(2026, 12, 5, 12, 0, tzinfo=UTC), set()),  # Saturday
        (
            datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
            {"reminders-catch-up", "digest-catch-up", "readiness-catch-up"},
        ),
    ],
)
def test_a_run_missed_today_is_run_once_at_start_up(now: datetime, catch_up: set[str]) -> None:
    jobs = scheduler_jobs(now)
    assert {j for j in jobs if j.endswith("catch-up")} == catch_up
    assert {"reminders", "nudges", "digest", "readiness"} <= set(jobs)
    assert jobs["readiness"].trigger.weekdays == frozenset({0})  # Mondays
    for job in (jobs["reminders"], jobs["nudges"], jobs["digest"], jobs["readiness"]):
        assert job.coalesce is True and job.max_instances == 1
