"""The sandbox stack when its default ports are taken, even between check and listen."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from easymo_core.config import sandbox_profile
from easymo_core.runtime import sandbox_stack as ss
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'stack.db'}")
    migrate.upgrade(database)
    yield database
    database.dispose()


def _held_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_default_ports_taken_after_the_check_fall_back_to_any_free_port(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two consoles starting at once: both find the default ports free, one listens first.
    The other must start on other ports, not fail (CI once saw "could not listen on 8765")."""
    held = {name: _held_port() for name in ("WEBHOOK_PORT", "SANDBOX_PORT")}
    for name, sock in held.items():
        monkeypatch.setattr(ss.sd, name, sock.getsockname()[1])
    monkeypatch.setattr(ss, "_free_or_zero", lambda port: port)  # the check saw them free
    stack = ss.SandboxStack(sandbox_profile(), db=db)
    try:
        stack.start()
        assert stack.webhook is not None and stack.sandbox is not None
        assert stack.webhook.base_url.rsplit(":", 1)[1] != str(ss.sd.WEBHOOK_PORT)
        assert stack.sandbox.port != ss.sd.SANDBOX_PORT
        assert httpx.get(stack.webhook.base_url + "/health", timeout=5).status_code == 200
        assert stack.webhook.intake.stats.received == 0
    finally:
        stack.stop()
        for sock in held.values():
            sock.close()
