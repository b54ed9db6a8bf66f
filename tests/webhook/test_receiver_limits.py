"""What an unauthenticated client may cost the receiver: slow bodies, idle connections,
unsigned bytes held, aborted uploads. Limits are shrunk so each test takes about a second."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from easymo_core.storage.engine import Database
from easymo_core.webhook import signature
from easymo_core.webhook.limits import ReceiverLimits
from easymo_core.webhook.server import WebhookServer
from tests.messaging.test_ingest import envelope, status

SECRET = "test-app-secret"
pytestmark = pytest.mark.slow


@pytest.fixture
def sqlite_db(tmp_path: object) -> Iterator[Database]:
    from pathlib import Path

    from easymo_core.storage import migrate

    db = Database(f"sqlite:///{Path(str(tmp_path)) / 'limits.db'}")
    migrate.upgrade(db)
    try:
        yield db
    finally:
        db.dispose()


def _server(db: Database, **limits: float) -> WebhookServer:
    server = WebhookServer(db, app_secret=SECRET, verify_token="v", limits=ReceiverLimits(**limits))  # type: ignore[arg-type]
    server.start()
    return server


def _connect(server: WebhookServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])), timeout=5)
    return sock


def _closed(sock: socket.socket, within: float) -> bool:
    """True when the server closes ``sock`` (after whatever answer) within ``within`` s."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


def test_a_body_sent_one_byte_at_a_time_is_cut_off(sqlite_db: Database) -> None:
    server = _server(sqlite_db, body_timeout_s=0.5)
    try:
        sock = _connect(server)
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n")
        started = time.monotonic()
        answer = b""
        cut_off = False
        sock.settimeout(0.1)
        for _ in range(100):  # 10 s at least at this pace
            try:
                sock.send(b" ")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # reset: the server closed while bytes were still coming
                cut_off = True
                break
            if not chunk:
                cut_off = True
                break
            answer += chunk
        sock.close()
        assert cut_off and time.monotonic() - started < 5
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        server.stop()


def test_idle_connections_are_capped_and_closed(sqlite_db: Database) -> None:
    server = _server(sqlite_db, max_connections=3, header_timeout_s=0.5)
    try:
        idle = [_connect(server) for _ in range(3)]
        time.sleep(0.1)
        extra = _connect(server)
        assert _closed(extra, 2.0)  # over the cap: closed at once
        assert all(_closed(s, 3.0) for s in idle)  # no request headers in time: closed
        for s in [*idle, extra]:
            s.close()
        # The server still answers once they are gone.
        body = json.dumps(envelope([status("wamid.ok", "sent", 1)])).encode()
        r = httpx.post(server.url, content=body, headers={signature.HEADER: signature.sign(SECRET, body)})
        assert r.status_code == 200
    finally:
        server.stop()


def test_unsigned_bytes_held_at_once_are_capped(sqlite_db: Database) -> None:
    server = _server(sqlite_db, max_unverified_bytes=1000)
    try:
        body = b"{" + b" " * 5000 + b"}"
        r = httpx.post(server.url, content=body, headers={signature.HEADER: signature.sign(SECRET, body)})
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        small = json.dumps(envelope([status("wamid.s", "sent", 1)])).encode()
        r = httpx.post(server.url, content=small, headers={signature.HEADER: signature.sign(SECRET, small)})
        assert r.status_code == 200  # the count went back down
    finally:
        server.stop()


def test_an_aborted_upload_is_quiet(sqlite_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    server = _server(sqlite_db)
    try:
        with caplog.at_level(logging.DEBUG):
            sock = _connect(server)
            sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"object\":")
            time.sleep(0.1)
            sock.close()
            time.sleep(0.3)
            r = httpx.get(server.base_url + "/health")
        assert r.status_code == 200
        assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING or rec.exc_info]
    finally:
        server.stop()
