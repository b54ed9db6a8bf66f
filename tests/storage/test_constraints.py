"""Constraints that protect against doubled messages, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import exc, select

from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _message(**kw: object) -> Message:
    values: dict[str, object] = dict(
        profile="t", phone_number_id="1", direction="out", contact_wa_id="15551230000",
        type="text", status="queued", source="cli", created_at=NOW, updated_at=NOW,
    )
    values.update(kw)
    return Message(**values)


def test_duplicate_wamid_refused(db: Database) -> None:
    with db.session() as s:
        s.add(_message(wamid="wamid.A", idempotency_key="k1"))
    with pytest.raises(exc.IntegrityError), db.session() as s:
        s.add(_message(wamid="wamid.A", idempotency_key="k2"))


def test_duplicate_idempotency_key_refused(db: Database) -> None:
    with db.session() as s:
        s.add(_message(idempotency_key="same"))
    with pytest.raises(exc.IntegrityError), db.session() as s:
        s.add(_message(idempotency_key="same"))


def test_many_queued_rows_without_wamid_allowed(db: Database) -> None:
    with db.session() as s:
        s.add_all([_message(idempotency_key=f"k{i}") for i in range(3)])
    with db.session() as s:
        assert len(s.scalars(select(Message)).all()) == 3


def test_invalid_status_and_direction_refused(db: Database) -> None:
    with pytest.raises(exc.IntegrityError), db.session() as s:
        s.add(_message(status="teleported"))
    with pytest.raises(exc.IntegrityError), db.session() as s:
        s.add(_message(direction="up"))


def test_status_event_dedupe_and_timestamp_round_trip(db: Database) -> None:
    event = dict(wamid="wamid.B", status="delivered", meta_ts=NOW, received_at=NOW, source="webhook", raw={"a": 1})
    with db.session() as s:
        s.add(StatusEvent(**event))
    with pytest.raises(exc.IntegrityError), db.session() as s:
        s.add(StatusEvent(**event))
    with db.session() as s:
        stored = s.scalars(select(StatusEvent)).one()
        assert stored.meta_ts == NOW and stored.meta_ts.tzinfo is not None
        assert stored.raw == {"a": 1}


def test_naive_datetimes_refused(db: Database) -> None:
    with pytest.raises(exc.StatementError, match="naive datetime"), db.session() as s:
        s.add(_message(created_at=datetime(2026, 1, 1)))
