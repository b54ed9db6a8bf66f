"""What one unauthenticated client may cost the receiver, before its signature is checked.

Anyone can open connections to a public webhook URL. Without limits, idle connections,
bodies sent one byte at a time and large unsigned bodies hold sockets and memory for as
long as the client likes. The defaults are far above anything Meta's traffic reaches
(small JSON bodies sent at once, a few hundred connections at the very most).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 3 * 1024 * 1024  # Meta's payloads go up to about 3 MB
# Seconds a POST waits to be made durable before it gets 503 (Meta sends it again).
DURABLE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ReceiverLimits:
    # Seconds to receive a whole body once its headers are in; then 408 and the connection closed.
    body_timeout_s: float = 30.0
    # Seconds a new connection may take to send its first request's headers.
    header_timeout_s: float = 10.0
    # Connections open at once; more are closed as soon as they are accepted.
    max_connections: int = 1000
    # Bytes of bodies held, over every connection together, before their signature is checked.
    max_unverified_bytes: int = 64 * 1024 * 1024
    # Bytes of one body.
    max_body_bytes: int = MAX_BODY_BYTES


def limited_protocol(base: type[asyncio.Protocol], limits: ReceiverLimits) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, closing connections over ``max_connections`` at
    once and connections that send no request headers within ``header_timeout_s``.

    uvicorn times out idle keep-alive connections only after a first response; a connection
    that never completes a request would stay open for good.
    """

    class LimitedProtocol(base):  # type: ignore[valid-type, misc]
        _first_request_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.close()
                return
            self._first_request_timer = self.loop.call_later(limits.header_timeout_s, self._no_request)

        def _no_request(self) -> None:
            self._first_request_timer = None
            if self.cycle is None and not self.transport.is_closing():
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._first_request_timer is not None:
                self._first_request_timer.cancel()
                self._first_request_timer = None
            super().connection_lost(exc)

    LimitedProtocol.__name__ = f"Limited{base.__name__}"
    return LimitedProtocol


def http_protocol(limits: ReceiverLimits) -> type[asyncio.Protocol]:
    """The limited protocol on httptools when it is installed, else on h11."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return limited_protocol(HttpToolsProtocol, limits)
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return limited_protocol(H11Protocol, limits)
