"""`easymo bench ingest`: signed status webhooks on loopback until every event is stored.

Meta plays the client, in a process of its own (easymo_tools.bench.load): realistic status
webhooks (sent, delivered, read for each message, with conversation and pricing on "sent"),
batched 1 or 50 statuses per POST, several POSTs in flight, a retry after 503. The receiver
runs as the console embeds it: uvicorn in a thread, the durable intake's writer thread, the
status ingest. The clock stops when the last status row is in the database, not when the
last 200 came back, so a fast answer with a slow backlog cannot look good.

The baseline is a bare ASGI app on the same uvicorn stack that checks the signature and
answers 200 without storing anything: the ratio is the receiver's event rate on SQLite over
it, both with one status per POST, as Meta mostly sends them. The bare app is run before and
after the receivers and its mean used, so drift in the machine's speed during the run falls
on both sides.

Beside it, and not instead of it: the same bare app committing each POST's body to SQLite
before its 200 (batch 1 and 50), the least any receiver that never acknowledges an event it
has not made durable must do, and the batch-50 figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from easymo_core.asgi_thread import ThreadedASGIServer
from easymo_core.config import sandbox_defaults as defaults
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent, table_of
from easymo_core.webhook import signature
from easymo_core.webhook.server import WebhookServer
from easymo_tools.bench.load import LoadResult, child_main, drive_child
from easymo_tools.bench.report import BenchReport

SQLITE_TARGET_EPS = 5000.0
RATIO_TARGET = 0.4
CONCURRENCY = 16
APP_SECRET = "bench-app-secret"
STATUSES = ("sent", "delivered", "read")
WAIT_LIMIT_S = 300.0
# The baselines answer 600 POSTs of 50 in some 0.05 s: too short a run to time steadily, so
# they replay the same POSTs until they have at least this many (they store no status).
MIN_BASELINE_POSTS = 3000


@dataclass
class Run:
    label: str
    events: int
    posts: int
    seconds: float
    retries: int
    errors: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


# -- payloads -------------------------------------------------------------------------------
def _wamid(i: int) -> str:
    return f"wamid.BENCH{i:010d}"


def _status(i: int, status: str, base_ts: int) -> dict[str, Any]:
    offset = {"sent": 0, "delivered": 2, "read": 30}[status]
    item: dict[str, Any] = {
        "id": _wamid(i),
        "status": status,
        "timestamp": str(base_ts + i + offset),
        "recipient_id": f"1555{i % 10_000_000:07d}",
    }
    if status == "sent":
        item["conversation"] = {
            "id": f"conv{i:012d}",
            "expiration_timestamp": str(base_ts + 86_400),
            "origin": {"type": "utility"},
        }
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    return item


def _envelope(statuses: list[dict[str, Any]]) -> bytes:
    body = {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": defaults.SANDBOX_WABA_ID,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": "15550000000",
                        "phone_number_id": defaults.SANDBOX_PHONE_NUMBER_ID,
                    },
                    "statuses": statuses,
                },
            }],
        }],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def build_posts(messages: int, batch: int, base_ts: int) -> list[tuple[bytes, str]]:
    """Signed bodies: every message's sent, then delivered, then read, ``batch`` per POST."""
    stream = [_status(i, st, base_ts) for st in STATUSES for i in range(messages)]
    posts = []
    for start in range(0, len(stream), batch):
        body = _envelope(stream[start : start + batch])
        posts.append((body, signature.sign(APP_SECRET, body)))
    return posts


# -- databases ------------------------------------------------------------------------------
@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="easymo-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A throw-away database on the server behind ``server_url``, dropped afterwards."""
    name = f"easymo_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed_messages(db: Database, count: int, base_ts: int) -> int:
    """The outbound messages the statuses are about, as the processor leaves them, after a
    history as long of messages already read with their statuses stored; returns how many
    status events that history holds.

    A receiver writes into tables in use, with planner statistics (autovacuum gathers them
    within a minute of a bulk change). On empty, never-analysed tables PostgreSQL scans the
    whole of status_events and messages for each POST's 50 wamids for the entire run.
    """
    created = datetime.fromtimestamp(base_ts - 1, UTC)
    earlier = datetime.fromtimestamp(base_ts - 86_400, UTC)
    history = [_message(f"wamid.HISTORY{i:010d}", i, earlier, "read") for i in range(count)]
    events = [
        {"wamid": m["wamid"], "status": st, "meta_ts": earlier + timedelta(seconds=offset),
         "received_at": earlier + timedelta(seconds=offset), "source": "webhook", "applied": True,
         "raw": {"id": m["wamid"], "status": st}}
        for m in history for st, offset in (("sent", 0), ("delivered", 2), ("read", 30))
    ]
    rows = [_message(_wamid(i), i, created, "accepted") for i in range(count)]
    with db.engine.begin() as conn:
        for table, items in ((table_of(Message), history + rows), (table_of(StatusEvent), events)):
            for start in range(0, len(items), 5000):
                conn.execute(insert(table), items[start : start + 5000])
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return len(events)


def _message(wamid: str, i: int, created: datetime, status: str) -> dict[str, Any]:
    return {
            "wamid": wamid,
            "profile": "bench",
            "phone_number_id": defaults.SANDBOX_PHONE_NUMBER_ID,
            "direction": "out",
            "contact_wa_id": f"1555{i % 10_000_000:07d}",
            "type": "template",
            "template_name": "order_update",
            "template_language": "en_US",
            "status": status,
            "source": "bulk",
            "created_at": created,
            "updated_at": created,
            "queued_at": created,
            "accepted_at": created,
    }


def _count_events(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(StatusEvent))).scalar_one())


def _count_read(db: Database) -> int:
    t = table_of(Message)
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(t.c.status == "read")).scalar_one())


# -- running the load -----------------------------------------------------------------------
def _drive(
    url: str, posts: list[tuple[bytes, str]], done: Callable[[], bool] | None = None
) -> tuple[float, LoadResult]:
    """Post everything from a child process; seconds from "go" until ``done()`` holds."""
    elapsed, result = drive_child(child_main, (url, posts, CONCURRENCY), done, wait_s=WAIT_LIMIT_S)
    return elapsed, result


def _bare_app() -> Starlette:
    async def receive(request: Request) -> Response:
        body = await request.body()
        if not signature.verify(APP_SECRET, body, request.headers.get(signature.HEADER)):
            return PlainTextResponse("bad signature", status_code=403)
        return PlainTextResponse("EVENT_RECEIVED")

    return Starlette(routes=[Route("/webhook", receive, methods=["POST"])])


def _baseline_posts(messages: int, batch: int, base_ts: int) -> tuple[list[tuple[bytes, str]], int]:
    """The receiver's POSTs, replayed to MIN_BASELINE_POSTS; and how many events they carry."""
    posts = build_posts(messages, batch, base_ts)
    replays = -(-MIN_BASELINE_POSTS // len(posts))
    return posts * replays, messages * len(STATUSES) * replays


def _drive_app(app: Starlette, name: str, posts: list[tuple[bytes, str]]) -> tuple[float, LoadResult]:
    """A baseline app on the receiver's server stack, for the duration of one load."""
    server = ThreadedASGIServer(app, name=name)
    server.start()
    try:
        return _drive(server.base_url + "/webhook", posts)
    finally:
        server.stop()


def run_bare(messages: int, batch: int, base_ts: int) -> Run:
    posts, events = _baseline_posts(messages, batch, base_ts)
    seconds, result = _drive_app(_bare_app(), "bench-bare", posts)
    return Run(f"bare ASGI, batch {batch}", events, len(posts), seconds,
               result.retries, result.errors)


def _durable_bare_app(conn: sqlite3.Connection) -> Starlette:
    """The bare app, plus what no receiver may skip: each POST's body committed to SQLite
    (WAL, synchronous=NORMAL, as the receiver's database) before the 200.

    One commit per POST, in a worker thread so the event loop keeps answering; nothing is
    parsed, deduplicated or applied. It tells how much of the receiver's gap to the bare
    app is durability alone.
    """
    lock = threading.Lock()

    def store(body: bytes) -> None:
        with lock:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO raw_posts (body) VALUES (?)", (body,))
            conn.execute("COMMIT")

    async def receive(request: Request) -> Response:
        body = await request.body()
        if not signature.verify(APP_SECRET, body, request.headers.get(signature.HEADER)):
            return PlainTextResponse("bad signature", status_code=403)
        await asyncio.to_thread(store, body)
        return PlainTextResponse("EVENT_RECEIVED")

    return Starlette(routes=[Route("/webhook", receive, methods=["POST"])])


def run_durable_bare(messages: int, batch: int, base_ts: int) -> Run:
    posts, events = _baseline_posts(messages, batch, base_ts)
    with tempfile.TemporaryDirectory(prefix="easymo-bench-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "raw.db", check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE raw_posts (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            seconds, result = _drive_app(_durable_bare_app(conn), "bench-durable-bare", posts)
            stored = conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0]
        finally:
            conn.close()
    if stored != len(posts):
        raise RuntimeError(f"the durable bare app stored {stored} of {len(posts)} POSTs")
    return Run(f"bare ASGI storing each POST, batch {batch}", events, len(posts),
               seconds, result.retries, result.errors)


def run_receiver(url: str, dialect: str, messages: int, batch: int, base_ts: int) -> Run:
    """One receiver run on a fresh schema at ``url``; checks every message ended as read."""
    db = Database(url)
    try:
        migrate.upgrade(db)
        stored_before = _seed_messages(db, messages, base_ts)
        posts = build_posts(messages, batch, base_ts)
        expected = messages * len(STATUSES)
        server = WebhookServer(db, app_secret=APP_SECRET, verify_token="bench", max_queue=1000,
                               receiver_id="bench")
        server.start()
        stats = server.intake.stats

        def all_stored() -> bool:
            # The intake's own count of committed POSTs is free to read; the database count,
            # which has the last word, runs only once that says done. Counting rows every few
            # ms for the whole run took CPU from the receiver it was timing.
            return stats.ingested >= len(posts) and _count_events(db) >= stored_before + expected

        try:
            seconds, result = _drive(server.url, posts, all_stored)
        finally:
            server.stop()
        read = _count_read(db) - messages  # the history's messages were read already
        if read != messages:
            raise RuntimeError(f"{dialect}: {read} of {messages} messages reached read after ingest")
    finally:
        db.dispose()
    return Run(f"receiver on {dialect}, batch {batch}", expected, len(posts), seconds,
               result.retries, result.errors)


def run(
    events: int = 30_000,
    single_events: int = 3_000,
    pg_url: str | None = None,
) -> BenchReport:
    """``events`` statuses per batch-50 run, ``single_events`` per batch-1 run."""
    messages = max(1, events // len(STATUSES))
    single = max(1, single_events // len(STATUSES))
    base_ts = int(time.time()) - 3600
    runs: dict[str, Run] = {}
    runs["bare1_before"] = run_bare(single, 1, base_ts)
    runs["bare50_before"] = run_bare(messages, 50, base_ts)
    runs["durable1"] = run_durable_bare(single, 1, base_ts)
    runs["durable50"] = run_durable_bare(messages, 50, base_ts)
    with sqlite_database() as url:
        runs["sqlite1"] = run_receiver(url, "SQLite", single, 1, base_ts)
    with sqlite_database() as url:
        runs["sqlite50"] = run_receiver(url, "SQLite", messages, 50, base_ts)
    if pg_url:
        with postgres_database(pg_url) as url:
            runs["pg1"] = run_receiver(url, "PostgreSQL", single, 1, base_ts)
        with postgres_database(pg_url) as url:
            runs["pg50"] = run_receiver(url, "PostgreSQL", messages, 50, base_ts)
    runs["bare50_after"] = run_bare(messages, 50, base_ts)
    runs["bare1_after"] = run_bare(single, 1, base_ts)
    return _report(runs, pg_url is not None)


def _report(runs: dict[str, Run], with_pg: bool) -> BenchReport:
    bare1 = (runs["bare1_before"].rate + runs["bare1_after"].rate) / 2
    bare50 = (runs["bare50_before"].rate + runs["bare50_after"].rate) / 2
    ratio = runs["sqlite1"].rate / bare1
    figures: dict[str, Any] = {"concurrency": CONCURRENCY, "bare_batch1_eps": round(bare1, 1),
                               "bare_batch50_eps": round(bare50, 1)}
    rows: list[tuple[str, str]] = []
    for key, r in runs.items():
        figures[f"{key}_eps"] = round(r.rate, 1)
        figures[f"{key}_events"] = r.events
        figures[f"{key}_posts"] = r.posts
        figures[f"{key}_seconds"] = round(r.seconds, 4)
        figures[f"{key}_retries_503"] = r.retries
        figures[f"{key}_errors"] = r.errors
        rows.append((r.label + (" (before)" if key.endswith("before") else " (after)" if key.endswith("after")
                                else ""),
                     f"{r.rate:,.0f} events/s  ({r.events} events, {r.posts} POSTs, {r.seconds:.2f} s, "
                     f"{r.retries} retried after 503)"))
    rows.append(("ratio: receiver / bare app (SQLite, batch 1)", f"{ratio:.3f}"))
    for batch in (1, 50):
        vs_durable = runs[f"sqlite{batch}"].rate / runs[f"durable{batch}"].rate
        figures[f"ratio_vs_durable{batch}"] = round(vs_durable, 4)
        rows.append((f"receiver / bare app storing each POST (batch {batch})", f"{vs_durable:.3f}"))
    figures["ratio_vs_durable"] = figures["ratio_vs_durable50"]
    figures["batch50_ratio"] = round(runs["sqlite50"].rate / bare50, 4)
    rows.append(("receiver / bare app (SQLite, batch 50)", f"{figures['batch50_ratio']:.3f}"))
    if with_pg:
        figures["pg_ratio"] = round(runs["pg1"].rate / bare1, 4)
        figures["pg_batch50_ratio"] = round(runs["pg50"].rate / bare50, 4)
        rows.append(("PostgreSQL ratio (batch 1)", f"{figures['pg_ratio']:.3f}"))
        rows.append(("PostgreSQL ratio (batch 50)", f"{figures['pg_batch50_ratio']:.3f}"))
    else:
        rows.append(("PostgreSQL", "not measured: pass --pg-url postgresql://user@host:port/db"))
    errors = sum(r.errors for r in runs.values())
    targets = {
        f"SQLite batch 50 >= {SQLITE_TARGET_EPS:,.0f} events/s": runs["sqlite50"].rate >= SQLITE_TARGET_EPS,
        f"ratio >= {RATIO_TARGET:g}": ratio >= RATIO_TARGET,
        "no POST refused (other than 503, retried)": errors == 0,
    }
    return BenchReport(
        name="ingest",
        figures=figures,
        ratio=ratio,
        baseline="bare ASGI app checking the signature, batch 1 (one status per POST)",
        rows=rows,
        targets=targets,
    )
