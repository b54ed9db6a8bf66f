"""`easymo bench soak`: the receiver at a steady rate on loopback for a while, as in
production: nothing lost, and its memory at the start and the end.

Meta plays the client from a process of its own, each POST due at its time (one status per
POST by default, as Meta mostly sends them), retrying after 503. The receiver runs in this
process as `webhook serve` runs it, with its upkeep. At the end every status must be in the
database and every message read; the RSS of this process is read before the load, every
second during it, and after the last status is stored.

The baseline is the rate asked for: ``ratio`` is the rate achieved over it (1.0 when the
receiver kept pace).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import psutil

from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.webhook.server import WebhookServer
from easymo_tools.bench.ingest import (
    APP_SECRET,
    STATUSES,
    WAIT_LIMIT_S,
    _count_events,
    _count_read,
    _seed_messages,
    build_posts,
    sqlite_database,
)
from easymo_tools.bench.load import PacedResult, drive_child, paced_child_main
from easymo_tools.bench.report import BenchReport

CONCURRENCY = 64


def run(rate: float = 1000.0, seconds: float = 60.0, batch: int = 1) -> BenchReport:
    """``rate`` status events per second for ``seconds``, ``batch`` per POST, on SQLite."""
    events = max(len(STATUSES), int(rate * seconds))
    messages = max(1, events // len(STATUSES))
    expected = messages * len(STATUSES)
    base_ts = int(time.time()) - 3600
    proc = psutil.Process()
    with sqlite_database() as url:
        db = Database(url)
        try:
            migrate.upgrade(db)
            before = _seed_messages(db, messages, base_ts)
            posts = build_posts(messages, batch, base_ts)
            server = WebhookServer(db, app_secret=APP_SECRET, verify_token="soak", receiver_id="soak")
            server.start()
            rss_start = proc.memory_info().rss
            peak = [rss_start]
            stop = threading.Event()

            def sample() -> None:
                while not stop.wait(1.0):
                    with contextlib.suppress(Exception):  # a busy database: next second
                        server.intake.upkeep()
                    peak[0] = max(peak[0], proc.memory_info().rss)

            sampler = threading.Thread(target=sample, name="soak-sampler", daemon=True)
            sampler.start()
            try:
                elapsed, result = _drive(server.url, posts, len(posts) / (expected / rate),
                                         lambda: _count_events(db) >= before + expected)
            finally:
                stop.set()
                sampler.join(5)
                rss_end = proc.memory_info().rss
                health = server.intake.health()
                server.stop()
            stored = _count_events(db) - before
            read = _count_read(db) - messages
        finally:
            db.dispose()
    achieved = expected / elapsed if elapsed > 0 else 0.0
    mib = 1024 * 1024
    figures = {
        "rate_asked_eps": rate, "seconds_asked": seconds, "batch": batch, "events": expected,
        "posts": len(posts), "seconds": round(elapsed, 2), "achieved_eps": round(achieved, 1),
        "stored": stored, "lost": expected - stored, "messages_read": read,
        "retries_503": result.retries, "errors": result.errors, "max_lag_s": round(result.max_lag_s, 3),
        "rss_start_mib": round(rss_start / mib, 1), "rss_peak_mib": round(peak[0] / mib, 1),
        "rss_end_mib": round(rss_end / mib, 1),
        "health_at_end": "ok" if health.ok else "; ".join(health.problems),
    }
    rows = [
        ("asked", f"{rate:,.0f} events/s for {seconds:g} s, {batch} per POST ({expected} events)"),
        ("achieved", f"{achieved:,.0f} events/s, until the last status was stored ({elapsed:.1f} s)"),
        ("stored / lost", f"{stored} / {expected - stored}"),
        ("messages read", f"{read} of {messages}"),
        ("POSTs retried after 503 / refused", f"{result.retries} / {result.errors}"),
        ("latest POST behind its schedule", f"{result.max_lag_s:.3f} s"),
        ("RSS start / peak / end", f"{figures['rss_start_mib']} / {figures['rss_peak_mib']} / "
                                   f"{figures['rss_end_mib']} MiB"),
    ]
    targets = {
        "nothing lost": stored == expected and read == messages,
        "no POST refused (other than 503, retried)": result.errors == 0,
        "healthy at the end": health.ok,
    }
    return BenchReport(name="soak", figures=figures, ratio=achieved / rate,
                       baseline=f"the rate asked, {rate:,.0f} events/s", rows=rows, targets=targets)


def _drive(url: str, posts: list[tuple[bytes, str]], post_rate: float,
           done: Callable[[], bool]) -> tuple[float, PacedResult]:
    # Past the wait, what is not stored is reported as lost rather than raised.
    elapsed, result = drive_child(paced_child_main, (url, posts, post_rate, CONCURRENCY), done,
                                  wait_s=WAIT_LIMIT_S, on_timeout="stop", poll_s=0.01)
    return elapsed, result

