"""The console's webhook indicator: an embedded receiver's stalled intake and the dead letters."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from app.session import ConsoleSession
from easymo_core.storage.engine import Database
from easymo_core.storage.types import utcnow
from easymo_core.webhook.intake import _dead_letter
from easymo_core.webhook.server import WebhookServer


def _session(db: Database, stack: Any) -> Any:
    session = ConsoleSession.__new__(ConsoleSession)
    session.services = SimpleNamespace(db=db)
    session.profile = SimpleNamespace(alert_webhook_lag_s=600)  # type: ignore[assignment]
    session.stack = stack
    session.external_stack = None
    return session


@pytest.mark.slow
def test_the_indicator_says_the_receiver_is_stalled_and_counts_dead_letters(db: Database) -> None:
    server = WebhookServer(db, app_secret="s", verify_token="v")
    server._server.start()  # the intake's writer not started: its health says so
    try:
        stack = SimpleNamespace(running=True, webhook=server, webhook_url=server.url)
        session = _session(db, stack)
        health = session.webhook_health()
        assert health.health == "error" and "writer is not running" in health.detail
        server.intake.start()
        assert session.webhook_health().health == "ok"
        with db.engine.begin() as conn:
            _dead_letter(conn, None, utcnow(), b"{}", "ValueError: x", 3)
        health = session.webhook_health()
        assert health.health == "warn" and "1 dead letter(s)" in health.detail
    finally:
        server.stop()
