"""VAT categories (EN 16931 BT-151 / BT-118) and exemption reasons (BT-120): the rules a line and
an invoice's VAT breakdown must keep, as pure functions.

Codes are those of EN 16931 (UNTDID 5305 subset): S standard rate, Z zero rated, E exempt,
AE reverse charge, K intra-community supply, G export outside the EU, O outside the scope of
VAT. A line with no category is S when its rate is above 0; at 0 % it has none, which a plain
PDF accepts and an e-invoice does not (EN 16931 has no standard rate at 0 %, BR-S-05).

Rules and their sources (EN 16931-1 business rules):
- S needs a rate above 0 (BR-S-05); every other category is 0 % (BR-Z-05, BR-E-05, BR-AE-05,
  BR-IC-05, BR-G-05, BR-O-05).
- S and Z carry no exemption reason (BR-S-10, BR-Z-10); E, AE, K, G and O carry one (BR-E-10,
  BR-AE-10, BR-IC-10, BR-G-10, BR-O-10): AE, K, G and O have a standard wording by default,
  E needs the legal reason spelled out.
- The reason belongs to the VAT breakdown (BG-23), one per category and rate, so lines of one
  category and rate must give the same reason.
- AE and K need the buyer's VAT ID (BR-AE-02, BR-IC-02).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from billing_core.errors import FieldProblem

TaxCategory = Literal["S", "Z", "E", "AE", "K", "G", "O"]
TAX_CATEGORIES: tuple[TaxCategory, ...] = ("S", "Z", "E", "AE", "K", "G", "O")

# Short names, as printed beside a rate and in messages.
CATEGORY_NAMES: dict[str, str] = {
    "S": "standard rate",
    "Z": "zero rated",
    "E": "exempt",
    "AE": "reverse charge",
    "K": "intra-community supply",
    "G": "export outside the EU",
    "O": "outside the scope of VAT",
}

# The wording a breakdown gets when the record gives none (BT-120).
STANDARD_WORDING: dict[str, str] = {
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}

NEEDS_BUYER_VAT_ID = frozenset({"AE", "K"})
_NO_REASON = frozenset({"S", "Z"})


def category_of(given: str | None) -> TaxCategory | None:
    """The code `given` names (case-insensitive), or None when it names none."""
    if given is None:
        return None
    upper = given.strip().upper()
    for code in TAX_CATEGORIES:
        if code == upper:
            return code
    return None


def effective_category(given: TaxCategory | None, rate: Decimal) -> TaxCategory | None:
    """The line's category: the one given, else S above 0 %, else none."""
    if given is not None:
        return given
    return "S" if rate > 0 else None


def effective_reason(category: TaxCategory | None, given: str) -> str:
    """The breakdown's exemption reason: the one given, else the category's standard wording."""
    if given:
        return given
    return STANDARD_WORDING.get(category or "", "")


def line_problems(
    field: str, given: TaxCategory | None, rate: Decimal, reason: str
) -> list[FieldProblem]:
    """What is wrong with one line's category, rate and reason; `field` is like line_items[2]."""
    category = effective_category(given, rate)
    problems = []
    if category == "S" and rate <= 0:
        problems.append(
            FieldProblem(
                f"{field}.tax_category",
                "S (standard rate) needs a tax_rate above 0; a 0 % line is Z, E, AE, K, G or O",
            )
        )
    elif category is not None and category != "S" and rate != 0:
        problems.append(
            FieldProblem(
                f"{field}.tax_rate",
                f"must be 0 for category {category} ({CATEGORY_NAMES[category]}), not {rate}",
            )
        )
    if reason and (category is None or category in _NO_REASON):
        what = f"category {category}" if category else "a line without tax_category"
        problems.append(
            FieldProblem(f"{field}.tax_exemption_reason", f"not allowed on {what} (no exemption)")
        )
    if category == "E" and not reason:
        problems.append(
            FieldProblem(
                f"{field}.tax_exemption_reason",
                "missing: category E (exempt) needs the legal reason, e.g. "
                '"Exempt under Article 135(1)(g) VAT Directive"',
            )
        )
    return problems


@dataclass(frozen=True)
class LineVat:
    """One line's VAT facts as `breakdown_problems` compares them."""

    category: TaxCategory | None  # effective
    rate: Decimal
    reason: str  # effective


def breakdown_problems(lines: Sequence[LineVat]) -> list[FieldProblem]:
    """Lines of one category and rate must give one exemption reason (it is per breakdown);
    names every line that differs from the first of its group."""
    first: dict[tuple[str | None, Decimal], tuple[int, str]] = {}
    problems = []
    for n, line in enumerate(lines):
        key = (line.category, line.rate.normalize())
        if key not in first:
            first[key] = (n, line.reason)
            continue
        m, reason = first[key]
        if line.reason != reason:
            problems.append(
                FieldProblem(
                    f"line_items[{n}].tax_exemption_reason",
                    f"{line.reason!r} differs from line_items[{m}] ({reason!r}): lines of "
                    f"category {line.category} at {line.rate.normalize():f} % share one reason",
                )
            )
    return problems
