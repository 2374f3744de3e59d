"""The records REST API, on the same aiohttp app as the Slack endpoint.

    PUT /api/records/{id}          upsert a record (the DESIGN.md JSON): 201 created, 200 replaced
    GET /api/records/{id}          the record with its invoices and their statuses
    GET /api/invoices/{number}.pdf the invoice's final PDF (404 for drafts and until rendered)

Every request needs `Authorization: Bearer <INVOICEBOT_API_TOKEN>` (compared in constant
time); without it, or with a wrong token, the answer is 401 with a WWW-Authenticate header.
When INVOICEBOT_API_TOKEN is unset the API is disabled: every /api/ path answers 404 with a JSON
body saying so, and nothing reaches the billing service.

Errors are JSON: {"error": "...", "problems": [{"field": ..., "message": ...}]} (problems only
where a field is at fault). A PUT body must be `application/json` (415 otherwise), at most
MAX_BODY_BYTES (413), valid UTF-8 JSON (400 naming the line and column), and a record whose
fields are all well-formed (422 listing every bad field; nothing is stored). Handlers only
parse, call Billing and serialize.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from billing_core.errors import FieldProblem, InvoiceNotFound, RecordInvalid, RecordNotFound
from billing_core.numbering import INVOICE_NUMBER_RE
from billing_core.records import RECORD_ID_RE, Record, parse_record, record_to_json
from billing_core.state import InvoiceState
from billing_core.usecases import Billing
from bot.credit_view import credit_json

MAX_BODY_BYTES = 256 * 1024
_READ_CHUNK = 64 * 1024
_REALM = 'Bearer realm="invoicebot"'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_api_routes(
    web_app: web.Application,
    billing: Billing,
    token: str | None,
    clock: Callable[[], datetime],
) -> None:
    """Register the records API on `web_app`, or (no token) a JSON 404 for every /api/ path."""
    if not token:

        async def disabled(_: web.Request) -> web.Response:
            return _error(404, "the records API is disabled: set INVOICEBOT_API_TOKEN to enable it")

        web_app.router.add_route("*", "/api/{tail:.*}", disabled)
        return

    expected = token.encode("utf-8")

    def authorized(handler: Handler) -> Handler:
        async def check(request: web.Request) -> web.StreamResponse:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not given.strip():
                return _error(401, "missing bearer token", www_authenticate=_REALM)
            presented = given.strip().encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(presented, expected):
                return _error(
                    401, "invalid bearer token", www_authenticate=f'{_REALM}, error="invalid_token"'
                )
            return await handler(request)

        return check

    async def put_record(request: web.Request) -> web.Response:
        record_id = request.match_info["record_id"]
        if not RECORD_ID_RE.fullmatch(record_id):
            # One spelling per record: "P-300 " must not quietly replace P-300.
            hint = f" (did you mean {record_id.strip()!r}?)" if record_id.strip() else ""
            problem = FieldProblem("id", f"{record_id[:80]!r} is not a record ID{hint}")
            return _error(422, "the URL names no valid record ID; nothing was stored", [problem])
        if request.content_type != "application/json":
            return _error(415, "the body must be application/json")
        charset = request.charset
        if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
            return _error(415, f"the body must be UTF-8 JSON, not {charset}")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _too_large()
        raw = bytearray()
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                return _too_large()
        data, decode_problem = _decode_json(bytes(raw))
        if decode_problem is not None:
            return _error(400, decode_problem)
        if not isinstance(data, dict):
            return _error(422, "invalid record", [FieldProblem("record", "must be a JSON object")])

        problems: list[FieldProblem] = []
        body_id = data.get("id")
        if body_id is None:
            data["id"] = record_id
        elif body_id != record_id:
            problems.append(FieldProblem("id", f"does not match the ID in the URL ({record_id})"))
            data["id"] = record_id
        try:
            record = parse_record(data)
        except RecordInvalid as exc:
            problems.extend(exc.problems)
        if problems:
            return _error(422, f"record {record_id} is invalid; nothing was stored", problems)

        created = await billing.records.put(record, clock())
        overview = await billing.records.overview(record.id)
        body = _overview_json(overview.record, overview.invoices)
        headers = {"Location": f"/api/records/{record.id}"} if created else None
        return web.json_response(body, status=201 if created else 200, headers=headers)

    async def get_record(request: web.Request) -> web.Response:
        record_id = request.match_info["record_id"]
        if not RECORD_ID_RE.fullmatch(record_id):
            return _error(404, f"no record with ID {record_id[:80]!r}")
        try:
            overview = await billing.records.overview(record_id)
        except RecordNotFound as exc:
            return _error(404, str(exc))
        return web.json_response(_overview_json(overview.record, overview.invoices))

    async def get_pdf(request: web.Request) -> web.Response:
        number = request.match_info["number"]
        if not INVOICE_NUMBER_RE.fullmatch(number):
            return _error(404, f"no invoice numbered {number[:80]!r}")
        try:
            state = await billing.queries.find(number)
        except InvoiceNotFound:
            state = None
        # `find` also takes a record ID; this URL names invoices by number only.
        if state is None or state.number != number:
            return _error(404, f"no invoice numbered {number!r}")
        document = await billing.documents.get(state.id, "final")
        if document is None:
            return _error(404, f"invoice {number} has no final PDF yet")
        return web.Response(
            body=document.content,
            content_type="application/pdf",
            headers={
                "Content-Disposition": _attachment(document.filename),
                "ETag": f'"{document.sha256}"',
            },
        )

    web_app.router.add_put("/api/records/{record_id}", authorized(put_record))
    web_app.router.add_get("/api/records/{record_id}", authorized(get_record))
    web_app.router.add_get("/api/invoices/{number}.pdf", authorized(get_pdf))


def _decode_json(raw: bytes) -> tuple[Any, str | None]:
    """(data, None), or (None, why it is not JSON) naming the line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"the body is not valid UTF-8 (byte {exc.start})"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError as exc:  # e.g. an integer longer than Python reads (4300 digits)
        return None, f"invalid JSON: {str(exc)[:200]}"


def _invoice_json(state: InvoiceState) -> dict[str, Any]:
    inv = state.invoice
    return {
        "number": state.number,
        "status": state.status.value,
        "total": str(state.total.rounded().amount),
        "balance": str(state.balance.rounded().amount),
        "currency": inv.currency,
        "issue_date": inv.issue_date.isoformat(),
        "due_date": inv.due_date.isoformat(),
        **credit_json(state),
        # Numbered invoices have a final PDF (rendered by the documents worker right after
        # approval; until then the URL answers 404). Drafts have none here.
        "pdf_url": f"/api/invoices/{quote(state.number, safe='')}.pdf" if state.number else None,
    }


def _overview_json(record: Record, invoices: list[InvoiceState]) -> dict[str, Any]:
    return {**record_to_json(record), "invoices": [_invoice_json(s) for s in invoices]}


def _error(
    status: int,
    message: str,
    problems: list[FieldProblem] | None = None,
    *,
    www_authenticate: str | None = None,
) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = [{"field": p.field, "message": p.message} for p in problems]
    headers = {"WWW-Authenticate": www_authenticate} if www_authenticate else None
    return web.json_response(body, status=status, headers=headers)


def _too_large() -> web.Response:
    return _error(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KB")


def _attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the exact name (RFC 6266)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
