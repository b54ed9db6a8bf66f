"""The webhook receiver as an ASGI app: verification handshake and signed event intake.

POST order matters: the signature is checked on the raw bytes before anything is parsed;
a bad or missing signature writes nothing. A body that is not a WhatsApp webhook gets 400
and is not stored. A full queue or a slow database gets 503 so Meta retries; 200 is sent
only once the POST is durable. Bodies not yet verified are bounded in time and bytes
(:mod:`easymo_core.webhook.limits`). ``/health`` answers 503 with the reason when the
intake is stalled or its writer is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from easymo_core.messaging.webhook_payload import PayloadShapeError, parse_envelope
from easymo_core.webhook import signature
from easymo_core.webhook.intake import DurableIntake, IntakeFull
from easymo_core.webhook.limits import DURABLE_TIMEOUT_S, ReceiverLimits
from easymo_core.webhook.storable import decode

log = logging.getLogger(__name__)
# Built once: the same immutable answer for every stored POST.
_RECEIVED = PlainTextResponse("EVENT_RECEIVED")


class _TooLarge(Exception):
    pass


class _Busy(Exception):
    pass


class _Unverified:
    """Bytes of bodies being read and not yet verified, over all connections (one event
    loop: no lock)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.held = 0


async def _read_body(request: Request, limit: int, unverified: _Unverified) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            unverified.held += len(chunk)
            if unverified.held > unverified.cap:
                raise _Busy
    finally:
        unverified.held -= sum(len(c) for c in chunks)
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]


def create_app(
    intake: DurableIntake,
    *,
    app_secret: str,
    verify_token: str,
    path: str = "/webhook",
    max_body: int | None = None,
    limits: ReceiverLimits | None = None,
    durable_timeout_s: float = DURABLE_TIMEOUT_S,
) -> Starlette:
    limits = limits or ReceiverLimits()
    max_body = limits.max_body_bytes if max_body is None else max_body
    unverified = _Unverified(limits.max_unverified_bytes)
    started = time.time()

    async def verify(request: Request) -> Response:
        q = request.query_params
        if q.get("hub.mode") == "subscribe" and verify_token and q.get("hub.verify_token") == verify_token:
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("verification failed", status_code=403)

    async def receive(request: Request) -> Response:
        try:
            # asyncio.timeout, not wait_for: no task of its own per POST.
            async with asyncio.timeout(limits.body_timeout_s):
                body = await _read_body(request, max_body, unverified)
        except _TooLarge:
            return PlainTextResponse("payload too large", status_code=413)
        except _Busy:
            return PlainTextResponse("busy, retry later", status_code=503,
                                     headers={"Retry-After": "5", "Connection": "close"})
        except TimeoutError:
            log.info("webhook POST body not received within %g s; connection closed", limits.body_timeout_s)
            return PlainTextResponse("body not received in time", status_code=408,
                                     headers={"Connection": "close"})
        except ClientDisconnect:
            # The client went away mid-upload: nothing to answer, nothing to store.
            log.debug("webhook POST aborted by the client")
            return Response(status_code=400)
        header = request.headers.get(signature.HEADER)
        if not header:
            return PlainTextResponse("missing X-Hub-Signature-256", status_code=401)
        if not signature.verify(app_secret, body, header):
            return PlainTextResponse("bad signature", status_code=403)
        try:
            batch = parse_envelope(decode(body, json.loads))
        except (ValueError, UnicodeDecodeError, PayloadShapeError, TypeError, KeyError) as exc:
            log.warning("webhook POST refused as malformed: %s", exc)
            return PlainTextResponse(f"malformed webhook: {str(exc)[:200]}", status_code=400)
        except RecursionError:
            return PlainTextResponse("malformed webhook: nested too deeply", status_code=400)
        try:
            waiter = intake.submit_async(body, batch)
        except IntakeFull:
            return PlainTextResponse("busy, retry later", status_code=503, headers={"Retry-After": "5"})
        try:
            # On timeout the waiter is cancelled; the writer, finding it so, leaves it be.
            async with asyncio.timeout(durable_timeout_s):
                await waiter
        except Exception:
            return PlainTextResponse("could not store the event, retry later", status_code=503)
        return _RECEIVED

    async def health(request: Request) -> Response:
        s = intake.stats
        h = intake.health()
        data: dict[str, Any] = {
            "status": "ok" if h.ok else "unhealthy",
            "problems": h.problems,
            "uptime_s": round(time.time() - started, 1),
            "writer_alive": h.writer_alive,
            "queue_depth": h.queue_depth,
            "oldest_pending_s": h.oldest_pending_s,
            "last_error": h.last_error,
            "last_error_age_s": h.last_error_age_s,
            "received": s.received,
            "stored": s.stored,
            "ingested": s.ingested,
            "failed_store": s.failed_store,
            "failed_ingest": s.failed_ingest,
            "dead_lettered": s.dead_lettered,
            "rejected_full": s.rejected_full,
            "last_event_at": s.last_event_at,
        }
        return JSONResponse(data, status_code=200 if h.ok else 503)

    return Starlette(
        routes=[
            Route(path, verify, methods=["GET"]),
            Route(path, receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
