"""Shared fixtures: isolated config/data dirs, a memory keyring, and databases of both dialects.

Database tests take the ``db_url``/``db`` fixtures, which run each test on SQLite and on
the real PostgreSQL named by EASYMO_TEST_PG_URL (started by scripts/test). In CI a missing
PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from easymo_core.storage import migrate
from easymo_core.storage.engine import Database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG_URL = os.environ.get("EASYMO_TEST_PG_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything at the end of the test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.store:
            raise PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's profiles, data or EASYMO_* settings."""
    for var in list(os.environ):
        if var.startswith("EASYMO_") and var != "EASYMO_TEST_PG_URL":
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("EASYMO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("EASYMO_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def _pg_admin_url() -> str:
    if not PG_URL:
        if IN_CI:
            pytest.fail("EASYMO_TEST_PG_URL is not set in CI: PostgreSQL tests must run")
        pytest.skip("no PostgreSQL (set EASYMO_TEST_PG_URL or run scripts/test)")
    return PG_URL


def _create_pg_database(template: str | None = None) -> str:
    admin = make_url(_pg_admin_url())
    name = f"easymo_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        clause = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    admin = make_url(_pg_admin_url())
    name = make_url(url).database
    engine = create_engine(admin.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


_PG_TEMPLATE: dict[str, str] = {}


def _pg_template() -> str:
    """A migrated database to copy: CREATE DATABASE ... TEMPLATE is much faster than migrating."""
    if "name" not in _PG_TEMPLATE:
        url = _create_pg_database()
        db = Database(url)
        migrate.upgrade(db)
        db.dispose()
        _PG_TEMPLATE["name"] = make_url(url).database or ""
    return _PG_TEMPLATE["name"]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file to copy: a copy takes a millisecond, migrating a quarter second."""
    path = tmp_path_factory.mktemp("sqlite-template") / "easymo.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    # Disposed, the last connection has checkpointed its write-ahead log into the file.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (no schema) of each dialect."""
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = _create_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(url)


@pytest.fixture
def db_url(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of a database at the current schema, of each dialect."""
    if dialect == "sqlite":
        path = tmp_path / "easymo.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = _create_pg_database(template=_pg_template())
    try:
        yield url
    finally:
        _drop_pg_database(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "name" in _PG_TEMPLATE:
        try:
            admin = make_url(PG_URL or "")
            engine = create_engine(admin.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE["name"]}" WITH (FORCE)'))
            engine.dispose()
        except Exception:
            pass  # the whole server is thrown away by scripts/test anyway


def pytest_report_header(config: pytest.Config) -> str:
    return f"databases: sqlite + {'postgresql at ' + make_url(PG_URL).render_as_string(hide_password=True) if PG_URL else 'NO postgresql (skipped)'}"
