"""The peer bench/render.py measures our renderer against: the same invoice drawn with
reportlab, embedding the same bundled DejaVu Sans TrueType files (reportlab subsets them).

    .venv/bin/python bench/reportlab_invoice.py --lines 10 --out F.pdf

Standalone on purpose: it imports nothing of invoicebot, so run as a process it is the
cold-start peer of `invoicebot draft ID --out F.pdf`. The invoice is bench/render.py's: the
same seller, client, line descriptions, quantities, prices and tax rates, amounts written as
de_DE writes them, header row repeated on every page, totals per tax rate. reportlab needs the
`bench` extra (`pip install -e '.[bench]'`); it is never a runtime dependency.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parents[1] / "billing_core" / "pdf" / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
SELLER = ["Northwind Studio GmbH", "Torstraße 1", "10119 Berlin", "Germany"]
CLIENT = ["Müller & Søn GmbH", "Hauptstraße 5", "80331 München", "Germany"]
CENT = Decimal("0.01")


def line_items(lines: int) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(description, quantity, unit price, tax rate %) exactly as bench/render.py's invoice."""
    items = []
    for n in range(1, lines + 1):
        text = f"Leistung {n}: Überarbeitung der Größenangaben für Straße & Café"
        if n % 4 == 0:
            text += " – inklusive Abstimmung mit Müller & Søn, Korrekturschleife und Übergabe"
        rate = Decimal(7 if n % 10 == 0 else 19)
        items.append((text, Decimal(n % 5 + 1), Decimal("112.50"), rate))
    return items


def money(amount: Decimal) -> str:
    """de_DE: 1.234,50 €."""
    text = f"{amount.quantize(CENT):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return text + "\xa0€"


_registered = False


def load_fonts() -> None:
    """Register both bundled weights with reportlab (once per process)."""
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans-Subset.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold-Subset.ttf")))
        _registered = True


def render(lines: int) -> bytes:
    """The invoice with `lines` lines as PDF bytes."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    load_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=(595, 842), invariant=1)
    left, right, page_no = 56.0, 545.0, 1
    columns = [(left, "Description"), (380.0, "Qty"), (440.0, "Unit price"), (480.0, "VAT"),
               (right, "Amount")]  # fmt: skip

    def footer() -> None:
        c.setFont(REGULAR, 7.5)
        c.drawString(left, 40, "Northwind Studio GmbH · Torstraße 1 · 10119 Berlin · DE999999999")
        c.drawString(left, 30, "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX")
        c.drawRightString(right, 30, f"Page {page_no}")

    def table_header(y: float) -> float:
        c.setFont(BOLD, 8.5)
        for n, (x, label) in enumerate(columns):
            (c.drawString if n == 0 else c.drawRightString)(x, y, label)
        return y - 16

    c.setFont(BOLD, 18)
    c.drawRightString(right, 780, "INVOICE")
    c.setFont(BOLD, 11)
    c.drawString(left, 780, SELLER[0])
    c.setFont(REGULAR, 9)
    for n, text in enumerate(SELLER[1:]):
        c.drawString(left, 766 - 11 * n, text)
    for n, text in enumerate(CLIENT):
        c.drawString(left, 700 - 11 * n, text)
    for n, (label, value) in enumerate(
        [("Invoice no.", "INV-2026-0042"), ("Issue date", "20.11.2026"),
         ("Due date", "04.12.2026"), ("Reference", "SOW-17 milestone 2")]
    ):  # fmt: skip
        c.drawString(360, 700 - 11 * n, label)
        c.drawRightString(right, 700 - 11 * n, value)
    c.setFont(BOLD, 12)
    c.drawString(left, 640, "Website relaunch")
    y = table_header(615)
    net: dict[Decimal, Decimal] = {}
    for text, quantity, price, rate in line_items(lines):
        wrapped = simpleSplit(text, REGULAR, 8.5, 300)
        if y - 11.5 * len(wrapped) < 110:
            footer()
            c.showPage()
            page_no += 1
            y = table_header(790)
        amount = quantity * price
        net[rate] = net.get(rate, Decimal(0)) + amount
        c.setFont(REGULAR, 8.5)
        for n, part in enumerate(wrapped):
            c.drawString(left, y - 11.5 * n, part)
        c.drawRightString(380, y, str(quantity))
        c.drawRightString(440, y, money(price))
        c.drawRightString(480, y, f"{rate} %")
        c.drawRightString(right, y, money(amount))
        y -= 11.5 * len(wrapped) + 5
    c.setFont(REGULAR, 9)
    for rate, base in sorted(net.items()):
        tax = (base * rate / 100).quantize(CENT)
        c.drawString(320, y - 10, f"VAT {rate} % on {money(base)}")
        c.drawRightString(right, y - 10, money(tax))
        y -= 12
    total = sum((b + (b * r / 100).quantize(CENT) for r, b in net.items()), Decimal(0))
    c.setFont(BOLD, 10)
    c.drawString(320, y - 14, "Total due")
    c.drawRightString(right, y - 14, money(total))
    footer()
    c.showPage()
    c.save()
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--font-load", action="store_true", help="print the font load in ms")
    args = parser.parse_args()
    if args.font_load:
        import reportlab.pdfbase.ttfonts  # noqa: F401  # the import is not the font load

        start = time.perf_counter()
        load_fonts()
        print(f"{(time.perf_counter() - start) * 1000:.3f}")
        return
    args.out.write_bytes(render(args.lines))


if __name__ == "__main__":
    sys.exit(main())
