"""Sample history for a first run: made through the processor and the ingest, counted by the
analytics like live traffic, marked as sandbox data, refused on a real profile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from easymo_core.analytics.dashboard import Analytics
from easymo_core.config import Profile, sandbox_profile
from easymo_core.sandbox.history import SOURCE, HistoryError, generate_history
from easymo_core.services import Services
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message
from easymo_core.storage.types import utcnow


def test_history_fills_the_dashboard_through_the_real_paths(db: Database) -> None:
    services = Services.open(sandbox_profile(), db=db, client=object())
    now = utcnow()
    result = generate_history(services, days=3, conversations_per_day=10, seed=7, now=now)
    assert result.sent > 20 and result.received >= 30 and result.failed >= 0
    with db.session() as s:
        sources = dict(s.execute(select(Message.source, func.count()).group_by(Message.source)).all())
        oldest = s.scalar(select(func.min(Message.created_at)))
        newest = s.scalar(select(func.max(Message.created_at)))
    assert set(sources) == {SOURCE}  # every row is marked as sample data
    assert sources[SOURCE] == result.sent + result.received
    assert now - timedelta(days=3, minutes=11) <= oldest and newest <= now
    board = Analytics(db).dashboard(Analytics(db).period("7d"), with_meta=False, now=now)
    assert board.totals.sent == result.sent
    assert board.totals.failed == result.failed
    assert board.totals.read > 0 and board.engagement.messages_in == result.received
    # Spread over the days, not all in the last hour.
    busy_buckets = [p for p in board.series if p.sent]
    assert len(busy_buckets) >= 2


def test_history_is_only_for_the_sandbox(db: Database) -> None:
    real = Profile(name="prod", phone_number_id="123", waba_id="456", db_url=db.url)
    services = Services.open(real, db=db, client=object())
    with pytest.raises(HistoryError):
        generate_history(services)
