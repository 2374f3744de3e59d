"""Example data: the DESIGN.md record and a seller (tests, benchmarks), and the sandbox's demo
team, policy and records (`invoicebot sandbox`)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from billing_core.policy import CompanyPolicy

EXAMPLE_RECORD: dict[str, Any] = {
    "id": "P-123",
    "kind": "project",
    "title": "Website relaunch",
    "owner": "U0OWNER",
    "client": {
        "name": "Müller & Søn GmbH",
        "email": "ap@example.com",
        "address": "Hauptstraße 5\n80331 München\nGermany",
        "country": "DE",
        "tax_id": "DE123456789",
    },
    "scope_ref": "SOW-17 milestone 2",
    "currency": "EUR",
    "due_date": "2026-12-01",
    "completed_at": "2026-11-20",
    "line_items": [
        {"description": "Design hours", "quantity": "10", "unit_price": "120.00", "tax_rate": "19"}
    ],
}

SELLER = CompanyPolicy(
    name="Northwind Studio GmbH",
    address="Torstraße 1\n10119 Berlin\nGermany",
    country="DE",
    tax_id="DE999999999",
    email="billing@northwind.example",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFFXXX",
)


def example_record(record_id: str = "P-123", **changes: Any) -> dict[str, Any]:
    """The DESIGN.md record with another ID and top-level `changes` (a fresh copy)."""
    data = copy.deepcopy(EXAMPLE_RECORD)
    data["id"] = record_id
    data.update(changes)
    return data


# -- the sandbox: a demo team and records to try every flow with ---------------------------

APPROVER_ADA = "U0ADA"
APPROVER_BEN = "U0BEN"
OWNER_OLGA = "U0OLGA"
MEMBER_MAX = "U0MAX"
DEMO_PEOPLE = {
    APPROVER_ADA: "Ada Lovelace (approver)",
    APPROVER_BEN: "Ben Okafor (approver)",
    OWNER_OLGA: "Olga Petrova (account owner)",
    MEMBER_MAX: "Max Mustermann (member)",
}
DEMO_MEMBER = MEMBER_MAX  # someone who may draft and read, not approve
DEMO_RECORD_IDS = ("P-101", "P-102", "P-103", "L-201")

DEMO_POLICY_TOML = {
    "company": {
        "name": "Northwind Studio GmbH",
        "address": "Torstraße 1\n10119 Berlin\nGermany",
        "country": "DE",
        "tax_id": "DE999999999",
        "email": "billing@northwind.example",
        "iban": "DE89 3704 0044 0532 0130 00",
        "bic": "COBADEFFXXX",
    },
    "invoice": {"number_format": "INV-{year}-{seq:04d}", "currency": "EUR"},
    "approval": {
        "approvers": [APPROVER_ADA, APPROVER_BEN],
        "four_eyes_threshold": "5000.00",
        "nudge_after_hours": 24,
    },
    "reminders": {"timezone": "Europe/Berlin", "time": "09:00", "stages_days": [1, 7, 14, 30]},
}


def demo_records(today: date) -> list[dict[str, Any]]:
    """The sandbox's records, dated from `today`:

    - P-101: 1,428.00 EUR, below the four-eyes threshold; a client with accented letters;
    - P-102: 7,140.00 EUR, above it (its drafter may not approve it);
    - P-103: due in three days, to try the reminders (approve it, then run them as of a date
      after its due date);
    - L-201: a lead that is missing a contact, lines and an owner (the readiness answer).
    """
    client = {
        "name": "Müller & Søn Café Zürich GmbH",
        "email": "buchhaltung@mueller-soen.example",
        "address": "Hauptstraße 5\n80331 München\nGermany",
        "country": "DE",
        "tax_id": "DE123456789",
    }
    done = (today - timedelta(days=3)).isoformat()
    return [
        {
            "id": "P-101", "kind": "project", "title": "Website relaunch", "owner": OWNER_OLGA,
            "client": client, "scope_ref": "SOW-17 milestone 2", "currency": "EUR",
            "due_date": (today + timedelta(days=14)).isoformat(), "completed_at": done,
            "line_items": [{"description": "Design hours", "quantity": "10",
                            "unit_price": "120.00", "tax_rate": "19"}],
        },
        {
            "id": "P-102", "kind": "project", "title": "E-commerce platform", "owner": OWNER_OLGA,
            "client": {**client, "name": "Ångström Robotics AB", "country": "SE",
                       "address": "Storgatan 1\n111 23 Stockholm\nSweden",
                       "tax_id": "SE556677889901"},
            "scope_ref": "SOW-21", "currency": "EUR",
            "due_date": (today + timedelta(days=30)).isoformat(), "completed_at": done,
            "line_items": [{"description": "Development", "quantity": "40",
                            "unit_price": "150.00", "tax_rate": "19"}],
        },
        {
            "id": "P-103", "kind": "project", "title": "Brand workshop", "owner": OWNER_OLGA,
            "client": {**client, "name": "Café Olé S.L.", "country": "ES",
                       "address": "Calle Mayor 3\n28013 Madrid\nSpain", "tax_id": ""},
            "scope_ref": "Workshop day", "currency": "EUR",
            "due_date": (today + timedelta(days=3)).isoformat(), "completed_at": done,
            "line_items": [{"description": "Workshop", "quantity": "1",
                            "unit_price": "2400.00", "tax_rate": "19"}],
        },
        {
            "id": "L-201", "kind": "lead", "title": "Mobile app pitch",
            "client": {"name": "Zoë Tech Ltd"}, "scope_ref": "",
        },
    ]  # fmt: skip
