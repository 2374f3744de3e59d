"""Invoice PDF: A4 pages drawn with borb, laid out here.

`render_invoice_pdf(invoice)` returns the PDF bytes; `check_renderable(invoice)` refuses, before
any work, text the bundled font cannot show. Both are pure functions of the invoice (no clock:
the PDF's dates come from the invoice, so the same invoice always gives the same bytes).

borb places text and embeds fonts; the layout is computed here because borb does not split a
table across pages and wraps only at spaces (a long word runs off the page). Every block is
written once as a function of a `Canvas`; run on a canvas without a page it only measures,
which is how pagination knows heights before drawing.

Layout, top to bottom: seller (logo or name, address) and INVOICE or DRAFT; the client's
address beside the invoice's facts (number, issue and due date, scope reference, record ID);
the invoice title; the line table (header row repeated on every page, numbers right-aligned);
payment terms and bank account beside subtotal, tax per rate and total. Every page has a
footer with the seller's details, bank account and "Page N of M"; pages 2+ a short header.
A draft has no number and carries a large translucent DRAFT (an outline, not text) on every
page. Long text wraps; a row taller than a page continues on the next.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from borb.pdf import Document, Page
from borb.pdf.primitives import datestr, hexstr, name

from billing_core.errors import UnsupportedCharacters
from billing_core.invoice import Invoice, Party
from billing_core.money import Money
from billing_core.pdf.bundled_fonts import (
    EmbeddedFont,
    bold_font,
    regular_font,
    unsupported_characters,
)
from billing_core.pdf.canvas import Canvas, outline_path
from billing_core.pdf.formatter import Formatter, buyer_country, tax_word
from billing_core.pdf.images import ImageError, PdfImage, load_image
from billing_core.pdf.pagination import Cells, Fragment, paginate
from billing_core.pdf.style import (
    BAND,
    BODY,
    BOTTOM,
    CONTENT_WIDTH,
    DRAFT_RED,
    INK,
    LEFT,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PAYMENT_WIDTH,
    RIGHT,
    ROW_PAD,
    RULE,
    SMALL,
    TABLE,
    TABLE_HEADER_HEIGHT,
    TABLE_LEADING,
    TOP,
    TOTALS_WIDTH,
)
from billing_core.pdf.text import address_lines, clean, wrap
from billing_core.pdf.writer import BORB_VERSION, clear_layout_caches, write_pdf

log = logging.getLogger(__name__)

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

    Raises UnsupportedCharacters (see check_renderable) before drawing anything. A logo that
    cannot be read is left out with a warning in the log rather than failing the invoice.
    """
    check_renderable(invoice)
    try:
        return _render(invoice)
    finally:
        # borb memoises layout per element forever; nothing laid out here is needed again.
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
    for n, line in enumerate(invoice.lines):
        yield f"line_items[{n}].description", line.description
    fmt = Formatter(invoice.locale)
    # Digits, separators, currency symbol and signs are the same for every amount of the
    # invoice, so one sample covers them; month names differ, so the real dates are used.
    field = f"invoice.locale ({invoice.locale})"
    sample = Money(Decimal("-1234567890.12"), invoice.currency)
    yield field, fmt.money(sample) + fmt.quantity(Decimal("-1234567.5")) + fmt.rate(Decimal("7.5"))
    yield field, fmt.date(invoice.issue_date) + fmt.date(invoice.due_date)
    yield field, buyer_country(invoice, fmt)


# =============================================================================================
# Layout
# =============================================================================================


@dataclass(frozen=True)
class _Fonts:
    regular: EmbeddedFont
    bold: EmbeddedFont


@dataclass(frozen=True)
class _Columns:
    """x positions of the line table (right edges for the numeric, right-aligned columns)."""

    pos_right: float
    desc_left: float
    desc_width: float
    qty_right: float
    price_right: float
    rate_right: float
    net_right: float


_HEADERS = ("#", "Description", "Qty", "Unit price", "VAT", "Net amount")


class _Layout:
    """One invoice laid out: measures, paginates, then draws each page."""

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.fmt = Formatter(invoice.locale)
        self.fonts = _Fonts(regular_font(), bold_font())
        self.is_draft = invoice.number is None
        self.tax_word = tax_word(invoice.seller.country)
        self.logo = self._logo()
        self.footer_top = self._footer(Canvas(None), 1, 1)

    # ----- pieces ------------------------------------------------------------------------

    def _logo(self) -> PdfImage | None:
        if not self.invoice.logo_path:
            return None
        try:
            return load_image(self.invoice.logo_path)
        except ImageError as exc:
            log.warning("invoice PDF without logo: %s", exc)
            return None

    def _party_lines(self, party: Party, *, buyer: bool = False) -> list[str]:
        """Address lines; the buyer's gets its country's name when it is abroad."""
        lines = address_lines(party.address)
        if buyer:
            country = buyer_country(self.invoice, self.fmt)
            if country:
                lines.append(country)
        return lines

    def _header_first(self, c: Canvas) -> float:
        """Page 1 top: seller and title; client and invoice facts side by side; the invoice's
        title. Returns the y below it."""
        inv, f, fmt = self.invoice, self.fonts, self.fmt
        seller_width = 270.0
        y = TOP
        if self.logo is not None:
            scale = min(150 / self.logo.width, 48 / self.logo.height)
            w, h = self.logo.width * scale, self.logo.height * scale
            c.image(self.logo, LEFT, y - h, w, h)
            y -= h + 10
            name_lines = wrap(clean(inv.seller.name), f.bold, 10, seller_width)
            y = c.lines(LEFT, y, name_lines, f.bold, 10, 13)
        else:
            name_lines = wrap(clean(inv.seller.name), f.bold, 15, seller_width)
            y = c.lines(LEFT, y, name_lines, f.bold, 15, 18)
        y -= 3
        details = self._party_lines(inv.seller)
        if inv.seller.email:
            details.append(clean(inv.seller.email))
        wrapped = [w for line in details for w in wrap(line, f.regular, 8.5, seller_width)]
        left_bottom = c.lines(LEFT, y, wrapped, f.regular, 8.5, 11, MUTED)

        title = "DRAFT" if self.is_draft else "INVOICE"
        c.text(RIGHT, TOP - 20, title, f.bold, 22, DRAFT_RED if self.is_draft else INK, "right")
        right_bottom = TOP - 26
        if self.is_draft:
            note = "For approval – not valid for payment"
            c.text(RIGHT, right_bottom - 10, note, f.regular, SMALL, DRAFT_RED, "right")
            right_bottom -= 14

        # Client (left) and the invoice's facts (right), side by side.
        top = min(left_bottom, right_bottom) - 24
        y = top
        c.text(LEFT, y - SMALL, "BILL TO", f.bold, SMALL, MUTED)
        y -= SMALL + 6
        buyer_width = 270.0
        name_lines = wrap(clean(inv.buyer.name), f.bold, 10.5, buyer_width)
        y = c.lines(LEFT, y, name_lines, f.bold, 10.5, 13.5) - 2
        address = self._party_lines(inv.buyer, buyer=True)
        wrapped = [w for line in address for w in wrap(line, f.regular, BODY, buyer_width)]
        y = c.lines(LEFT, y, wrapped, f.regular, BODY, 12)
        extra = []
        if inv.buyer.tax_id:
            extra.append(f"{self.tax_word} ID {clean(inv.buyer.tax_id)}")
        if inv.buyer.email:
            extra.append(clean(inv.buyer.email))
        if extra:
            wrapped = [w for line in extra for w in wrap(line, f.regular, 8.5, buyer_width)]
            y = c.lines(LEFT, y - 3, wrapped, f.regular, 8.5, 11, MUTED)
        client_bottom = y

        block_left = RIGHT - 200
        value_left = block_left + 68
        rows: list[tuple[str, str, EmbeddedFont, tuple[float, float, float]]] = [
            ("Invoice no.", inv.number or "assigned on approval", f.bold,
             INK if inv.number else DRAFT_RED),
            ("Issue date", fmt.date(inv.issue_date), f.regular, INK),
            ("Due date", fmt.date(inv.due_date), f.bold, INK),
        ]  # fmt: skip
        if inv.service_date:
            # German invoices must state when the service was delivered (§14 UStG).
            rows.append(("Service date", fmt.date(inv.service_date), f.regular, INK))
        if inv.scope_ref:
            rows.append(("Reference", clean(inv.scope_ref), f.regular, INK))
        rows.append(("Record ID", clean(inv.record_id), f.regular, INK))
        y = top
        for label, value, font, color in rows:
            c.text(block_left, y - BODY, label, f.regular, 8.5, MUTED)
            value_lines = wrap(value, font, BODY, RIGHT - value_left)
            y = c.lines(RIGHT, y, value_lines, font, BODY, 12, color, "right") - 3.5
        y = min(client_bottom, y)

        # The invoice's title: what it is for.
        if inv.title:
            y -= 24
            title_lines = wrap(clean(inv.title), f.bold, 12.5, CONTENT_WIDTH)
            y = c.lines(LEFT, y, title_lines, f.bold, 12.5, 15.5) - 10
        else:
            y -= 18
        return y

    def _header_next(self, c: Canvas) -> float:
        """Top of pages 2+: who and which invoice, then a rule. Returns y."""
        inv, f = self.invoice, self.fonts
        name_lines = wrap(clean(inv.seller.name), f.bold, 10, 280)
        c.text(LEFT, TOP - 10, name_lines[0], f.bold, 10)
        if self.is_draft:
            c.text(RIGHT, TOP - 10, "DRAFT invoice", f.bold, 10, DRAFT_RED, "right")
        else:
            c.text(RIGHT, TOP - 10, f"Invoice {inv.number}", f.bold, 10, INK, "right")
        client = wrap(clean(inv.buyer.name), f.regular, 8.5, 280)[0]
        c.text(LEFT, TOP - 24, client, f.regular, 8.5, MUTED)
        c.text(RIGHT, TOP - 24, f"Issue date {self.fmt.date(inv.issue_date)}", f.regular, 8.5,
               MUTED, "right")  # fmt: skip
        c.rule(LEFT, TOP - 32, RIGHT, 0.5, RULE)
        return TOP - 48

    def _footer(self, c: Canvas, page_no: int, pages: int) -> float:
        """Seller, tax and bank details and the page number; returns the footer's top y."""
        inv, f = self.invoice, self.fonts
        seller = inv.seller
        size, leading, gap = 7.0, 9.0, 18.0
        columns: list[list[tuple[str, EmbeddedFont]]] = [
            [(clean(seller.name), f.bold)]
            + [(line, f.regular) for line in self._party_lines(seller)],
            [(text, f.regular) for text in (
                f"{self.tax_word} ID {clean(seller.tax_id)}" if seller.tax_id else "",
                clean(seller.email),
            ) if text],
            [(text, f.regular) for text in (
                f"IBAN {clean(seller.iban)}" if seller.iban else "",
                f"BIC {clean(seller.bic)}" if seller.bic else "",
            ) if text],
        ]  # fmt: skip
        page_label = f"Page {page_no} of {pages}"
        page_width = f.regular.width(f"Page {pages} of {pages}", size)
        # The bank column is as wide as an IBAN (never broken across lines) within reason;
        # the other two share what is left.
        bank_width = min(max([font.width(text, size) for text, font in columns[2]] + [60.0]), 190.0)
        rest = (CONTENT_WIDTH - page_width - bank_width - 3 * gap) / 2
        widths = [rest, rest, bank_width]
        wrapped = [
            [(piece, font) for text, font in column for piece in wrap(text, font, size, width)]
            for column, width in zip(columns, widths, strict=True)
        ]
        height = max(len(column) for column in wrapped) * leading
        top = BOTTOM + height
        c.rule(LEFT, top + 8, RIGHT, 0.5, RULE)
        x = LEFT
        for column, width in zip(wrapped, widths, strict=True):
            baseline = top - size
            for text, font in column:
                c.text(x, baseline, text, font, size, MUTED if font is f.regular else INK)
                baseline -= leading
            x += width + gap
        c.text(RIGHT, top - size, page_label, f.regular, size, MUTED, "right")
        return top + 8

    # ----- the line table ------------------------------------------------------------------

    def _cells(self) -> tuple[_Columns, list[Cells]]:
        inv, f, fmt = self.invoice, self.fonts, self.fmt
        raw = [
            (
                str(n),
                clean(line.description),
                fmt.quantity(line.quantity),
                fmt.money(line.unit_price),
                fmt.rate(line.tax_rate),
                fmt.money(line.net),
            )
            for n, line in enumerate(inv.lines, start=1)
        ]
        gap = 14.0

        def widest(i: int, font: EmbeddedFont) -> float:
            header = f.bold.width(_HEADERS[i], SMALL)
            return max([header] + [font.width(r[i], TABLE) for r in raw])

        pos_w = widest(0, f.regular)
        qty_w, price_w = widest(2, f.regular), widest(3, f.regular)
        rate_w, net_w = widest(4, f.regular), widest(5, f.regular)
        net_right = RIGHT - 6
        rate_right = net_right - net_w - gap
        price_right = rate_right - rate_w - gap
        qty_right = price_right - price_w - gap
        pos_right = LEFT + 6 + pos_w
        desc_left = pos_right + 10
        desc_width = qty_right - qty_w - gap - desc_left
        if desc_width < 120:  # absurd amounts: give the description its room, numbers shrink
            desc_width = 120.0
        columns = _Columns(
            pos_right, desc_left, desc_width, qty_right, price_right, rate_right, net_right
        )
        cells = [
            Cells(r[0], wrap(r[1], f.regular, TABLE, desc_width), r[2], r[3], r[4], r[5])
            for r in raw
        ]
        return columns, cells

    def _table_header(self, c: Canvas, cols: _Columns, top: float) -> float:
        f = self.fonts
        h = TABLE_HEADER_HEIGHT
        c.band(LEFT, top - h, CONTENT_WIDTH, h, BAND)
        baseline = top - h / 2 - SMALL * 0.36
        c.text(cols.pos_right, baseline, _HEADERS[0], f.bold, SMALL, MUTED, "right")
        c.text(cols.desc_left, baseline, _HEADERS[1], f.bold, SMALL, MUTED)
        for text, right in zip(
            _HEADERS[2:],
            (cols.qty_right, cols.price_right, cols.rate_right, cols.net_right),
            strict=True,
        ):
            c.text(right, baseline, text, f.bold, SMALL, MUTED, "right")
        return top - h

    def _row(self, c: Canvas, cols: _Columns, frag: Fragment, top: float) -> float:
        f = self.fonts
        first_baseline = top - ROW_PAD - TABLE
        c.lines(cols.desc_left, top - ROW_PAD, frag.lines, f.regular, TABLE, TABLE_LEADING)
        if frag.first:
            cells = frag.cells
            c.text(cols.pos_right, first_baseline, cells.pos, f.regular, TABLE, MUTED, "right")
            c.text(cols.qty_right, first_baseline, cells.quantity, f.regular, TABLE, INK, "right")
            c.text(cols.price_right, first_baseline, cells.unit_price, f.regular, TABLE, INK,
                   "right")  # fmt: skip
            c.text(cols.rate_right, first_baseline, cells.rate, f.regular, TABLE, INK, "right")
            c.text(cols.net_right, first_baseline, cells.net, f.regular, TABLE, INK, "right")
        bottom = top - frag.height
        c.rule(LEFT, bottom, RIGHT, 0.5, RULE)
        return bottom

    # ----- totals and payment -----------------------------------------------------------------

    def _totals(self, c: Canvas, top: float) -> float:
        inv, f, fmt = self.invoice, self.fonts, self.fmt
        right = RIGHT - 6
        left = RIGHT - TOTALS_WIDTH
        y = top - 14
        rows: list[tuple[str, str]] = [("Subtotal (net)", fmt.money(inv.subtotal))]
        for tax in inv.tax_lines:
            label = f"{self.tax_word} {fmt.rate(tax.rate)} on {fmt.money(tax.net)}"
            rows.append((label, fmt.money(tax.tax)))
        for label, amount in rows:
            c.text(left, y - BODY, label, f.regular, BODY, MUTED)
            c.text(right, y - BODY, amount, f.regular, BODY, INK, "right")
            y -= 15
        y -= 4
        band_h = 24.0
        c.band(left - 8, y - band_h, RIGHT - left + 8, band_h, BAND)
        c.rule(left - 8, y, RIGHT, 0.8, INK)
        baseline = y - band_h / 2 - 11 * 0.36
        c.text(left, baseline, "Total due" if not self.is_draft else "Total", f.bold, 11)
        c.text(right, baseline, fmt.money(inv.total), f.bold, 11, INK, "right")
        return y - band_h

    def _payment(self, c: Canvas, top: float) -> float:
        """Payment terms and bank account, in the column left of the totals."""
        inv, f, fmt = self.invoice, self.fonts, self.fmt
        width = PAYMENT_WIDTH
        y = top - 14
        c.text(LEFT, y - BODY, "Payment", f.bold, BODY)
        y -= BODY + 5
        total, due = fmt.money(inv.total), fmt.date(inv.due_date)
        if self.is_draft:
            # A due date derived from terms moves with the approval date (Invoice.finalised).
            if inv.payment_terms_days is None:
                due_when = f"by {due}"
            elif inv.payment_terms_days == 0:
                due_when = "on the invoice date"
            else:
                due_when = f"{inv.payment_terms_days} days after the invoice date"
            sentence = (
                "Draft for approval: no invoice number yet, not a request for payment. "
                f"Once approved, {total} will be due {due_when}."
            )
        else:
            terms = f" ({inv.payment_terms_days} days net)" if inv.payment_terms_days else ""
            sentence = f"Please transfer {total} by {due}{terms}, quoting {inv.number}."
        lines = wrap(sentence, f.regular, 8.5, width)
        color = DRAFT_RED if self.is_draft else INK
        y = c.lines(LEFT, y, lines, f.regular, 8.5, 11.5, color)
        seller = inv.seller
        if seller.iban:
            y -= 5
            label_width = 72.0
            for label, value in (
                ("Account holder", clean(seller.name)),
                ("IBAN", clean(seller.iban)),
                ("BIC", clean(seller.bic)),
            ):
                if not value:
                    continue
                c.text(LEFT, y - 8.5, label, f.regular, 8, MUTED)
                value_lines = wrap(value, f.regular, 8.5, width - label_width)
                y = c.lines(LEFT + label_width, y, value_lines, f.regular, 8.5, 11.5)
        return y

    def _tail(self, c: Canvas, top: float) -> float:
        """Payment (left) and totals (right) side by side under the table; returns the y
        below both."""
        return min(self._payment(c, top), self._totals(c, top))

    # ----- pagination and drawing -----------------------------------------------------------

    def pages(self) -> tuple[_Columns, list[list[Fragment]]]:
        """The table's columns, and its rows' fragments page by page."""
        cols, cells = self._cells()
        pages = paginate(
            cells,
            first_top=self._header_first(Canvas(None)) - TABLE_HEADER_HEIGHT,
            next_top=self._header_next(Canvas(None)) - TABLE_HEADER_HEIGHT,
            body_bottom=self.footer_top + 24,  # room for "Continued on page N"
            tail_height=self._totals_height(),
        )
        return cols, pages

    def _totals_height(self) -> float:
        return -self._tail(Canvas(None), 0.0) + 8

    def draw(self) -> Document:
        cols, pages = self.pages()
        document = Document()
        self._metadata(document)
        count = len(pages)
        watermark = outline_path("DRAFT", 110.0, 52.0) if self.is_draft else None
        for n, fragments in enumerate(pages):
            page = Page(width_in_points=PAGE_WIDTH, height_in_points=PAGE_HEIGHT)
            document.append_page(page)
            c = Canvas(page)
            y = self._header_first(c) if n == 0 else self._header_next(c)
            if fragments:
                y = self._table_header(c, cols, y)
                for frag in fragments:
                    y = self._row(c, cols, frag, y)
            if n == count - 1:
                self._tail(c, y)
            else:
                note = f"Continued on page {n + 2}"
                c.text(RIGHT, y - 13, note, self.fonts.regular, SMALL, MUTED, "right")
            self._footer(c, n + 1, count)
            if watermark is not None:
                c.watermark(watermark, DRAFT_RED, 0.09)
        return document

    def _metadata(self, document: Document) -> None:
        inv = self.invoice
        if self.is_draft:
            title = f"Draft invoice for {inv.buyer.name} ({inv.record_id})"
        else:
            title = f"Invoice {inv.number}"
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


def _render(invoice: Invoice) -> bytes:
    document = _Layout(invoice).draw()
    return write_pdf(document)


__all__ = ["check_renderable", "render_invoice_pdf"]
