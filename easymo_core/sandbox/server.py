"""Run the sandbox: uvicorn in a daemon thread, started and stopped from any thread.

    srv = SandboxServer(SandboxConfig(port=0, unlimited=True, webhook_url=None))
    srv.start()              # returns once listening; srv.base_url = "http://127.0.0.1:PORT"
    ...
    srv.stop()               # within about a second; pending webhook deliveries stop too
"""

from __future__ import annotations

import contextlib
import threading
import time

import uvicorn

from easymo_core.errors import EasymoError
from easymo_core.sandbox.app import build_app
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.runtime import SandboxRuntime
from easymo_core.sandbox.state import SandboxState

STOP_TIMEOUT = 2.0


class SandboxStartError(EasymoError):
    """The sandbox could not start listening."""


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.runtime = SandboxRuntime(self.config)
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SandboxState:
        """The in-memory state; read it between requests, it lives on the server's thread."""
        return self.runtime.state

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self.config.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; returns when requests are accepted."""
        if self.running:
            return
        uv_config = uvicorn.Config(
            build_app(self.runtime),
            host=self.config.host,
            port=self.config.port,
            loop="asyncio",
            lifespan="on",
            log_config=None,  # leave the host program's logging alone
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(uv_config)

        def run() -> None:
            with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind; start() reports it
                server.run()

        thread = threading.Thread(target=run, name="easymo-sandbox", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise SandboxStartError(
                    f"the sandbox could not listen on {self.config.host}:{self.config.port}",
                    hint="is another sandbox running there? choose another --port",
                )
            time.sleep(0.005)
        self.port = server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop serving, cancel webhook deliveries, and wait for the thread to end."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(STOP_TIMEOUT)
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
