"""JSON answers, serialised compactly the way Graph sends them."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from easymo_core.sandbox.graph_errors import GraphError

CONTENT_TYPE = "application/json; charset=UTF-8"
_CONTENT_TYPE_HEADER = (b"content-type", CONTENT_TYPE.encode("ascii"))


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj), status, headers, media_type=CONTENT_TYPE)


def error_response(error: GraphError, fbtrace_id: str) -> Response:
    headers = None
    if error.code in (104, 190):
        headers = {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'}
    return json_response(error.envelope(fbtrace_id), error.status, headers)


async def send_json(send: Any, status: int, obj: Any) -> None:
    """Answer from plain ASGI code (the fault middleware), outside Starlette."""
    body = dumps(obj)
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [_CONTENT_TYPE_HEADER, (b"content-length", str(len(body)).encode("ascii"))],
    })
    await send({"type": "http.response.body", "body": body})
