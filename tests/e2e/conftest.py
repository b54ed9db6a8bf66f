"""The whole stack on loopback: sandbox Cloud API -> signed webhooks -> receiver -> database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from easymo_core.config import sandbox_defaults as sd
from easymo_core.config import sandbox_profile
from easymo_core.config.profile import Profile
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.server import SandboxServer
from easymo_core.services import Services
from easymo_core.storage.engine import Database
from easymo_core.webhook.server import WebhookServer

# Fast, deterministic timings so a test sees a message reach read in well under a second.
FAST = dict(
    sent_delay=(0.01, 0.03), delivered_delay=(0.02, 0.05), read_delay=(0.02, 0.06),
    failure_rate=0.0, read_rate=1.0, reply_rate=0.0, review_delay=0.2,
)


class Stack:
    def __init__(self, db: Database, **sandbox: Any) -> None:
        self.db = db
        self.webhook = WebhookServer(db, app_secret=sd.SANDBOX_APP_SECRET, verify_token=sd.SANDBOX_VERIFY_TOKEN)
        self.webhook.start()
        self.sandbox = SandboxServer(SandboxConfig(port=0, webhook_url=self.webhook.url, **{**FAST, **sandbox}))
        self.sandbox.start()
        self.profile: Profile = replace(sandbox_profile(), db_url=db.url, graph_url=self.sandbox.base_url)
        self.services = Services.open(self.profile, db=db)

    def control(self, path: str, **body: Any) -> Any:
        r = httpx.post(f"{self.sandbox.base_url}/_sandbox/{path}", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def log(self) -> Any:
        r = httpx.get(f"{self.sandbox.base_url}/_sandbox/log", timeout=10)
        r.raise_for_status()
        return r.json()

    def close(self) -> None:
        self.services.client.close()
        self.sandbox.stop()
        self.webhook.stop()


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    s = Stack(db)
    try:
        yield s
    finally:
        s.close()


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def cli_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The built-in sandbox profile pointed at this test's stack, for CLI commands."""
    monkeypatch.setenv("EASYMO_GRAPH_URL", stack.sandbox.base_url)
    monkeypatch.setenv("EASYMO_DB_URL", stack.db.url)
    return stack


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``easymo ARGS`` as its entry point runs them: (exit code, stdout, stderr)."""
    from easymo_core.cli.context import run_guarded
    from easymo_core.cli.main import cli

    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err
