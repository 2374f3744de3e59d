"""The invoice as a borb Document: rows paginated, each page composed of the layout's blocks,
and the metadata."""

from __future__ import annotations

import hashlib

from borb.pdf import Document, Page
from borb.pdf.conformance import Conformance
from borb.pdf.primitives import datestr, hexstr, name

from billing_core.invoice import Invoice
from billing_core.pdf.canvas import Canvas, outline_path
from billing_core.pdf.layout import Columns, Layout
from billing_core.pdf.pagination import Fragment, paginate
from billing_core.pdf.style import DRAFT_RED, PAGE_HEIGHT, PAGE_WIDTH, TABLE_HEADER_HEIGHT
from billing_core.pdf.subsetting import embed_font_subsets
from billing_core.pdf.text import clean
from billing_core.pdf.writer import BORB_VERSION


def invoice_document(invoice: Invoice, *, pdfa: bool = False) -> Document:
    """The invoice on as many A4 pages as it needs, with its metadata and font subsets; not
    yet written.

    With `pdfa`, borb writes it as PDF/A-1B (sRGB OutputIntent, XMP, document ID), the input
    an e-invoice needs (billing_core.einvoice.facturx)."""
    layout = Layout(invoice)
    cols, rows = layout.table()
    pages = paginate(
        rows,
        first_top=layout.header_first(Canvas(None)) - TABLE_HEADER_HEIGHT,
        next_top=layout.header_next(Canvas(None)) - TABLE_HEADER_HEIGHT,
        body_bottom=layout.footer_top + 24,  # room for "Continued on page N"
        tail_height=layout.tail_height(),
    )
    if pdfa:
        # borb's checks would print to stdout for what PDF/A-1 forbids and PDF/A-3 allows
        # (the DRAFT mark's transparency on a preview).
        document = Document(
            conformance=Conformance.PDF_A_1B, on_non_conformance_print_warning=False
        )
    else:
        document = Document()
    _metadata(document, invoice)
    count = len(pages)
    for n, fragments in enumerate(pages, start=1):
        page = Page(width_in_points=PAGE_WIDTH, height_in_points=PAGE_HEIGHT)
        document.append_page(page)
        _draw_page(layout, Canvas(page), cols, fragments, n, count)
    embed_font_subsets(document)
    return document


def _draw_page(
    layout: Layout, c: Canvas, cols: Columns, fragments: list[Fragment], page_no: int, pages: int
) -> None:
    """Page `page_no` of `pages`: header, its rows of the table, the totals (last page) or
    where the table goes on, the footer, and on a draft the DRAFT mark over all of it."""
    y = layout.header_first(c) if page_no == 1 else layout.header_next(c)
    if fragments:
        y = layout.table_header(c, cols, y)
        for frag in fragments:
            y = layout.row(c, cols, frag, y)
    if page_no == pages:
        layout.tail(c, y)
    else:
        layout.continued(c, y, page_no + 1)
    layout.footer(c, page_no, pages)
    if layout.is_draft:
        c.watermark(outline_path(layout._("DRAFT"), 110.0, 52.0), DRAFT_RED, 0.09)


def document_title(inv: Invoice) -> str:
    """The PDF's /Title (and the Factur-X XMP's): "Invoice INV-…", "Credit note CN-…", or
    "Draft invoice for BUYER (RECORD)" before approval."""
    kind = "credit note" if inv.is_credit_note else "invoice"
    if inv.number is None:
        return f"Draft {kind} for {inv.buyer.name} ({inv.record_id})"
    return f"{kind.capitalize()} {inv.number}"


def _metadata(document: Document, inv: Invoice) -> None:
    """Title, author, dates and file ID, all taken from the invoice (no clock)."""
    title = document_title(inv)
    stamp = datestr(f"D:{inv.issue_date:%Y%m%d}000000Z")
    identity = hashlib.sha256(repr(inv).encode()).hexdigest()[:32].upper()
    document[name("Trailer")] = {
        name("ID"): [hexstr(identity), hexstr(identity)],
        name("Info"): {
            name("Title"): _pdf_text(title),
            name("Author"): _pdf_text(inv.seller.name),
            name("Subject"): _pdf_text(inv.title),
            name("Creator"): _pdf_text("invoicebot"),
            name("Producer"): _pdf_text(f"invoicebot (borb {BORB_VERSION})"),
            name("CreationDate"): stamp,
            name("ModDate"): stamp,
        },
    }


def _pdf_text(text: str) -> hexstr:
    """A PDF text string as UTF-16BE hex: borb writes (str) values unescaped and in Latin-1."""
    return hexstr("FEFF" + clean(text).encode("utf-16-be").hex().upper())
