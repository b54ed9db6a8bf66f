"""How long a filter change of the messages log takes, and whether the UI thread stalls.

For ``easymo bench dashboard`` (which times the log beside the charts): on a generated
database (``easymo_tools.bench.log_data.generate_messages``), each filter is applied to the
real lazy model; the time until its first page is on screen is measured while a 5 ms
heartbeat timer records the longest gap of the UI thread's event loop.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from easymo_core.messaging.log_queries import LogFilter, LogQueries
from easymo_core.storage.engine import Database


@dataclass(frozen=True)
class FilterTiming:
    filter: str
    first_page_ms: float
    rows: int


def default_filters(now: datetime | None = None) -> list[LogFilter]:
    """A realistic walk through the filters, each one a change from the previous."""
    now = now or datetime.now(UTC)
    return [
        LogFilter(),
        LogFilter(status="failed"),
        LogFilter(status="failed", error_code=131026),
        LogFilter(template="order_update", since=now - timedelta(days=7)),
        LogFilter(direction="in", since=now - timedelta(days=1)),
        LogFilter(search="refund", since=now - timedelta(days=1)),
        LogFilter(phone="15550001234"),
    ]


def measure_filter_change(db: Database | str, filters: Sequence[LogFilter] | None = None, *,
                          timeout_s: float = 120.0) -> dict[str, Any]:
    """Apply each filter to a fresh LogModel; return per-filter timings and the UI stall.

    Needs a QApplication (one is created if there is none); runs the event loop itself.
    """
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.hub import Hub
    from app.models.log_model import LogModel
    from app.workers import Jobs

    app = QApplication.instance() or QApplication([])
    database = Database(db) if isinstance(db, str) else db
    hub = Hub()
    jobs = Jobs(hub)
    model = LogModel(LogQueries(database), jobs)
    worst = [0.0]
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        worst[0] = max(worst[0], now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    timings: list[FilterTiming] = []
    try:
        heartbeat.start()
        for f in filters if filters is not None else default_filters():
            before = model.pages_fetched
            loop = QEventLoop()
            model.loaded.connect(loop.quit)
            guard = QTimer()
            guard.setSingleShot(True)
            guard.timeout.connect(loop.quit)
            guard.start(int(timeout_s * 1000))
            started = time.perf_counter()
            model.set_filter(f)
            if model.pages_fetched == before:
                loop.exec()
            elapsed = (time.perf_counter() - started) * 1000
            model.loaded.disconnect(loop.quit)
            guard.stop()
            app.processEvents()  # the rows' first paint belongs to the change
            timings.append(FilterTiming(_describe(f), elapsed, model.rowCount()))
            last[0] = time.perf_counter()  # time between filters is not a stall
    finally:
        heartbeat.stop()
        jobs.shutdown(5000)
        QCoreApplication.processEvents()
        if isinstance(db, str):
            database.dispose()
    values = [t.first_page_ms for t in timings]
    return {
        "filters": [asdict(t) for t in timings],
        "median_ms": statistics.median(values) if values else 0.0,
        "max_ms": max(values) if values else 0.0,
        "ui_stall_ms": worst[0] * 1000,
    }


def _describe(f: LogFilter) -> str:
    parts = [f"{k}={v.isoformat(timespec='minutes') if isinstance(v, datetime) else v}"
             for k, v in asdict(f).items() if v not in (None, "")]
    return ", ".join(parts) or "no filter"
