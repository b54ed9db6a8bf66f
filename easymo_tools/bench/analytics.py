"""`easymo bench analytics`: the dashboard's query set over rollups vs plain GROUP BY.

1. Generate ``messages`` messages over 30 days (templates and texts, statuses with
   realistic latencies, failures with Meta codes, replies and button taps) into a fresh
   SQLite database, fast: bulk inserts with the analytics triggers dropped, then the
   set-based rebuild (analytics/rebuild.py), then the triggers back.
2. Check the rebuild against the triggers on a sample: the same chronological traffic is
   ingested through StatusIngest into one database with triggers and one without (timed:
   that is the ingest slowdown the triggers cost), the second is rebuilt, and every figure
   of the two must be equal.
3. Time the whole dashboard set for 30d (median of warm runs) and the same figures by plain
   GROUP BY over the raw tables, check both give the same figures, report peak RSS.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.period import DAY_MS, resolve_period
from easymo_core.analytics.plain import plain_dashboard
from easymo_core.analytics.rebuild import rebuild_all
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.webhook_payload import InboundRecord, StatusRecord, WebhookBatch
from easymo_core.storage import analytics_triggers, migrate
from easymo_core.storage.engine import Database
from easymo_core.storage.types import from_ms, to_ms, utcnow
from easymo_tools.bench.report import BenchReport, peak_rss_mb

DASHBOARD_TARGET_MS = 50.0
RATIO_TARGET = 20.0
RSS_TARGET_MB = 300.0
DASHBOARD_RUNS = 7
PLAIN_RUNS = 2
REPLY_SHARE = 0.15
CHUNK = 20_000
TEMPLATES = [(f"campaign_{i}", lang) for i in range(8) for lang in ("en_US", "pt_BR")] + [(None, None)]
ERRORS = (131026, 131047, 131049, 131051, 130472)
OUT_COLS = (
    "wamid", "idempotency_key", "profile", "phone_number_id", "direction", "contact_wa_id", "type",
    "template_name", "template_language", "status", "source", "created_at", "updated_at", "queued_at",
    "accepted_at", "sent_at", "delivered_at", "read_at", "failed_at", "error_code", "context_wamid",
    "reply_id", "received_at",
)
EVENT_COLS = ("wamid", "status", "meta_ts", "received_at", "error_code", "source", "applied", "raw")


@dataclass
class Traffic:
    """One generated message with what Meta and the user did with it."""

    out: tuple[Any, ...]
    statuses: list[tuple[str, int, int | None]]  # (status, meta ts, error code)
    reply: tuple[Any, ...] | None


def traffic(n_messages: int, end_ms: int, seed: int, contacts: int | None = None) -> Iterator[Traffic]:
    """About ``n_messages`` messages (outbound plus replies) in time order over 30 days."""
    rnd = random.Random(seed)
    units = max(1, int(n_messages / (1 + REPLY_SHARE)))
    n_contacts = contacts or max(20, n_messages // 25)
    start = end_ms - 30 * DAY_MS
    step = 30 * DAY_MS / units
    for i in range(units):
        t = int(start + i * step + rnd.random() * step)
        wa_id = f"1555{rnd.randrange(n_contacts):07d}"
        name, lang = rnd.choice(TEMPLATES)
        wamid = f"wamid.b{seed}.{i}"
        sent = t + rnd.randint(200, 3_000)
        delivered = sent + int(rnd.expovariate(1 / 1_500)) if rnd.random() < 0.93 else None
        read = delivered + int(rnd.expovariate(1 / 600_000)) if delivered and rnd.random() < 0.6 else None
        failed = sent + rnd.randint(500, 5_000) if delivered is None and rnd.random() < 0.5 else None
        code = rnd.choice(ERRORS) if failed else None
        status = "read" if read else "delivered" if delivered else "failed" if failed else "sent"
        out = (
            wamid, f"k{seed}.{i}", "bench", "1", "out", wa_id, "template" if name else "text", name, lang,
            status, "bulk", t, t, t, t, sent, delivered, read, failed, code, None, None, None,
        )
        statuses: list[tuple[str, int, int | None]] = [("sent", sent, None)]
        if delivered:
            statuses.append(("delivered", delivered, None))
        if read:
            statuses.append(("read", read, None))
        if failed:
            statuses.append(("failed", failed, code))
        reply = None
        # Users answer delivered messages only; REPLY_SHARE of all messages overall.
        if delivered and rnd.random() < REPLY_SHARE / 0.93:
            at = (read or delivered or t) + rnd.randint(5_000, 3_600_000)
            tap = name is not None and rnd.random() < 0.5
            reply = (
                f"wamid.in{seed}.{i}", None, "", "1", "in", wa_id, "reply" if tap else "text", None, None,
                "received", "webhook", at, at, None, None, None, None, None, None, None,
                wamid if (tap or rnd.random() < 0.3) else None, "YES" if tap else None, at,
            )
            # No reply from after now: the dashboard's active users (contacts who wrote
            # since the start) would count its writer, the plain query (in the period) not.
            if at >= end_ms:
                reply = None
        yield Traffic(out, statuses, reply)


def _insert_sql(table: str, cols: tuple[str, ...], dialect: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(mark for _ in cols)})"


def bulk_load(db: Database, n_messages: int, end_ms: int, seed: int) -> int:
    """Generate and bulk-insert with triggers dropped, rebuild, restore; returns messages."""
    count = 0
    with db.engine.begin() as conn:
        analytics_triggers.drop_triggers(conn)
        dialect = conn.dialect.name
        msg_sql = _insert_sql("messages", OUT_COLS, dialect)
        ev_sql = _insert_sql("status_events", EVENT_COLS, dialect)
        msgs: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        for item in traffic(n_messages, end_ms, seed):
            msgs.append(item.out)
            if item.reply is not None:
                msgs.append(item.reply)
            events.extend(
                (item.out[0], st, ts, ts + 400, code, "webhook", True, "{}") for st, ts, code in item.statuses
            )
            if len(msgs) >= CHUNK:
                count += _flush(conn, msg_sql, msgs, ev_sql, events)
        count += _flush(conn, msg_sql, msgs, ev_sql, events)
        rebuild_all(conn)
        analytics_triggers.create_triggers(conn)
    return count


def _flush(
    conn: Connection, msg_sql: str, msgs: list[tuple[Any, ...]], ev_sql: str, events: list[tuple[Any, ...]]
) -> int:
    n = len(msgs)
    if msgs:
        conn.exec_driver_sql(msg_sql, msgs)
    if events:
        conn.exec_driver_sql(ev_sql, events)
    msgs.clear()
    events.clear()
    return n


# -- the sample: chronological ingest with and without triggers ---------------------------
def _feed(db: Database, items: list[Traffic]) -> float:
    """Replay traffic in time order the way live traffic arrives; returns seconds taken."""
    ingest = StatusIngest(db, source="bench")
    timeline: list[tuple[int, int, Any]] = []
    for it in items:
        timeline.append((it.out[11], 0, it.out))
        for st, ts, code in it.statuses:
            timeline.append((ts, 2, (it.out[0], st, ts, code)))
        if it.reply is not None:
            timeline.append((it.reply[11], 1, it.reply))
    timeline.sort(key=lambda e: (e[0], e[1]))
    began = time.perf_counter()
    with db.engine.begin() as conn:
        msg_sql = _insert_sql("messages", OUT_COLS, conn.dialect.name)
        i = 0
        while i < len(timeline):
            kind = timeline[i][1]
            j = i
            while j < len(timeline) and timeline[j][1] == kind and j - i < 200:
                j += 1
            chunk = [e[2] for e in timeline[i:j]]
            if kind == 0:  # the processor records accepted sends, no status yet
                conn.exec_driver_sql(msg_sql, [_accepted(row) for row in chunk])
            elif kind == 1:
                ingest.ingest_in(conn, WebhookBatch(inbound=[_inbound(row) for row in chunk]))
            else:
                ingest.ingest_in(conn, WebhookBatch(statuses=[_status(*s) for s in chunk]))
            i = j
    return time.perf_counter() - began


def _accepted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    values = dict(zip(OUT_COLS, row, strict=True))
    values.update(status="accepted", sent_at=None, delivered_at=None, read_at=None, failed_at=None,
                  error_code=None)
    return tuple(values[c] for c in OUT_COLS)


def _inbound(row: tuple[Any, ...]) -> InboundRecord:
    v = dict(zip(OUT_COLS, row, strict=True))
    return InboundRecord(
        wamid=v["wamid"], from_wa_id=v["contact_wa_id"], profile_name=None, meta_ts=from_ms(v["created_at"]),
        type=v["type"], body="ok", reply_id=v["reply_id"], context_wamid=v["context_wamid"],
        phone_number_id="1", raw={},
    )


def _status(wamid: str, status: str, ts: int, code: int | None) -> StatusRecord:
    return StatusRecord(
        wamid=wamid, status=status, meta_ts=from_ms(ts), recipient_id=None, error_code=code,
        error_title="failed" if code else None, error_detail=None, conversation_id=None,
        pricing_category=None, raw={"id": wamid, "status": status},
    )


SNAPSHOT_SQL = {
    "delivery_rollups": "SELECT * FROM delivery_rollups",
    "error_rollups": "SELECT * FROM error_rollups WHERE failures <> 0",
    "activity_rollups": "SELECT * FROM activity_rollups",
    "contacts": "SELECT wa_id, first_seen_at, last_inbound_at, last_outbound_at, messages_in, messages_out, "
    "replies, ROUND(CAST(engagement_score AS NUMERIC), 6) FROM contacts",
    "sessions": "SELECT contact_wa_id, started_at, last_message_at, messages_in, messages_out, duration_ms, "
    "user_response_ms_sum, user_response_count, business_response_ms_sum, business_response_count "
    "FROM conversation_sessions",
    "messages": "SELECT wamid, response_ms, delivery_latency_ms, read_latency_ms, status FROM messages",
    "delivery_rollups_daily": "SELECT * FROM delivery_rollups_daily",
    "error_rollups_daily": "SELECT * FROM error_rollups_daily WHERE failures <> 0",
    "score_rollups": "SELECT hour_start, decile, contacts, ROUND(CAST(score_sum AS NUMERIC), 6) "
    "FROM score_rollups WHERE contacts <> 0",
}


# Key columns (they come first) of the rollups whose all-zero rows the triggers may leave
# and a rebuild not.
ROLLUP_KEYS = {
    "delivery_rollups": len(analytics_triggers.delivery_key_columns()),
    "error_rollups": len(analytics_triggers.error_key_columns()),
    "activity_rollups": 1,
    "delivery_rollups_daily": len(analytics_triggers.daily_delivery_key_columns()),
}


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every trigger-kept figure, with zero rows and row order set aside."""
    out = {}
    with db.engine.connect() as conn:
        for name, sql in SNAPSHOT_SQL.items():
            rows = [tuple(float(v) if name == "contacts" and i == 7 else v for i, v in enumerate(r))
                    for r in conn.execute(text(sql))]
            if name in ROLLUP_KEYS:
                rows = [r for r in rows if any(v for v in r[ROLLUP_KEYS[name]:])]
            out[name] = sorted(rows, key=repr)
    return out


def _fresh(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    return db


def check_sample(workdir: Path, n: int, end_ms: int) -> dict[str, Any]:
    items = list(traffic(n, end_ms, seed=7, contacts=max(10, n // 20)))
    with_db, without_db = _fresh(workdir / "with.db"), _fresh(workdir / "without.db")
    try:
        with without_db.engine.begin() as conn:
            analytics_triggers.drop_triggers(conn)
        t_without = _feed(without_db, items)
        t_with = _feed(with_db, items)
        with without_db.engine.begin() as conn:
            rebuild_all(conn)
            analytics_triggers.create_triggers(conn)
        a, b = snapshot(with_db), snapshot(without_db)
        mismatched = [k for k in a if a[k] != b[k]]
    finally:
        with_db.dispose()
        without_db.dispose()
    events = sum(1 + len(it.statuses) + (it.reply is not None) for it in items)
    return {
        "sample_messages": sum(1 + (it.reply is not None) for it in items),
        "sample_events": events,
        "ingest_rate_without_triggers": events / t_without,
        "ingest_rate_with_triggers": events / t_with,
        "ingest_slowdown": t_with / t_without,
        "rebuild_matches_triggers": not mismatched,
        "mismatched_tables": mismatched,
    }


def _median_ms(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _comparable(board: Any) -> dict[str, Any]:
    data = board.to_dict()
    for key in ("query_ms", "health", "meta"):
        data.pop(key, None)
    return data


def run(messages: int = 1_000_000, sample: int | None = None, workdir: Path | None = None) -> BenchReport:
    if messages < 100:
        raise ValueError("messages must be at least 100")
    with tempfile.TemporaryDirectory(prefix="easymo-bench-") as tmp:
        base = workdir or Path(tmp)
        end_ms = to_ms(utcnow())
        sample_figures = check_sample(base, sample or min(20_000, max(200, messages // 20)), end_ms)
        db = _fresh(base / "bench.db")
        try:
            began = time.perf_counter()
            loaded = bulk_load(db, messages, end_ms, seed=1)
            load_s = time.perf_counter() - began
            now = from_ms(end_ms)
            period = resolve_period("30d", now=now)
            analytics = Analytics(db)
            boards: list[Any] = []
            analytics.dashboard(period, now=now)  # warm the page cache for both sides alike
            dash_ms = _median_ms(lambda: boards.append(analytics.dashboard(period, now=now)), DASHBOARD_RUNS)
            plains: list[Any] = []
            plain_ms = _median_ms(lambda: plains.append(plain_dashboard(db, period, now=now)), PLAIN_RUNS)
            agree = _comparable(boards[-1]) == _comparable(plains[-1])
            with db.engine.connect() as conn:
                rollup_rows = conn.execute(text("SELECT COUNT(*) FROM delivery_rollups")).scalar()
                events = conn.execute(text("SELECT COUNT(*) FROM status_events")).scalar()
        finally:
            db.dispose()
    rss = peak_rss_mb()
    ratio = plain_ms / dash_ms if dash_ms > 0 else float("inf")
    figures = {
        "messages": loaded,
        "status_events": events,
        "delivery_rollup_rows": rollup_rows,
        "load_seconds": round(load_s, 2),
        "dashboard_ms": round(dash_ms, 2),
        "plain_ms": round(plain_ms, 2),
        "figures_agree": agree,
        "peak_rss_mb": round(rss, 1),
        **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in sample_figures.items()},
    }
    rows = [
        ("messages generated", f"{loaded:,} (+{events:,} status events) in {load_s:.1f} s"),
        ("dashboard set, 30d (rollups)", f"{dash_ms:.1f} ms (median of {DASHBOARD_RUNS})"),
        ("same figures, plain GROUP BY", f"{plain_ms:.1f} ms (median of {PLAIN_RUNS})"),
        ("figures agree", "yes" if agree else "NO"),
        ("peak RSS", f"{rss:.0f} MB"),
        ("ingest with triggers", f"{sample_figures['ingest_rate_with_triggers']:,.0f} events/s"),
        ("ingest without triggers", f"{sample_figures['ingest_rate_without_triggers']:,.0f} events/s"),
        ("trigger ingest slowdown", f"{sample_figures['ingest_slowdown']:.2f}x "
                                    f"({sample_figures['sample_events']:,} events)"),
        ("rebuild == triggers (sample)", "yes" if sample_figures["rebuild_matches_triggers"]
         else "NO: " + ", ".join(sample_figures["mismatched_tables"])),
    ]
    return BenchReport(
        name="analytics",
        figures=figures,
        ratio=ratio,
        baseline="plain GROUP BY over raw tables",
        rows=rows,
        targets={
            f"dashboard < {DASHBOARD_TARGET_MS:.0f} ms": dash_ms < DASHBOARD_TARGET_MS,
            f"ratio >= {RATIO_TARGET:.0f}x": ratio >= RATIO_TARGET,
            f"peak RSS < {RSS_TARGET_MB:.0f} MB": rss < RSS_TARGET_MB,
            "figures agree": agree,
            "rebuild matches triggers": bool(sample_figures["rebuild_matches_triggers"]),
        },
    )
