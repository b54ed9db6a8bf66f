"""The visible state of a scheduled job, and where other processes read it (app_state).

Each console writes its jobs' state under ``scheduler.<job>`` (the last writer wins, and
says who it is), so ``easymo stats`` and other consoles can show when a sync last ran and
whether it failed. Writes are throttled: a 2-second poll does not write every 2 seconds.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from easymo_core.display import ago
from easymo_core.logs.redact import redact
from easymo_core.storage.engine import Database
from easymo_core.storage.models import AppState, table_of
from easymo_core.storage.sql import upsert
from easymo_core.storage.types import from_ms, to_ms

log = logging.getLogger(__name__)

KEY_PREFIX = "scheduler."
Health = Literal["ok", "busy", "warn", "error", "off"]


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobState:
    name: str
    interval_s: float
    last_run: datetime | None = None  # when the last run started
    last_ok: datetime | None = None
    next_run: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    run_count: int = 0
    failures: int = 0  # consecutive
    last_duration_ms: float | None = None
    running: bool = False
    skipped: str | None = None  # why the job does not run at all (e.g. sandbox profile)
    backoff_ticks: int = 0  # ticks still skipped after a failure
    misfires: int = 0  # runs missed (sleep, suspend) and coalesced into one
    overlaps: int = 0  # ticks dropped because the previous run was still going
    owner: str = field(default_factory=owner_name)

    @property
    def health(self) -> Health:
        if self.skipped:
            return "off"
        if self.failures >= 3:
            return "error"
        if self.failures:
            return "warn"
        if self.run_count == 0:
            return "busy"
        return "ok"

    def summary(self, now: datetime) -> str:
        """One line: "template_sync: ok 2 min ago, next in 13 min" or the error."""
        if self.skipped:
            return f"{self.name}: off ({self.skipped})"
        parts = [self.name + ":"]
        if self.failures and self.last_error:
            parts.append(f"failed {self.failures}× ({self.last_error})")
        elif self.last_ok is not None:
            parts.append(f"ok {ago(now, self.last_ok)} ago")
        else:
            parts.append("not run yet")
        if self.next_run is not None:
            parts.append(f"· next in {ago(self.next_run, now)}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = to_ms(value)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("last_run", "last_ok", "next_run", "last_error_at"):
            if isinstance(values.get(key), int | float):
                values[key] = from_ms(int(values[key]))
        return cls(**values)


def error_line(exc: BaseException) -> str:
    """The error as one line, secrets masked, short enough for a status bar tooltip."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = redact(text)
    return text if len(text) <= 300 else text[:299] + "…"


class StateStore:
    """Reads and writes ``scheduler.<job>`` rows of app_state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, state: JobState, now: datetime) -> None:
        t = table_of(AppState)
        with self.db.engine.begin() as conn:
            stmt = upsert(conn, t).values(key=KEY_PREFIX + state.name, value=state.to_json(),
                                          updated_at=now)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["key"], set_={"value": stmt.excluded.value,
                                              "updated_at": stmt.excluded.updated_at}))

    def load(self, name: str) -> JobState | None:
        with self.db.session() as s:
            row = s.get(AppState, KEY_PREFIX + name)
            return JobState.from_json(row.value) if row is not None else None

    def load_all(self) -> dict[str, JobState]:
        """Every job state any process wrote, by job name (for `easymo stats`)."""
        with self.db.session() as s:
            rows = s.scalars(select(AppState).where(AppState.key.startswith(KEY_PREFIX))).all()
            out: dict[str, JobState] = {}
            for row in rows:
                try:
                    out[row.key[len(KEY_PREFIX):]] = JobState.from_json(row.value)
                except (TypeError, ValueError):
                    log.warning("unreadable scheduler state %r", row.key)
            return out
