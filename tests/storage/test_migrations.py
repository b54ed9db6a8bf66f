"""Migrations up and down, and the models matching them, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from easymo_core.errors import DatabaseError
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Base
from tests.analytics.reference import compare, compare_daily
from tests.analytics.test_trigger_properties import PHONES, Chooser, History, reset
from tests.storage.old_revision import play_any as play

EXPECTED_TABLES = set(Base.metadata.tables)


def test_upgrade_downgrade_upgrade(empty_db_url: str, dialect: str) -> None:
    db = Database(empty_db_url)
    try:
        assert migrate.status(db).state == "empty"
        assert migrate.upgrade(db).state == "current"
        assert set(inspect(db.engine).get_table_names()) >= EXPECTED_TABLES
        assert db.dialect == dialect
        assert migrate.downgrade(db, "base").state == "empty"
        assert not EXPECTED_TABLES & set(inspect(db.engine).get_table_names())
        assert migrate.upgrade(db).state == "current"
    finally:
        db.dispose()


def test_models_match_migrations(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models differ from the migrations: {diff}"


def _rollups_equal_messages(db: Database, by_number: bool) -> None:
    with db.engine.connect() as conn:
        compare(conn, GAP_MS, by_number=by_number)
        compare_daily(conn, GAP_MS, by_number=by_number)


GAP_MS = 1_800_000


def _at_revision_with_traffic(
    db: Database, revision: str, seed: int, *, by_number: bool = True, steps: int = 30
) -> History:
    """``db`` migrated to ``revision`` with a random history played into it, its figures
    checked; the history goes on after the next migration."""
    migrate.upgrade(db, revision)
    reset(db, GAP_MS)
    history = History(db, Chooser(rnd=random.Random(seed)))
    play(history, steps)
    _rollups_equal_messages(db, by_number=by_number)
    return history


def test_0004_keys_existing_rollups_by_phone_number(empty_db_url: str) -> None:
    """Upgraded with messages of two numbers in it, the rollups are theirs per number; the
    downgrade sums them again. The triggers of each revision keep counting new traffic."""
    db = Database(empty_db_url)
    try:
        history = _at_revision_with_traffic(db, "0003_daily_rollups", 21, by_number=False, steps=40)

        assert migrate.upgrade(db).state == "current"
        with db.engine.connect() as conn:
            numbers = set(conn.execute(text("SELECT DISTINCT phone_number_id FROM delivery_rollups")).scalars())
        assert numbers == set(PHONES)
        _rollups_equal_messages(db, by_number=True)
        play(history, 20)
        _rollups_equal_messages(db, by_number=True)

        assert migrate.downgrade(db, "0003_daily_rollups").current == "0003_daily_rollups"
        assert "phone_number_id" not in {c["name"] for c in inspect(db.engine).get_columns("error_rollups")}
        _rollups_equal_messages(db, by_number=False)
        play(history, 20)
        _rollups_equal_messages(db, by_number=False)
    finally:
        db.dispose()


def _rollup_trigger_levels(db: Database) -> dict[str, str]:
    """PostgreSQL: the rollup triggers on messages, by name, as ROW or STATEMENT."""
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT tgname, CASE WHEN tgtype & 1 = 1 THEN 'ROW' ELSE 'STATEMENT' END FROM pg_trigger "
            "WHERE tgrelid = 'messages'::regclass AND tgname IN "
            "('easymo_msg_out_ins', 'easymo_msg_out_ins_rollup', 'easymo_msg_out_rollup')"
        )).all()
    return {name: level for name, level in rows}


def test_0005_sums_rollups_per_statement_on_postgresql(empty_db_url: str, dialect: str) -> None:
    """Up from 0004 with traffic in it, the figures stay equal to the messages while new
    traffic (statuses in multi-message batches) is counted by the per-statement triggers;
    down again, the row triggers count it. SQLite keeps its row triggers throughout."""
    db = Database(empty_db_url)
    try:
        history = _at_revision_with_traffic(db, "0004_rollups_by_phone_number", 5)
        if dialect == "postgresql":
            assert _rollup_trigger_levels(db) == {"easymo_msg_out_ins": "ROW", "easymo_msg_out_rollup": "ROW"}

        assert migrate.upgrade(db).state == "current"
        if dialect == "postgresql":
            assert _rollup_trigger_levels(db) == {
                "easymo_msg_out_ins": "ROW",  # failed on insert: error_rollups only
                "easymo_msg_out_ins_rollup": "STATEMENT",
                "easymo_msg_out_rollup": "STATEMENT",
            }
        _rollups_equal_messages(db, by_number=True)
        play(history, 30)
        _rollups_equal_messages(db, by_number=True)

        assert migrate.downgrade(db, "0004_rollups_by_phone_number").current == "0004_rollups_by_phone_number"
        if dialect == "postgresql":
            assert _rollup_trigger_levels(db) == {"easymo_msg_out_ins": "ROW", "easymo_msg_out_rollup": "ROW"}
        play(history, 20)
        _rollups_equal_messages(db, by_number=True)
    finally:
        db.dispose()


def _pg_tuning(db: Database) -> tuple[str, set[str]]:
    """PostgreSQL: when the send's conversation trigger runs (BEFORE or AFTER), and the
    trigger functions that do not force generic plans."""
    with db.engine.connect() as conn:
        timing = conn.execute(text(
            "SELECT CASE WHEN tgtype & 2 = 2 THEN 'BEFORE' ELSE 'AFTER' END FROM pg_trigger "
            "WHERE tgrelid = 'messages'::regclass AND tgname = 'easymo_msg_out_wamid'"
        )).scalar_one()
        untuned = set(conn.execute(text(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'easymo%' AND NOT "
            "COALESCE('plan_cache_mode=force_generic_plan' = ANY(proconfig), false)"
        )).scalars())
    return timing, untuned


def test_0006_tunes_the_postgresql_triggers(empty_db_url: str, dialect: str) -> None:
    """Up from 0005 with traffic in it: the send's conversation work runs BEFORE its row is
    written and every function keeps generic plans, and the figures (sessions, response
    times, contacts, rollups) stay equal to a recomputation while new traffic is counted;
    down again, 0005's triggers count it. SQLite's triggers are the same throughout."""
    db = Database(empty_db_url)
    try:
        history = _at_revision_with_traffic(db, "0005_statement_rollups", 6)
        if dialect == "postgresql":
            timing, untuned = _pg_tuning(db)
            assert timing == "AFTER" and "easymo_msg_out_wamid_fn" in untuned

        assert migrate.upgrade(db).state == "current"
        if dialect == "postgresql":
            assert _pg_tuning(db) == ("BEFORE", set())
        _rollups_equal_messages(db, by_number=True)
        play(history, 40)
        _rollups_equal_messages(db, by_number=True)

        assert migrate.downgrade(db, "0005_statement_rollups").current == "0005_statement_rollups"
        if dialect == "postgresql":
            timing, untuned = _pg_tuning(db)
            assert timing == "AFTER" and "easymo_msg_out_wamid_fn" in untuned
        play(history, 20)
        _rollups_equal_messages(db, by_number=True)
    finally:
        db.dispose()


def test_database_newer_than_code_is_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    st = migrate.status(db)
    assert st.state == "ahead"
    with pytest.raises(DatabaseError, match="newer than this easymo"):
        migrate.upgrade(db)
    with pytest.raises(DatabaseError, match="9999_future"):
        migrate.ensure_current(db)
    with db.engine.connect() as conn:  # nothing changed
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"


def test_empty_database_is_refused_unless_auto_upgrade(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        with pytest.raises(DatabaseError, match="easymo db upgrade"):
            migrate.ensure_current(db)
        migrate.ensure_current(db, auto_upgrade=True)
        assert migrate.status(db).state == "current"
    finally:
        db.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    db.dispose()


def test_corrupt_sqlite_file_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    garbage = b"this is not a database at all" * 200
    path.write_bytes(garbage)
    db = Database(f"sqlite:///{path}")
    with pytest.raises(DatabaseError, match="corrupt") as err:
        migrate.upgrade(db)
    assert "move it aside" in err.value.one_line() and str(path) in err.value.one_line()
    db.dispose()
    assert path.read_bytes() == garbage  # nothing was changed


def test_read_only_sqlite_file_as_any_user(tmp_path: Path) -> None:
    """A read-only database (SQLite's read-only mode, which even root cannot bypass)."""
    path = tmp_path / "ro2.db"
    db = Database(f"sqlite:///{path}")
    db.ping()
    db.dispose()
    ro = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(DatabaseError, match="read-only"):
        migrate.upgrade(ro)
    ro.dispose()


def test_unreachable_postgresql_gives_clear_error() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/nothing")
    with pytest.raises(DatabaseError, match=r"cannot reach PostgreSQL at .*127\.0\.0\.1:1"):
        migrate.status(db)
    db.dispose()


@pytest.mark.parametrize("url", ["not a url", "mysql://x@y/z", "postgresql://host-only"])
def test_malformed_urls(url: str) -> None:
    with pytest.raises(DatabaseError):
        Database(url)


def test_0007_names_bulk_job_owners_and_its_downgrade_keeps_every_recipient(
    empty_db_url: str, dialect: str
) -> None:
    """Downgrading drops only the column: a copy of bulk_jobs (SQLite's batch way) would
    drop the table first, and with foreign keys on that deletes every job's recipients."""
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO bulk_jobs (id, profile, template_name, template_language, csv_path, "
                "csv_sha256, total, status, created_at, updated_at, owner) VALUES "
                "(1, 'p', 't', 'en', 'r.csv', 'x', 2, 'running', 0, 0, 'host:1')"))
            conn.execute(text(
                "INSERT INTO bulk_recipients (job_id, line_no, phone, parameters, status) VALUES "
                "(1, 2, '+15550000001', '{}', 'sent'), (1, 3, '+15550000002', '{}', 'pending')"))
        migrate.downgrade(db, "0006_tuned_pg_triggers")
        assert "owner" not in {c["name"] for c in inspect(db.engine).get_columns("bulk_jobs")}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM bulk_recipients")).scalar_one() == 2
            assert conn.execute(text("SELECT status FROM bulk_jobs")).scalar_one() == "running"
        migrate.upgrade(db)
        with db.engine.connect() as conn:  # a job from before 0007 has no owner: free to resume
            assert conn.execute(text("SELECT owner FROM bulk_jobs")).scalar_one() is None
    finally:
        db.dispose()


def test_0010_rebuilds_the_latency_histograms_from_the_messages(empty_db_url: str) -> None:
    """Up from 0007 with traffic in it, the one-second bins hold every message's latency (and
    the triggers keep them as traffic goes on); down again, 0007's buckets do."""
    db = Database(empty_db_url)
    try:
        history = _at_revision_with_traffic(db, "0007_bulk_job_owner", 9)
        migrate.upgrade(db, "0010_exact_latency_bins")
        assert "dl_from_1s" in {c["name"] for c in inspect(db.engine).get_columns("delivery_rollups_daily")}
        _rollups_equal_messages(db, by_number=True)
        play(history, 30)
        _rollups_equal_messages(db, by_number=True)

        migrate.downgrade(db, "0007_bulk_job_owner")
        assert "dl_h00" in {c["name"] for c in inspect(db.engine).get_columns("delivery_rollups")}
        _rollups_equal_messages(db, by_number=True)
        play(history, 20)
        _rollups_equal_messages(db, by_number=True)
    finally:
        db.dispose()
