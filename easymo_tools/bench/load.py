"""A webhook load generator that runs in a process of its own.

It plays Meta: signed POSTs, several in flight at once, a retry after 503 (Meta retries
what was not acknowledged). Kept free of the project's heavy imports so the child process
starts fast and the GIL it holds is not the server's.

It speaks HTTP/1.1 over plain asyncio streams, one keep-alive connection per worker. With
httpx.AsyncClient the generator itself topped out near 250 POSTs/s on the 2-core machine
the benchmarks were written on, so the "bare app" baseline measured the client, not the
server stack (the bare app really answers some 5,000 POSTs/s); a load generator must never
be the slowest part of a benchmark.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from urllib.parse import urlsplit

RETRY_DELAY_S = 0.02
MAX_ATTEMPTS = 50


@dataclass
class LoadResult:
    posts: int
    seconds: float
    retries: int
    errors: int


class _KeepAlive:
    """One HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, request: bytes) -> int:
        """Send one request, return the status; a connection lost before the answer
        counts as a refusal the caller retries, as Meta would."""
        for fresh in (False, True):
            if self._streams is None or fresh:
                await self.close()
                self._streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self._streams
            try:
                writer.write(request)
                status, keep = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                # A kept-alive connection the server had just closed: retry once on a new one.
                if fresh:
                    raise
                continue
            if not keep:
                await self.close()
            return status
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status and whether the connection stays open; the body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and value != b"identity":
            raise RuntimeError("the receiver answered with a chunked body; the load generator "
                               "expects Content-Length")
        elif name == b"connection" and value == b"close":
            keep = False
    await reader.readexactly(length)
    return status, keep


async def _post_all(url: str, posts: list[tuple[bytes, str]], concurrency: int) -> tuple[int, int]:
    retries = errors = 0
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in posts:
        queue.put_nowait(item)

    async def worker() -> None:
        nonlocal retries, errors
        conn = _KeepAlive(host, port)
        try:
            while True:
                try:
                    body, sig = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                request = (
                    f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Content-Type: application/json\r\nX-Hub-Signature-256: {sig}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                for _attempt in range(MAX_ATTEMPTS):
                    try:
                        status = await conn.post(request)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        status = 503  # not acknowledged: Meta retries it
                    if status == 200:
                        break
                    if status != 503:
                        errors += 1
                        break
                    retries += 1
                    await asyncio.sleep(RETRY_DELAY_S)
                else:
                    errors += 1
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return retries, errors


def child_main(conn: Connection, url: str, posts: list[tuple[bytes, str]], concurrency: int) -> None:
    """Wait for "go", post everything, send back a LoadResult."""
    conn.send("ready")
    conn.recv()
    started = time.perf_counter()
    retries, errors = asyncio.run(_post_all(url, posts, concurrency))
    conn.send(LoadResult(len(posts), time.perf_counter() - started, retries, errors))
    conn.close()
