"""The webhook load generator of `easymo bench ingest`: every POST reaches the server once
it is acknowledged, 503s are retried, closed connections are reopened, other answers count
as errors. A bench whose client lost or doubled POSTs would report nonsense rates."""

from __future__ import annotations

import asyncio
from collections import Counter

from easymo_tools.bench.load import _post_all


async def _serve(answers: list[tuple[int, bool]], seen: Counter[bytes]) -> tuple[asyncio.Server, int]:
    """A server answering each request with the next (status, close) of ``answers``,
    then 200 keep-alive; it counts each body it acknowledged with 200."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                status, close = answers.pop(0) if answers else (200, False)
                if status == 200:
                    seen[body] += 1
                extra = b"Connection: close\r\n" if close else b""
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: 2\r\n%s\r\nok" % (status, extra))
                await writer.drain()
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _run(answers: list[tuple[int, bool]], n: int, concurrency: int) -> tuple[int, int, Counter[bytes]]:
    seen: Counter[bytes] = Counter()

    async def main() -> tuple[int, int]:
        server, port = await _serve(answers, seen)
        async with server:
            posts = [(b'{"n":%d}' % i, "sha256=x") for i in range(n)]
            return await _post_all(f"http://127.0.0.1:{port}/webhook", posts, concurrency)

    retries, errors = asyncio.run(main())
    return retries, errors, seen


def test_every_post_is_acknowledged_exactly_once() -> None:
    retries, errors, seen = _run([], 500, 8)
    assert (retries, errors) == (0, 0)
    assert len(seen) == 500 and set(seen.values()) == {1}


def test_refused_posts_are_retried_and_closed_connections_reopened() -> None:
    answers = [(503, False), (200, True), (503, True), (200, False), (200, True)]
    retries, errors, seen = _run(answers, 50, 2)
    assert (retries, errors) == (2, 0)
    assert len(seen) == 50 and set(seen.values()) == {1}


def test_an_answer_other_than_200_or_503_is_an_error() -> None:
    retries, errors, seen = _run([(400, False)], 10, 1)
    assert (retries, errors) == (0, 1)
    assert len(seen) == 9
