"""A profile's database URL names the login; the password comes from the keyring (or
EASYMO_DB_PASSWORD) at connect time and shows nowhere: not in the URL, the profile file, a
log line or an error."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from easymo_core.config import Profile, ProfileStore
from easymo_core.config.db_login import inline_password, login_name, without_password
from easymo_core.errors import DatabaseError
from easymo_core.logs.redact import redact
from easymo_core.secrets import db_password, set_secret
from easymo_core.secrets.store import SERVICE
from easymo_core.storage.open import open_database
from tests.conftest import MemoryKeyring
from tests.login.pg_logins import Login, bare_login


def _profile(url: str) -> Profile:
    return Profile(name="team", phone_number_id="1", waba_id="2", db_url=url)


@pytest.fixture
def pg_login(dialect: str, db_url: str) -> Iterator[Login]:
    if dialect != "postgresql":
        pytest.skip("logins exist on PostgreSQL only")
    with bare_login(db_url) as login:
        yield login


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_password_from_the_keyring_signs_in(pg_login: Login, memory_keyring: MemoryKeyring) -> None:
    set_secret("team", "db-password", pg_login.password)
    db = open_database(_profile(pg_login.db_url), check_schema=False)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == pg_login.name
        assert pg_login.password not in db.url
        assert pg_login.password not in repr(db.engine.url)
        assert memory_keyring.store[(SERVICE, "team:db-password")] == pg_login.password
    finally:
        db.dispose()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_environment_beats_keyring(pg_login: Login, memory_keyring: MemoryKeyring,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    set_secret("team", "db-password", "not-the-password")
    monkeypatch.setenv("EASYMO_DB_PASSWORD", pg_login.password)
    assert db_password(_profile(pg_login.db_url)) == pg_login.password
    db = open_database(_profile(pg_login.db_url), check_schema=False)
    try:
        db.ping()
    finally:
        db.dispose()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_wrong_password_names_the_login_and_the_command(
    pg_login: Login, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-" + pg_login.password
    set_secret("team", "db-password", wrong)
    db = open_database(_profile(pg_login.db_url), check_schema=False)
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(DatabaseError) as err:
            db.ping()
    finally:
        db.dispose()
    assert err.value.one_line() == (f"the database refused the password for login {pg_login.name}"
                                    " — run `easymo secrets set db-password`")
    assert wrong not in err.value.one_line()
    assert wrong not in caplog.text
    assert redact(f"password={wrong}") == "password=[REDACTED]"
    assert redact(f"connecting with {wrong}") == "connecting with [REDACTED]"


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_no_password_stored_says_so(pg_login: Login, memory_keyring: MemoryKeyring) -> None:
    assert db_password(_profile(pg_login.db_url)) is None
    db = open_database(_profile(pg_login.db_url), check_schema=False)
    try:
        with pytest.raises(DatabaseError) as err:
            db.ping()
    finally:
        db.dispose()
    assert pg_login.name in err.value.message
    assert "easymo secrets set db-password" in err.value.hint


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_inline_password_keeps_working_and_is_redacted(pg_login: Login, memory_keyring: MemoryKeyring) -> None:
    inline = pg_login.db_url.replace(f"{pg_login.name}@", f"{pg_login.name}:{pg_login.password}@")
    db = open_database(_profile(inline), check_schema=False)
    try:
        db.ping()
    finally:
        db.dispose()
    assert redact(f"url {inline}").count(pg_login.password) == 0


def test_url_helpers() -> None:
    url = "postgresql://alice:s%40cr%3Aet@db.example:5432/easymo?sslmode=require"
    assert inline_password(url) == "s@cr:et"
    assert without_password(url) == "postgresql://alice@db.example:5432/easymo?sslmode=require"
    assert login_name(url) == "alice"
    assert inline_password("postgresql://alice@db.example/easymo") is None
    assert login_name("sqlite:///x.db") == ""
    assert without_password("sqlite:///x.db") == "sqlite:///x.db"


def test_store_never_writes_the_keyring_password(memory_keyring: MemoryKeyring) -> None:
    store = ProfileStore()
    set_secret("team", "db-password", "kept-in-keyring-7")
    store.save(_profile("postgresql://alice@db.example/easymo"))
    assert "kept-in-keyring-7" not in store.path.read_text()
