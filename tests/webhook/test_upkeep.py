"""The standalone receiver's upkeep: recovery of stored POSTs, the sweep of held statuses on
its interval, and a failing database reported once per cause while the receiver carries on."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from click import ClickException
from sqlalchemy.exc import OperationalError

from easymo_core.cli import webhook_cmd
from easymo_core.cli.webhook_cmd import run_upkeep
from easymo_core.messaging.ingest import SWEEP_INTERVAL_S
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import WebhookEvent
from easymo_core.storage.types import utcnow
from easymo_core.webhook.intake import DurableIntake
from tests.messaging.test_ingest import add_message, envelope, final_state, status


def test_upkeep_recovers_posts_and_sweeps_held_statuses_on_its_interval(db: Database) -> None:
    intake = DurableIntake(db)
    # A POST stored by a receiver that died before ingesting it.
    add_message(db, "wamid.u1")
    body = json.dumps(envelope([status("wamid.u1", "delivered", 2)])).encode()
    with db.session() as s:
        s.add(WebhookEvent(received_at=utcnow() - timedelta(minutes=5), body=body, receiver="crashed"))
    # A status held for a wamid that became known with nobody looking again.
    intake.ingest.ingest(parse_envelope(envelope([status("wamid.u2", "sent", 1)])))
    add_message(db, "wamid.u2")

    intake.upkeep(now=1000.0)
    assert final_state(db, "wamid.u1")[0] == "delivered"  # recovered
    assert final_state(db, "wamid.u2")[0] == "sent"  # swept

    intake.ingest.ingest(parse_envelope(envelope([status("wamid.u3", "sent", 1)])))
    add_message(db, "wamid.u3")
    intake.upkeep(now=1000.0 + SWEEP_INTERVAL_S - 1)
    assert final_state(db, "wamid.u3")[0] == "accepted"  # not yet: one sweep per interval
    intake.upkeep(now=1000.0 + SWEEP_INTERVAL_S)
    assert final_state(db, "wamid.u3")[0] == "sent"


class _FlakyIntake:
    def __init__(self, plan: list[Exception | None], stop: threading.Event) -> None:
        self.plan, self.stop, self.calls = plan, stop, 0

    def upkeep(self) -> None:
        self.calls += 1
        if self.calls >= len(self.plan):
            self.stop.set()
        step = self.plan[min(self.calls, len(self.plan)) - 1]
        if step is not None:
            raise step


class _Server:
    def __init__(self, intake: Any) -> None:
        self.intake, self.running = intake, True


def _refused() -> OperationalError:
    return OperationalError("SELECT ...", {}, Exception("connection refused: is the server running?"))


def test_a_failing_database_is_reported_once_per_cause_and_upkeep_goes_on(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log gets every failure; stderr, checked here whole, only what the operator reads.
    # (Handlers other tests' CLI runs left on the root logger write to their closed stderr.)
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    monkeypatch.setattr(webhook_cmd.log, "propagate", False)
    monkeypatch.setattr(webhook_cmd.log, "handlers", [handler])
    monkeypatch.setattr(webhook_cmd.log, "disabled", False)
    level = webhook_cmd.log.level
    webhook_cmd.log.setLevel(logging.DEBUG)
    try:
        stop = threading.Event()
        corrupt = OperationalError("SELECT ...", {}, Exception("file is not a database"))
        intake = _FlakyIntake([_refused(), _refused(), _refused(), corrupt, None, None], stop)
        run_upkeep(_Server(intake), "postgresql://easymo:s3cret@db.internal:5432/easymo", stop, interval_s=0.001)
        err = capsys.readouterr().err.splitlines()
        assert intake.calls == 6
        assert len(err) == 3, err
        assert err[0].startswith("warning: cannot reach PostgreSQL at") and "retrying every second" in err[0]
        assert "corrupt" in err[1]
        assert err[2] == "the database answers again: upkeep resumed"
        assert not any("s3cret" in line or "Traceback" in line for line in err)
    finally:
        webhook_cmd.log.setLevel(level)
    # Each cause, and the recovery, once at INFO; the repeats at DEBUG only.
    assert [r.levelno for r in logged] == [logging.INFO, logging.DEBUG, logging.DEBUG, logging.INFO,
                                           logging.INFO]
    assert not any("s3cret" in r.getMessage() for r in logged)


def test_upkeep_stops_when_the_receiver_dies() -> None:
    stop = threading.Event()
    server = _Server(_FlakyIntake([None] * 10, stop))
    server.running = False
    with pytest.raises(ClickException, match="stopped unexpectedly"):
        run_upkeep(server, "sqlite:///x.db", stop, interval_s=0.001)
