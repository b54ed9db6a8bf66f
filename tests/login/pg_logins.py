"""Throw-away PostgreSQL logins for tests: unique names (roles are cluster-wide and other
test runs share the server), a real password (the server checks it, scram-sha-256), dropped
at teardown."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL


@dataclass(frozen=True)
class Login:
    name: str
    password: str
    db_url: str  # the test database's URL naming this login, without its password


def login_url(db_url: str, login: str) -> str:
    return make_url(db_url).set(username=login, password=None).render_as_string(hide_password=False)


def unique_login(prefix: str = "u") -> str:
    return f"easymo_t_{prefix}_{uuid.uuid4().hex[:10]}"


def drop_login(name: str) -> None:
    """Drop ``name`` (and what it was granted) wherever it was granted anything."""
    admin = create_engine(make_url(PG_URL or "").set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    admin.dispose()


@contextmanager
def bare_login(db_url: str) -> Iterator[Login]:
    """A login with a password and no grant at all (only PUBLIC's CONNECT)."""
    name, password = unique_login("bare"), secrets.token_urlsafe(12)
    admin = create_engine(make_url(db_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'"))
    admin.dispose()
    try:
        yield Login(name, password, login_url(db_url, name))
    finally:
        drop_login(name)
