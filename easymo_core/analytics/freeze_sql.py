"""Freeze today's trigger and rebuild SQL for a new migration.

``python -m easymo_core.analytics.freeze_sql REVISION``

Writes storage/migrations/sql/REVISION/ (create_triggers and drop_triggers per dialect,
rebuild_delivery, rebuild_daily and rebuild_conversations for both). A migration that
changes what the generators produce freezes its files once, when it is written;
tests/storage/test_frozen_sql.py then holds the generators to them. Here, not in storage/,
because the rebuild lives in analytics.
"""

from __future__ import annotations

import sys
from pathlib import Path

from easymo_core.analytics import rebuild
from easymo_core.storage import analytics_triggers, frozen_sql

HEADER = (
    "-- Frozen: the SQL migration {revision} runs ({what}), {dialect}.\n"
    "-- Generated once from the code of that revision; never edit (a change is a new migration).\n"
)


def freeze(revision: str) -> list[Path]:
    folder = frozen_sql.FROZEN / revision
    folder.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, str | None, list[str], str]] = []
    for dialect in ("sqlite", "postgresql"):
        steps.append(("create_triggers", dialect, analytics_triggers.create_statements(dialect),
                      "CREATE TRIGGER, and on PostgreSQL the trigger functions"))
        steps.append(("drop_triggers", dialect, analytics_triggers.drop_statements(dialect),
                      "drops every analytics trigger"))
    what = "figures rebuilt set-based from messages"
    steps.append(("rebuild_delivery", None, rebuild.delivery_statements(), f"rebuild_delivery: {what}"))
    steps.append(("rebuild_daily", None, rebuild.daily_statements(), f"rebuild_daily: {what}"))
    steps.append(("rebuild_conversations", None, rebuild.conversation_statements(":gap_ms"),
                  f"rebuild_conversations: {what}"))
    written = []
    for step, only, statements, about in steps:
        path = folder / (f"{step}.{only}.sql" if only else f"{step}.sql")
        header = HEADER.format(revision=revision, what=about, dialect=only or "both dialects")
        path.write_text(header + frozen_sql.render(statements), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m easymo_core.analytics.freeze_sql REVISION")
    for p in freeze(sys.argv[1]):
        print(p)
