"""The audit log: recorded with who and when, read back newest first, and append-only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url

from easymo_core.audit import record, since
from easymo_core.os_user import os_user
from easymo_core.storage.engine import Database
from easymo_core.storage.types import utcnow


def _some(db: Database, n: int = 3) -> None:
    with db.engine.begin() as conn:
        for i in range(n):
            record(conn, action="template.submit", target=f"greeting_{i}", detail={"language": "en_US"},
                   profile="acme", waba_id="1001")


def test_record_fills_who_and_since_reads_newest_first(db: Database) -> None:
    before = utcnow() - timedelta(seconds=1)
    _some(db)
    with db.engine.connect() as conn:
        entries = since(conn, before)
        login = conn.execute(text("SELECT current_user")).scalar_one() if db.dialect == "postgresql" else ""
        assert since(conn, utcnow() + timedelta(minutes=1)) == []
    assert [e.target for e in entries] == ["greeting_2", "greeting_1", "greeting_0"]
    first = entries[0]
    assert (first.action, first.profile, first.waba_id, first.detail) == (
        "template.submit", "acme", "1001", {"language": "en_US"})
    assert first.db_login == login
    assert first.os_user == os_user() != ""
    assert first.at >= before


def test_an_unknown_action_is_refused(db: Database) -> None:
    with db.engine.begin() as conn, pytest.raises(ValueError, match="unknown audit action"):
        record(conn, action="message.sent", profile="acme", waba_id="")


def test_entry_rolls_back_with_the_change_it_records(db: Database) -> None:
    with pytest.raises(RuntimeError), db.engine.begin() as conn:
        record(conn, action="profile.edit", target="acme", profile="acme", waba_id="")
        raise RuntimeError("the change failed")
    with db.engine.connect() as conn:
        assert since(conn, None) == []


ON_POSTGRESQL = pytest.mark.parametrize("dialect", ["postgresql"])


@pytest.mark.parametrize("dialect", ["sqlite"])
@pytest.mark.parametrize("statement", ["UPDATE audit_log SET target = 'x'", "DELETE FROM audit_log"])
def test_sqlite_refuses_update_and_delete_to_everyone(db: Database, statement: str) -> None:
    _some(db, 1)
    with pytest.raises(exc.DBAPIError, match="audit_log is append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert [e.target for e in since(conn, None)] == ["greeting_0"]


@pytest.fixture
def pg_role(db: Database) -> Iterator[str]:
    """A throw-away NOLOGIN role, unique to the test database, with every privilege on
    audit_log: only the trigger stands between it and the rows."""
    name = f"{make_url(db.url).database}_auditor"
    with db.engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" NOLOGIN'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_log TO "{name}"'))
        conn.execute(text(f'GRANT USAGE ON SEQUENCE audit_log_id_seq TO "{name}"'))
        # Row-level security (0013) shows a login its accounts' entries; under SET ROLE the
        # accounts are those of the session's login: every one, so only the trigger is tested.
        conn.execute(text("INSERT INTO account_grants (login, waba_id) VALUES (session_user, '*')"))
    try:
        yield name
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("RESET ROLE"))
            conn.execute(text(f'REASSIGN OWNED BY "{name}" TO current_user'))
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))


@ON_POSTGRESQL
@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET target = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
def test_postgresql_refuses_changes_to_an_ordinary_role(db: Database, pg_role: str, statement: str) -> None:
    _some(db, 1)
    with db.engine.connect() as conn:
        conn.execute(text(f'SET ROLE "{pg_role}"'))
        # It may append (the grant lets it) ...
        record(conn, action="message.send", target="15550001111", profile="acme", waba_id="1001")
        conn.commit()
        with pytest.raises(exc.DBAPIError, match="audit_log is append-only") as refused:
            conn.execute(text(statement))
        assert refused.value.orig.sqlstate == "42501"  # type: ignore[union-attr]
        conn.rollback()
        entries = since(conn, None)
        conn.execute(text("RESET ROLE"))
    # ... and its entry says who it was.
    assert (entries[0].action, entries[0].db_login) == ("message.send", pg_role)
    assert [e.target for e in entries] == ["15550001111", "greeting_0"]


@ON_POSTGRESQL
def test_postgresql_lets_the_owner_change_rows(db: Database, pg_role: str) -> None:
    _some(db, 3)
    with db.engine.begin() as conn:
        # The role becomes the owner (not a superuser): the owner could drop the trigger
        # anyway, so it is the one allowed through.
        conn.execute(text(f'ALTER TABLE audit_log OWNER TO "{pg_role}"'))
        conn.execute(text(f'SET LOCAL ROLE "{pg_role}"'))
        conn.execute(text("UPDATE audit_log SET target = 'fixed' WHERE target = 'greeting_0'"))
        conn.execute(text("DELETE FROM audit_log WHERE target = 'greeting_1'"))
    with db.engine.connect() as conn:
        assert [e.target for e in since(conn, None)] == ["greeting_2", "fixed"]
    with db.engine.begin() as conn:  # a superuser too (the test server's owner is one)
        conn.execute(text("TRUNCATE audit_log"))
    with db.engine.connect() as conn:
        assert since(conn, None) == []
