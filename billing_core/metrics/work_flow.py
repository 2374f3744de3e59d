"""How billing flows: cycle time, corrections, payment turnaround, work left uninvoiced. Pure.

Days are whole calendar days between business dates (`[reminders].timezone`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from billing_core.errors import FieldProblem
from billing_core.invoice import readiness_problems
from billing_core.metrics.facts import Decision, IssuedInvoice, Settlement
from billing_core.metrics.stats import DaysSpread, median
from billing_core.policy import Policy
from billing_core.records import Record, parse_record

SLOWEST_PAYERS = 5


def spread_of_counts(counts: Iterable[tuple[int, int]]) -> DaysSpread:
    """Median and p90 over (days, how many) pairs: a histogram, as SQL groups it."""
    return DaysSpread.of([days for days, n in counts for _ in range(n)])


def cycle_time(approvals: Iterable[tuple[date, date | None]], first: date, end: date) -> DaysSpread:
    """Days from the invoice snapshot's `completed_at` to approval, over the (approved on,
    completed at) pairs approved in [first, end) that have a completed_at: median and p90
    (nearest rank)."""
    days = Counter(
        (approved - completed).days
        for approved, completed in approvals
        if completed is not None and first <= approved < end
    )
    return spread_of_counts(days.items())


@dataclass(frozen=True)
class Corrections:
    """People's decisions on drafts in a period: `rate` = rejected / decided (None when no
    draft was decided), rejections per category, and records rejected more than once."""

    decided: int
    rejected: int
    rate: Decimal | None
    by_category: Mapping[str, int]
    rejected_more_than_once: tuple[str, ...]


def corrections_of_counts(
    approved: int, by_category: Mapping[str | None, int], rejected_more_than_once: Iterable[str]
) -> Corrections:
    """From counts: approvals, rejections per category (None counts as "other"), and the
    records with two or more rejections."""
    categories: Counter[str] = Counter()
    for category, n in by_category.items():
        categories[category or "other"] += n
    rejected = sum(categories.values())
    decided = approved + rejected
    rate = None
    if decided:
        rate = (Decimal(rejected) / decided).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return Corrections(
        decided=decided,
        rejected=rejected,
        rate=rate,
        by_category=dict(sorted(categories.items())),
        rejected_more_than_once=tuple(sorted(rejected_more_than_once)),
    )


def corrections(decisions: Iterable[Decision], first: date, end: date) -> Corrections:
    """Over decisions dated in [first, end). A withdrawn draft is the system's doing, not a
    decision, and is not counted. Categories are the REJECTION_CATEGORIES keys."""
    in_period = [d for d in decisions if first <= d.on < end]
    rejected = [d for d in in_period if d.outcome == "rejected"]
    per_record = Counter(d.record_id for d in rejected)
    return corrections_of_counts(
        sum(d.outcome == "approved" for d in in_period),
        Counter(d.category for d in rejected),
        [r for r, n in per_record.items() if n > 1],
    )


@dataclass(frozen=True)
class Payer:
    """A client's payment turnaround: the median days over its invoices paid in full."""

    client: str
    invoices: int
    median_days: Decimal


@dataclass(frozen=True)
class Turnaround:
    """Days from approval (or first marked sent) to paid in full, over invoices fully paid in
    the period: all of them, per client (by name), and the slowest clients by median."""

    overall: DaysSpread
    by_client: tuple[Payer, ...]
    slowest: tuple[Payer, ...]


def turnaround_of_counts(rows: Iterable[tuple[str, int, int]]) -> Turnaround:
    """From (client, days, how many) rows, as SQL groups them (negative days count as 0)."""
    per_client: dict[str, list[int]] = {}
    for client, days, n in rows:
        per_client.setdefault(client, []).extend([max(0, days)] * n)
    payers = tuple(
        Payer(client, len(days), median(days)) for client, days in sorted(per_client.items())
    )
    slowest = sorted(payers, key=lambda p: (-p.median_days, p.client))[:SLOWEST_PAYERS]
    every = [d for days in per_client.values() for d in days]
    return Turnaround(DaysSpread.of(every), payers, tuple(slowest))


def turnaround(
    invoices: Iterable[IssuedInvoice], settlements: Iterable[Settlement], first: date, end: date
) -> Turnaround:
    """Over the payments in [first, end) that cleared an invoice's balance: days from the
    invoice's first marked sent (or its approval) to that payment."""
    by_id = {inv.invoice_id: inv for inv in invoices}
    rows = []
    for s in settlements:
        inv = by_id.get(s.invoice_id)
        if inv is None or not s.clears or not first <= s.on < end:
            continue
        rows.append((inv.client, (s.on - (inv.sent_on or inv.issue_date)).days, 1))
    return turnaround_of_counts(rows)


def parse_candidates(rows: Iterable[tuple[str, bool]]) -> tuple[list[Record], frozenset[str]]:
    """The store's (record JSON text, draft waiting) rows as records, and the ids of those
    with a draft waiting. CPU work: run it off the event loop."""
    records, drafts = [], set()
    for text, waiting in rows:
        record = parse_record(json.loads(text))
        records.append(record)
        if waiting:
            drafts.add(record.id)
    return records, frozenset(drafts)


Blocker = Literal["not_ready", "draft_waiting", "ready"]


@dataclass(frozen=True)
class Uninvoiced:
    """A record completed but without an approved invoice since, and what stops it:
    `not_ready` (the `missing` fields), `draft_waiting` (a draft awaits a decision) or
    `ready` (nothing: someone only has to draft it)."""

    record_id: str
    title: str
    owner: str
    completed_at: date
    days_waiting: int
    blocker: Blocker
    missing: tuple[FieldProblem, ...] = ()


def uninvoiced(
    records: Iterable[Record],
    last_issued: Mapping[str, date],
    drafts_waiting: frozenset[str],
    policy: Policy,
    as_of: date,
) -> list[Uninvoiced]:
    """Records completed on or before `as_of` with no invoice approved (and not voided) on or
    after their completed_at (`last_issued`: record id -> latest such issue date), oldest
    first. Readiness is judged as of `as_of` by the same rule drafting uses."""
    out = []
    for record in records:
        done = record.completed_at
        if done is None or done > as_of:
            continue
        issued_on = last_issued.get(record.id)
        if issued_on is not None and issued_on >= done:
            continue
        missing = tuple(readiness_problems(record, policy, as_of))
        blocker: Blocker = "ready"
        if record.id in drafts_waiting:
            blocker = "draft_waiting"
        elif missing:
            blocker = "not_ready"
        out.append(
            Uninvoiced(
                record.id,
                record.title,
                record.owner,
                done,
                (as_of - done).days,
                blocker,
                missing if blocker == "not_ready" else (),
            )
        )
    return sorted(out, key=lambda u: (u.completed_at, u.record_id))
