"""The sandbox profile's moving parts on loopback: the Cloud API stand-in, the webhook
receiver writing into the profile's database, and the simulated users behind the sandbox.

With this running, every screen of the console has live data on a fresh machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from easymo_core.config import sandbox_defaults as sd
from easymo_core.config.profile import Profile
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.server import SandboxServer, SandboxStartError
from easymo_core.storage.engine import Database
from easymo_core.storage.open import open_database
from easymo_core.webhook.server import WebhookServer

log = logging.getLogger(__name__)
_S = TypeVar("_S")


class SandboxStack:
    def __init__(self, profile: Profile, *, db: Database | None = None, **sandbox_options: Any) -> None:
        if not profile.is_sandbox:
            raise ValueError("the sandbox stack runs only for a sandbox profile")
        self.profile = profile
        self._own_db = db is None
        self.db = db or open_database(profile)
        self.sandbox_options = sandbox_options
        self.webhook: WebhookServer | None = None
        self.sandbox: SandboxServer | None = None
        self.services: Any = None  # easymo_core.services.Services answering flows

    @property
    def graph_url(self) -> str:
        assert self.sandbox is not None, "start() first"
        return self.sandbox.base_url

    @property
    def webhook_url(self) -> str:
        assert self.webhook is not None, "start() first"
        return self.webhook.url

    def profile_in_use(self) -> Profile:
        """The profile with the ports actually bound (a default port may have been taken)."""
        return replace(self.profile, graph_url=self.graph_url)

    def start(self) -> None:
        webhook = _on_default_port_or_any(sd.WEBHOOK_PORT, self._start_webhook, OSError)
        self.webhook = webhook
        try:
            sandbox = _on_default_port_or_any(
                sd.SANDBOX_PORT, lambda port: self._start_sandbox(port, webhook.url), SandboxStartError)
        except BaseException:
            webhook.stop()
            raise
        self.sandbox = sandbox
        try:
            self._start_flows()
        except BaseException:
            self.stop()
            raise
        log.info("sandbox on %s, webhooks to %s", sandbox.base_url, webhook.url)

    def _start_webhook(self, port: int) -> WebhookServer:
        webhook = WebhookServer(
            self.db,
            app_secret=sd.SANDBOX_APP_SECRET,
            verify_token=self.profile.verify_token,
            port=port,
            receiver_id="embedded",
        )
        try:
            webhook.start()
        except BaseException:
            webhook.stop()
            raise
        return webhook

    def _start_sandbox(self, port: int, webhook_url: str) -> SandboxServer:
        sandbox = SandboxServer(SandboxConfig(
            port=port,
            webhook_url=webhook_url,
            phone_number_id=self.profile.phone_number_id,
            waba_id=self.profile.waba_id,
            **self.sandbox_options,
        ))
        sandbox.start()
        return sandbox

    def _start_flows(self) -> None:
        """Conversation flows answer the simulated users' messages as this receiver ingests
        them (the console's own process only reads the database)."""
        from easymo_core.services import Services

        assert self.webhook is not None
        self.services = Services.open(self.profile_in_use(), db=self.db)
        self.services.flows.attach(self.webhook.intake.ingest)
        self.services.flows.start_background()

    def stop(self) -> None:
        if self.services is not None:
            self.services.flows.stop()
            self.services.client.close()  # not close(): the database is the stack's
            self.services = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self.webhook is not None:
            self.webhook.stop()
            self.webhook = None
        if self._own_db:
            self.db.dispose()


def _on_default_port_or_any(port: int, start: Callable[[int], _S], taken: type[Exception]) -> _S:
    """Started on the default ``port`` when it is free, else on any free port.

    The check and the bind are two steps: another process (a second console starting at
    the same moment) can take the port between them, and then ``start`` raises ``taken``.
    """
    first = _free_or_zero(port)
    try:
        return start(first)
    except taken:
        if first == 0:
            raise
        log.info("port %d was taken while starting; using any free port", port)
        return start(0)


def _free_or_zero(port: int) -> int:
    """The default port when it is free, else 0 (any free port): a second console, or a
    sandbox already started from the CLI, must not stop this one from starting."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((sd.SANDBOX_HOST, port))
        except OSError:
            return 0
    return port
