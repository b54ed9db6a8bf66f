"""The webhook receiver as an ASGI app: verification handshake and signed event intake.

POST order matters: the signature is checked on the raw bytes before anything is parsed;
a bad or missing signature writes nothing. A body that is not a WhatsApp webhook gets 400
and is not stored. A full queue or a slow database gets 503 so Meta retries; 200 is sent
only once the POST is durable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from easymo_core.messaging.webhook_payload import PayloadShapeError, parse_envelope
from easymo_core.webhook import signature
from easymo_core.webhook.intake import DurableIntake, IntakeFull

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 3 * 1024 * 1024  # Meta's payloads go up to about 3 MB
DURABLE_TIMEOUT_S = 10.0


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    intake: DurableIntake,
    *,
    app_secret: str,
    verify_token: str,
    path: str = "/webhook",
    max_body: int = MAX_BODY_BYTES,
) -> Starlette:
    started = time.time()

    async def verify(request: Request) -> Response:
        q = request.query_params
        if q.get("hub.mode") == "subscribe" and verify_token and q.get("hub.verify_token") == verify_token:
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("verification failed", status_code=403)

    async def receive(request: Request) -> Response:
        try:
            body = await _read_body(request, max_body)
        except _TooLarge:
            return PlainTextResponse("payload too large", status_code=413)
        header = request.headers.get(signature.HEADER)
        if not header:
            return PlainTextResponse("missing X-Hub-Signature-256", status_code=401)
        if not signature.verify(app_secret, body, header):
            return PlainTextResponse("bad signature", status_code=403)
        try:
            batch = parse_envelope(json.loads(body))
        except (ValueError, UnicodeDecodeError, PayloadShapeError, TypeError, KeyError) as exc:
            log.warning("webhook POST refused as malformed: %s", exc)
            return PlainTextResponse(f"malformed webhook: {str(exc)[:200]}", status_code=400)
        except RecursionError:
            return PlainTextResponse("malformed webhook: nested too deeply", status_code=400)
        try:
            fut = intake.submit(body, batch)
        except IntakeFull:
            return PlainTextResponse("busy, retry later", status_code=503, headers={"Retry-After": "5"})
        try:
            await asyncio.wait_for(asyncio.wrap_future(fut), DURABLE_TIMEOUT_S)
        except Exception:
            return PlainTextResponse("could not store the event, retry later", status_code=503)
        return PlainTextResponse("EVENT_RECEIVED")

    async def health(request: Request) -> Response:
        s = intake.stats
        data: dict[str, Any] = {
            "status": "ok",
            "uptime_s": round(time.time() - started, 1),
            "queue_depth": intake.depth,
            "received": s.received,
            "stored": s.stored,
            "ingested": s.ingested,
            "failed_ingest": s.failed_ingest,
            "rejected_full": s.rejected_full,
            "last_event_at": s.last_event_at,
        }
        return JSONResponse(data)

    return Starlette(
        routes=[
            Route(path, verify, methods=["GET"]),
            Route(path, receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
