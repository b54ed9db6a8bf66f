"""The analytics triggers of migration 0002, for SQLite and PostgreSQL, from one definition.

Every trigger body is a list of plain SQL statements both dialects accept (``NEW.x`` and
``OLD.x`` references, ``INSERT ... SELECT ... WHERE ... ON CONFLICT DO UPDATE``, CASE for
every branch). SQLite runs them as ``CREATE TRIGGER ... BEGIN ...; END``; PostgreSQL wraps
the same list in a PL/pgSQL function. Only the session gap read from app_state differs.

What they keep (the definitions ``easymo_core.analytics.recompute`` and the property test
check against):

* **messages.delivery_latency_ms / read_latency_ms**: delivered - sent, read - delivered,
  whenever a status timestamp changes (the ingest only sets timestamps).
* **delivery_rollups**, keyed by the hour of the message's ``created_at`` and its template
  and language ('' for non-template messages), as sums of per-message contributions:
  ``sent`` = every outbound message recorded (an attempt, refused ones included),
  ``delivered``/``read`` = the timestamp is known, ``failed`` = the status is failed now,
  latency sums, counts and histogram buckets (bucket i holds latencies below
  ``LATENCY_BUCKETS_MS[i]`` and at or above the previous bound; the last is open),
  ``replied`` = outbound messages with at least one inbound message quoting them,
  ``clicks`` = quoting inbound messages that carry a button or list reply id.
  Every change of a row adds its new contribution and removes its old one, so events in
  any order, duplicates and deletions leave the sums equal to a GROUP BY over messages.
* **error_rollups**: messages whose status is failed now, per error code (-1 if none).
* **Conversation figures**, when a message joins the conversation (an inbound message on
  insert, an outbound one when Meta accepted it: its wamid is set). Its time is its
  ``created_at``. The contact's previous such message (latest by created_at, then id)
  decides the response: an inbound message after an outbound one is the user's response
  (``response_ms`` = the gap), an outbound after an inbound is ours. It joins the contact's
  latest session unless that one's last message is more than the idle gap before it
  (app_state key ``analytics.session_gap``, ``{"ms": ...}``, default 30 minutes); then a
  new session starts. Sessions, contact counters and activity_rollups are updated alike.
  Messages are assumed to join in time order per contact (true for live traffic); one
  recorded late is attributed as of its arrival.
* **contacts.engagement_score** (see ``ENGAGEMENT_SQL``), recomputed on each of those.
* **activity_rollups satisfaction**, when conversation_sessions.satisfaction changes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from easymo_core.storage.models import LATENCY_BUCKETS_MS, N_BUCKETS

GAP_KEY = "analytics.session_gap"
DEFAULT_GAP_MS = 30 * 60 * 1000
HOUR_MS = 3_600_000
UNKNOWN_ERROR_CODE = -1
WEEK_MS = 7 * 86_400_000

_GAP_SQL = {
    "sqlite": (
        f"COALESCE((SELECT CAST(json_extract(value, '$.ms') AS INTEGER) FROM app_state "
        f"WHERE key = '{GAP_KEY}'), {DEFAULT_GAP_MS})"
    ),
    "postgresql": (
        f"COALESCE((SELECT (value->>'ms')::bigint FROM app_state WHERE key = '{GAP_KEY}'), {DEFAULT_GAP_MS})"
    ),
}

# The engagement score of a contact, 0..100, from its own columns:
#   recency   R = 1 / (1 + W), W = weeks between the user's last message and the
#               contact's latest message either way (0 if the user wrote last; R = 0 if
#               the user never wrote). Messaging someone who stopped answering lowers it.
#   frequency F = n_in / (n_in + 5): 5 messages from the user give 0.5, 20 give 0.8.
#   response  P = replies / messages_out (capped at 1; 0 if we never wrote), where
#               replies counts the user's responses to us (see the module docstring).
#   score = 100 * (0.4 R + 0.3 F + 0.3 P)
ENGAGEMENT_SQL = f"""100.0 * (
  0.4 * (CASE WHEN last_inbound_at IS NULL THEN 0.0
              ELSE 1.0 / (1.0 + (CASE WHEN last_outbound_at > last_inbound_at
                                      THEN last_outbound_at - last_inbound_at ELSE 0 END)
                                / {WEEK_MS}.0) END)
  + 0.3 * (messages_in * 1.0 / (messages_in + 5.0))
  + 0.3 * (CASE WHEN messages_out = 0 THEN 0.0 WHEN replies >= messages_out THEN 1.0
                ELSE replies * 1.0 / messages_out END))"""


def engagement_score(
    messages_in: int, messages_out: int, replies: int, last_in: int | None, last_out: int | None
) -> float:
    """ENGAGEMENT_SQL in Python, for recomputation and tests."""
    if last_in is None:
        recency = 0.0
    else:
        gap = last_out - last_in if last_out is not None and last_out > last_in else 0
        recency = 1.0 / (1.0 + gap / WEEK_MS)
    frequency = messages_in / (messages_in + 5.0)
    response = 0.0 if messages_out == 0 else min(1.0, replies / messages_out)
    return 100.0 * (0.4 * recency + 0.3 * frequency + 0.3 * response)


def latency_bucket(ms: int) -> int:
    """The histogram bucket of a latency, as the triggers file it."""
    for i, bound in enumerate(LATENCY_BUCKETS_MS):
        if ms < bound:
            return i
    return N_BUCKETS - 1


# -- per-message expressions (``r`` is NEW, OLD or a table alias) ----------------------
def hour_sql(r: str, column: str = "created_at") -> str:
    return f"(({r}.{column} / {HOUR_MS}) * {HOUR_MS})"


def delivery_latency_sql(r: str) -> str:
    return (
        f"(CASE WHEN {r}.delivered_at IS NOT NULL AND {r}.sent_at IS NOT NULL "
        f"THEN {r}.delivered_at - {r}.sent_at END)"
    )


def read_latency_sql(r: str) -> str:
    return (
        f"(CASE WHEN {r}.read_at IS NOT NULL AND {r}.delivered_at IS NOT NULL "
        f"THEN {r}.read_at - {r}.delivered_at END)"
    )


def bucket_sql(expr: str) -> str:
    whens = " ".join(f"WHEN {expr} < {b} THEN {i}" for i, b in enumerate(LATENCY_BUCKETS_MS))
    return f"(CASE WHEN {expr} IS NULL THEN -1 {whens} ELSE {N_BUCKETS - 1} END)"


def _flag(cond: str) -> str:
    return f"(CASE WHEN {cond} THEN 1 ELSE 0 END)"


BUCKET_COLUMNS = [f"dl_h{i:02d}" for i in range(N_BUCKETS)] + [f"rd_h{i:02d}" for i in range(N_BUCKETS)]
DELIVERY_SUMS = [
    "sent",
    "delivered",
    "read",
    "failed",
    "delivery_latency_sum_ms",
    "delivery_latency_count",
    "read_latency_sum_ms",
    "read_latency_count",
]


def _contrib(r: str | None) -> dict[str, str]:
    """A message's contribution to its delivery_rollups row (before bucketing)."""
    if r is None:
        # Typed NULLs: PostgreSQL would take a bare NULL in a derived table for text.
        null = "CAST(NULL AS BIGINT)"
        return {"sent": "0", "delivered": "0", "read": "0", "failed": "0", "dl": null, "rd": null}
    return {
        "sent": "1",
        "delivered": _flag(f"{r}.delivered_at IS NOT NULL"),
        "read": _flag(f"{r}.read_at IS NOT NULL"),
        "failed": _flag(f"{r}.status = 'failed'"),
        "dl": delivery_latency_sql(r),
        "rd": read_latency_sql(r),
    }


def _upsert_set(table: str, columns: list[str]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


def _rollup_delta(new: str | None, old: str | None) -> str:
    """Add ``new``'s contribution and remove ``old``'s, in one upsert (same key for both)."""
    key = new or old
    assert key is not None
    n, o = _contrib(new), _contrib(old)
    inner = ", ".join(
        [
            f"{hour_sql(key)} AS h",
            f"COALESCE({key}.template_name, '') AS tn",
            f"COALESCE({key}.template_language, '') AS tl",
        ]
        + [f"{n[k]} AS n_{k}" for k in ("sent", "delivered", "read", "failed", "dl", "rd")]
        + [f"{o[k]} AS o_{k}" for k in ("sent", "delivered", "read", "failed", "dl", "rd")]
    )
    middle = (
        "h, tn, tl, n_sent - o_sent AS sent, n_delivered - o_delivered AS delivered, "
        "n_read - o_read AS rd_n, n_failed - o_failed AS failed, "
        "COALESCE(n_dl, 0) - COALESCE(o_dl, 0) AS dl_sum, "
        f"{_flag('n_dl IS NOT NULL')} - {_flag('o_dl IS NOT NULL')} AS dl_cnt, "
        "COALESCE(n_rd, 0) - COALESCE(o_rd, 0) AS rd_sum, "
        f"{_flag('n_rd IS NOT NULL')} - {_flag('o_rd IS NOT NULL')} AS rd_cnt, "
        f"{bucket_sql('n_dl')} AS n_dlb, {bucket_sql('o_dl')} AS o_dlb, "
        f"{bucket_sql('n_rd')} AS n_rdb, {bucket_sql('o_rd')} AS o_rdb"
    )
    buckets = [f"{_flag(f'n_dlb = {i}')} - {_flag(f'o_dlb = {i}')}" for i in range(N_BUCKETS)]
    buckets += [f"{_flag(f'n_rdb = {i}')} - {_flag(f'o_rdb = {i}')}" for i in range(N_BUCKETS)]
    outer = ", ".join(
        [
            "h",
            "tn",
            "tl",
            "sent",
            "delivered",
            "rd_n",
            "failed",
            "dl_sum",
            "dl_cnt",
            "rd_sum",
            "rd_cnt",
            *buckets,
        ]
    )
    changed = " OR ".join(
        [
            "sent <> 0",
            "delivered <> 0",
            "rd_n <> 0",
            "failed <> 0",
            "dl_sum <> 0",
            "dl_cnt <> 0",
            "rd_sum <> 0",
            "rd_cnt <> 0",
            "n_dlb <> o_dlb",
            "n_rdb <> o_rdb",
        ]
    )
    cols = ["hour_start", "template_name", "template_language", *DELIVERY_SUMS, *BUCKET_COLUMNS]
    return (
        f"INSERT INTO delivery_rollups ({', '.join(cols)}) "
        f"SELECT {outer} FROM (SELECT {middle} FROM (SELECT {inner}) AS d0) AS d1 WHERE {changed} "
        f"ON CONFLICT (hour_start, template_name, template_language) DO UPDATE SET "
        f"{_upsert_set('delivery_rollups', [*DELIVERY_SUMS, *BUCKET_COLUMNS])}"
    )


def _error_delta(r: str, sign: int, guard: str) -> str:
    return (
        "INSERT INTO error_rollups (hour_start, template_name, template_language, error_code, failures) "
        f"SELECT {hour_sql(r)}, COALESCE({r}.template_name, ''), COALESCE({r}.template_language, ''), "
        f"COALESCE({r}.error_code, {UNKNOWN_ERROR_CODE}), {sign} WHERE {guard} "
        "ON CONFLICT (hour_start, template_name, template_language, error_code) DO UPDATE SET "
        "failures = error_rollups.failures + excluded.failures"
    )


def _latency_columns() -> str:
    dl, rd = delivery_latency_sql("NEW"), read_latency_sql("NEW")
    return (
        f"UPDATE messages SET delivery_latency_ms = {dl}, read_latency_ms = {rd} "
        f"WHERE id = NEW.id AND (delivery_latency_ms IS DISTINCT FROM {dl} "
        f"OR read_latency_ms IS DISTINCT FROM {rd})"
    )


def _reply_credit_from_inbound() -> str:
    """An inbound message quoting one of ours: replied (first quote only) and clicks."""
    first = (
        "NOT EXISTS (SELECT 1 FROM messages x WHERE x.context_wamid = NEW.context_wamid "
        "AND x.direction = 'in' AND x.id <> NEW.id)"
    )
    return (
        "INSERT INTO delivery_rollups (hour_start, template_name, template_language, replied, clicks) "
        f"SELECT {hour_sql('o')}, COALESCE(o.template_name, ''), COALESCE(o.template_language, ''), "
        f"{_flag(first)}, {_flag('NEW.reply_id IS NOT NULL')} FROM messages o "
        "WHERE o.wamid = NEW.context_wamid AND o.direction = 'out' "
        "ON CONFLICT (hour_start, template_name, template_language) DO UPDATE SET "
        "replied = delivery_rollups.replied + excluded.replied, "
        "clicks = delivery_rollups.clicks + excluded.clicks"
    )


def _reply_credit_from_outbound() -> str:
    """An outbound message got its wamid after quoting replies were stored (order-tolerant)."""
    quotes = "FROM messages x WHERE x.context_wamid = NEW.wamid AND x.direction = 'in'"
    return (
        "INSERT INTO delivery_rollups (hour_start, template_name, template_language, replied, clicks) "
        f"SELECT {hour_sql('NEW')}, COALESCE(NEW.template_name, ''), COALESCE(NEW.template_language, ''), "
        f"1, (SELECT COUNT(*) {quotes} AND x.reply_id IS NOT NULL) "
        f"WHERE EXISTS (SELECT 1 {quotes}) "
        "ON CONFLICT (hour_start, template_name, template_language) DO UPDATE SET "
        "replied = delivery_rollups.replied + excluded.replied, "
        "clicks = delivery_rollups.clicks + excluded.clicks"
    )


def _conversation(gap: str) -> list[str]:
    """A message joins the conversation: response time, session, contact, activity."""
    is_in = "NEW.direction = 'in'"
    is_out = "NEW.direction = 'out'"
    response = "(SELECT r.response_ms FROM messages r WHERE r.id = NEW.id)"
    new_session = (
        "NOT EXISTS (SELECT 1 FROM conversation_sessions s WHERE s.contact_wa_id = NEW.contact_wa_id "
        f"AND s.last_message_at >= NEW.created_at - {gap})"
    )
    previous = (
        "SELECT CASE WHEN p.direction <> NEW.direction THEN NEW.created_at - p.created_at END "
        "FROM messages p WHERE p.contact_wa_id = NEW.contact_wa_id AND p.id <> NEW.id "
        "AND (p.direction = 'in' OR p.wamid IS NOT NULL) "
        "AND (p.created_at < NEW.created_at OR (p.created_at = NEW.created_at AND p.id < NEW.id)) "
        "ORDER BY p.created_at DESC, p.id DESC LIMIT 1"
    )
    session = (
        "SELECT s.id FROM conversation_sessions s WHERE s.contact_wa_id = NEW.contact_wa_id "
        "ORDER BY s.last_message_at DESC, s.id DESC LIMIT 1"
    )
    user_resp = f"{is_in} AND {response} IS NOT NULL"
    biz_resp = f"{is_out} AND {response} IS NOT NULL"
    activity_cols = [
        "messages_in",
        "messages_out",
        "sessions_started",
        "user_responses",
        "user_response_ms_sum",
        "business_responses",
        "business_response_ms_sum",
    ]
    return [
        "INSERT INTO contacts (wa_id, first_seen_at, messages_in, messages_out, replies, "
        "engagement_score, updated_at) VALUES (NEW.contact_wa_id, NEW.created_at, 0, 0, 0, 0.0, "
        "NEW.updated_at) ON CONFLICT (wa_id) DO NOTHING",
        # sessions_started before the session insert, which makes the condition false.
        f"INSERT INTO activity_rollups (hour_start, {', '.join(activity_cols)}) "
        f"SELECT {hour_sql('NEW')}, {_flag(is_in)}, {_flag(is_out)}, {_flag(new_session)}, 0, 0, 0, 0 "
        # WHERE: SQLite needs it to tell ON CONFLICT from a join constraint.
        "WHERE 1 = 1 "
        f"ON CONFLICT (hour_start) DO UPDATE SET {_upsert_set('activity_rollups', activity_cols)}",
        "INSERT INTO conversation_sessions (contact_wa_id, started_at, last_message_at, messages_in, "
        "messages_out, duration_ms, user_response_ms_sum, user_response_count, "
        "business_response_ms_sum, business_response_count) "
        f"SELECT NEW.contact_wa_id, NEW.created_at, NEW.created_at, 0, 0, 0, 0, 0, 0, 0 WHERE {new_session}",
        f"UPDATE messages SET session_id = ({session}), response_ms = ({previous}) WHERE id = NEW.id",
        "UPDATE conversation_sessions SET "
        f"messages_in = messages_in + {_flag(is_in)}, messages_out = messages_out + {_flag(is_out)}, "
        "duration_ms = (CASE WHEN last_message_at > NEW.created_at THEN last_message_at "
        "ELSE NEW.created_at END) - (CASE WHEN started_at < NEW.created_at THEN started_at "
        "ELSE NEW.created_at END), "
        "started_at = CASE WHEN started_at < NEW.created_at THEN started_at ELSE NEW.created_at END, "
        "last_message_at = CASE WHEN last_message_at > NEW.created_at THEN last_message_at "
        "ELSE NEW.created_at END, "
        f"user_response_ms_sum = user_response_ms_sum + (CASE WHEN {user_resp} THEN {response} ELSE 0 END), "
        f"user_response_count = user_response_count + {_flag(user_resp)}, "
        f"business_response_ms_sum = business_response_ms_sum + "
        f"(CASE WHEN {biz_resp} THEN {response} ELSE 0 END), "
        f"business_response_count = business_response_count + {_flag(biz_resp)} "
        "WHERE id = (SELECT r.session_id FROM messages r WHERE r.id = NEW.id)",
        "UPDATE activity_rollups SET "
        f"user_responses = user_responses + {_flag(user_resp)}, "
        f"user_response_ms_sum = user_response_ms_sum + (CASE WHEN {user_resp} THEN {response} ELSE 0 END), "
        f"business_responses = business_responses + {_flag(biz_resp)}, "
        f"business_response_ms_sum = business_response_ms_sum + "
        f"(CASE WHEN {biz_resp} THEN {response} ELSE 0 END) "
        f"WHERE hour_start = {hour_sql('NEW')} AND {response} IS NOT NULL",
        "UPDATE contacts SET "
        f"messages_in = messages_in + {_flag(is_in)}, messages_out = messages_out + {_flag(is_out)}, "
        f"replies = replies + {_flag(user_resp)}, "
        "first_seen_at = CASE WHEN first_seen_at < NEW.created_at THEN first_seen_at "
        "ELSE NEW.created_at END, "
        f"last_inbound_at = CASE WHEN {is_in} AND (last_inbound_at IS NULL "
        "OR last_inbound_at < NEW.created_at) THEN NEW.created_at ELSE last_inbound_at END, "
        f"last_outbound_at = CASE WHEN {is_out} AND (last_outbound_at IS NULL "
        "OR last_outbound_at < NEW.created_at) THEN NEW.created_at ELSE last_outbound_at END, "
        "updated_at = CASE WHEN updated_at > NEW.updated_at THEN updated_at ELSE NEW.updated_at END "
        "WHERE wa_id = NEW.contact_wa_id",
        f"UPDATE contacts SET engagement_score = {ENGAGEMENT_SQL} WHERE wa_id = NEW.contact_wa_id",
    ]


def _satisfaction_delta() -> str:
    sat_cols = [f"sat_{i}" for i in range(1, 6)]
    values = [
        f"{_flag('NEW.satisfaction IS NOT NULL')} - {_flag('OLD.satisfaction IS NOT NULL')}",
        "COALESCE(NEW.satisfaction, 0) - COALESCE(OLD.satisfaction, 0)",
    ] + [f"{_flag(f'NEW.satisfaction = {i}')} - {_flag(f'OLD.satisfaction = {i}')}" for i in range(1, 6)]
    cols = ["satisfaction_count", "satisfaction_sum", *sat_cols]
    return (
        f"INSERT INTO activity_rollups (hour_start, {', '.join(cols)}) "
        f"SELECT {hour_sql('NEW', 'started_at')}, {', '.join(values)} WHERE 1 = 1 "
        f"ON CONFLICT (hour_start) DO UPDATE SET {_upsert_set('activity_rollups', cols)}"
    )


# (name, table, event, condition, statements(gap)) of every trigger.
TriggerSpec = tuple[str, str, str, str, Callable[[str], list[str]]]

TRIGGERS: list[TriggerSpec] = [
    (
        "easymo_msg_out_ins",
        "messages",
        "INSERT",
        "NEW.direction = 'out'",
        lambda gap: [
            _rollup_delta("NEW", None),
            _error_delta("NEW", 1, "NEW.status = 'failed'"),
            _latency_columns(),
        ],
    ),
    (
        "easymo_msg_out_ins_conv",
        "messages",
        "INSERT",
        "NEW.direction = 'out' AND NEW.wamid IS NOT NULL",
        lambda gap: [*_conversation(gap), _reply_credit_from_outbound()],
    ),
    (
        "easymo_msg_in_ins",
        "messages",
        "INSERT",
        "NEW.direction = 'in'",
        lambda gap: [*_conversation(gap), _reply_credit_from_inbound()],
    ),
    (
        "easymo_msg_out_status",
        "messages",
        "UPDATE OF status, sent_at, delivered_at, read_at, failed_at, error_code",
        "NEW.direction = 'out'",
        lambda gap: [
            _latency_columns(),
            _rollup_delta("NEW", "OLD"),
            _error_delta(
                "OLD",
                -1,
                "OLD.status = 'failed' AND (NEW.status <> 'failed' "
                "OR NEW.error_code IS DISTINCT FROM OLD.error_code)",
            ),
            _error_delta(
                "NEW",
                1,
                "NEW.status = 'failed' AND (OLD.status <> 'failed' "
                "OR NEW.error_code IS DISTINCT FROM OLD.error_code)",
            ),
        ],
    ),
    (
        "easymo_msg_out_wamid",
        "messages",
        "UPDATE OF wamid",
        "NEW.direction = 'out' AND OLD.wamid IS NULL AND NEW.wamid IS NOT NULL",
        lambda gap: [*_conversation(gap), _reply_credit_from_outbound()],
    ),
    (
        "easymo_msg_out_del",
        "messages",
        "DELETE",
        "OLD.direction = 'out'",
        lambda gap: [_rollup_delta(None, "OLD"), _error_delta("OLD", -1, "OLD.status = 'failed'")],
    ),
    (
        "easymo_session_satisfaction",
        "conversation_sessions",
        "UPDATE OF satisfaction",
        "NEW.satisfaction IS DISTINCT FROM OLD.satisfaction",
        lambda gap: [_satisfaction_delta()],
    ),
]


def _ddl(dialect: str) -> list[tuple[list[str], list[str]]]:
    """(create statements, drop statements) per trigger."""
    gap = _GAP_SQL[dialect]
    out: list[tuple[list[str], list[str]]] = []
    for name, table, event, cond, body in TRIGGERS:
        stmts = body(gap)
        if dialect == "sqlite":
            create = [
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN {cond} BEGIN\n"
                + "".join(f"  {s};\n" for s in stmts)
                + "END"
            ]
            drop = [f"DROP TRIGGER IF EXISTS {name}"]
        else:
            fn = f"{name}_fn"
            create = [
                f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n"
                + "".join(f"  {s};\n" for s in stmts)
                + "  RETURN NULL;\nEND\n$body$",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN ({cond}) "
                f"EXECUTE FUNCTION {fn}()",
            ]
            drop = [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {fn}()"]
        out.append((create, drop))
    return out


def create_triggers(conn: Connection) -> None:
    for create, _ in _ddl(conn.dialect.name):
        for stmt in create:
            conn.exec_driver_sql(stmt)


def drop_triggers(conn: Connection) -> None:
    for _, drop in _ddl(conn.dialect.name):
        for stmt in drop:
            conn.exec_driver_sql(stmt)


def trigger_names() -> list[str]:
    return [t[0] for t in TRIGGERS]
