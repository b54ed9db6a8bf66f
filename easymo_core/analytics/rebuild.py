"""Set-based rebuild of every trigger-maintained figure from the raw messages.

Used by the benchmark, which bulk-loads with the triggers dropped, and as the source of a
migration's frozen rebuild SQL (storage/frozen_sql.py; migrations never call it). It uses
the triggers' own expressions and keys (storage/analytics_triggers), so it fills the
current schema's tables, and window functions (SQLite >= 3.25 and PostgreSQL) for the
per-contact order that response times and sessions depend on. Each step is a list of
statements (``*_statements``), run here and compared with the newest frozen files by
tests/storage/test_frozen_sql.py.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from easymo_core.analytics.settings import session_gap_ms
from easymo_core.errors import EasymoError
from easymo_core.storage.analytics_triggers import (
    BUCKET_COLUMNS,
    DAY_MS,
    DELIVERY_SUMS,
    ENGAGEMENT_SQL,
    HOUR_MS,
    ROLLUP_COLUMNS,
    activity_sql,
    bucket_sql,
    daily_delivery_key_columns,
    daily_error_key_columns,
    decile_sql,
    delivery_latency_sql,
    error_key,
    hour_sql,
    message_key,
    read_latency_sql,
)
from easymo_core.storage.models import N_BUCKETS


class RebuildRefused(EasymoError):
    """Rebuilding would lose data that only the database holds."""


def _run(conn: Connection, statements: list[str]) -> None:
    for stmt in statements:
        conn.execute(text(stmt))


def rebuild_all(conn: Connection) -> None:
    rebuild_delivery(conn)
    rebuild_conversations(conn)
    rebuild_daily(conn)


def daily_statements() -> list[str]:
    sums = ", ".join(f"SUM({c})" for c in ROLLUP_COLUMNS)
    delivery_key_cols = daily_delivery_key_columns()
    error_key_cols = daily_error_key_columns()
    act = activity_sql("contacts")
    return [
        "DELETE FROM delivery_rollups_daily",
        f"{_daily_insert('delivery_rollups_daily', delivery_key_cols, ROLLUP_COLUMNS)}, {sums} "
        f"FROM delivery_rollups GROUP BY {_positions(delivery_key_cols)}",
        "DELETE FROM error_rollups_daily",
        f"{_daily_insert('error_rollups_daily', error_key_cols, ['failures'])}, SUM(failures) "
        f"FROM error_rollups GROUP BY {_positions(error_key_cols)} HAVING SUM(failures) <> 0",
        "DELETE FROM score_rollups",
        "INSERT INTO score_rollups (hour_start, waba_id, decile, contacts, score_sum) "
        f"SELECT ({act} / {HOUR_MS}) * {HOUR_MS}, waba_id, {decile_sql('engagement_score')}, COUNT(*), "
        f"SUM(engagement_score) FROM contacts WHERE {act} IS NOT NULL GROUP BY 1, 2, 3",
    ]


def rebuild_daily(conn: Connection) -> None:
    """The daily rollups from the hourly ones and the score histogram from contacts (idempotent).

    The end of every rebuild: whatever the mirror triggers did meanwhile, this leaves the exact sums.
    """
    _run(conn, daily_statements())


def _daily_insert(table: str, key: tuple[str, ...], columns: list[str]) -> str:
    """``INSERT INTO table (key, columns) SELECT`` the day and the other key columns of the
    hourly table; the caller adds the sums."""
    select = [f"(hour_start / {DAY_MS}) * {DAY_MS}" if k == "day_start" else k for k in key]
    return f"INSERT INTO {table} ({', '.join([*key, *columns])}) SELECT {', '.join(select)}"


def _positions(key: tuple[str, ...] | dict[str, str]) -> str:
    return ", ".join(str(i + 1) for i in range(len(key)))


def delivery_statements() -> list[str]:
    dl, rd = delivery_latency_sql("messages"), read_latency_sql("messages")
    m_dl, m_rd = delivery_latency_sql("m"), read_latency_sql("m")
    buckets = [f"SUM(CASE WHEN dlb = {i} THEN 1 ELSE 0 END)" for i in range(N_BUCKETS)]
    buckets += [f"SUM(CASE WHEN rdb = {i} THEN 1 ELSE 0 END)" for i in range(N_BUCKETS)]
    key = message_key("m")
    cols = [*key, *DELIVERY_SUMS, "replied", "clicks", *BUCKET_COLUMNS]
    ekey = error_key("messages")
    return [
        f"UPDATE messages SET delivery_latency_ms = {dl}, read_latency_ms = {rd} "
        f"WHERE direction = 'out' AND (delivery_latency_ms IS DISTINCT FROM {dl} "
        f"OR read_latency_ms IS DISTINCT FROM {rd})",
        "DELETE FROM delivery_rollups",
        "DELETE FROM error_rollups",
        # The key expressions under their column names in the derived table, grouped by those.
        f"INSERT INTO delivery_rollups ({', '.join(cols)}) "
        f"SELECT {', '.join(key)}, COUNT(*), SUM(dv), SUM(rdn), SUM(fl), "
        "SUM(COALESCE(dlv, 0)), SUM(CASE WHEN dlv IS NULL THEN 0 ELSE 1 END), "
        "SUM(COALESCE(rdv, 0)), SUM(CASE WHEN rdv IS NULL THEN 0 ELSE 1 END), "
        "SUM(CASE WHEN quotes > 0 THEN 1 ELSE 0 END), SUM(clicks), "
        f"{', '.join(buckets)} FROM ("
        f"SELECT {', '.join(f'{v} AS {k}' for k, v in key.items())}, "
        "CASE WHEN m.delivered_at IS NOT NULL THEN 1 ELSE 0 END AS dv, "
        "CASE WHEN m.read_at IS NOT NULL THEN 1 ELSE 0 END AS rdn, "
        "CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END AS fl, "
        f"{m_dl} AS dlv, {m_rd} AS rdv, {bucket_sql(m_dl)} AS dlb, {bucket_sql(m_rd)} AS rdb, "
        "COALESCE(q.quotes, 0) AS quotes, COALESCE(q.clicks, 0) AS clicks "
        "FROM messages m LEFT JOIN ("
        "SELECT waba_id, context_wamid, COUNT(*) AS quotes, "
        "SUM(CASE WHEN reply_id IS NOT NULL THEN 1 ELSE 0 END) AS clicks "
        "FROM messages WHERE direction = 'in' AND context_wamid IS NOT NULL GROUP BY waba_id, context_wamid"
        ") q ON m.wamid IS NOT NULL AND q.context_wamid = m.wamid AND q.waba_id = m.waba_id "
        f"WHERE m.direction = 'out') AS d GROUP BY {', '.join(key)}",
        f"INSERT INTO error_rollups ({', '.join(ekey)}, failures) "
        f"SELECT {', '.join(ekey.values())}, COUNT(*) FROM messages "
        f"WHERE direction = 'out' AND status = 'failed' GROUP BY {_positions(ekey)}",
    ]


def rebuild_delivery(conn: Connection) -> None:
    """Latency columns, delivery_rollups and error_rollups, from messages (idempotent)."""
    _run(conn, delivery_statements())


def rebuild_conversations(conn: Connection) -> None:
    """Response times, sessions, contact counters and activity_rollups.

    Sessions carry flow and satisfaction data written by the flows, which cannot be
    derived from messages, so this refuses to run over existing sessions.
    """
    if conn.execute(text("SELECT COUNT(*) FROM conversation_sessions")).scalar():
        raise RebuildRefused(
            "conversation sessions exist already; rebuilding them would lose flow and survey data",
            hint="the triggers keep them current; rebuild only an empty database",
        )
    _run(conn, conversation_statements(str(session_gap_ms(conn))))


def conversation_statements(gap_ms: str) -> list[str]:
    """``gap_ms``: the session gap as SQL (a number, or the frozen files' ``:gap_ms``).

    Per contact of one account (waba_id, contact_wa_id): a person writing to two accounts
    has two threads, each with its own sessions and response times.
    """
    return [
        "DROP TABLE IF EXISTS easymo_conv",
        # One row per message that joined a conversation, with its response and session number.
        "CREATE TEMPORARY TABLE easymo_conv AS "
        "SELECT id, waba_id, contact_wa_id, direction, created_at, updated_at, resp, new_s, "
        "SUM(new_s) OVER (PARTITION BY waba_id, contact_wa_id ORDER BY created_at, id "
        "ROWS UNBOUNDED PRECEDING) AS sn FROM ("
        "SELECT id, waba_id, contact_wa_id, direction, created_at, updated_at, "
        "CASE WHEN pdir IS NOT NULL AND pdir <> direction THEN created_at - pts END AS resp, "
        f"CASE WHEN pts IS NULL OR created_at - pts > {gap_ms} THEN 1 ELSE 0 END AS new_s FROM ("
        "SELECT id, waba_id, contact_wa_id, direction, created_at, updated_at, "
        "LAG(direction) OVER w AS pdir, LAG(created_at) OVER w AS pts FROM messages "
        "WHERE direction = 'in' OR wamid IS NOT NULL "
        "WINDOW w AS (PARTITION BY waba_id, contact_wa_id ORDER BY created_at, id)) AS a) AS b",
        "CREATE INDEX easymo_conv_session ON easymo_conv (waba_id, contact_wa_id, sn)",
        "INSERT INTO contacts (waba_id, wa_id, first_seen_at, last_inbound_at, last_outbound_at, "
        "messages_in, messages_out, replies, engagement_score, updated_at) "
        "SELECT waba_id, contact_wa_id, MIN(created_at), "
        "MAX(CASE WHEN direction = 'in' THEN created_at END), "
        "MAX(CASE WHEN direction = 'out' THEN created_at END), "
        "SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'in' AND resp IS NOT NULL THEN 1 ELSE 0 END), 0.0, MAX(updated_at) "
        "FROM easymo_conv GROUP BY waba_id, contact_wa_id "
        "ON CONFLICT (waba_id, wa_id) DO UPDATE SET first_seen_at = excluded.first_seen_at, "
        "last_inbound_at = excluded.last_inbound_at, last_outbound_at = excluded.last_outbound_at, "
        "messages_in = excluded.messages_in, messages_out = excluded.messages_out, "
        "replies = excluded.replies",
        f"UPDATE contacts SET engagement_score = {ENGAGEMENT_SQL}",
        "INSERT INTO conversation_sessions (waba_id, contact_wa_id, started_at, last_message_at, "
        "messages_in, messages_out, duration_ms, user_response_ms_sum, user_response_count, "
        "business_response_ms_sum, business_response_count) "
        "SELECT waba_id, contact_wa_id, MIN(created_at), MAX(created_at), "
        "SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), MAX(created_at) - MIN(created_at), "
        "SUM(CASE WHEN direction = 'in' THEN COALESCE(resp, 0) ELSE 0 END), "
        "SUM(CASE WHEN direction = 'in' AND resp IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' THEN COALESCE(resp, 0) ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' AND resp IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM easymo_conv GROUP BY waba_id, contact_wa_id, sn "
        "ORDER BY MIN(created_at), waba_id, contact_wa_id",
        # A contact's sessions never share a start time, so (account, contact, start) names a session.
        "UPDATE messages SET response_ms = c.resp, session_id = s.id "
        "FROM easymo_conv c, conversation_sessions s, "
        "(SELECT waba_id, contact_wa_id, sn, MIN(created_at) AS st FROM easymo_conv "
        "GROUP BY waba_id, contact_wa_id, sn) k "
        "WHERE messages.id = c.id AND k.waba_id = c.waba_id AND k.contact_wa_id = c.contact_wa_id "
        "AND k.sn = c.sn AND s.waba_id = k.waba_id AND s.contact_wa_id = k.contact_wa_id "
        "AND s.started_at = k.st",
        "DELETE FROM activity_rollups",
        "INSERT INTO activity_rollups (hour_start, waba_id, messages_in, messages_out, sessions_started, "
        "user_responses, user_response_ms_sum, business_responses, business_response_ms_sum) "
        f"SELECT {hour_sql('easymo_conv')} AS h, waba_id, "
        "SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), SUM(new_s), "
        "SUM(CASE WHEN direction = 'in' AND resp IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'in' THEN COALESCE(resp, 0) ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' AND resp IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN direction = 'out' THEN COALESCE(resp, 0) ELSE 0 END) "
        "FROM easymo_conv GROUP BY 1, 2",
        "DROP TABLE easymo_conv",
    ]
