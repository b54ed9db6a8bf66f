"""`easymo db roles` and `easymo db user add|list|remove` through the CLI entry point."""

from __future__ import annotations

import io
import json
import secrets
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.roles import grants
from easymo_core.storage.engine import Database
from tests.roles.conftest import T0, A, B, MakeLogin, seed


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def logins_made(db: Database) -> Iterator[list[str]]:
    """Logins the CLI makes in a test, dropped at teardown if the test did not remove them."""
    made: list[str] = []
    yield made
    db.engine.dispose()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for login in made:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_roles_then_user_add_list_remove(db: Database, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch, logins_made: list[str]) -> None:
    url = db.url
    for _ in range(2):  # idempotent
        code, out, err = run(capsys, monkeypatch, "--db-url", url, "db", "roles")
        assert code == 0, err
        assert "ROLE" in out and "OBJECT" in out and "PRIVILEGES" in out
        lines = out.splitlines()
        assert any(ln.startswith("easymo_admin") and " messages " in ln and "DELETE" in ln for ln in lines)
        assert any(ln.startswith("easymo_viewer") and " messages " in ln and ln.rstrip().endswith("SELECT")
                   for ln in lines)
        hook = next(ln for ln in lines if ln.startswith("easymo_webhook") and " messages " in ln)
        assert "INSERT, UPDATE, SELECT (" in hook and "body" not in hook and "payload" not in hook
    base = make_url(url).database
    person, hook_login = f"{base}_ann", f"{base}_hook"
    logins_made += [person, hook_login]
    password = secrets.token_urlsafe(16)
    code, out, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "add", person, "--role", "admin",
                         "--waba", A, "--password-stdin", stdin=password + "\n")
    assert code == 0, err
    assert f"login {person} added: role admin, accounts: {A}" in out and password not in out + err
    code, out, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "add", hook_login, "--role",
                         "webhook", "--password-stdin", stdin="another secret\n")
    assert code == 0 and "every account" in out and "no --waba given" in out
    code, out, _ = run(capsys, monkeypatch, "--db-url", url, "db", "user", "list", "--json")
    listed = {i["login"]: i for i in json.loads(out) if i["login"] in (person, hook_login)}
    assert listed == {
        person: {"login": person, "role": "admin", "accounts": [A], "can_log_in": True},
        hook_login: {"login": hook_login, "role": "webhook", "accounts": "*", "can_log_in": True},
    }
    code, out, _ = run(capsys, monkeypatch, "--db-url", url, "db", "user", "list")
    assert code == 0 and "LOGIN" in out and person in out and "every account (*)" in out
    # The login signs in with its own password and sees what was granted.
    seed(db, A, B)
    own = make_url(url).set(username=person, password=password).render_as_string(hide_password=False)
    signed_in = Database(own)
    try:
        with signed_in.engine.connect() as conn:
            assert set(conn.execute(text("SELECT DISTINCT waba_id FROM messages")).scalars()) == {A}
    finally:
        signed_in.dispose()
    # What a user can get wrong, each said in one line with what to do.
    code, _, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "add", person, "--role", "admin",
                       "--password-stdin", stdin="x\n")
    assert code == 1 and "exists already" in err and f"easymo db user remove {person}" in err
    code, _, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "add", f"{base}_x", "--role",
                       "boss", "--password-stdin", stdin="x\n")
    assert code == 1 and "role 'boss' is unknown" in err and "admin, viewer, webhook" in err
    for bad in ('ann"; DROP ROLE postgres; --', "Ann", "pg_ann", "easymo_admin", "x" * 64):
        code, _, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "add", bad, "--role", "admin",
                           "--password-stdin", stdin="x\n")
        assert code == 1 and "is not allowed" in err, bad
    code, _, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "add", f"{base}_y", "--role",
                       "admin", stdin="x\n")
    assert code == 2 and "--password-stdin" in err
    code, _, err = run(capsys, monkeypatch, "--db-url", own, "db", "user", "add", f"{base}_z", "--role",
                       "admin", "--password-stdin", stdin="x\n")
    assert code == 1 and "lacks CREATEROLE" in err
    code, _, err = run(capsys, monkeypatch, "--db-url", own, "db", "roles")
    assert code == 1 and "lacks CREATEROLE" in err
    # Remove: gone from the list and from the server.
    code, out, _ = run(capsys, monkeypatch, "--db-url", url, "db", "user", "remove", person)
    assert code == 0 and f"login {person} (admin) removed" in out
    code, out, _ = run(capsys, monkeypatch, "--db-url", url, "db", "user", "list", "--json")
    assert person not in {i["login"] for i in json.loads(out)}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :l"), {"l": person}).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM account_grants WHERE login = :l"),
                            {"l": person}).scalar() == 0
    code, _, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "remove", person)
    assert code == 1 and "is no easymo login" in err
    # Each change is in the audit log, with who made it; never a password.
    with db.engine.connect() as conn:
        audit = conn.execute(text("SELECT action, target, db_login, detail FROM audit_log ORDER BY id")).all()
    assert [(a.action, a.target) for a in audit] == [
        ("roles.apply", "easymo_admin, easymo_viewer, easymo_webhook"),
        ("roles.apply", "easymo_admin, easymo_viewer, easymo_webhook"),
        ("login.add", person), ("login.add", hook_login), ("login.remove", person)]
    assert audit[2].detail == {"role": "admin", "accounts": [A]} and audit[3].detail["accounts"] == "*"
    assert {a.db_login for a in audit} == {make_url(url).username}
    assert password not in str(audit)
    code, _, err = run(capsys, monkeypatch, "--db-url", url, "db", "user", "remove", "postgres")
    assert code == 1 and "is no easymo login" in err


def test_sqlite_has_no_roles(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    assert run(capsys, monkeypatch, "--db-url", url, "db", "upgrade")[0] == 0
    for args in (["db", "roles"], ["db", "user", "list"], ["db", "user", "remove", "ann"],
                 ["db", "user", "add", "ann", "--role", "admin", "--password-stdin"]):
        code, _, err = run(capsys, monkeypatch, "--db-url", url, *args, stdin="pw\n")
        assert code == 1 and "SQLite is single-user: it has no roles" in err, args


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_group_roles_survive_a_concurrent_creator(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    base = make_url(db.url).database
    names = {f"{base}_g1": "admin", f"{base}_g2": "viewer"}
    monkeypatch.setattr(grants, "GROUP_ROLES", names)
    barrier = threading.Barrier(4)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def create() -> None:
        engine = Database(db.url).engine
        try:
            barrier.wait()
            results.append(grants.create_group_roles(engine))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=create) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert sorted(n for created in results for n in created) == sorted(names)
    finally:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_stats_of_an_admin_of_a_are_the_figures_of_a_alone(
        db: Database, owner: Database, make_login: MakeLogin, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    seed(owner, A, B)
    _, url = make_login("admin", A)
    alone = request.getfixturevalue("second_db")
    seed(alone, A)
    span = ["--from", (T0.replace(hour=0)).isoformat(), "--to", T0.replace(hour=23).isoformat()]
    code, as_admin, err = run(capsys, monkeypatch, "--db-url", url, "stats", "--json", *span)
    assert code == 0, err
    code, of_a, err = run(capsys, monkeypatch, "--db-url", alone.url, "stats", "--json", *span)
    assert code == 0, err
    code, of_both, _ = run(capsys, monkeypatch, "--db-url", owner.url, "stats", "--json", *span)
    figures = [json.loads(out) for out in (as_admin, of_a, of_both)]
    for f in figures:
        f.pop("query_ms")  # how long the queries took, not a figure
    assert figures[0] == figures[1]
    assert figures[2] != figures[1]
    assert figures[1]["totals"]["sent"] > 0
