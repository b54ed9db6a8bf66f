"""current_access on both dialects: SQLite is single-user, the PostgreSQL owner is "owner"."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy.engine import make_url

from easymo_core.roles.access import Access, current_access
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database


def test_owner_or_single_user(db: Database) -> None:
    with db.engine.connect() as conn:
        access = current_access(conn)
    if db.engine.dialect.name == "sqlite":
        assert access == Access(login="", role="single-user", accounts=None)
    else:
        assert access.role == "owner" and access.login and access.accounts is None
    assert access.may_write and access.may_read_bodies


def test_what_each_role_may() -> None:
    assert not Access("v", "viewer", ("A",)).may_write
    assert Access("v", "viewer", ("A",)).may_read_bodies
    assert not Access("w", "webhook", None).may_read_bodies
    assert not Access("w", "webhook", None).may_write
    assert Access("a", "admin", ("A",)).may_write
    assert not Access("n", "none", ()).may_read_bodies
    assert Access("a", "admin", ("A",)).sees("A") and not Access("a", "admin", ("A",)).sees("B")


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_a_login_of_no_group_before_0012_is_none(db: Database) -> None:
    """Before migration 0012 there is no account_grants: current_access still answers."""
    migrate.downgrade(db, "0011_accounts")
    login = f"{make_url(db.url).database}_nobody"
    password = secrets.token_urlsafe(16)
    with db.engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        verifier = raw.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
        conn.exec_driver_sql(f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{verifier.decode()}'")
    other = Database(make_url(db.url).set(username=login, password=password).render_as_string(False))
    try:
        with other.engine.connect() as conn:
            assert current_access(conn) == Access(login=login, role="none", accounts=())
    finally:
        other.dispose()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')
