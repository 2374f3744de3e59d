"""Which overdue invoices to ping today, and at which stage. Pure.

An approved or sent invoice with a balance, past its due date, reaches stage k (1-based) at
`stages_days[k-1]` days overdue. Each (invoice, stage) is pinged at most once; after downtime
only the highest stage reached is sent, once (no burst of old stages). Paid, void, rejected
and draft invoices are never chased; a snoozed invoice is quiet until its snooze ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from billing_core.money import Money
from billing_core.state import InvoiceState

SNOOZE_DAYS = 3
BUSINESS_DAYS = frozenset(range(5))  # Monday to Friday


# A named tuple, not a frozen dataclass: as immutable, and the store makes ~92,000 of them
# per selection at 100,000 invoices, where a frozen dataclass's __init__ (an
# object.__setattr__ per field) was a quarter of the selection's Python time on PostgreSQL
# (py-spy; 0.12-0.23 s against 0.07-0.12 s for the same rows, /tmp probe). Like the slots
# of DueReminder, it has no __dict__ for the garbage collector to walk (a full pass over
# instances with one was up to 180 ms on the event loop).
class DueStage(NamedTuple):
    """An (invoice, stage) pair due on a day: what the selection yields, without the invoice
    itself (the store selects these in SQL; the invoice is loaded only to be sent)."""

    invoice_id: int
    stage: int  # 1-based: stage 1 is the first ping
    recipient: str  # the owner to DM, or "" (no owner: the escalation channel)
    due_date: date
    days_overdue: int
    last_stage: bool


@dataclass(frozen=True, slots=True)
class OverdueInvoice:
    """What a reminder shows of an invoice. The store reads it from the invoice's columns
    (`InvoiceRepository.overdue_many`) without parsing its snapshot: rebuilding every
    InvoiceState and its totals was half the CPU of a 4,515-DM reminder run (py-spy,
    bench/reminders.py). `of` gives the same from a state, for the pure rules."""

    id: int
    number: str | None
    record_id: str
    owner: str
    client: str  # the buyer's name
    balance: Money  # InvoiceState.balance: total - paid - credited, each in minor units
    due_date: date
    locale: str

    @classmethod
    def of(cls, state: InvoiceState) -> OverdueInvoice:
        inv = state.invoice
        return cls(
            state.id, state.number, state.record_id, state.owner, inv.buyer.name,
            state.balance, inv.due_date, inv.locale,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class DueReminder:
    state: OverdueInvoice  # the invoice, as much of it as a reminder shows
    stage: int  # 1-based: stage 1 is the first ping
    days_overdue: int
    last_stage: bool

    @property
    def recipient(self) -> str:
        """The owner to DM, or "" when the invoice has no owner (escalation channel)."""
        return self.state.owner

    @property
    def invoice_id(self) -> int:
        return self.state.id

    def due_stage(self) -> DueStage:
        return DueStage(
            self.state.id, self.stage, self.recipient, self.state.due_date,
            self.days_overdue, self.last_stage,
        )  # fmt: skip


def stage_reached(days_overdue: int, stages_days: tuple[int, ...]) -> int:
    """The highest stage (1-based) whose day count has been reached; 0 when none."""
    reached = 0
    for index, days in enumerate(stages_days, start=1):
        if days_overdue >= days:
            reached = index
    return reached


def reminders_due(
    invoices: Iterable[InvoiceState],
    sent: Mapping[int, set[int]],
    today: date,
    stages_days: tuple[int, ...],
) -> list[DueReminder]:
    """The (invoice, stage) pairs to ping on `today`, ordered by owner then due date.

    `sent` maps invoice id to the stages already pinged (or claimed) for it.
    """
    due: list[DueReminder] = []
    for state in invoices:
        if not state.is_overdue(today):
            continue
        if state.snoozed_until is not None and today <= state.snoozed_until:
            continue
        if state.held_reason is not None:  # disputed: not chased until released
            continue
        days = state.days_overdue(today)
        stage = stage_reached(days, stages_days)
        if stage == 0:
            continue
        already = sent.get(state.id, set())
        if any(s >= stage for s in already):
            continue
        last = stage == len(stages_days)
        due.append(DueReminder(OverdueInvoice.of(state), stage, days, last_stage=last))
    due.sort(key=lambda r: (r.recipient, r.state.due_date, r.state.id))
    return due


def by_recipient(reminders: Iterable[DueStage]) -> dict[str, list[DueStage]]:
    """Group for one message per owner ("" collects invoices without an owner)."""
    grouped: dict[str, list[DueStage]] = {}
    for reminder in reminders:
        grouped.setdefault(reminder.recipient, []).append(reminder)
    return grouped


def is_business_day(day: date) -> bool:
    return day.weekday() in BUSINESS_DAYS


def snooze_until(today: date) -> date:
    """Snoozing silences pings through this date."""
    return today + timedelta(days=SNOOZE_DAYS)


def next_run(
    after: datetime, at: time, zone: ZoneInfo, weekdays: frozenset[int] = BUSINESS_DAYS
) -> datetime:
    """The first scheduled run strictly after `after`: time `at` on the next day whose local
    weekday is in `weekdays` (0 = Monday), in `zone`. Exactly one run per such day, whatever
    daylight saving does:

    - `at` inside a gap (clocks jump from 00:00 to 01:00, `at` = 00:30) runs as much later as
      the gap is long (01:30 local), on that same day;
    - `at` inside an overlap (clocks fall back, 23:30 happens twice) runs at the first one.

    That is Python's `fold=0` reading of a local time (PEP 495); APScheduler 3's CronTrigger
    instead skips a day in the gap and runs twice in the overlap."""
    # Compared and returned in UTC: two datetimes of the same zone compare by wall time,
    # which cannot tell the two 23:30s of an overlap apart.
    after_utc = after.astimezone(UTC)
    day = after.astimezone(zone).date()
    for _ in range(15):  # at most a week ahead, twice over for safety
        if day.weekday() in weekdays:
            candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)  # fold=0
            if candidate > after_utc:
                return candidate
        day += timedelta(days=1)
    raise ValueError(f"no weekday in {sorted(weekdays)}")  # pragma: no cover - empty set


def business_date(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date in the business time zone (what "today" means for overdue)."""
    return now.astimezone(zone).date()
