"""With `einvoice = "factur-x"`, approving in Slack posts a Factur-X final PDF, and the REST
API serves the very same bytes; the draft posted before it stays a plain PDF."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import facturx
import pypdf
import pytest

from billing_core.policy import CompanyPolicy, InvoicePolicy
from slackstandin import SlackStandIn
from tests.e2e.harness import APPROVER, POLICY, Bot, record_json, start_bot, stop_bot
from tests.e2e.test_draft_approve import pdf_text
from tests.einvoice.checks import Cii, recomputation_problems, schematron_failures, xsd_valid

TOKEN = "einvoice-api-token"
EINVOICING = dataclasses.replace(
    POLICY,
    company=CompanyPolicy(
        name="Northwind Studio GmbH",
        address="Torstrasse 1\n10119 Berlin\nGermany",
        country="DE",
        tax_id="DE999999999",
        iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
    ),
    invoice=InvoicePolicy(einvoice="factur-x"),
)


@pytest.fixture
async def einvoice_bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(slack, tmp_path, EINVOICING, api_token=TOKEN)
    await running.add_records(record_json())
    try:
        yield running
    finally:
        await stop_bot(running)


async def test_approval_posts_a_factur_x_pdf_and_the_api_serves_the_same_bytes(
    einvoice_bot: Bot,
) -> None:
    bot = einvoice_bot
    buttons = await bot.draft()
    draft = bot.slack.uploaded_files[0]
    assert pypdf.PdfReader(io.BytesIO(draft.content)).attachments == {}

    await bot.click("invoice_approve", buttons, APPROVER)
    await bot.slack.wait_until(lambda: len(bot.slack.uploaded_files) == 2, 20)
    posted = bot.slack.uploaded_files[1].content
    filename, xml = facturx.get_xml_from_pdf(posted, check_xsd=False)
    assert filename == "factur-x.xml"
    assert xsd_valid(xml)
    assert schematron_failures(xml) == []
    cii = Cii(xml)
    assert recomputation_problems(cii) == []
    assert cii.number == "INV-2026-0001"
    assert f"€{cii.total('GrandTotalAmount'):,.2f}" in pdf_text(posted)

    base = bot.url.removesuffix("/slack/events")
    async with (
        aiohttp.ClientSession(base_url=base) as http,
        http.get(
            "/api/invoices/INV-2026-0001.pdf", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as response,
    ):
        assert response.status == 200
        served = await response.read()
    assert served == posted


async def test_the_api_takes_vat_categories_and_names_every_bad_one(einvoice_bot: Bot) -> None:
    base = einvoice_bot.url.removesuffix("/slack/events")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    good = record_json("P-9")
    good["line_items"].append(
        {"description": "Course", "unit_price": "300.00", "tax_rate": "0", "tax_category": "E",
         "tax_exemption_reason": "Exempt under §4 Nr. 21 UStG"}
    )  # fmt: skip
    bad = record_json("P-10")
    bad["line_items"] = [
        {"description": "A", "unit_price": "1.00", "tax_rate": "0", "tax_category": "E"},
        {"description": "B", "unit_price": "1.00", "tax_rate": "7", "tax_category": "Q"},
    ]
    async with aiohttp.ClientSession(base_url=base) as http:
        async with http.put("/api/records/P-9", json=good, headers=headers) as response:
            assert response.status == 201
        async with http.get("/api/records/P-9", headers=headers) as response:
            shown = await response.json()
        assert shown["line_items"][1]["tax_category"] == "E"
        assert "tax_category" not in shown["line_items"][0]  # the old format, as written
        async with http.put("/api/records/P-10", json=bad, headers=headers) as response:
            assert response.status == 422
            fields = [p["field"] for p in (await response.json())["problems"]]
        assert fields == ["line_items[0].tax_exemption_reason", "line_items[1].tax_category"]
