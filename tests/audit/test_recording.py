"""What the audit log records: sends, bulk runs, template submits and deletes, profile and
secret changes (names only), and `easymo audit` reading them back."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from easymo_core.audit import AuditEntry, since
from easymo_core.storage.engine import Database
from tests.conftest import MemoryKeyring
from tests.e2e.conftest import Stack, run
from tests.e2e.test_cli_send import TEMPLATE, write_csv
from tests.templates.helpers import definition

pytestmark = pytest.mark.slow  # the sandbox and the receiver run for most of them


def entries(db: Database, action: str | None = None) -> list[AuditEntry]:
    with db.engine.connect() as conn:
        found = since(conn, None)
    return [e for e in found if action is None or e.action == action]


def test_a_send_is_recorded_with_its_key_in_the_same_transaction(stack: Stack) -> None:
    outcome = stack.services.processor.send_text("+15550001111", "hello", idempotency_key="k-1")
    again = stack.services.processor.send_text("+15550001111", "hello", idempotency_key="k-1")
    assert again.message_id == outcome.message_id
    [entry] = entries(stack.db)  # the repeat sent nothing, so recorded nothing
    assert (entry.action, entry.target, entry.profile) == ("message.send", "15550001111", "sandbox")
    assert entry.waba_id == stack.profile.waba_id
    assert entry.detail == {"message_id": outcome.message_id, "idempotency_key": "k-1", "type": "text",
                            "source": "cli"}
    assert "hello" not in json.dumps(entry.detail)


def test_a_bulk_run_is_two_entries_with_counts_not_one_per_recipient(
    cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.csv"
    write_csv(path, [f"+1555040{i:04d}" for i in range(4)])
    code, _, err = run(capsys, "send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1],
                         "--csv", str(path))
    assert code == 0, err
    found = entries(cli_env.db)
    assert [e.action for e in found] == ["bulk.finish", "bulk.start"]
    finish, start = found
    assert start.detail is not None and finish.detail is not None
    assert start.detail["recipients"] == 4 and start.detail["csv"] == "r.csv"
    assert start.detail["template"] == f"{TEMPLATE[0]} ({TEMPLATE[1]})" and not start.detail["resumed"]
    assert finish.detail["status"] == "done" and finish.detail["counts"] == {"sent": 4}
    assert start.target == finish.target == f"bulk job {start.detail['job']}"


def test_template_submit_and_delete(stack: Stack) -> None:
    templates = stack.services.templates
    templates.create(definition(name="audit_probe"))
    templates.delete("audit_probe")
    deleted, submitted = entries(stack.db)
    assert (submitted.action, submitted.target) == ("template.submit", "audit_probe")
    assert submitted.detail is not None and submitted.detail["language"] == "en_US"
    assert (deleted.action, deleted.target) == ("template.delete", "audit_probe")
    assert deleted.detail == {"languages": ["en_US"], "at_meta": True}


def test_profile_and_secret_changes_name_no_value(
    db: Database, capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add = ("profile", "add", "prod", "--phone-number-id", "123", "--waba-id", "456", "--db-url", db.url)
    assert run(capsys, *add)[0] == 0
    assert run(capsys, *add, "--replace", "--graph-version", "v99.0")[0] == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cr3t-token-value\n"))
    code, _, err = run(capsys, "--profile", "prod", "secrets", "set", "token", "--stdin")
    assert code == 0, err
    code, _, err = run(capsys, "profile", "remove", "prod", "--yes")
    assert code == 0 and "not recorded" not in err, err
    found = list(reversed(entries(db)))
    assert [(e.action, e.target, e.profile, e.waba_id) for e in found] == [
        ("profile.add", "prod", "prod", "456"),
        ("profile.edit", "prod", "prod", "456"),
        ("secret.set", "prod", "prod", "456"),
        ("profile.remove", "prod", "prod", "456"),
        ("secret.delete", "prod", "prod", "456"),
    ]
    assert found[2].detail == {"secret": "token"}
    assert "s3cr3t" not in json.dumps([e.as_dict() for e in found])


def test_a_profile_whose_database_is_not_there_yet_is_saved_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring
) -> None:
    missing = tmp_path / "later.db"
    code, out, err = run(capsys, "profile", "add", "prod", "--phone-number-id", "1", "--waba-id", "2",
                         "--db-url", f"sqlite:///{missing}")
    assert code == 0 and "saved" in out
    assert "profile change not recorded in the audit log" in err and "does not exist yet" in err
    assert not missing.exists()  # recording did not create it


def test_easymo_audit_table_json_and_since(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from easymo_core.audit import record

    old = datetime.now(UTC) - timedelta(days=10)
    with db.engine.begin() as conn:
        with monkeypatch.context() as then:  # the entry of ten days ago
            # The module, which the package's function of the same name hides.
            then.setattr(importlib.import_module("easymo_core.audit.record"), "utcnow", lambda: old)
            record(conn, action="roles.apply", target="easymo_admin", profile="p", waba_id="")
        record(conn, action="login.add", target="ana", detail={"role": "viewer"}, profile="p", waba_id="")
    monkeypatch.setenv("EASYMO_DB_URL", db.url)
    code, out, err = run(capsys, "audit")
    assert code == 0, err
    assert "login.add" in out and "role=viewer" in out and "roles.apply" not in out  # default: 7 days
    code, out, _ = run(capsys, "audit", "--since", "30d", "--json")
    assert [e["action"] for e in json.loads(out)] == ["login.add", "roles.apply"]
    code, out, _ = run(capsys, "audit", "--since", (old - timedelta(days=1)).date().isoformat())
    assert "roles.apply" in out
    code, _, err = run(capsys, "audit", "--since", "last tuesday")
    assert code == 2 and "use 30m, 24h, 7d or an ISO date" in err
