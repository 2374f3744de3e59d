"""What a record (and the company's config) lacks for its VAT categories and, when e-invoicing
is on, for an EN 16931 invoice. Pure; problems are named by the field to fix.

Sources: EN 16931-1 business rules BR-08/BR-09 (seller postal address and country), BR-11
(buyer country), BR-S-02, BR-Z-02, BR-E-02, BR-G-02 (seller VAT ID or tax registration),
BR-AE-02 and BR-IC-02 (buyer VAT ID), BR-IC-11 (delivery date for K), BR-O-11..14 (O is alone
on its invoice), BR-S-05 (no standard rate at 0 %), BR-DEC-* (amounts have at most 2 decimals).
"""

from __future__ import annotations

from billing_core.errors import FieldProblem
from billing_core.money import minor_unit
from billing_core.policy import CompanyPolicy
from billing_core.records import Record, line_vat
from billing_core.vat import CATEGORY_NAMES, NEEDS_BUYER_VAT_ID


def vat_problems(
    record: Record, company: CompanyPolicy, einvoice: bool, currency: str = ""
) -> list[FieldProblem]:
    """Problems of the record's VAT categories; with `einvoice`, also every field EN 16931
    needs that the record or `company` lacks, and a `currency` its amounts cannot express."""
    problems: list[FieldProblem] = []
    categories = [line_vat(line).category for line in record.line_items]
    needing = sorted({c for c in categories if c in NEEDS_BUYER_VAT_ID})
    if needing and not record.client.tax_id:
        named = " and ".join(f"{c} ({CATEGORY_NAMES[c]})" for c in needing)
        problems.append(FieldProblem("client.tax_id", f"missing: {named} needs the buyer's VAT ID"))
    if not einvoice:
        return problems
    for n, category in enumerate(categories):
        if category is None:
            problems.append(
                FieldProblem(
                    f"line_items[{n}].tax_category",
                    "missing: a 0 % line of an e-invoice needs a VAT category (Z, E, AE, K, G "
                    "or O); EN 16931 has no standard rate at 0 %",
                )
            )
    if "O" in categories and any(c not in ("O", None) for c in categories):
        problems.append(
            FieldProblem(
                "line_items",
                "category O (outside the scope of VAT) cannot share an e-invoice with other "
                "categories: invoice those lines separately",
            )
        )
    if "K" in categories and record.completed_at is None:
        problems.append(
            FieldProblem(
                "completed_at",
                "missing: an intra-community supply (K) e-invoice states the delivery date",
            )
        )
    if currency and minor_unit(currency) > 2:
        problems.append(
            FieldProblem(
                "currency",
                f"{currency} has {minor_unit(currency)} decimals; EN 16931 amounts have at most "
                "2, so it cannot be e-invoiced",
            )
        )
    if not record.client.country:
        problems.append(
            FieldProblem("client.country", "missing: an e-invoice needs the buyer's country (DE)")
        )
    if not company.address:
        problems.append(
            FieldProblem("company.address", "missing in the config: an e-invoice needs it")
        )
    if not company.country:
        problems.append(
            FieldProblem("company.country", "missing in the config: an e-invoice needs it")
        )
    if not company.tax_id and any(c != "O" for c in categories):
        problems.append(
            FieldProblem(
                "company.tax_id",
                "missing in the config: an e-invoice with VAT categories other than O needs the "
                "seller's VAT ID or tax number",
            )
        )
    return problems
