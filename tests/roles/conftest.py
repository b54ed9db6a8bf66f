"""PostgreSQL databases with the group roles granted and REAL logins signing in with their
own passwords (the test server, like CI, asks every login but the owner for its password).

Roles are cluster-wide and the tests of other modules run in parallel databases: each login
is named after its test database, and dropped at teardown.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from easymo_core.roles import grants, logins
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, Template

A, B = "100000000000001", "200000000000002"
PHONE = {A: "900000000000001", B: "900000000000002"}
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

MakeLogin = Callable[..., tuple[str, str]]


@pytest.fixture
def owner(db: Database) -> Database:
    """The test database as its owner, the group roles created and granted."""
    assert db.dialect == "postgresql"
    grants.setup(db.engine)
    return db


@pytest.fixture
def make_login(owner: Database) -> Iterator[MakeLogin]:
    """make_login(role, *wabas) -> (login, URL signing in with its own password)."""
    made: list[str] = []
    base = make_url(owner.url).database or ""

    def make(role: str, *wabas: str) -> tuple[str, str]:
        login = f"{base}_{role}_{len(made)}"
        password = secrets.token_urlsafe(18)
        with owner.engine.begin() as conn:
            logins.add(conn, login, role, password, wabas)
        made.append(login)
        url = make_url(owner.url).set(username=login, password=password)
        return login, url.render_as_string(hide_password=False)

    yield make
    owner.engine.dispose()
    with owner.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for login in made:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :l"),
                         {"l": login})
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')


def seed(db: Database, *accounts: str) -> None:
    """Each account: an outbound template message delivered and read, one failed, an inbound
    reply from its own contact and a shared one, and a template."""
    with db.sessions.begin() as s:
        for waba in accounts:
            phone = PHONE[waba]
            s.add(Template(waba_id=waba, meta_id=f"t{waba}", name=f"hello_{waba}", language="en",
                           category="MARKETING", status="APPROVED", components=[],
                           created_at=T0, updated_at=T0))
            for n, contact in enumerate((f"3100{waba[-4:]}", "31999")):
                at = T0 + timedelta(minutes=n)
                s.add(Message(
                    wamid=f"wamid.out.{waba}.{n}", profile=f"p{waba}", phone_number_id=phone,
                    waba_id=waba, direction="out", contact_wa_id=contact, type="template",
                    template_name=f"hello_{waba}", template_language="en", body=f"secret {waba}",
                    status="read", source="cli", created_at=at, updated_at=at, sent_at=at,
                    delivered_at=at + timedelta(seconds=2), read_at=at + timedelta(seconds=9),
                ))
                s.add(Message(
                    wamid=f"wamid.in.{waba}.{n}", profile="", phone_number_id=phone, waba_id=waba,
                    direction="in", contact_wa_id=contact, type="text", body=f"reply to {waba}",
                    status="received", source="webhook", created_at=at + timedelta(seconds=30),
                    updated_at=at + timedelta(seconds=30), received_at=at + timedelta(seconds=30),
                ))
            s.add(Message(
                wamid=f"wamid.fail.{waba}", profile=f"p{waba}", phone_number_id=phone, waba_id=waba,
                direction="out", contact_wa_id=f"3100{waba[-4:]}", type="text", body="x",
                status="failed", source="cli", created_at=T0, updated_at=T0, failed_at=T0,
                error_code=131026, error_title="undeliverable",
            ))


@pytest.fixture
def second_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Another migrated PostgreSQL database of the same server."""
    from tests.conftest import _create_pg_database, _drop_pg_database, _pg_template

    url = _create_pg_database(template=_pg_template())
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        _drop_pg_database(url)
