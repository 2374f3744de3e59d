"""Invoice PDFs: rendering with borb (render.py), its workarounds (borb_compat.py), and a
process pool that renders off the event loop (pool.py)."""

from billing_core.pdf.pool import PdfRenderer
from billing_core.pdf.render import check_renderable, render_invoice_pdf

__all__ = ["PdfRenderer", "check_renderable", "render_invoice_pdf"]
