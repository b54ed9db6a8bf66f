"""Migration 0011: every row of a database at 0010 gets its account, the figures summed over
the accounts stay what they were, and the triggers keep them per account afterwards."""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import text

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.config import Profile, ProfileStore
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from tests.analytics.reference import compare, compare_daily, rows
from tests.analytics.test_trigger_properties import PHONES, WABA_BY_PHONE, Chooser, History, reset
from tests.conftest import MemoryKeyring
from tests.storage.old_revision import play_any as play

GAP_MS = 1_800_000
BEFORE = "0010_exact_latency_bins"
# Every table whose rows name an account.
ATTRIBUTED = ("messages", "status_events", "contacts", "conversation_sessions", "flow_states", "bulk_jobs",
              "bulk_recipients", "meta_analytics", "delivery_rollups", "error_rollups",
              "delivery_rollups_daily", "error_rollups_daily", "activity_rollups", "score_rollups")


def _extras(db: Database) -> None:
    """What the random traffic does not make: a flow run in a session, a bulk job whose
    recipient's message is known, one that sent nothing from a profile of one number, one
    that sent nothing from a profile with no messages, and Meta's message figures of each
    number."""
    with db.engine.begin() as conn:
        session = conn.execute(text(
            "SELECT id, contact_wa_id, started_at FROM conversation_sessions ORDER BY id LIMIT 1")).one()
        conn.execute(text("INSERT INTO conversation_flows (id, name, version, definition, created_at, "
                          "updated_at) VALUES (1, 'survey', 1, '{}', 0, 0)"))
        conn.execute(text("INSERT INTO flow_states (flow_id, contact_wa_id, status, retries, history, "
                          "started_at, updated_at, session_id) VALUES (1, :c, 'active', 0, '[]', :t, :t, :s)"),
                     {"c": session.contact_wa_id, "t": session.started_at, "s": session.id})
        message = conn.execute(text(
            "SELECT id FROM messages WHERE direction = 'out' ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE messages SET profile = 'one' WHERE phone_number_id = :p"), {"p": PHONES[0]})
        for job, profile in ((1, "t"), (2, "nobody"), (3, "one")):
            conn.execute(text(
                "INSERT INTO bulk_jobs (id, profile, template_name, template_language, csv_path, csv_sha256, "
                "total, status, created_at, updated_at) VALUES (:j, :p, 'promo', 'en', 'r.csv', 'x', 1, "
                "'done', 0, 0)"), {"j": job, "p": profile})
        conn.execute(text("UPDATE messages SET bulk_job_id = 1 WHERE id = :m"), {"m": message})
        conn.execute(text("INSERT INTO bulk_recipients (job_id, line_no, phone, parameters, status, message_id) "
                          "VALUES (1, 2, '+15550000001', '{}', 'sent', :m)"), {"m": message})
        for i, phone in enumerate(PHONES):
            conn.execute(text(
                'INSERT INTO meta_analytics (kind, "key", start, "end", "values", pulled_at) '
                "VALUES ('messages', :p, 0, 86400000, '{\"sent\": 1}', :i)"), {"p": phone, "i": i})


def _sums(db: Database, ratings: bool = True) -> dict[str, Any]:
    """The figures the dashboard sums over every account, as they read at any revision.

    ``ratings``: with the survey ratings (collapsing the accounts merges sessions, and a
    merged session keeps the rating of its earliest part only)."""
    out: dict[str, Any] = {}
    with db.engine.connect() as conn:
        for table, key in (("delivery_rollups", ("hour_start", "phone_number_id", "template_name",
                                                 "template_language")),
                           ("error_rollups", ("hour_start", "phone_number_id", "template_name",
                                              "template_language", "error_code")),
                           ("delivery_rollups_daily", ("day_start", "phone_number_id", "template_name",
                                                       "template_language")),
                           ("error_rollups_daily", ("day_start", "phone_number_id", "error_code"))):
            summed: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for r in rows(conn, f"SELECT * FROM {table}"):
                for k, v in r.items():
                    if k not in key and k != "waba_id" and v:
                        summed[tuple(r[c] for c in key)][k] += int(v)
            out[table] = {k: dict(v) for k, v in summed.items() if v}
        activity: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in rows(conn, "SELECT * FROM activity_rollups"):
            rated = ("satisfaction_count", "satisfaction_sum") if ratings else ()
            for k in ("messages_in", "messages_out", *rated):
                activity[r["hour_start"]][k] += int(r[k])
        out["activity"] = {h: {k: v for k, v in f.items() if v} for h, f in activity.items()}
        out["contacts"] = tuple(conn.execute(text(
            "SELECT COUNT(DISTINCT wa_id), SUM(messages_in), SUM(messages_out) FROM contacts")).one())
        if ratings:
            out["ratings"] = tuple(conn.execute(text(
                "SELECT COUNT(satisfaction), SUM(satisfaction) FROM conversation_sessions")).one())
        out["rows"] = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                       for t in ("messages", "status_events", "flow_states", "bulk_jobs", "bulk_recipients",
                                 "meta_analytics")}
    return out


def _figures_equal(db: Database) -> None:
    with db.engine.connect() as conn:
        compare(conn, GAP_MS)
        compare_daily(conn, GAP_MS)


def _unattributed(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t} WHERE waba_id = ''")).scalar_one()
                  for t in ATTRIBUTED}
    return {t: n for t, n in counts.items() if n}


def test_0011_attributes_every_row_of_two_accounts_and_keeps_the_figures(
    empty_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db, BEFORE)
        reset(db, GAP_MS)
        history = History(db, Chooser(rnd=random.Random(11)))
        assert history.accounts is None
        play(history, 60)
        _extras(db)
        _figures_equal(db)
        before = _sums(db)
        assert before["ratings"][0] > 0 and before["rows"]["status_events"] > 0

        with caplog.at_level(logging.INFO, logger="easymo.migrations"):
            assert migrate.upgrade(db, accounts=WABA_BY_PHONE).state == "current"
        # Only the job that sent nothing, from a profile that sent nothing, names no account.
        assert _unattributed(db) == {"bulk_jobs": 1}
        assert "bulk_jobs: 1 rows name no account" in caplog.text
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT waba_id FROM bulk_jobs WHERE id = 3")).scalar_one() \
                == WABA_BY_PHONE[PHONES[0]]
            assert dict(conn.execute(text("SELECT phone_number_id, waba_id FROM phone_numbers")).all()) \
                == WABA_BY_PHONE
            for phone, waba in WABA_BY_PHONE.items():
                assert set(conn.execute(text("SELECT DISTINCT waba_id FROM messages WHERE phone_number_id = :p"),
                                        {"p": phone}).scalars()) == {waba}
            # Someone who wrote to both accounts is a contact of each.
            both = conn.execute(text("SELECT wa_id FROM contacts GROUP BY wa_id HAVING COUNT(*) = 2")).all()
            assert both
            assert conn.execute(text("SELECT COUNT(*) FROM flow_states s JOIN conversation_sessions c "
                                     "ON c.id = s.session_id AND c.waba_id = s.waba_id")).scalar_one() == 1
        assert _sums(db) == before
        _figures_equal(db)

        # New traffic names its account: the triggers keep the figures per account.
        history.accounts = WABA_BY_PHONE
        play(history, 40)
        _figures_equal(db)

        # Collapsed again: the same figures summed, every row kept.
        upgraded = _sums(db, ratings=False)
        assert migrate.downgrade(db, BEFORE).current == BEFORE
        history.accounts = None
        _figures_equal(db)
        assert _sums(db, ratings=False) == upgraded
        play(history, 20)
        _figures_equal(db)
    finally:
        db.dispose()


def test_0011_gives_the_only_account_what_nothing_else_attributes(empty_db_url: str) -> None:
    """One account in the mapping (one of the two numbers only): every row is that account's,
    Meta's figures too."""
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db, BEFORE)
        reset(db, GAP_MS)
        play(History(db, Chooser(rnd=random.Random(12))), 40)
        _extras(db)
        only = {PHONES[0]: WABA_BY_PHONE[PHONES[0]]}
        migrate.upgrade(db, accounts=only)
        assert _unattributed(db) == {}
        with db.engine.connect() as conn:
            for table in ATTRIBUTED:
                assert set(conn.execute(text(f"SELECT DISTINCT waba_id FROM {table}")).scalars()) <= {
                    WABA_BY_PHONE[PHONES[0]]}, table
        _figures_equal(db)
    finally:
        db.dispose()


def test_0011_without_a_mapping_leaves_rows_unattributed_but_whole(empty_db_url: str) -> None:
    """No profile names an account (a fresh machine): nothing is guessed, nothing is lost."""
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db, BEFORE)
        reset(db, GAP_MS)
        play(History(db, Chooser(rnd=random.Random(13))), 30)
        before = _sums(db)
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            assert set(conn.execute(text("SELECT DISTINCT waba_id FROM messages")).scalars()) == {""}
        assert _sums(db) == before
        _figures_equal(db)
    finally:
        db.dispose()


def test_easymo_db_upgrade_passes_every_local_profiles_account(
    empty_db_url: str, capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring
) -> None:
    """`easymo db upgrade` gives the migration each profile's (phone number, account); a
    profile without an account id adds nothing."""
    store = ProfileStore()
    for name, phone in (("one", PHONES[0]), ("two", PHONES[1])):
        store.save(Profile(name=name, phone_number_id=phone, waba_id=WABA_BY_PHONE[phone], db_url=empty_db_url))
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db, BEFORE)
        reset(db, GAP_MS)
        play(History(db, Chooser(rnd=random.Random(14))), 20)
        assert run_guarded(cli, ["--db-url", empty_db_url, "db", "upgrade"]) == 0, capsys.readouterr().err
        with db.engine.connect() as conn:
            assert dict(conn.execute(text("SELECT phone_number_id, waba_id FROM phone_numbers")).all()) \
                == WABA_BY_PHONE
            assert conn.execute(text("SELECT COUNT(*) FROM messages WHERE waba_id = ''")).scalar_one() == 0
    finally:
        db.dispose()
