"""Invoice PDF: A4 pages drawn with borb, laid out by this package.

`render_invoice_pdf(invoice)` returns the PDF bytes; `check_renderable(invoice)` refuses, before
any work, text the bundled font cannot show. Both are pure functions of the invoice (no clock:
the PDF's dates come from the invoice, so the same invoice always gives the same bytes), except
that a Factur-X final (`invoice.einvoice`) carries the time factur-x made its XMP; finals are
rendered once and stored, so every reader still gets one file. `render_einvoice_preview` is
the Factur-X preview of a draft (billing_core.einvoice).

borb holds the document and writes the file; the layout is computed by this package because
borb does not split a table across pages (pagination.py) and wraps only at spaces (a long word
runs off the page; text.py), and text is drawn as content-stream operators (canvas.py) because
borb's per-call layout was most of the render time. Each document embeds subsets of the fonts
with only the glyphs it shows (subsetting.py). Every block (layout.py) is written once as a
function of a `Canvas` (canvas.py); run on a canvas without a page it only measures, which is
how pagination knows heights before drawing. document.py puts the blocks on pages.

Layout, top to bottom: seller (logo or name, address) and INVOICE or DRAFT; the client's
address beside the invoice's facts (number, issue and due date, scope reference, record ID);
the invoice title; the line table (header row repeated on every page, numbers right-aligned);
payment terms and bank account beside subtotal, tax per rate and total. Every page has a
footer with the seller's details, bank account and "Page N of M"; pages 2+ a short header.
A draft has no number and carries a large translucent DRAFT (an outline, not text) on every
page. Long text wraps; a row taller than a page continues on the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from billing_core.errors import UnsupportedCharacters
from billing_core.invoice import Invoice
from billing_core.money import Money
from billing_core.pdf.bundled_fonts import unsupported_characters
from billing_core.pdf.document import document_title, invoice_document
from billing_core.pdf.formatter import Formatter, buyer_country
from billing_core.pdf.text import clean
from billing_core.pdf.writer import clear_layout_caches, write_pdf

# =============================================================================================
# Public API
# =============================================================================================


def check_renderable(invoice: Invoice) -> None:
    """Raise UnsupportedCharacters naming every character the bundled font cannot show.

    Looks at every text the PDF would print: the parties, title, scope reference, record ID,
    number, line descriptions, and what the invoice's locale makes of its dates and amounts
    (a Hindi locale writes dates in Devanagari). Characters are compared after NFC
    normalisation, so "u" + combining diaeresis is accepted as "ü". Returns None when all of
    it can be drawn.
    """
    missing: dict[str, None] = {}
    fields: dict[str, None] = {}
    for field, text in _printed_texts(invoice):
        chars = unsupported_characters(clean(text).replace(" ", ""))
        if chars:
            missing.update(dict.fromkeys(chars))
            fields[field] = None
    if missing:
        raise UnsupportedCharacters("".join(missing), ", ".join(fields))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes: A4, as many pages as the lines need, fonts embedded.

    A final invoice (numbered) whose snapshot says `einvoice = "factur-x"` is a Factur-X
    PDF/A-3 with its EN 16931 XML attached; drafts are always plain PDFs.

    Raises UnsupportedCharacters (see check_renderable) before drawing anything. A logo that
    cannot be read is left out with a warning in the log rather than failing the invoice.
    """
    check_renderable(invoice)
    try:
        if invoice.einvoice == "factur-x" and invoice.number is not None:
            return _render_facturx(invoice, preview=False)
        return _render(invoice)
    finally:
        # borb memoises layout per element forever; nothing laid out here is needed again.
        clear_layout_caches()


def render_einvoice_preview(invoice: Invoice) -> bytes:
    """A draft (no number) as a Factur-X PDF for a preview: marked DRAFT on every page, its
    XML numbered `DRAFT-<record id>` (BT-1) with a note that it is a preview, so it is never
    taken for a real e-invoice. Raises ValueError for a numbered invoice, and like
    render_invoice_pdf."""
    if invoice.number is not None:
        raise ValueError("a preview is of a draft; final invoices use render_invoice_pdf")
    check_renderable(invoice)
    try:
        return _render_facturx(invoice, preview=True)
    finally:
        clear_layout_caches()


# =============================================================================================
# What the PDF prints
# =============================================================================================


def _printed_texts(invoice: Invoice) -> Iterator[tuple[str, str]]:
    """(field, text) for everything the PDF prints, field named as the user would fix it."""
    for prefix, party in (("company", invoice.seller), ("client", invoice.buyer)):
        for attr in ("name", "address", "tax_id", "email", "iban", "bic"):
            yield f"{prefix}.{attr}", getattr(party, attr)
    yield "title", invoice.title
    yield "scope_ref", invoice.scope_ref
    yield "id", invoice.record_id
    yield "number", invoice.number or ""
    yield "reason", invoice.credit_reason
    for n, line in enumerate(invoice.lines):
        yield f"line_items[{n}].description", line.description
        yield f"line_items[{n}].tax_exemption_reason", line.tax_exemption_reason
    fmt = Formatter(invoice.locale)
    # Digits, separators, currency symbol and signs are the same for every amount of the
    # invoice, so one sample covers them; month names differ, so the real dates are used.
    field = f"invoice.locale ({invoice.locale})"
    sample = Money(Decimal("-1234567890.12"), invoice.currency)
    yield field, fmt.money(sample) + fmt.quantity(Decimal("-1234567.5")) + fmt.rate(Decimal("7.5"))
    yield field, fmt.date(invoice.issue_date) + fmt.date(invoice.due_date)
    yield field, buyer_country(invoice, fmt)


def _render(invoice: Invoice) -> bytes:
    return write_pdf(invoice_document(invoice))


def _render_facturx(invoice: Invoice, *, preview: bool) -> bytes:
    from billing_core.einvoice.cii import document_type_of, invoice_xml
    from billing_core.einvoice.facturx import PdfMetadata, embed_facturx

    xml = invoice_xml(invoice, document_type_of(invoice), preview=preview)
    pdf = write_pdf(invoice_document(invoice, pdfa=True))
    metadata = PdfMetadata(document_title(invoice), invoice.seller.name, invoice.title)
    return embed_facturx(pdf, xml, metadata)


__all__ = ["check_renderable", "render_einvoice_preview", "render_invoice_pdf"]
