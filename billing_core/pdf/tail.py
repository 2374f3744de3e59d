"""The blocks under the line table: payment terms (left) beside the totals (right), with the
VAT category notes under the totals. Drawn for a `Layout`, which holds what they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing_core.invoice import TaxLine, vat_notes
from billing_core.money import Money
from billing_core.pdf.canvas import Canvas
from billing_core.pdf.style import (
    BAND,
    BODY,
    DRAFT_RED,
    INK,
    LEFT,
    MUTED,
    PAYMENT_WIDTH,
    RIGHT,
    SMALL,
    TOTALS_WIDTH,
)
from billing_core.pdf.text import clean, wrap
from billing_core.pdf.wording import Gettext, payment_sentence, total_label
from billing_core.vat import STANDARD_WORDING

if TYPE_CHECKING:
    from billing_core.pdf.layout import Layout


def totals_block(layout: Layout, c: Canvas, top: float) -> float:
    """Net, VAT per (category, rate) and the total in a band; then the category notes.
    Returns the y below them."""
    inv, f, fmt, _ = layout.invoice, layout.fonts, layout.fmt, layout._
    right = RIGHT - 6
    left = RIGHT - TOTALS_WIDTH
    y = top - 14

    # A credit note's totals read as a credit: negative, labelled as credited (its
    # e-invoice XML keeps them positive, as EN 16931 wants for type 381).
    def signed(amount: Money) -> str:
        return fmt.money(-amount if layout.is_credit else amount)

    subtotal = _("Credited (net)") if layout.is_credit else _("Subtotal (net)")
    rows: list[tuple[str, str]] = [(subtotal, signed(inv.subtotal))]
    for tax in inv.tax_lines:
        code = f" ({tax.category})" if tax.category not in (None, "S") else ""
        label = _("{tax} {rate} on {net}").format(
            tax=layout.tax_word, rate=fmt.rate(tax.rate) + code, net=fmt.money(tax.net)
        )
        rows.append((label, signed(tax.tax)))
    for label, amount in rows:
        c.text(left, y - BODY, label, f.regular, BODY, MUTED)
        c.text(right, y - BODY, amount, f.regular, BODY, INK, "right")
        y -= 15
    y, band_h = y - 4, 24.0
    c.band(left - 8, y - band_h, RIGHT - left + 8, band_h, BAND)
    c.rule(left - 8, y, RIGHT, 0.8, INK)
    baseline = y - band_h / 2 - 11 * 0.36
    c.text(left, baseline, total_label(inv, _), f.bold, 11)
    c.text(right, baseline, signed(inv.total), f.bold, 11, INK, "right")
    notes = [f"{t.category}: {clean(category_note(t, _))}" for t in vat_notes(inv.tax_lines)]
    if not notes:
        return y - band_h
    wrapped = [w for note in notes for w in wrap(note, f.regular, SMALL, RIGHT - left)]
    return c.lines(left, y - band_h - 6, wrapped, f.regular, SMALL, 10, MUTED)


def category_note(tax: TaxLine, _: Gettext) -> str:
    """The breakdown's exemption reason as printed: a category's standard wording (vat.py)
    in the invoice's language; a reason the record gave, as given."""
    standard = {  # literal msgids, so pybabel finds them
        "AE": _("Reverse charge"),
        "K": _("Intra-community supply"),
        "G": _("Export outside the EU"),
        "O": _("Not subject to VAT"),
    }
    code = tax.category or ""
    if code in standard and tax.exemption_reason == STANDARD_WORDING[code]:
        return standard[code]
    return tax.exemption_reason


def payment_block(layout: Layout, c: Canvas, top: float) -> float:
    """Payment terms and bank account (a credit note: what it credits), in the column left of
    the totals. Returns the y below them."""
    inv, f, fmt, _ = layout.invoice, layout.fonts, layout.fmt, layout._
    width = PAYMENT_WIDTH
    y = top - 14
    heading = _("Credit") if layout.is_credit else _("Payment")
    c.text(LEFT, y - BODY, heading, f.bold, BODY)
    y -= BODY + 5
    sentence = payment_sentence(inv, fmt, _)
    lines = wrap(sentence, f.regular, 8.5, width)
    color = DRAFT_RED if layout.is_draft else INK
    y = c.lines(LEFT, y, lines, f.regular, 8.5, 11.5, color)
    seller = inv.seller
    if seller.iban:
        y -= 5
        label_width = 72.0
        for label, value in (
            (_("Account holder"), clean(seller.name)),
            ("IBAN", clean(seller.iban)),
            ("BIC", clean(seller.bic)),
        ):
            if not value:
                continue
            c.text(LEFT, y - 8.5, label, f.regular, 8, MUTED)
            value_lines = wrap(value, f.regular, 8.5, width - label_width)
            y = c.lines(LEFT + label_width, y, value_lines, f.regular, 8.5, 11.5)
    return y
