"""Analytics settings kept in app_state, so every console and receiver agrees on them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from easymo_core.errors import EasymoError
from easymo_core.storage.analytics_triggers import DEFAULT_GAP_MS, GAP_KEY
from easymo_core.storage.models import AppState, table_of
from easymo_core.storage.sql import upsert
from easymo_core.storage.types import to_ms, utcnow

app_state_t = table_of(AppState)
MIN_GAP_MS = 60_000
MAX_GAP_MS = 7 * 86_400_000


class AnalyticsSettingError(EasymoError):
    """An analytics setting is out of range."""


def session_gap_ms(conn: Connection) -> int:
    """The idle gap that ends a conversation session (the triggers read the same row)."""
    value = conn.execute(select(app_state_t.c.value).where(app_state_t.c.key == GAP_KEY)).scalar()
    if isinstance(value, dict) and isinstance(value.get("ms"), int):
        return int(value["ms"])
    return DEFAULT_GAP_MS


def set_session_gap_ms(conn: Connection, ms: int) -> None:
    """Change the gap for messages from now on; sessions already closed stay as they are."""
    if not MIN_GAP_MS <= ms <= MAX_GAP_MS:
        raise AnalyticsSettingError(
            f"session gap {ms} ms is out of range",
            hint=f"pick between {MIN_GAP_MS // 60_000} minute and {MAX_GAP_MS // 86_400_000} days",
        )
    stmt = upsert(conn, app_state_t).values(key=GAP_KEY, value={"ms": ms}, updated_at=utcnow())
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": stmt.excluded.value, "updated_at": to_ms(utcnow())}
        )
    )
