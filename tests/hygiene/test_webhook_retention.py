"""Raw webhook bodies are kept for the profile's retention, then deleted once ingested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from easymo_core.config import Profile
from easymo_core.errors import ConfigError
from easymo_core.storage.engine import Database
from easymo_core.storage.models import StatusEvent, WebhookEvent, table_of
from easymo_core.webhook.retention import purge_webhook_bodies

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _post(db: Database, age_days: float, *, processed: bool) -> int:
    t = table_of(WebhookEvent)
    received = NOW - timedelta(days=age_days)
    with db.engine.begin() as conn:
        return int(conn.execute(t.insert().returning(t.c.id), {
            "received_at": received, "body": b'{"entry": []}', "receiver": "test",
            "processed_at": received if processed else None, "error": None}).scalar_one())


def test_ingested_bodies_older_than_the_retention_go_and_nothing_else(db: Database) -> None:
    old = [_post(db, 31 + i, processed=True) for i in range(5)]
    old_unprocessed = _post(db, 90, processed=False)
    young = _post(db, 29, processed=True)
    with db.engine.begin() as conn:
        conn.execute(table_of(StatusEvent).insert(), {
            "wamid": "wamid.X", "status": "sent", "meta_ts": NOW, "received_at": NOW,
            "source": "webhook", "applied": True, "raw": {}, "webhook_event_id": old[0]})
    assert purge_webhook_bodies(db, 30, now=NOW, batch=2) == 5
    with db.engine.connect() as conn:
        left = {r[0] for r in conn.execute(select(table_of(WebhookEvent).c.id))}
        linked = conn.execute(select(table_of(StatusEvent).c.webhook_event_id)).scalar_one()
        statuses = conn.execute(select(func.count()).select_from(table_of(StatusEvent))).scalar_one()
    assert left == {old_unprocessed, young}
    assert linked is None and statuses == 1  # the status stays, only its link to the body goes
    assert purge_webhook_bodies(db, 30, now=NOW) == 0
    assert purge_webhook_bodies(db, 0, now=NOW + timedelta(days=400)) == 0  # 0 keeps for ever


def test_retention_is_a_profile_setting_checked_like_the_others() -> None:
    assert Profile(name="p").webhook_body_retention_days == 30
    Profile(name="p", webhook_body_retention_days=0).validate()
    with pytest.raises(ConfigError, match="retention"):
        Profile(name="p", webhook_body_retention_days=-1).validate()
