"""`invoicebot draft ID --out F.pdf --einvoice`: a Factur-X preview that cannot be taken for
a real e-invoice, or a clear list of what an e-invoice still needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import facturx
import pytest
from pypdf import PdfReader

from tests.cli.helpers import run
from tests.einvoice.checks import Cii, schematron_failures, xsd_valid

Builder = Callable[..., dict[str, Any]]
CONFIG = """
[company]
name = "Northwind Studio GmbH"
address = "Torstrasse 1\\n10119 Berlin\\nGermany"
country = "DE"
tax_id = "DE999999999"
iban = "DE89 3704 0044 0532 0130 00"
"""


def imported(capsys: pytest.CaptureFixture[str], tmp_path: Path, record: dict[str, Any]) -> None:
    (tmp_path / "r.json").write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    assert run(capsys, "records", "import", "r.json")[0] == 0


def test_einvoice_preview_is_a_marked_draft_with_a_draft_number(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    (tmp_path / "invoicebot.toml").write_text(CONFIG, encoding="utf-8")  # einvoice is off
    imported(capsys, tmp_path, record_data())
    code, out, err = run(capsys, "draft", "P-123", "--out", "p.pdf", "--einvoice")
    assert (code, err) == (0, "")
    assert "Factur-X preview (DRAFT-P-123)" in out
    pdf = (tmp_path / "p.pdf").read_bytes()
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert cii.number == "DRAFT-P-123"
    assert cii.notes[0].startswith("PREVIEW of a draft, not an invoice")
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "p.pdf").pages)
    assert "DRAFT" in text and "INV-" not in text


def test_einvoice_preview_names_what_an_einvoice_still_needs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str, record_data: Builder
) -> None:
    record = record_data(
        line_items=[{"description": "Hosting", "unit_price": "49.00", "tax_rate": "0"}]
    )
    del record["client"]["country"]
    imported(capsys, tmp_path, record)  # no config: the company has no address or VAT ID
    assert run(capsys, "draft", "P-123", "--out", "plain.pdf")[0] == 0  # fine on paper
    code, _, err = run(capsys, "draft", "P-123", "--out", "p.pdf", "--einvoice")
    assert code == 1
    for field in ("line_items[0].tax_category", "client.country", "company.address",
                  "company.country", "company.tax_id"):  # fmt: skip
        assert f"{field}: missing" in err
    assert not (tmp_path / "p.pdf").exists()
