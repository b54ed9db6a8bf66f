"""``Database.transaction``: a deadlock victim or a serialization failure runs again; any
other failure, or one that keeps coming, reaches the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, exc, text

from easymo_core.storage.engine import TRANSACTION_ATTEMPTS, Database, is_transient
from tests.conftest import _create_pg_database, _drop_pg_database, _pg_template


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _failure(sqlstate: str) -> exc.OperationalError:
    return exc.OperationalError("UPDATE ...", {}, _Orig(sqlstate))


@pytest.fixture
def pg_db() -> Iterator[Database]:
    url = _create_pg_database(template=_pg_template())
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        _drop_pg_database(url)


def test_only_deadlocks_and_serialization_failures_are_transient() -> None:
    assert is_transient(_failure("40P01")) and is_transient(_failure("40001"))
    assert not is_transient(_failure("23505"))  # a unique violation will fail again
    assert not is_transient(exc.OperationalError("x", {}, Exception("database is locked")))
    assert not is_transient(ValueError("x"))


def test_a_transient_failure_runs_the_work_again_on_a_fresh_transaction(db: Database) -> None:
    calls: list[int] = []

    def work(conn: Connection) -> int:
        calls.append(1)
        conn.execute(text("INSERT INTO app_state (key, value, updated_at) VALUES (:k, '{}', 0)"),
                     {"k": f"try-{len(calls)}"})
        if len(calls) < 3:
            raise _failure("40P01")
        return len(calls)

    assert db.transaction(work) == 3
    with db.engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM app_state WHERE key LIKE 'try-%'")).scalars()
        assert sorted(keys) == ["try-3"]  # the failed attempts left nothing


def test_other_failures_and_endless_deadlocks_reach_the_caller(db: Database) -> None:
    calls: list[str] = []

    def unique_violation(conn: Connection) -> None:
        calls.append("u")
        raise _failure("23505")

    with pytest.raises(exc.OperationalError):
        db.transaction(unique_violation)
    assert calls == ["u"]

    def always_deadlocked(conn: Connection) -> None:
        calls.append("d")
        raise _failure("40P01")

    with pytest.raises(exc.OperationalError, match="40P01"):
        db.transaction(always_deadlocked)
    assert calls.count("d") == TRANSACTION_ATTEMPTS


@pytest.mark.postgres
def test_a_real_deadlock_on_postgresql_ends_with_both_writers_committed(pg_db: Database) -> None:
    with pg_db.engine.begin() as conn:
        conn.execute(text("INSERT INTO app_state (key, value, updated_at) VALUES ('a', '{}', 0), ('b', '{}', 0)"))
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts = {"ab": 0, "ba": 0}
    errors: list[BaseException] = []

    def writer(first: str, second: str) -> None:
        def work(conn: Connection) -> None:
            attempts[first + second] += 1
            conn.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            bump = text("UPDATE app_state SET updated_at = updated_at + 1 WHERE key = :k")
            conn.execute(bump, {"k": first})
            if attempts[first + second] == 1:
                both_hold_one.wait()  # each holds one row and now asks for the other's
            conn.execute(bump, {"k": second})

        try:
            pg_db.transaction(work)
        except BaseException as err:  # surfaced below, with the other writer's outcome
            errors.append(err)

    threads = [threading.Thread(target=writer, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # exactly one was the victim, and ran again
    with pg_db.engine.connect() as conn:
        values: dict[str, Any] = dict(conn.execute(text(
            "SELECT key, updated_at FROM app_state WHERE key IN ('a', 'b')")).all())
    assert values == {"a": 2, "b": 2}
