"""The reminder ledger: one row per (invoice, stage) ever pinged, claimed before sending."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, case, delete, exists, or_, select, update

from billing_core.reminders import DueStage
from billing_core.status import OPEN_STATUSES
from billing_core.store.models import InvoiceRow, ReminderLedgerRow, UtcDateTime
from billing_core.store.repositories.base import Repository

# Rows turned into DueStages between two yields to the loop (see `due_stages`).
STREAM_PARTITION = 2000


class ReminderLedger(Repository):
    async def stages(
        self, invoice_ids: Iterable[int], stale_before: datetime
    ) -> dict[int, set[int]]:
        """Stages sent, or claimed by a sender still alive, per invoice."""
        ids = list(invoice_ids)
        out: dict[int, set[int]] = {}
        for start in range(0, len(ids), 500):
            query = select(ReminderLedgerRow.invoice_id, ReminderLedgerRow.stage).where(
                ReminderLedgerRow.invoice_id.in_(ids[start : start + 500]),
                or_(
                    ReminderLedgerRow.sent_at.is_not(None),
                    ReminderLedgerRow.claimed_at >= stale_before,
                ),
            )
            for invoice_id, stage in await self.session.execute(query):
                out.setdefault(invoice_id, set()).add(stage)
        return out

    async def due_stages(
        self, today: date, stages_days: Sequence[int], stale_before: datetime
    ) -> list[DueStage]:
        """`billing_core.reminders.reminders_due`, in one SQL query over columns: open
        invoices with a balance, past due, not snoozed through `today`, at the highest stage
        they have reached, unless that stage or a later one was sent (or is being sent by a
        live sender: claimed after `stale_before`). Ordered by owner, due date, id.

        The stage comes from comparing the due date with `today` minus each stage's days
        (bound parameters, so SQLite and PostgreSQL do the same date arithmetic: none); a
        property test keeps this equal to the pure rule on random stores."""
        if not stages_days:
            return []
        ledger = ReminderLedgerRow
        last = len(stages_days)
        reached = case(
            *[
                (InvoiceRow.due_date <= today - timedelta(days=days), stage)
                for stage, days in reversed(list(enumerate(stages_days, start=1)))
            ],
            else_=0,
        ).label("stage")
        due = (
            select(InvoiceRow.id, InvoiceRow.owner, InvoiceRow.due_date, reached)
            .where(
                InvoiceRow.status.in_([s.value for s in OPEN_STATUSES]),
                InvoiceRow.paid + InvoiceRow.credited < InvoiceRow.total,
                InvoiceRow.held_reason.is_(None),
                InvoiceRow.due_date < today,
                InvoiceRow.due_date <= today - timedelta(days=stages_days[0]),
                or_(InvoiceRow.snoozed_until.is_(None), InvoiceRow.snoozed_until < today),
            )
            .subquery()
        )
        pinged = exists().where(
            ledger.invoice_id == due.c.id,
            ledger.stage >= due.c.stage,
            or_(ledger.sent_at.is_not(None), ledger.claimed_at >= stale_before),
        )
        query = (
            select(due.c.id, due.c.stage, due.c.owner, due.c.due_date)
            .where(~pinged)
            .order_by(due.c.owner, due.c.due_date, due.c.id)
        )
        # Fetched in one round trip to the driver (aiosqlite runs each fetch in its thread, and
        # 92 fetches of 1,000 rows cost more than the query: selection/floor 1.8-2.3), then
        # turned into DueStages a partition at a time, giving the loop back after each: all
        # 92,000 in one go held it for 0.8 s, during which no Slack request was acked
        # (bench/reminders.py, "busy ms" column). Few distinct due dates: days counted once.
        out: list[DueStage] = []
        days: dict[date, int] = {}
        connection = await self.session.connection()  # Core rows: no ORM loading step
        result = await connection.execute(query)
        for rows in result.partitions(STREAM_PARTITION):
            for i, stage, owner, due_date in rows:
                overdue = days.get(due_date)
                if overdue is None:
                    overdue = days[due_date] = (today - due_date).days
                out.append(DueStage(i, stage, owner, due_date, overdue, stage == last))
            await asyncio.sleep(0)
        return out

    async def claim(
        self,
        pairs: Sequence[tuple[int, int, str]],
        run_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> set[tuple[int, int]]:
        """Claim many (invoice, stage, recipient) at once, 500 rows per
        statement; returns the (invoice, stage) pairs this call claimed. Keep `pairs` in one
        order across callers (PostgreSQL then never deadlocks two racing runners). A pair
        given twice is claimed once (PostgreSQL refuses one statement touching a row twice,
        SQLite does not)."""
        claimed: set[tuple[int, int]] = set()
        unique: dict[tuple[int, int], tuple[int, int, str]] = {}
        for i, s, r in pairs:
            unique.setdefault((i, s), (i, s, r))
        pairs = list(unique.values())
        ledger = ReminderLedgerRow.__table__
        # One statement executed with many parameter sets ("insertmanyvalues"): compiled
        # once and cached, where `.values(rows)` compiled a new 500-row statement per call
        # (a sixth of a 100,000-invoice reminder run's CPU, py-spy).
        stmt = self.insert(ledger)
        stmt = stmt.on_conflict_do_update(
            index_elements=["invoice_id", "stage"],
            set_={
                "run_date": stmt.excluded.run_date,
                "claimed_at": stmt.excluded.claimed_at,
                "recipient": stmt.excluded.recipient,
            },
            where=and_(ledger.c.sent_at.is_(None), ledger.c.claimed_at < stale_before),
        ).returning(ledger.c.invoice_id, ledger.c.stage)
        for start in range(0, len(pairs), 500):
            rows = [
                {"invoice_id": i, "stage": s, "run_date": run_date, "claimed_at": now,
                 "recipient": r}
                for i, s, r in pairs[start : start + 500]
            ]  # fmt: skip
            result = await self.session.execute(stmt, rows)
            claimed.update((i, s) for i, s in result)
        return claimed

    async def still_chasable(self, invoice_ids: Sequence[int], today: date) -> set[int]:
        """Of these invoices, those still open with a balance and not snoozed on `today`."""
        found: set[int] = set()
        for start in range(0, len(invoice_ids), 500):
            query = select(InvoiceRow.id).where(
                InvoiceRow.id.in_(invoice_ids[start : start + 500]),
                InvoiceRow.status.in_([s.value for s in OPEN_STATUSES]),
                InvoiceRow.paid + InvoiceRow.credited < InvoiceRow.total,
                InvoiceRow.held_reason.is_(None),
                or_(InvoiceRow.snoozed_until.is_(None), InvoiceRow.snoozed_until < today),
            )
            found.update(await self.session.scalars(query))
        return found

    async def mark_sent(self, pairs: Iterable[tuple[int, int]], now: datetime) -> None:
        """Mark the pairs sent at `now`: one cached statement per stage and 500 invoices.

        The statement is built once, at import, and SQLAlchemy caches its compiled form (a
        new IN (...) expression per message was a quarter of a run's loop time), and `now`
        is bound once per statement: with a parameter set per pair, SQLite's datetime
        formatting of the same `now` for each of 91,605 pairs was 6 % of a run's CPU
        (py-spy, bench/reminders.py)."""
        by_stage: dict[int, list[int]] = {}
        for invoice_id, stage in pairs:
            by_stage.setdefault(stage, []).append(invoice_id)
        for stage, ids in sorted(by_stage.items()):
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                await self.session.execute(_MARK_SENT, {"s": stage, "ids": chunk, "now": now})

    async def release(self, pairs: Iterable[tuple[int, int]]) -> None:
        rows = [{"i": i, "s": s} for i, s in pairs]
        if rows:
            await self.session.execute(_RELEASE, rows)


_LEDGER = cast(Table, ReminderLedgerRow.__table__)
_MARK_SENT = (
    update(_LEDGER)
    .where(_LEDGER.c.stage == bindparam("s"), _LEDGER.c.invoice_id.in_(bindparam("ids")))
    .values(sent_at=bindparam("now", type_=UtcDateTime()))
)
_RELEASE = delete(_LEDGER).where(
    _LEDGER.c.invoice_id == bindparam("i"),
    _LEDGER.c.stage == bindparam("s"),
    _LEDGER.c.sent_at.is_(None),
)
