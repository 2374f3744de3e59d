"""What credit notes add to an invoice's JSON, shared by the records API and the CLI's
`records show` (its own module so the CLI need not import aiohttp with the API)."""

from __future__ import annotations

from typing import Any

from billing_core.state import InvoiceState


def credit_json(state: InvoiceState) -> dict[str, Any]:
    """What credit notes add to an invoice's JSON: its kind, the invoice a credit note
    corrects, and for an invoice what was credited and what is owed back to the client."""
    return {
        "kind": "credit_note" if state.is_credit_note else "invoice",
        "credits": state.invoice.credits_number,
        "credited": str(state.credited_total.amount),
        "refund_owed": str(state.refund_owed.amount),
    }
