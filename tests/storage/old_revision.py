"""Playing today's traffic into a database at a revision before 0011_accounts.

The migration tests fill a database at an old revision through today's StatusIngest, which
writes each row's account (``waba_id``) and looks numbers up in ``phone_numbers``: both come
with 0011. For the traffic only, the database gets those columns (every row of no account,
'') and an empty ``phone_numbers``; the old triggers never read them, and they are taken away
before the next migration, which then finds the schema of its revision exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect

from easymo_core.storage.engine import Database
from easymo_core.storage.models import PhoneNumber, table_of
from tests.analytics.test_trigger_properties import History, play

WRITTEN = ("messages", "status_events", "contacts")


def has_accounts(db: Database) -> bool:
    return "waba_id" in {c["name"] for c in inspect(db.engine).get_columns("messages")}


@contextmanager
def ingest_columns(db: Database) -> Iterator[None]:
    with db.engine.begin() as conn:
        for table in WRITTEN:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN waba_id VARCHAR(32) NOT NULL DEFAULT ''")
        # The ingest's contact upsert names (waba_id, wa_id); with every account '' this is the
        # old key (wa_id) again.
        conn.exec_driver_sql("CREATE UNIQUE INDEX old_revision_contacts ON contacts (waba_id, wa_id)")
        table_of(PhoneNumber).create(conn)
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            table_of(PhoneNumber).drop(conn)
            conn.exec_driver_sql("DROP INDEX old_revision_contacts")
            for table in WRITTEN:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN waba_id")


def play_any(history: History, steps: int) -> None:
    """``play`` at whatever revision the database is."""
    if has_accounts(history.db):
        play(history, steps)
        return
    with ingest_columns(history.db):
        play(history, steps)
