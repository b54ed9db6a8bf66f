"""The audit log under row-level security, with real logins: a login reads its accounts'
entries and its own, appends only in its own name, and changes none."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from easymo_core.audit import record, since
from easymo_core.storage.engine import Database
from tests.roles.conftest import A, B, MakeLogin
from tests.roles.test_rls import signed_in

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"])


def test_each_login_reads_its_accounts_entries_and_appends_only_as_itself(
    owner: Database, make_login: MakeLogin
) -> None:
    admin_a, url_a = make_login("admin", A)
    _, url_b = make_login("admin", B)
    _, url_viewer_a = make_login("viewer", A)
    with signed_in(url_a) as db, db.engine.begin() as conn:
        record(conn, action="message.send", target="15550001111", profile="p", waba_id=A)
    with signed_in(url_b) as db, db.engine.begin() as conn:
        record(conn, action="template.delete", target="hello_b", profile="p", waba_id=B)
    with owner.engine.begin() as conn:  # a login change names no account
        conn.execute(text("INSERT INTO audit_log (at, db_login, os_user, profile, waba_id, action, target) "
                          "VALUES (1, :l, 'root', '', '', 'login.add', :l)"), {"l": admin_a})

    def seen(url: str) -> set[tuple[str, str]]:
        with signed_in(url) as db, db.engine.connect() as conn:
            return {(e.action, e.target) for e in since(conn, None)}

    assert seen(url_a) == {("message.send", "15550001111"), ("login.add", admin_a)}
    assert seen(url_b) == {("template.delete", "hello_b")}
    assert seen(url_viewer_a) == {("message.send", "15550001111")}

    with signed_in(url_a) as db:
        # An entry that says someone else did it is refused ...
        with pytest.raises(DBAPIError, match="row-level security"), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_log (at, db_login, os_user, profile, waba_id, action, target) "
                              "VALUES (2, 'someone_else', 'x', 'p', :a, 'message.send', 'x')"), {"a": A})
        # ... and so is any change: the roles hold no UPDATE or DELETE on it (the append-only
        # trigger stands behind that, tests/audit).
        for statement in ("UPDATE audit_log SET target = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
                conn.execute(text(statement))
            assert getattr(caught.value.orig, "sqlstate", "") == "42501"
    with owner.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 3
