"""`easymo webhook dead-letters [--json]` and `easymo webhook replay ID|--all`."""

from __future__ import annotations

import json

import pytest

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.storage.engine import Database
from easymo_core.storage.types import utcnow
from easymo_core.webhook.intake import _dead_letter
from tests.messaging.test_ingest import add_message, envelope, final_state, status


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_and_replay(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    db = Database(db_url)
    try:
        good = json.dumps(envelope([status("wamid.cli1", "delivered", 2)])).encode()
        with db.engine.begin() as conn:
            _dead_letter(conn, 7, utcnow(), good, "ValueError: was broken", 3)
            _dead_letter(conn, 8, utcnow(), b"not json", "JSONDecodeError: no", 1)
        code, out, _ = run(capsys, "--db-url", db_url, "webhook", "dead-letters")
        assert code == 0 and "was broken" in out and "2 dead letter(s)" in out
        code, out, _ = run(capsys, "--db-url", db_url, "webhook", "dead-letters", "--json")
        letters = json.loads(out)
        assert [d["event_id"] for d in letters] == [7, 8] and letters[0]["body"] == good.decode()
        code, _, err = run(capsys, "--db-url", db_url, "webhook", "replay")
        assert code == 2 and "--all" in err
        add_message(db, "wamid.cli1")
        code, out, _ = run(capsys, "--db-url", db_url, "webhook", "replay", str(letters[0]["id"]))
        assert code == 0 and "1 replayed, 0 failed" in out
        assert final_state(db, "wamid.cli1")[0] == "delivered"
        code, out, _ = run(capsys, "--db-url", db_url, "webhook", "replay", "--all")
        assert code == 1 and "failed again" in out and "0 replayed, 1 failed" in out
        code, out, _ = run(capsys, "--db-url", db_url, "webhook", "dead-letters", "--json")
        assert [d["event_id"] for d in json.loads(out)] == [8]
        code, _, err = run(capsys, "--db-url", db_url, "webhook", "replay", "999")
        assert code == 1 and "no dead letter 999" in err and "Traceback" not in err
    finally:
        db.dispose()
