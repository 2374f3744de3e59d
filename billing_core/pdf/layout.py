"""The invoice's blocks, each a method drawing on a `Canvas`: the page 1 header (seller,
client, the invoice's facts, its title), the short header of pages 2+, the line table's
header row and rows, and the footer; payment terms beside the totals are in tail.py.

Each block starts at a given y and returns the y below it (the footer: its top), so run on
a canvas without a page it measures; that is how pagination learns heights before drawing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from billing_core.invoice import Invoice, Party
from billing_core.pdf.bundled_fonts import EmbeddedFont, bold_font, regular_font
from billing_core.pdf.canvas import Canvas
from billing_core.pdf.formatter import Formatter, buyer_country, tax_word
from billing_core.pdf.images import ImageError, PdfImage, load_image
from billing_core.pdf.pagination import Cells, Fragment
from billing_core.pdf.style import (
    BAND,
    BODY,
    BOTTOM,
    CONTENT_WIDTH,
    DRAFT_RED,
    INK,
    LEFT,
    MUTED,
    RIGHT,
    ROW_PAD,
    RULE,
    SMALL,
    TABLE,
    TABLE_HEADER_HEIGHT,
    TABLE_LEADING,
    TOP,
)
from billing_core.pdf.tail import payment_block, totals_block
from billing_core.pdf.text import address_lines, clean, wrap
from billing_core.pdf.translations import translations
from billing_core.pdf.wording import draft_note, fact_rows

# The public module's name, which the PDF's warnings have always been logged under.
log = logging.getLogger("billing_core.pdf.render")


@dataclass(frozen=True)
class _Fonts:
    regular: EmbeddedFont
    bold: EmbeddedFont


@dataclass(frozen=True)
class Columns:
    """x positions of the line table (right edges for the numeric, right-aligned columns)."""

    pos_right: float
    desc_left: float
    desc_width: float
    qty_right: float
    price_right: float
    rate_right: float
    net_right: float


def _headers(_: Callable[[str], str]) -> tuple[str, ...]:
    return ("#", _("Description"), _("Qty"), _("Unit price"), _("VAT"), _("Net amount"))


class Layout:
    """One invoice's blocks, and what they share: fonts, formatter, logo, the footer's top."""

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.fmt = Formatter(invoice.locale)
        self.fonts = _Fonts(regular_font(), bold_font())
        self.is_draft = invoice.number is None
        self.is_credit = invoice.is_credit_note  # type 381: names the invoice it corrects
        # Every label comes from the invoice language's gettext catalog (translations.py).
        self._ = _ = translations(invoice.language).gettext
        self.headers = _headers(_)
        english_tax = tax_word(invoice.seller.country)  # "VAT" or "Tax"
        is_vat = english_tax == "VAT"
        self.tax_word = _("VAT") if is_vat else _("Tax")  # literal msgids: pybabel finds them
        self.tax_id_label = _("VAT ID") if is_vat else _("Tax ID")
        self.logo = self._logo()
        self.footer_top = self.footer(Canvas(None), 1, 1)

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

    def header_first(self, c: Canvas) -> float:
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

        _ = self._
        title = _("CREDIT NOTE") if self.is_credit else _("INVOICE")
        title = _("DRAFT") if self.is_draft else title
        c.text(RIGHT, TOP - 20, title, f.bold, 22, DRAFT_RED if self.is_draft else INK, "right")
        right_bottom = TOP - 26
        if self.is_draft:
            note = draft_note(self.invoice, _)
            c.text(RIGHT, right_bottom - 10, note, f.regular, SMALL, DRAFT_RED, "right")
            right_bottom -= 14

        # Client (left) and the invoice's facts (right), side by side.
        top = min(left_bottom, right_bottom) - 24
        y = top
        c.text(LEFT, y - SMALL, _("BILL TO"), f.bold, SMALL, MUTED)
        y -= SMALL + 6
        buyer_width = 270.0
        name_lines = wrap(clean(inv.buyer.name), f.bold, 10.5, buyer_width)
        y = c.lines(LEFT, y, name_lines, f.bold, 10.5, 13.5) - 2
        address = self._party_lines(inv.buyer, buyer=True)
        wrapped = [w for line in address for w in wrap(line, f.regular, BODY, buyer_width)]
        y = c.lines(LEFT, y, wrapped, f.regular, BODY, 12)
        extra = []
        if inv.buyer.tax_id:
            extra.append(f"{self.tax_id_label} {clean(inv.buyer.tax_id)}")
        if inv.buyer.email:
            extra.append(clean(inv.buyer.email))
        if extra:
            wrapped = [w for line in extra for w in wrap(line, f.regular, 8.5, buyer_width)]
            y = c.lines(LEFT, y - 3, wrapped, f.regular, 8.5, 11, MUTED)
        client_bottom = y

        block_left = RIGHT - 200
        value_left = block_left + 68
        y = top
        for label, value, strong in fact_rows(inv, fmt, _):
            font = f.bold if strong else f.regular
            color = DRAFT_RED if value == _("assigned on approval") else INK
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

    def header_next(self, c: Canvas) -> float:
        """Top of pages 2+: who and which invoice, then a rule. Returns y."""
        inv, f, _ = self.invoice, self.fonts, self._
        name_lines = wrap(clean(inv.seller.name), f.bold, 10, 280)
        c.text(LEFT, TOP - 10, name_lines[0], f.bold, 10)
        if self.is_draft:
            draft_title = _("DRAFT credit note") if self.is_credit else _("DRAFT invoice")
            c.text(RIGHT, TOP - 10, draft_title, f.bold, 10, DRAFT_RED, "right")
        else:
            which = _("Credit note {number}") if self.is_credit else _("Invoice {number}")
            c.text(RIGHT, TOP - 10, which.format(number=inv.number), f.bold, 10, INK, "right")
        client = wrap(clean(inv.buyer.name), f.regular, 8.5, 280)[0]
        c.text(LEFT, TOP - 24, client, f.regular, 8.5, MUTED)
        issued = _("Issue date {date}").format(date=self.fmt.date(inv.issue_date))
        c.text(RIGHT, TOP - 24, issued, f.regular, 8.5, MUTED, "right")
        c.rule(LEFT, TOP - 32, RIGHT, 0.5, RULE)
        return TOP - 48

    def footer(self, c: Canvas, page_no: int, pages: int) -> float:
        """Seller, tax and bank details and the page number; returns the footer's top y."""
        inv, f = self.invoice, self.fonts
        seller = inv.seller
        size, leading, gap = 7.0, 9.0, 18.0
        columns: list[list[tuple[str, EmbeddedFont]]] = [
            [(clean(seller.name), f.bold)]
            + [(line, f.regular) for line in self._party_lines(seller)],
            [(text, f.regular) for text in (
                f"{self.tax_id_label} {clean(seller.tax_id)}" if seller.tax_id else "",
                clean(seller.email),
            ) if text],
            [(text, f.regular) for text in (
                f"IBAN {clean(seller.iban)}" if seller.iban else "",
                f"BIC {clean(seller.bic)}" if seller.bic else "",
            ) if text],
        ]  # fmt: skip
        page_of = self._("Page {page} of {pages}")
        page_label = page_of.format(page=page_no, pages=pages)
        page_width = f.regular.width(page_of.format(page=pages, pages=pages), size)
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

    def table(self) -> tuple[Columns, list[Cells]]:
        """The table's column positions, and each line's cells (the description wrapped)."""
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
            header = f.bold.width(self.headers[i], SMALL)
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
        columns = Columns(
            pos_right, desc_left, desc_width, qty_right, price_right, rate_right, net_right
        )
        cells = [
            Cells(r[0], wrap(r[1], f.regular, TABLE, desc_width), r[2], r[3], r[4], r[5])
            for r in raw
        ]
        return columns, cells

    def table_header(self, c: Canvas, cols: Columns, top: float) -> float:
        """The table's header row; returns the y below it."""
        f = self.fonts
        h = TABLE_HEADER_HEIGHT
        c.band(LEFT, top - h, CONTENT_WIDTH, h, BAND)
        baseline = top - h / 2 - SMALL * 0.36
        c.text(cols.pos_right, baseline, self.headers[0], f.bold, SMALL, MUTED, "right")
        c.text(cols.desc_left, baseline, self.headers[1], f.bold, SMALL, MUTED)
        for text, right in zip(
            self.headers[2:],
            (cols.qty_right, cols.price_right, cols.rate_right, cols.net_right),
            strict=True,
        ):
            c.text(right, baseline, text, f.bold, SMALL, MUTED, "right")
        return top - h

    def row(self, c: Canvas, cols: Columns, frag: Fragment, top: float) -> float:
        """One row (or the part of it on this page) and the rule under it; returns its bottom."""
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

    # ----- totals and payment (tail.py) -----------------------------------------------------

    def tail(self, c: Canvas, top: float) -> float:
        """Payment (left) and totals (right) side by side under the table; returns the y
        below both."""
        return min(payment_block(self, c, top), totals_block(self, c, top))

    def tail_height(self) -> float:
        """The room payment and totals need under the table."""
        return -self.tail(Canvas(None), 0.0) + 8

    # ----- between the table and the footer -------------------------------------------------

    def continued(self, c: Canvas, top: float, next_page: int) -> None:
        """Under the last row of a page that is not the last: where the table goes on."""
        note = self._("Continued on page {page}").format(page=next_page)
        c.text(RIGHT, top - 13, note, self.fonts.regular, SMALL, MUTED, "right")
