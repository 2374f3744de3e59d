"""A Factur-X PDF (EN 16931 profile): the invoice's PDF/A PDF with `factur-x.xml` attached
(AFRelationship Data, listed in /AF and /EmbeddedFiles) and the Factur-X XMP, made PDF/A-3.

`embed_facturx(pdf, xml, metadata)` does it with the factur-x library (BSD), which writes the
attachment, the /AF array and the XMP (pdfaid part 3, the Factur-X extension schema). It checks
neither the PDF/A conformance of its input nor adds an OutputIntent: the input must already be
a PDF/A PDF with embedded fonts and an sRGB OutputIntent, which borb's PDF/A-1B mode writes
(billing_core.pdf.document, `pdfa=True`). borb's own PDF/A-3 mode cannot be used: borb 3.0.9
crashes writing it (an operator-precedence bug in its conformance checks).

factur-x's `generate_from_binary` writes the new file after the old one in the same buffer (a
dead copy that nearly doubles the size, and two `%PDF-` headers); its `generate_from_file` with
a separate output path does not, so that is what is used, through a private temporary
directory. The XMP carries the time it was made (factur-x reads the clock), so two renders of
one invoice differ in those bytes; the final PDF is rendered once and stored.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class PdfMetadata:
    """The document information factur-x writes into the Info dictionary and the XMP."""

    title: str
    author: str
    subject: str
    language: str = "en-US"


def embed_facturx(pdf: bytes, xml: bytes, metadata: PdfMetadata) -> bytes:
    """`pdf` (PDF/A, as borb writes it in PDF/A-1B mode) with `xml` attached as factur-x.xml,
    as PDF/A-3 Factur-X EN 16931 bytes. The XML is not validated again here (drafthorse did,
    against the same XSD, when it wrote it)."""
    from facturx import generate_from_file

    with tempfile.TemporaryDirectory(prefix="invoicebot-facturx-") as directory:
        out = os.path.join(directory, "factur-x.pdf")
        generate_from_file(
            io.BytesIO(pdf),
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=False,
            pdf_metadata={
                "title": metadata.title,
                "author": metadata.author,
                "subject": metadata.subject,
                "keywords": "Factur-X, Invoice",
            },
            lang=metadata.language,
            output_pdf_file=out,
            afrelationship="data",
        )
        with open(out, "rb") as produced:
            return produced.read()
