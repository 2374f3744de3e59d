"""The records REST API over HTTP on the real `serve` app: auth, upsert, errors, final PDFs."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from billing_core.errors import RecordNotFound
from bot.api import MAX_BODY_BYTES
from slackstandin import SlackStandIn
from tests.e2e.harness import APPROVER, DRAFTER, Bot, record_json, start_bot, stop_bot

TOKEN = "s3cret-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def api_bot(slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(slack, tmp_path, workers=False, api_token=TOKEN)
    try:
        yield running
    finally:
        await stop_bot(running)


@pytest.fixture
async def http(api_bot: Bot) -> AsyncIterator[aiohttp.ClientSession]:
    base = api_bot.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession(base_url=base) as session:
        yield session


async def put(
    http: aiohttp.ClientSession, record_id: str, body: Any, headers: dict[str, str] = AUTH
) -> tuple[int, Any]:
    async with http.put(f"/api/records/{record_id}", json=body, headers=headers) as response:
        return response.status, await response.json()


async def get(http: aiohttp.ClientSession, path: str) -> tuple[int, Any]:
    async with http.get(path, headers=AUTH) as response:
        return response.status, await response.json()


async def test_requests_without_or_with_a_wrong_token_get_401_and_change_nothing(
    http: aiohttp.ClientSession,
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}x"},
                    {"Authorization": "Bearer s3cret-äpi"}):  # fmt: skip
        status, body = await put(http, "P-1", record_json("P-1"), headers)
        assert status == 401, headers
        assert "token" in body["error"]
        async with http.get("/api/records/P-1", headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        async with http.get("/api/invoices/INV-2026-0001.pdf", headers=headers) as response:
            assert response.status == 401
    assert (await get(http, "/api/records/P-1"))[0] == 404


async def test_put_creates_then_replaces_and_get_shows_the_new_data(
    http: aiohttp.ClientSession,
) -> None:
    status, created = await put(http, "P-123", record_json())
    assert status == 201
    assert created["id"] == "P-123" and created["invoices"] == []
    assert created["line_items"][0]["unit_price"] == "120.00"

    changed = record_json(title="Website relaunch, phase 2", currency="USD")
    changed["line_items"][0]["unit_price"] = "150.00"
    status, replaced = await put(http, "P-123", changed)
    assert status == 200

    status, shown = await get(http, "/api/records/P-123")
    assert status == 200
    assert shown == replaced
    assert shown["title"] == "Website relaunch, phase 2" and shown["currency"] == "USD"
    assert shown["line_items"] == [
        {"description": "Design hours", "quantity": "10", "unit_price": "150.00", "tax_rate": "19"}
    ]
    assert shown["client"]["name"] == "Müller & Søn GmbH"


async def test_body_without_id_takes_the_id_from_the_url(http: aiohttp.ClientSession) -> None:
    body = record_json()
    del body["id"]
    assert (await put(http, "P-9", body))[0] == 201
    status, shown = await get(http, "/api/records/P-9")
    assert status == 200 and shown["id"] == "P-9"


async def test_bad_fields_are_each_named_in_a_422_and_nothing_is_stored(
    http: aiohttp.ClientSession,
) -> None:
    assert (await put(http, "P-123", record_json()))[0] == 201
    bad = record_json(currency="EURO", due_date="tomorrow", colour="blue")
    bad["line_items"][0]["unit_price"] = 120.5
    status, body = await put(http, "P-123", bad)
    assert status == 422
    assert "nothing was stored" in body["error"]
    fields = {p["field"]: p["message"] for p in body["problems"]}
    assert set(fields) == {"colour", "currency", "due_date", "line_items[0].unit_price"}
    assert fields["colour"] == "unknown field"
    assert "float" in fields["line_items[0].unit_price"]
    assert "ISO 4217" in fields["currency"]
    assert "tomorrow" in fields["due_date"]

    status, shown = await get(http, "/api/records/P-123")
    assert status == 200 and shown["currency"] == "EUR" and shown["due_date"] == "2026-12-01"
    status, body = await put(http, "P-new", record_json("P-new", amount=99.5, line_items=None))
    assert status == 422 and [p["field"] for p in body["problems"]] == ["amount"]
    assert (await get(http, "/api/records/P-new"))[0] == 404


async def test_mismatched_id_is_422_and_stores_nothing(http: aiohttp.ClientSession) -> None:
    status, body = await put(http, "P-1", record_json("P-2"))
    assert status == 422
    assert body["problems"] == [
        {"field": "id", "message": "does not match the ID in the URL (P-1)"}
    ]
    assert (await get(http, "/api/records/P-1"))[0] == 404
    assert (await get(http, "/api/records/P-2"))[0] == 404


async def test_oversized_body_is_413_and_stores_nothing(http: aiohttp.ClientSession) -> None:
    big = record_json(title="x" * (MAX_BODY_BYTES + 1))
    status, body = await put(http, "P-123", big)
    assert status == 413 and "KB" in body["error"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
        yield b'{"id": "P-123", "title": "'
        for _ in range(5):
            yield b"y" * (MAX_BODY_BYTES // 4)
        yield b'"}'

    headers = {**AUTH, "Content-Type": "application/json"}
    async with http.put("/api/records/P-123", data=chunks(), headers=headers) as response:
        assert response.status == 413
    assert (await get(http, "/api/records/P-123"))[0] == 404


async def test_unreadable_bodies_get_clear_4xx_answers(http: aiohttp.ClientSession) -> None:
    path = "/api/records/P-1"
    json_headers = {**AUTH, "Content-Type": "application/json"}
    async with http.put(path, data="id=P-1", headers={**AUTH, "Content-Type": "text/plain"}) as r:
        assert r.status == 415
    async with http.put(path, data='{\n  "id": "P-1",\n}', headers=json_headers) as r:
        assert r.status == 400
        assert "line 3, column 1" in (await r.json())["error"]
    async with http.put(path, data=b'{"id": "P-\xff"}', headers=json_headers) as r:
        assert r.status == 400 and "UTF-8" in (await r.json())["error"]
    async with http.put(path, data="[" * 100_000 + "]" * 100_000, headers=json_headers) as r:
        assert r.status == 400
    async with http.put(path, data='{"amount": ' + "9" * 5000 + "}", headers=json_headers) as r:
        assert r.status == 400
    status, body = await put(http, "P-1", ["not", "an", "object"])
    assert status == 422 and body["problems"][0]["field"] == "record"
    assert (await get(http, "/api/records/P-1"))[0] == 404


async def test_unknown_record_is_404(http: aiohttp.ClientSession) -> None:
    status, body = await get(http, "/api/records/P-404")
    assert status == 404 and "P-404" in body["error"]


async def test_final_pdf_is_served_once_approved_and_drafts_have_none(
    http: aiohttp.ClientSession, api_bot: Bot
) -> None:
    assert (await put(http, "P-123", record_json()))[0] == 201
    billing, now = api_bot.billing, api_bot.clock()
    draft = (await billing.drafting.start_draft("P-123", DRAFTER, now)).state

    status, shown = await get(http, "/api/records/P-123")
    assert [i["status"] for i in shown["invoices"]] == ["draft"]
    assert shown["invoices"][0]["number"] is None and shown["invoices"][0]["pdf_url"] is None
    assert (await get(http, "/api/invoices/P-123.pdf"))[0] == 404  # a record ID is no number

    await billing.drafting.approve(draft.id, APPROVER, now)
    status, body = await get(http, "/api/invoices/INV-2026-0001.pdf")
    assert status == 404 and "no final PDF yet" in body["error"]  # not rendered yet

    assert await api_bot.service.delivery.deliver_for_invoice(draft.id) == []
    async with http.get("/api/invoices/INV-2026-0001.pdf", headers=AUTH) as response:
        assert response.status == 200
        assert response.content_type == "application/pdf"
        assert 'filename="INV-2026-0001.pdf"' in response.headers["Content-Disposition"]
        content = await response.read()
    assert content.startswith(b"%PDF")
    assert content == (await billing.documents.get(draft.id, "final")).content

    status, shown = await get(http, "/api/records/P-123")
    assert status == 200
    assert shown["invoices"] == [
        {
            "number": "INV-2026-0001",
            "status": "approved",
            "total": "1428.00",
            "balance": "1428.00",
            "currency": "EUR",
            "issue_date": "2026-11-25",
            "due_date": "2026-12-01",
            "kind": "invoice",
            "credits": None,
            "credited": "0.00",
            "refund_owed": "0.00",
            "pdf_url": "/api/invoices/INV-2026-0001.pdf",
        }
    ]
    assert (await get(http, "/api/invoices/INV-2026-0002.pdf"))[0] == 404


async def test_without_a_token_setting_the_api_is_disabled(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    bot = await start_bot(slack, tmp_path, workers=False)
    try:
        base = bot.url.removesuffix("/slack/events")
        async with aiohttp.ClientSession(base_url=base) as session:
            async with session.put(
                "/api/records/P-1", json=record_json("P-1"), headers=AUTH
            ) as response:
                assert response.status == 404
                assert "disabled" in (await response.json())["error"]
            async with session.get("/api/records/P-1", headers=AUTH) as response:
                assert response.status == 404
        with pytest.raises(RecordNotFound):
            await bot.billing.records.get("P-1")
    finally:
        await stop_bot(bot)
