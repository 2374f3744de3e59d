"""Invoice PDFs: rendering with borb (render.py), its workarounds (borb_compat.py), and a
process pool that renders off the event loop (pool.py).

render.py holds the public functions and describes the page. Beneath it, by concern:
document.py (pages and metadata), layout.py (the blocks: headers, parties, table rows,
payment and totals, footer), pagination.py (rows over pages), canvas.py (drawing on a page),
text.py (cleaning, wrapping), formatter.py (amounts, dates, countries in the invoice's
locale), style.py (geometry, type, colours), images.py (the logo), and the borb workarounds
bundled_fonts.py (fonts and widths), subsetting.py (fonts embedded per document) and
writer.py (writing, layout caches).
"""

from billing_core.pdf.pool import PdfRenderer
from billing_core.pdf.render import check_renderable, render_invoice_pdf

__all__ = ["PdfRenderer", "check_renderable", "render_invoice_pdf"]
