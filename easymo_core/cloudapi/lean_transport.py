"""An httpx transport of our own: HTTP/1.1 keep-alive on plain sockets, lean.

Why it exists: a template send is a few hundred bytes each way, and at Meta's ceiling of
1,000 messages/s per number the client's own Python cost decides whether the console keeps
up. httpx's default transport (httpcore and h11) spends about 0.5 ms of CPU per exchange and
``http.client`` about 0.3 ms (most of it parsing headers through the email package); this one
about 0.1 ms, all of it under the GIL that the processor's checks and records also need.
The wire format lives in ``http11``.

What it keeps: httpx's request and response types and its exception classes, raised for the
same phases (``ConnectError``/``ConnectTimeout`` before anything was sent, ``WriteError``/
``WriteTimeout`` while sending, ``ReadTimeout``/``RemoteProtocolError``/``ReadError`` after),
so the client's retry rules and its "sent or not" reasoning do not change. TLS uses httpx's
own default context (certifi, ``SSL_CERT_FILE``). Proxies are not handled here: the client
keeps httpx's transport when the environment names one (see :func:`proxy_applies`).

One pool of connections per transport: an idle connection is reused newest first; one the
server has closed meanwhile is noticed before reuse (its socket reads as ready) and replaced,
so a request is never written into a dead keep-alive connection that we could have seen.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from easymo_core.cloudapi.client_core import DEFAULT_MAX_CONNECTIONS
from easymo_core.cloudapi.http11 import ProtocolError, Reader, encode_request, read_response

# A connection idle longer than this is closed, not reused. Servers close idle keep-alive
# connections on their own clock (uvicorn, which serves our receiver and sandbox, after 5 s);
# a request written into one just as it closes fails with no answer, and for a send that
# means "outcome unknown". Staying under the server's timeout avoids that race.
DEFAULT_KEEPALIVE_EXPIRY = 4.0
_DEFAULT_PORTS = {"https": 443, "http": 80}

Origin = tuple[str, str, int]


def proxy_applies(url: str | httpx.URL) -> bool:
    """True when the environment routes ``url`` through a proxy (``HTTPS_PROXY`` etc.)."""
    url = httpx.URL(url)
    proxies = urllib.request.getproxies()
    if url.scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(url.host)


class LeanTransport(httpx.BaseTransport):
    """HTTP/1.1 over pooled keep-alive sockets, safe to share between threads."""

    def __init__(
        self, *, max_connections: int = DEFAULT_MAX_CONNECTIONS,
        ssl_context: ssl.SSLContext | None = None,
        keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._max = max_connections
        self._expiry = keepalive_expiry
        self._ssl = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open = 0
        self._closed = False
        self._cond = threading.Condition()

    # -- httpx.BaseTransport ------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"cannot send to a {url.scheme!r} URL")
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = request.read()
        wire = encode_request(request.method, url.raw_path, request.headers.raw, body)
        conn = self._acquire(origin, timeouts.get("pool"))
        reusable = False
        try:
            sock, reader = conn.ready(timeouts.get("connect"))
            with _phase(httpx.WriteTimeout, httpx.WriteError):
                sock.settimeout(timeouts.get("write"))
                sock.sendall(wire)
            with _phase(httpx.ReadTimeout, httpx.ReadError):
                sock.settimeout(timeouts.get("read"))
                answer = read_response(reader, request.method)
            # Bytes past the response would be an answer to nothing: not a connection to reuse.
            reusable = answer.keep_alive and not reader.pending
            return httpx.Response(
                answer.status,
                headers=answer.headers,
                stream=httpx.ByteStream(answer.body),
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
                request=request,
            )
        finally:
            self._release(origin, conn, reusable)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle = [c for conns in self._idle.values() for c in conns]
            self._idle.clear()
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()

    # -- the pool -----------------------------------------------------------------------

    def _acquire(self, origin: Origin, timeout: float | None) -> _Connection:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise httpx.ConnectError("the client was closed")
                idle = self._idle.get(origin)
                while idle:
                    conn = idle.pop()
                    if time.monotonic() - conn.idle_since <= self._expiry:
                        return conn
                    conn.close()  # idle too long: the server may be closing it right now
                    self._open -= 1
                if self._open < self._max:
                    self._open += 1
                    break
                if self._evict_other_origin(origin):
                    break  # the closed connection's place is ours
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise httpx.PoolTimeout(
                        f"all {self._max} connections stayed busy for {timeout} s")
                self._cond.wait(left)
        try:
            return self._new_connection(origin)
        except BaseException:
            self._release(origin, None, False)
            raise

    def _evict_other_origin(self, origin: Origin) -> bool:
        """Close an idle connection to another host to make room; caller holds the lock."""
        for other, conns in self._idle.items():
            if other != origin and conns:
                conns.pop(0).close()
                return True
        return False

    def _release(
        self, origin: Origin, conn: _Connection | None, reusable: bool
    ) -> None:
        with self._cond:
            if conn is not None and reusable and not self._closed:
                conn.idle_since = time.monotonic()
                self._idle.setdefault(origin, []).append(conn)
            else:
                if conn is not None:
                    conn.close()
                self._open -= 1
            self._cond.notify()

    def _new_connection(self, origin: Origin) -> _Connection:
        context = None
        if origin[0] == "https":
            context = self._ssl if self._ssl is not None else _default_ssl_context()
        return _Connection(origin[1], origin[2], context)


class _Connection:
    """One socket to one origin, connected on first use and again after the server closed it."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None) -> None:
        self.host, self.port, self.context = host, port, context
        self.sock: socket.socket | None = None
        self.reader: Reader | None = None
        self.idle_since = 0.0

    def ready(self, connect_timeout: float | None) -> tuple[socket.socket, Reader]:
        """Connected, on a socket the server has not closed meanwhile."""
        if self.sock is not None and _closed_by_peer(self.sock):
            self.close()
        if self.sock is None:
            with _phase(httpx.ConnectTimeout, httpx.ConnectError):
                sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    if self.context is not None:
                        sock = self.context.wrap_socket(sock, server_hostname=self.host)
                except BaseException:
                    sock.close()
                    raise
            self.sock, self.reader = sock, Reader(sock)
        assert self.reader is not None
        return self.sock, self.reader

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = self.reader = None


_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()


def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: once per process, not per connection.
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def _closed_by_peer(sock: socket.socket) -> bool:
    # An idle keep-alive socket has nothing to read; readable means EOF (or stray bytes).
    # selectors picks epoll / kqueue / select by platform: select.poll does not exist on
    # Windows, and plain select refuses descriptors above 1024 on Linux, which a long-running
    # console with many files open can reach.
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            return bool(selector.select(0))
    except (OSError, ValueError):
        return True


@contextmanager
def _phase(timeout_error: type[httpx.TimeoutException],
           other_error: type[httpx.TransportError]) -> Iterator[None]:
    """The standard library's failures as httpx's, for the phase they happened in."""
    try:
        yield
    except TimeoutError as exc:
        raise timeout_error(str(exc) or "timed out") from exc
    except ProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc)) from exc
    except (OSError, ssl.SSLError) as exc:
        raise other_error(str(exc) or type(exc).__name__) from exc


def make_transport(url: str, max_connections: int) -> httpx.BaseTransport | None:
    """The lean transport for ``url``, or None where httpx's own must serve (a proxy)."""
    if proxy_applies(url):
        return None
    return LeanTransport(max_connections=max_connections)


__all__ = ["LeanTransport", "make_transport", "proxy_applies"]
