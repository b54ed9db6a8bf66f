"""current_access on both dialects: SQLite is single-user, the PostgreSQL owner is "owner"."""

from __future__ import annotations

from easymo_core.roles.access import Access, current_access
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
