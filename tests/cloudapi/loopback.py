"""A tiny scripted HTTP/1.1 server on 127.0.0.1, for what only real sockets show:
timeouts, dropped connections, connection reuse."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# What the server does with each request, in order; "ok" once the script runs out.
OK, HANG, DROP = "ok", "hang", "drop"


class _Handler(socketserver.StreamRequestHandler):
    server: LoopbackServer

    def handle(self) -> None:
        self.server.note_connection()
        while True:
            head = self._read_head()
            if head is None:
                return
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = self.rfile.read(length) if length else b""
            action = self.server.record(head[0], body)
            if action == DROP:
                return
            if action == HANG:
                self.server.release.wait(10)
                return
            self._answer(body)

    def _read_head(self) -> list[str] | None:
        lines: list[str] = []
        while True:
            raw = self.rfile.readline(65537)
            if not raw:
                return None
            line = raw.decode("latin-1").rstrip("\r\n")
            if not line:
                return lines if lines else None
            lines.append(line)

    def _answer(self, body: bytes) -> None:
        to = json.loads(body).get("to", "") if body.startswith(b"{") else ""
        payload = json.dumps({
            "messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.LOOP{self.server.count}"}],
            "id": "1", "display_phone_number": "+1 555 010 0001",
        }).encode()
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        self.wfile.flush()


class LoopbackServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many concurrent async connections must not overflow the backlog

    def __init__(self, script: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = list(script)
        self.requests: list[tuple[str, bytes]] = []
        self.connections = 0
        self.release = threading.Event()
        self._lock = threading.Condition()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def count(self) -> int:
        return len(self.requests)

    def note_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def record(self, request_line: str, body: bytes) -> str:
        with self._lock:
            self.requests.append((request_line, body))
            self._lock.notify_all()
            return self.script.pop(0) if self.script else OK

    def wait_for(self, n: int, timeout: float = 5.0) -> int:
        """The request count once it reached ``n`` (or the timeout passed)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.requests) >= n, timeout)
            return len(self.requests)


@contextmanager
def loopback(*script: str) -> Iterator[LoopbackServer]:
    server = LoopbackServer(list(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
