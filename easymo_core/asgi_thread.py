"""Run an ASGI app under uvicorn in a daemon thread: for the console's embedded servers and
test fixtures, which need a real socket without a process of their own."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class ThreadedASGIServer:
    """Starts uvicorn on ``host:port`` (port 0 picks a free one) and stops it on demand."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "asgi", http: Any = None
    ) -> None:
        self.app = app
        self.http = http  # a uvicorn HTTP protocol class, or None for uvicorn's own
        self.host = host
        self.port = port
        self.name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        # Binding here, before the thread starts, makes port 0 and "address in use" errors
        # visible to the caller at once instead of inside the thread.
        # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY on accepted connections only when
        # the listening socket's proto says TCP, and without it every keep-alive response
        # (headers, then body) waits ~40 ms for the peer's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
            # Listening here too: with SO_REUSEADDR two processes can both bind a free port,
            # and the second learns it lost only at listen(), which uvicorn calls in its thread.
            sock.listen(2048)
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        self.port = sock.getsockname()[1]
        self._sock = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            # One loop, no reload, no workers: this runs inside a bigger process.
            loop="asyncio",
            http=self.http or ("h11" if _no_httptools() else "auto"),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} server failed to start on {self.base_url}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} server did not start within {timeout:g} s")
            time.sleep(0.005)

    def stop(self, timeout: float = 2.0) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = None
        self._thread = None
        self._sock = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def _no_httptools() -> bool:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return True
    return False
