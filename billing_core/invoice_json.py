"""An invoice's snapshot as JSON (the `invoices.snapshot` column, the PDF workers' input) and
back. Keys added since the first release are written only when set and read with their old
meaning when absent, so every stored snapshot reads back unchanged."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from billing_core.invoice import Invoice, InvoiceLine, Party
from billing_core.money import Money
from billing_core.vat import category_of


def invoice_to_json(invoice: Invoice) -> dict[str, Any]:
    """The snapshot as plain JSON (amounts as strings) for storage."""
    return {
        "record_id": invoice.record_id,
        "title": invoice.title,
        "scope_ref": invoice.scope_ref,
        "owner": invoice.owner,
        "seller": dataclasses.asdict(invoice.seller),
        "buyer": dataclasses.asdict(invoice.buyer),
        "currency": invoice.currency,
        "lines": [_line_json(line) for line in invoice.lines],
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "payment_terms_days": invoice.payment_terms_days,
        "locale": invoice.locale,
        **({"language": invoice.language} if invoice.language != "en" else {}),
        "number": invoice.number,
        "logo_path": invoice.logo_path,
        "service_date": invoice.service_date.isoformat() if invoice.service_date else None,
        **(
            {
                "kind": invoice.kind,
                "credits_number": invoice.credits_number,
                "credits_issue_date": (
                    invoice.credits_issue_date.isoformat() if invoice.credits_issue_date else None
                ),
                "credit_reason": invoice.credit_reason,
            }
            if invoice.is_credit_note
            else {}
        ),
        **({"einvoice": invoice.einvoice} if invoice.einvoice else {}),
    }


def _line_json(line: InvoiceLine) -> dict[str, str]:
    out = {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price.amount),
        "tax_rate": str(line.tax_rate),
    }
    # Only when set, so snapshots stored before VAT categories existed read back unchanged.
    if line.tax_category is not None:
        out["tax_category"] = line.tax_category
    if line.tax_exemption_reason:
        out["tax_exemption_reason"] = line.tax_exemption_reason
    return out


def invoice_from_json(data: dict[str, Any]) -> Invoice:
    """Inverse of invoice_to_json."""
    currency = data["currency"]
    return Invoice(
        record_id=data["record_id"],
        title=data["title"],
        scope_ref=data["scope_ref"],
        owner=data["owner"],
        seller=Party(**data["seller"]),
        buyer=Party(**data["buyer"]),
        currency=currency,
        lines=tuple(
            InvoiceLine(
                line["description"],
                Decimal(line["quantity"]),
                Money(Decimal(line["unit_price"]), currency),
                Decimal(line["tax_rate"]),
                # Snapshots from before VAT categories: a rate above 0 was standard rated.
                category_of(line.get("tax_category"))
                or ("S" if Decimal(line["tax_rate"]) > 0 else None),
                line.get("tax_exemption_reason", ""),
            )
            for line in data["lines"]
        ),
        issue_date=date.fromisoformat(data["issue_date"]),
        due_date=date.fromisoformat(data["due_date"]),
        payment_terms_days=data.get("payment_terms_days"),
        locale=data.get("locale", "en_US"),
        language=data.get("language", "en"),
        number=data.get("number"),
        logo_path=data.get("logo_path"),
        service_date=date.fromisoformat(data["service_date"]) if data.get("service_date") else None,
        kind="credit_note" if data.get("kind") == "credit_note" else "invoice",
        credits_number=data.get("credits_number"),
        credits_issue_date=(
            date.fromisoformat(data["credits_issue_date"])
            if data.get("credits_issue_date")
            else None
        ),
        credit_reason=data.get("credit_reason", ""),
        einvoice="factur-x" if data.get("einvoice") == "factur-x" else None,
    )
