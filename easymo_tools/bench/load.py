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
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
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



def _request(target: str, host: str, port: int, body: bytes, sig: str) -> bytes:
    """One signed webhook POST as Meta sends it, on a keep-alive connection."""
    return (
        f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {sig}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _post_until_stored(conn: _KeepAlive, request: bytes) -> tuple[int, int]:
    """Post until 200, as Meta retries what was not acknowledged; (retries, errors: 0 or 1)."""
    retries = 0
    for _attempt in range(MAX_ATTEMPTS):
        try:
            status = await conn.post(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            status = 503  # not acknowledged: Meta retries it
        if status == 200:
            return retries, 0
        if status != 503:
            return retries, 1
        retries += 1
        await asyncio.sleep(RETRY_DELAY_S)
    return retries, 1

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
                tried, failed = await _post_until_stored(conn, _request(target, host, port, body, sig))
                retries += tried
                errors += failed
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


@dataclass
class PacedResult:
    posts: int
    seconds: float
    retries: int
    errors: int
    max_lag_s: float  # how far behind its schedule the latest POST started


async def _post_paced(url: str, posts: list[tuple[bytes, str]], rate: float,
                      concurrency: int) -> tuple[int, int, float]:
    """POST i is due at i / rate s after the start; up to ``concurrency`` in flight."""
    retries = errors = 0
    max_lag = 0.0
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    queue: asyncio.Queue[tuple[float, bytes, str] | None] = asyncio.Queue(maxsize=concurrency)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def producer() -> None:
        for i, (body, sig) in enumerate(posts):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await queue.put((due, body, sig))
        for _ in range(concurrency):
            await queue.put(None)

    async def worker() -> None:
        nonlocal retries, errors, max_lag
        conn = _KeepAlive(host, port)
        try:
            while (item := await queue.get()) is not None:
                due, body, sig = item
                max_lag = max(max_lag, loop.time() - due)
                tried, failed = await _post_until_stored(conn, _request(target, host, port, body, sig))
                retries += tried
                errors += failed
        finally:
            await conn.close()

    await asyncio.gather(producer(), *(worker() for _ in range(concurrency)))
    return retries, errors, max_lag


def paced_child_main(conn: Connection, url: str, posts: list[tuple[bytes, str]], rate: float,
                     concurrency: int) -> None:
    """As child_main, at ``rate`` POSTs per second; sends back a PacedResult."""
    conn.send("ready")
    conn.recv()
    started = time.perf_counter()
    retries, errors, lag = asyncio.run(_post_paced(url, posts, rate, concurrency))
    conn.send(PacedResult(len(posts), time.perf_counter() - started, retries, errors, lag))
    conn.close()


def drive_child(target: Callable[..., None], args: tuple[Any, ...], done: Callable[[], bool] | None,
                *, wait_s: float, on_timeout: str = "raise", poll_s: float = 0.005) -> tuple[float, Any]:
    """Run a load generator (``child_main`` or ``paced_child_main``) in a process of its own,
    so it is never the bottleneck; returns the seconds from "go" until ``done()`` holds, and
    what the child sent back. Past ``wait_s``: TimeoutError, or (``on_timeout="stop"``) the
    time so far, for a caller that reports what was not stored."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(child, *args), daemon=True)
    proc.start()
    try:
        if parent.recv() != "ready":
            raise RuntimeError("the load generator did not start")
        started = time.perf_counter()
        parent.send("go")
        result = parent.recv()
        if done is not None:
            deadline = time.monotonic() + wait_s
            while not done():
                if time.monotonic() > deadline:
                    if on_timeout == "stop":
                        break
                    raise TimeoutError(f"events were not all stored within {wait_s:g} s")
                time.sleep(poll_s)
        return time.perf_counter() - started, result
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
