"""Invoice PDFs: rendering with borb (render.py), its workarounds (borb_compat.py), and a
process pool that renders off the event loop (pool.py).

render.py holds the public functions and describes the page. Beneath it, by concern:
document.py (pages and metadata), layout.py (the blocks: headers, parties, table rows,
payment and totals, footer), pagination.py (rows over pages), canvas.py (drawing on a page),
text.py (cleaning, wrapping), formatter.py (amounts, dates, countries in the invoice's
locale), style.py (geometry, type, colours), images.py (the logo), and the borb workarounds
bundled_fonts.py (fonts and widths), subsetting.py (fonts embedded per document) and
writer.py (writing, layout caches).

Names are imported on first use (PEP 562), so a process that only renders (`invoicebot draft`)
never loads the pool's multiprocessing machinery, and importing a submodule loads no other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from billing_core.pdf.pool import PdfRenderer
    from billing_core.pdf.render import (
        check_renderable,
        render_einvoice_preview,
        render_invoice_pdf,
    )

__all__ = ["PdfRenderer", "check_renderable", "render_einvoice_preview", "render_invoice_pdf"]

_HOMES = {
    "PdfRenderer": "billing_core.pdf.pool",
    "check_renderable": "billing_core.pdf.render",
    "render_einvoice_preview": "billing_core.pdf.render",
    "render_invoice_pdf": "billing_core.pdf.render",
}


def __getattr__(attribute: str) -> Any:
    home = _HOMES.get(attribute)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
    return getattr(importlib.import_module(home), attribute)
