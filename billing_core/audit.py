"""The audit trail's hashes: a chain of events nobody can quietly edit. Pure.

Each event is hashed over the canonical JSON (sorted keys, no spaces, UTF-8, amounts and dates
as strings) of `{"id", "at", "kind", "invoice_id", "actor", "payload", "prev_hash"}`:
SHA-256, or HMAC-SHA-256 keyed by `INVOICEBOT_AUDIT_KEY` when the installation sets one (the
caller passes the key in). `prev_hash` is the previous event's hash (GENESIS for the first),
so changing, deleting or reordering any event breaks every hash after it.

Personal data (people's names, e-mail and postal addresses, free-text notes that may name
them) never enters a payload as such: it enters as `personal_sha256`, the SHA-256 of the
canonical JSON of those fields, so the data itself may be erased elsewhere without touching
the chain. Actors are Slack user IDs (pseudonymous) and stay as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from billing_core.status import Action

GENESIS = "0" * 64

# What a history row's Action is called in the trail.
KIND_OF: dict[Action, str] = {
    Action.DRAFT: "drafted",
    Action.SIGN: "signed",
    Action.APPROVE: "approved",
    Action.ISSUE: "approved",  # a credit note's approval (it gets its own number)
    Action.REJECT: "rejected",
    Action.WITHDRAW: "withdrawn",
    Action.MARK_SENT: "sent",
    Action.PART_PAY: "paid",
    Action.SETTLE: "paid",
    Action.VOID: "voided",
    Action.SNOOZE: "snoozed",
    Action.CREDIT: "credited",
    Action.CREDIT_CLOSE: "credited",
    Action.CREDIT_SETTLE: "credited",
    Action.HOLD: "held",
    Action.RELEASE: "released",
    Action.UNPAY: "payment_reversed",
    Action.REOPEN_SENT: "payment_reversed",
    Action.REOPEN_APPROVED: "payment_reversed",
    Action.REFUND: "refunded",
}
APPROVAL_KINDS = frozenset({"approved"})


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8; Decimal as plain digits, dates in ISO 8601."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode()


def personal_sha256(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of personal fields, to stand in a payload for the fields themselves."""
    return hashlib.sha256(canonical_json(dict(fields))).hexdigest()


@dataclass(frozen=True)
class AuditEvent:
    """One link of the chain as stored. `at` is aware UTC; `payload` JSON-safe."""

    id: int
    at: datetime
    kind: str
    invoice_id: int | None
    actor: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


def event_hash(
    key: bytes | None,
    *,
    id: int,
    at: datetime,
    kind: str,
    invoice_id: int | None,
    actor: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The event's hash (hex): HMAC-SHA-256 with `key`, plain SHA-256 without one."""
    body = canonical_json(
        {
            "id": id,
            "at": at.isoformat(),
            "kind": kind,
            "invoice_id": invoice_id,
            "actor": actor,
            "payload": dict(payload),
            "prev_hash": prev_hash,
        }
    )
    if key:
        return hmac.new(key, body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def invoice_hash(
    *,
    number: str | None,
    currency: str,
    total: Decimal,
    issue_date: date,
    due_date: date,
    snapshot: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
) -> str:
    """SHA-256 (hex) of an invoice as approved: its number, currency, gross total, dates, the
    snapshot (seller, buyer, lines, totals as drafted) and the stored lines."""
    return hashlib.sha256(
        canonical_json(
            {
                "number": number,
                "currency": currency,
                "total": format(total.quantize(Decimal("0.0001")), "f"),
                "issue_date": issue_date.isoformat(),
                "due_date": due_date.isoformat(),
                "snapshot": dict(snapshot),
                "lines": [dict(line) for line in lines],
            }
        )
    ).hexdigest()


def first_break(events: Sequence[AuditEvent], key: bytes | None) -> str | None:
    """The one line naming the first broken event, or None when the chain holds.

    `events` in id order. A gap in the ids is a deletion; an event whose prev_hash names a
    later event's hash is a reordering; any other mismatch is a change."""
    hashes = {e.hash: e.id for e in events}
    prev, expected_id = GENESIS, 1
    for i, event in enumerate(events):
        if event.id != expected_id:
            return f"audit: event {expected_id} deleted"
        recomputed = event_hash(
            key,
            id=event.id,
            at=event.at,
            kind=event.kind,
            invoice_id=event.invoice_id,
            actor=event.actor,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
        if event.prev_hash != prev:
            if hashes.get(event.prev_hash, 0) > event.id:
                return f"audit: event {event.id} reordered"
            if i > 0 and recomputed == event.hash:
                # The event itself is intact but does not follow the one before: that one
                # was changed (its stored hash rewritten) or an event between was deleted.
                return f"audit: event {events[i - 1].id} changed"
            return f"audit: event {event.id} changed"
        if recomputed != event.hash:
            return f"audit: event {event.id} changed"
        prev = event.hash
        expected_id += 1
    return None
