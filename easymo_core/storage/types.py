"""Column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class EpochMs(TypeDecorator[datetime]):
    """A UTC instant stored as integer milliseconds since the epoch.

    Integers rather than DATETIME because the analytics triggers compute latencies and
    hourly buckets in SQL, identically on SQLite (which has no timestamp type) and
    PostgreSQL: ``delivered_at - sent_at`` and ``ts / 3600000`` mean the same in both.
    Python code sees aware UTC datetimes.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an EpochMs column; use UTC-aware datetimes")
        return to_ms(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return from_ms(int(value))


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
