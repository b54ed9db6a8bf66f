"""The lean transport against servers that answer byte for byte as scripted: framing
(length, chunked, until close), interim answers, keep-alive and a server that closes an idle
connection, failures raised as httpx's exceptions for the right phase, the pool, TLS."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
import trustme

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.errors import SendOutcomeUnknown
from easymo_core.cloudapi.lean_transport import LeanTransport, make_transport, proxy_applies
from easymo_core.cloudapi.pacing import UNLIMITED
from easymo_core.cloudapi.retry import RetryPolicy

from .fakes import PHONE_ID, TO, TOKEN, WABA_ID

TIMEOUT = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}

# A connection's script: called with the accepted socket and a reader of request heads.
Script = Callable[[socket.socket, Callable[[], bytes | None]], None]


class RawServer:
    """Accepts connections on 127.0.0.1 and runs one script per connection, in order (the
    last one for every connection after that)."""

    def __init__(self, scripts: list[Script], context: ssl.SSLContext | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._scripts = scripts
        self._context = context
        self.connections = 0
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            script = self._scripts[min(self.connections, len(self._scripts) - 1)]
            self.connections += 1
            threading.Thread(target=self._run, args=(sock, script), daemon=True).start()

    def _run(self, sock: socket.socket, script: Script) -> None:
        if self._context is not None:
            try:
                sock = self._context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                return
        buffer = bytearray()

        def next_request() -> bytes | None:
            while b"\r\n\r\n" not in buffer:
                data = sock.recv(65536)
                if not data:
                    return None
                buffer.extend(data)
            end = buffer.index(b"\r\n\r\n") + 4
            head = bytes(buffer[:end])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(buffer) < end + length:
                buffer.extend(sock.recv(65536))
            request = bytes(buffer[: end + length])
            del buffer[: end + length]
            self.requests.append(request)
            return request

        try:
            script(sock, next_request)
        except OSError:
            pass
        finally:
            sock.close()

    def url(self, path: str = "/v23.0/1/messages", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}" if scheme == "http" else \
            f"{scheme}://localhost:{self.port}{path}"

    def close(self) -> None:
        self._listener.close()


@contextmanager
def raw_server(*scripts: Script, context: ssl.SSLContext | None = None) -> Iterator[RawServer]:
    server = RawServer(list(scripts), context)
    try:
        yield server
    finally:
        server.close()


def answer(body: bytes = b'{"ok":true}', head: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n" + head + b"\r\n" + body)


def serve_forever(reply: bytes) -> Script:
    def script(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        while next_request() is not None:
            sock.sendall(reply)
    return script


def post(transport: httpx.BaseTransport, url: str, body: bytes = b'{"a":1}',
         method: str = "POST") -> httpx.Response:
    request = httpx.Request(method, url, content=body if method == "POST" else None,
                            headers={"Content-Type": "application/json"},
                            extensions={"timeout": TIMEOUT})
    response = transport.handle_request(request)
    response.read()
    return response


def test_keep_alive_reuses_one_connection_and_sends_the_request_as_given() -> None:
    with raw_server(serve_forever(answer())) as server, LeanTransport() as transport:
        for _ in range(5):
            response = post(transport, server.url("/v23.0/1/messages?x=1"))
            assert response.status_code == 200 and response.json() == {"ok": True}
        assert server.connections == 1
        first = server.requests[0]
        assert first.startswith(b"POST /v23.0/1/messages?x=1 HTTP/1.1\r\n")
        assert b"\r\nHost: 127.0.0.1:" in first and b"\r\nContent-Length: 7\r\n" in first
        assert first.endswith(b'\r\n\r\n{"a":1}')


def test_chunked_body_with_extensions_and_trailers() -> None:
    reply = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"5;name=x\r\n{\"ok\"\r\n6\r\n:true}\r\n0\r\nX-Trailer: 1\r\n\r\n")
    with raw_server(serve_forever(reply)) as server, LeanTransport() as transport:
        assert post(transport, server.url()).json() == {"ok": True}
        assert post(transport, server.url()).json() == {"ok": True}  # framing left it clean
        assert server.connections == 1


def test_gzip_body_is_decoded_and_interim_answers_are_skipped() -> None:
    body = gzip.compress(b'{"ok":1}')
    reply = (b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
             + answer(body, b"Content-Encoding: gzip\r\n"))
    with raw_server(serve_forever(reply)) as server, LeanTransport() as transport:
        assert post(transport, server.url()).json() == {"ok": 1}


def test_body_until_close_and_connection_close_open_a_new_connection() -> None:
    def until_close(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()
        sock.sendall(b"HTTP/1.1 200 OK\r\n\r\n{\"n\":1}")

    def says_close(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()
        sock.sendall(answer(b'{"n":2}', b"Connection: close\r\n"))

    with raw_server(until_close, says_close, serve_forever(answer(b'{"n":3}'))) as server, \
            LeanTransport() as transport:
        assert [post(transport, server.url()).json()["n"] for _ in range(4)] == [1, 2, 3, 3]
        assert server.connections == 3


def test_head_and_204_have_no_body() -> None:
    def script(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")  # HEAD: length, no body
        next_request()
        sock.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        serve_forever(answer())(sock, next_request)

    with raw_server(script) as server, LeanTransport() as transport:
        assert post(transport, server.url(), method="HEAD").content == b""
        assert post(transport, server.url()).status_code == 204
        assert post(transport, server.url()).json() == {"ok": True}
        assert server.connections == 1


def test_an_idle_connection_the_server_closed_is_replaced_before_writing() -> None:
    def once_then_close(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()
        sock.sendall(answer())  # keep-alive promised, then the server's idle timeout

    with raw_server(once_then_close, serve_forever(answer(b'{"n":2}'))) as server, \
            LeanTransport() as transport:
        assert post(transport, server.url()).json() == {"ok": True}
        wait_until(lambda: server.connections == 1 and len(server.requests) == 1)
        threading.Event().wait(0.1)  # let the close reach our socket
        assert post(transport, server.url()).json() == {"n": 2}
        assert server.connections == 2 and len(server.requests) == 2


def test_a_connection_idle_past_the_expiry_is_not_reused() -> None:
    # Reusing it would race the server's own idle timeout (uvicorn: 5 s): a send written
    # into a connection the server is closing ends with no answer, "outcome unknown".
    with raw_server(serve_forever(answer())) as server, \
            LeanTransport(keepalive_expiry=0.2) as transport:
        post(transport, server.url())
        post(transport, server.url())
        assert server.connections == 1
        threading.Event().wait(0.3)
        post(transport, server.url())
        assert server.connections == 2


@pytest.mark.parametrize(("reply", "error"), [
    (b"", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"short\"", httpx.RemoteProtocolError),
    (b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nBad header\r\n\r\n", httpx.RemoteProtocolError),
])
def test_broken_answers_are_protocol_errors_and_the_connection_is_dropped(
    reply: bytes, error: type[Exception]
) -> None:
    def broken(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()
        sock.sendall(reply)

    with raw_server(broken, serve_forever(answer())) as server, LeanTransport() as transport:
        with pytest.raises(error):
            post(transport, server.url())
        assert post(transport, server.url()).json() == {"ok": True}
        assert server.connections == 2


def test_a_silent_server_is_a_read_timeout() -> None:
    release = threading.Event()

    def silent(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()
        release.wait(5)

    with raw_server(silent) as server, LeanTransport() as transport:
        request = httpx.Request("POST", server.url(), content=b"{}",
                                extensions={"timeout": {**TIMEOUT, "read": 0.2}})
        with pytest.raises(httpx.ReadTimeout):
            transport.handle_request(request)
        release.set()


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with LeanTransport() as transport, pytest.raises(httpx.ConnectError):
        post(transport, f"http://127.0.0.1:{port}/x")


def test_other_schemes_are_refused() -> None:
    with LeanTransport() as transport, pytest.raises(httpx.UnsupportedProtocol):
        transport.handle_request(httpx.Request("GET", "ftp://127.0.0.1/x"))


def test_the_pool_waits_for_a_free_connection_then_times_out() -> None:
    release = threading.Event()

    def slow(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        while next_request() is not None:
            release.wait(5)
            sock.sendall(answer())

    with raw_server(slow) as server, LeanTransport(max_connections=1) as transport, \
            ThreadPoolExecutor(1) as pool:
        first = pool.submit(post, transport, server.url())
        wait_until(lambda: len(server.requests) == 1)
        request = httpx.Request("POST", server.url(), content=b"{}",
                                extensions={"timeout": {**TIMEOUT, "pool": 0.2}})
        with pytest.raises(httpx.PoolTimeout):
            transport.handle_request(request)
        release.set()
        assert first.result(5).status_code == 200
        assert post(transport, server.url()).status_code == 200  # the freed connection
        assert server.connections == 1


def test_many_threads_share_the_pool_and_each_gets_its_own_answer() -> None:
    def echo(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        while (request := next_request()) is not None:
            sock.sendall(answer(request.split(b"\r\n\r\n", 1)[1]))

    with raw_server(echo) as server, LeanTransport(max_connections=8) as transport, \
            ThreadPoolExecutor(16) as pool:
        bodies = [b'{"i":%d}' % i for i in range(400)]
        answers = list(pool.map(lambda b: post(transport, server.url(), b).content, bodies))
        assert answers == bodies
        assert server.connections <= 8


def test_tls_verifies_the_server_against_the_given_authority() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with raw_server(serve_forever(answer()), context=server_context) as server:
        with LeanTransport(ssl_context=client_context) as transport:
            assert post(transport, server.url(scheme="https")).json() == {"ok": True}
            assert post(transport, server.url(scheme="https")).json() == {"ok": True}
        assert server.connections == 1
        # Without the authority the certificate is refused before anything is sent.
        with LeanTransport(ssl_context=ssl.create_default_context()) as transport, \
                pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            post(transport, server.url(scheme="https"))
        assert len(server.requests) == 2


def test_a_closed_transport_refuses_new_requests() -> None:
    with raw_server(serve_forever(answer())) as server:
        transport = LeanTransport()
        post(transport, server.url())
        transport.close()
        with pytest.raises(httpx.ConnectError, match="closed"):
            post(transport, server.url())


def test_a_proxy_in_the_environment_keeps_httpx_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert not proxy_applies("https://graph.facebook.com")
    assert isinstance(make_transport("https://graph.facebook.com", 4), LeanTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert proxy_applies("https://graph.facebook.com")
    assert make_transport("https://graph.facebook.com", 4) is None
    monkeypatch.setenv("NO_PROXY", "graph.facebook.com")
    assert not proxy_applies("https://graph.facebook.com")


def test_the_client_sends_through_it_and_a_dropped_answer_stays_unknown(retry: RetryPolicy) -> None:
    def drop_first(sock: socket.socket, next_request: Callable[[], bytes | None]) -> None:
        next_request()  # read, then close without a word: it may have been sent

    wamid = b'{"messaging_product":"whatsapp","contacts":[],"messages":[{"id":"wamid.X"}]}'
    with raw_server(drop_first, serve_forever(answer(wamid))) as server, CloudAPIClient(
        access_token=TOKEN, phone_number_id=PHONE_ID, waba_id=WABA_ID,
        base_url=f"http://127.0.0.1:{server.port}", retry=retry, pacer=UNLIMITED,
    ) as client:
        with pytest.raises(SendOutcomeUnknown):
            client.send_text(TO, "hi", idempotency_key="k1")
        assert len(server.requests) == 1  # never re-sent by the client itself
        assert client.send_text(TO, "again").wamid == "wamid.X"
        sent = server.requests[1]
        assert sent.startswith(f"POST /v23.0/{PHONE_ID}/messages HTTP/1.1".encode())
        assert f"authorization: bearer {TOKEN}".lower().encode() in sent.lower()


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")
