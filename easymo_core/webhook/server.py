"""The receiver with its intake and socket, embedded (console, tests) or standalone."""

from __future__ import annotations

import os
import socket

from easymo_core.asgi_thread import ThreadedASGIServer
from easymo_core.storage.engine import Database
from easymo_core.webhook.app import create_app
from easymo_core.webhook.intake import STALL_AFTER_S, DurableIntake
from easymo_core.webhook.limits import DURABLE_TIMEOUT_S, ReceiverLimits, http_protocol


class WebhookServer:
    def __init__(
        self,
        db: Database,
        *,
        app_secret: str,
        verify_token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/webhook",
        max_queue: int = 1000,
        receiver_id: str | None = None,
        limits: ReceiverLimits | None = None,
        durable_timeout_s: float = DURABLE_TIMEOUT_S,
        stall_after_s: float = STALL_AFTER_S,
    ) -> None:
        self.path = path
        self.limits = limits or ReceiverLimits()
        self.intake = DurableIntake(
            db, receiver_id=receiver_id or f"{socket.gethostname()}:{os.getpid()}", max_queue=max_queue,
            stall_after_s=stall_after_s,
        )
        self.app = create_app(self.intake, app_secret=app_secret, verify_token=verify_token, path=path,
                              limits=self.limits, durable_timeout_s=durable_timeout_s)
        self._server = ThreadedASGIServer(self.app, host=host, port=port, name="webhook-receiver",
                                          http=http_protocol(self.limits))

    @property
    def url(self) -> str:
        return self._server.base_url + self.path

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def running(self) -> bool:
        return self._server.running

    def start(self) -> None:
        self.intake.start()
        self.intake.recover()
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
        self.intake.stop()
