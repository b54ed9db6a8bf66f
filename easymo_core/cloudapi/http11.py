"""HTTP/1.1 on the wire, for the lean transport: one request out, one response in.

Only what a client of a JSON API needs, done by the RFC 9112 rules: a response body framed
by Content-Length, by chunked transfer coding or by the connection's close; interim 1xx
responses skipped; no body after HEAD, 204 or 304; the connection kept unless the server
says close (or speaks HTTP/1.0 without keep-alive). Anything else is a protocol error,
raised as :class:`ProtocolError`, never guessed around.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
_RECV = 65536
_HEX = b"0123456789abcdefABCDEF"


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response we can read."""


class PeerClosed(ProtocolError):
    """The server closed the connection before a complete response."""


def encode_request(
    method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The request's bytes: one buffer, so headers and body leave in a single send."""
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    for name, value in headers:
        line = name + b": " + value
        if b"\r" in line or b"\n" in line:
            raise ValueError("a header name or value contains a line break")
        lines.append(line)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@dataclass
class Answer:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


class Reader:
    """Buffered reads from one socket; what is read past a response stays for the next."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    @property
    def pending(self) -> bool:
        return bool(self._buffer)

    def _fill(self) -> bool:
        data = self._sock.recv(_RECV)
        if not data:
            return False
        self._buffer += data
        return True

    def line_block(self, limit: int) -> bytes:
        """Everything up to and including the next blank line (the head of a message)."""
        start = 0
        while True:
            end = self._buffer.find(b"\r\n\r\n", start)
            if end >= 0:
                block = bytes(self._buffer[: end + 4])
                del self._buffer[: end + 4]
                return block
            if len(self._buffer) > limit:
                raise ProtocolError(f"the response head is over {limit} bytes")
            start = max(0, len(self._buffer) - 3)
            if not self._fill():
                if self._buffer:
                    raise PeerClosed("the server closed the connection mid-response")
                raise PeerClosed("the server closed the connection without answering")

    def line(self, limit: int) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            if len(self._buffer) > limit:
                raise ProtocolError("a chunk line is too long")
            if not self._fill():
                raise PeerClosed("the server closed the connection mid-response")

    def exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise PeerClosed(
                    f"the server closed the connection {size - len(self._buffer)} bytes "
                    "short of the announced body")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def until_close(self, limit: int) -> bytes:
        while self._fill():
            if len(self._buffer) > limit:
                raise ProtocolError(f"the response body is over {limit} bytes")
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def read_response(reader: Reader, method: str) -> Answer:
    while True:
        status, reason, version, headers = _parse_head(reader.line_block(MAX_HEAD_BYTES))
        if not 100 <= status < 200 or status == 101:
            break
        # An interim answer (100 Continue, 103 Early Hints): the real one follows.
    names = {name.lower(): value for name, value in headers}
    connection = names.get(b"connection", b"").lower()
    keep_alive = (b"close" not in connection if version == b"HTTP/1.1"
                  else b"keep-alive" in connection)
    if method == "HEAD" or status in (204, 304) or status < 200:
        return Answer(status, reason, headers, b"", keep_alive)
    coding = names.get(b"transfer-encoding")
    if coding is not None:
        if coding.lower().strip() != b"chunked":
            raise ProtocolError(f"transfer coding {coding.decode('latin-1')!r} is not supported")
        return Answer(status, reason, headers, _chunked(reader), keep_alive)
    length = names.get(b"content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise ProtocolError(f"Content-Length {length.decode('latin-1')!r} is not a number")
        size = int(length)
        if size > MAX_BODY_BYTES:
            raise ProtocolError(f"the response body is over {MAX_BODY_BYTES} bytes")
        return Answer(status, reason, headers, reader.exactly(size), keep_alive)
    return Answer(status, reason, headers, reader.until_close(MAX_BODY_BYTES), False)


def _parse_head(block: bytes) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
    lines = block[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return int(parts[1]), parts[2] if len(parts) > 2 else b"", parts[0], headers


def _chunked(reader: Reader) -> bytes:
    body = bytearray()
    while True:
        size_text = reader.line(1024).split(b";", 1)[0].strip()
        if not size_text or size_text.strip(_HEX):
            raise ProtocolError(f"bad chunk size {size_text[:20]!r}")
        size = int(size_text, 16)
        if size == 0:
            while reader.line(MAX_HEAD_BYTES):
                pass  # trailers: read past them, nothing of ours lives there
            return bytes(body)
        if len(body) + size > MAX_BODY_BYTES:
            raise ProtocolError(f"the response body is over {MAX_BODY_BYTES} bytes")
        body += reader.exactly(size)
        if reader.exactly(2) != b"\r\n":
            raise ProtocolError("a chunk does not end with CRLF")
