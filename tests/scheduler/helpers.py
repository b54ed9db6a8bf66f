"""Writing messages and status events the way concurrent writers do, with chosen times."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent, table_of

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_n = itertools.count(1)


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def add_message(db: Database, *, ms: int, status: str = "accepted", direction: str = "out",
                contact: str = "15550100002", id: int | None = None, **extra: Any) -> int:
    n = next(_n)
    values: dict[str, Any] = {
        "wamid": f"wamid.T{n}", "profile": "t", "phone_number_id": "1", "direction": direction,
        "contact_wa_id": contact, "type": "text", "body": f"hello {n}", "status": status,
        "source": "cli", "created_at": at(ms), "updated_at": at(ms),
    }
    if id is not None:
        values["id"] = id
    values.update(extra)
    with db.engine.begin() as conn:
        return int(conn.execute(table_of(Message).insert().returning(table_of(Message).c.id),
                                values).scalar_one())


def touch(db: Database, message_id: int, *, ms: int, status: str) -> None:
    t = table_of(Message)
    with db.engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == message_id).values(status=status, updated_at=at(ms)))


def add_event(db: Database, wamid: str, status: str, *, ms: int, id: int | None = None) -> int:
    values: dict[str, Any] = {"wamid": wamid, "status": status, "meta_ts": at(ms),
                              "received_at": at(ms), "source": "webhook", "applied": True,
                              "raw": {"id": wamid, "status": status}}
    if id is not None:
        values["id"] = id
    t = table_of(StatusEvent)
    with db.engine.begin() as conn:
        return int(conn.execute(t.insert().returning(t.c.id), values).scalar_one())
