"""Reading Web API requests the way Slack does: query, form or JSON, token in header or body."""

import contextlib
import json
from collections.abc import Callable

from aiohttp import BodyPartReader, web

from .records import Handler, Params
from .workspace import Workspace

__all__ = ["bearer", "bind", "read_multipart_file", "read_params"]

_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata"})


def bind(fn: Callable[[Workspace, Params], Params], ws: Workspace) -> Handler:
    return lambda params: fn(ws, params)


async def read_params(request: web.Request) -> Params:
    """Query string + JSON or form body, with JSON-valued form fields decoded."""
    params: Params = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("JSON body must be an object")
            params.update(data)
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = value.file.read() if isinstance(value, web.FileField) else value
    for key in _JSON_FIELDS:
        field = params.get(key)
        if isinstance(field, str) and field[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(field)
    return params


async def read_multipart_file(request: web.Request) -> bytes:
    """The first file part (else the first part) of a multipart upload."""
    reader = await request.multipart()
    first: bytes | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read(decode=False)
        if part.filename is not None:
            return bytes(data)
        if first is None:
            first = bytes(data)
    return first or b""


def bearer(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None
