"""A database refusal (SQLSTATE 42501: a missing grant, or row-level security) is recognised
however it is wrapped, and becomes "your role viewer cannot send messages"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from easymo_core.errors import EasymoError, PermissionRefused
from easymo_core.permissions import ADMIN_HINT, is_refusal, refusing
from easymo_core.storage.engine import Database
from tests.login.pg_logins import Login, bare_login


@pytest.fixture
def refused_error(dialect: str, db_url: str) -> Iterator[tuple[ProgrammingError, Login]]:
    """A real "permission denied for table messages" from a login with no grant."""
    if dialect != "postgresql":
        pytest.skip("grants exist on PostgreSQL only")
    with bare_login(db_url) as login:
        db = Database(login.db_url, password=login.password)
        try:
            with pytest.raises(ProgrammingError) as err, db.engine.begin() as conn:
                conn.execute(text("INSERT INTO app_state (key, value) VALUES ('k', '1')"))
        finally:
            db.dispose()
        yield err.value, login


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_real_insufficient_privilege_is_a_refusal(refused_error: tuple[ProgrammingError, Login]) -> None:
    err, _ = refused_error
    assert getattr(err.orig, "sqlstate", None) == "42501"
    assert is_refusal(err)
    # Wrapped by a caller (an EasymoError raised from it) it is still recognised.
    try:
        try:
            raise err
        except ProgrammingError as inner:
            raise EasymoError("could not store the message") from inner
    except EasymoError as outer:
        assert is_refusal(outer)


def test_other_errors_are_not_refusals() -> None:
    assert not is_refusal(ValueError("permission to dream"))
    assert not is_refusal(EasymoError("nothing to do with the database"))


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_refusing_names_role_and_action(refused_error: tuple[ProgrammingError, Login]) -> None:
    from easymo_core.roles.access import Access

    err, login = refused_error
    admin = Access(login=login.name, role="admin", accounts=("111",))
    with pytest.raises(PermissionRefused) as refused, refusing("send messages", None, access=admin):
        raise err
    assert refused.value.one_line() == f"your role admin cannot send messages — {ADMIN_HINT}"
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    assert "permission denied" not in str(refused.value)


def test_viewer_is_refused_before_the_block_runs() -> None:
    from easymo_core.roles.access import Access

    ran = []
    viewer = Access(login="v1", role="viewer", accounts=None)
    with pytest.raises(PermissionRefused) as refused, refusing("run a bulk send", None, access=viewer):
        ran.append(1)
    assert ran == []
    assert refused.value.message == "your role viewer cannot run a bulk send"


def test_a_role_allowed_for_one_action_passes() -> None:
    from easymo_core.roles.access import Access

    hook = Access(login="h1", role="webhook", accounts=None)
    ran = []
    with refusing("replay webhook dead letters", None, access=hook, also=("webhook",)):
        ran.append(1)
    assert ran == [1]
    with pytest.raises(PermissionRefused), refusing("send messages", None, access=hook):
        ran.append(2)
    assert ran == [1]
