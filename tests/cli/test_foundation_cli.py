"""The `easymo` entry point: profiles, secrets, db; exit codes 0 / 1 (one line) / 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.config import ProfileStore
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from tests.conftest import MemoryKeyring


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_entry_point_help_lists_every_group() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "easymo_core.cli.main", "--help"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=60,
    )
    assert proc.returncode == 0
    for group in ("profile", "secrets", "db"):
        assert f"  {group} " in proc.stdout


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "db", "frobnicate")
    assert code == 2 and "No such command" in err


def test_profile_add_list_use_show_remove(capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    code, out, _ = run(
        capsys, "profile", "add", "prod", "--phone-number-id", "123", "--waba-id", "456",
        "--db-url", f"sqlite:///{tmp_path / 'p.db'}", "--use",
    )
    assert code == 0 and "saved and active" in out
    code, out, _ = run(capsys, "profile", "list", "--json")
    listed = json.loads(out)
    assert [p["name"] for p in listed] == ["sandbox", "prod"]
    assert [p["active"] for p in listed] == [False, True]
    code, out, _ = run(capsys, "profile", "show", "--json")
    shown = json.loads(out)
    assert shown["name"] == "prod" and shown["access_token"] == "missing"
    code, _, err = run(capsys, "profile", "add", "prod", "--phone-number-id", "1", "--waba-id", "2", "--db-url", "sqlite:///x.db")
    assert code == 1 and "exists" in err and err.count("\n") == 1
    code, _, _ = run(capsys, "profile", "remove", "prod", "--yes")
    assert code == 0 and ProfileStore().active_name() == "sandbox"


def test_secrets_set_from_stdin(capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run(capsys, "profile", "add", "prod", "--phone-number-id", "123", "--waba-id", "456", "--db-url", f"sqlite:///{tmp_path / 'p.db'}")
    import io

    from tests.fake_secrets import fake_token

    token = fake_token("secretvaluefromstdin")
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    code, out, _ = run(capsys, "--profile", "prod", "secrets", "set", "token", "--stdin")
    assert code == 0 and "EAAsecret" not in out
    assert memory_keyring.store[("easymo-console", "prod:token")] == token
    code, out, _ = run(capsys, "--profile", "prod", "profile", "show", "--json")
    assert json.loads(out)["access_token"] == "set"


def test_db_upgrade_current_check(capsys: pytest.CaptureFixture[str], empty_db_url: str) -> None:
    code, _, err = run(capsys, "--db-url", empty_db_url, "db", "check")
    assert code == 1 and "easymo db upgrade" in err
    code, out, _ = run(capsys, "--db-url", empty_db_url, "db", "upgrade")
    assert code == 0 and f"-> {migrate.head_revision()}" in out
    code, out, _ = run(capsys, "--db-url", empty_db_url, "db", "current", "--json")
    assert json.loads(out)["state"] == "current"
    code, out, _ = run(capsys, "--db-url", empty_db_url, "db", "check")
    assert code == 0 and "up to date" in out


def test_db_newer_than_code(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    db = Database(db_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999_future'"))
    db.dispose()
    code, _, err = run(capsys, "--db-url", db_url, "db", "upgrade")
    assert code == 1 and "newer than this easymo" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--profile", "ghost", "db", "check"), "unknown profile 'ghost'"),
        (("--db-url", "nonsense", "db", "check"), "malformed database URL"),
        (("--db-url", "postgresql://u@127.0.0.1:1/x", "db", "check"), "cannot reach PostgreSQL"),
    ],
)
def test_bad_input_one_line(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 1
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_corrupt_sqlite_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "--db-url", f"sqlite:///{path}", "db", "upgrade")
    assert code == 1 and "corrupt" in err and err.count("\n") == 1
    assert path.read_bytes() == b"garbage" * 1000


def test_no_keyring_backend_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import keyring
    from keyring.backends import fail

    run(capsys, "profile", "add", "srv", "--phone-number-id", "1", "--waba-id", "2", "--db-url", f"sqlite:///{tmp_path / 's.db'}")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(sys, "stdin", io.StringIO("tokenvalue123\n"))
    try:
        code, _, err = run(capsys, "--profile", "srv", "secrets", "set", "token", "--stdin")
    finally:
        keyring.set_keyring(previous)
    assert code == 1 and "EASYMO_ACCESS_TOKEN" in err and err.count("\n") == 1


def test_a_statement_the_database_refuses_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    db = Database(url)
    migrate.upgrade(db)
    with db.engine.begin() as conn:  # the schema version says current, the table is gone
        conn.execute(text("DROP TABLE messages"))
    db.dispose()
    code, _, err = run(capsys, "--db-url", url, "messages", "list")
    assert code == 1 and err.count("\n") == 1
    assert "the database refused a change" in err and "no such table: messages" in err
    assert "run the same command again" in err and "Traceback" not in err
