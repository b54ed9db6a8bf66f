"""A webhook load generator that runs in a process of its own.

It plays Meta: signed POSTs, several in flight at once, a retry after 503 (Meta retries
what was not acknowledged). Kept free of the project's heavy imports so the child process
starts fast and the GIL it holds is not the server's.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import httpx

RETRY_DELAY_S = 0.02
MAX_ATTEMPTS = 50


@dataclass
class LoadResult:
    posts: int
    seconds: float
    retries: int
    errors: int


async def _post_all(url: str, posts: list[tuple[bytes, str]], concurrency: int) -> tuple[int, int]:
    retries = errors = 0
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in posts:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            nonlocal retries, errors
            while True:
                try:
                    body, sig = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                for _attempt in range(MAX_ATTEMPTS):
                    response = await client.post(
                        url,
                        content=body,
                        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig},
                    )
                    if response.status_code == 200:
                        break
                    if response.status_code != 503:
                        errors += 1
                        break
                    retries += 1
                    await asyncio.sleep(RETRY_DELAY_S)
                else:
                    errors += 1

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
