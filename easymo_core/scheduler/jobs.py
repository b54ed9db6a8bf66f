"""The console's six jobs on one profile's services.

``change_feed`` (every 2 s) publishes :class:`ChangeBatch` objects; ``template_sync`` (every
15 min, and soon after a submit) publishes SyncResults; ``meta_analytics`` (hourly, real
profiles only) calls the puller it is given; ``health`` publishes HealthReports;
``held_statuses`` (every 30 s) applies statuses held for a message that has since become
known, which a crash or a failed settle can leave behind (StatusIngest.sweep), and
publishes how many it applied; ``webhook_retention`` (every 6 h) deletes raw webhook bodies
older than the profile's retention, once ingested, and publishes how many.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from easymo_core.messaging.ingest import SWEEP_INTERVAL_S
from easymo_core.scheduler.feed import ChangeFeed
from easymo_core.scheduler.health import HealthCheck
from easymo_core.scheduler.runner import Clock
from easymo_core.scheduler.scheduler import EasymoScheduler
from easymo_core.scheduler.state import StateStore
from easymo_core.storage.types import utcnow
from easymo_core.webhook.retention import DEFAULT_RETENTION_DAYS, PURGE_INTERVAL_S, purge_webhook_bodies

CHANGE_FEED = "change_feed"
TEMPLATE_SYNC = "template_sync"
META_ANALYTICS = "meta_analytics"
HEALTH = "health"
HELD_STATUSES = "held_statuses"
WEBHOOK_RETENTION = "webhook_retention"
JOBS = (CHANGE_FEED, TEMPLATE_SYNC, META_ANALYTICS, HEALTH, HELD_STATUSES, WEBHOOK_RETENTION)
# The jobs that change rows: off for a login that may not write (a viewer).
WRITING_JOBS = (TEMPLATE_SYNC, META_ANALYTICS, HELD_STATUSES, WEBHOOK_RETENTION)


@dataclass(frozen=True)
class Intervals:
    change_feed_s: float = 2.0
    template_sync_s: float = 15 * 60.0
    meta_analytics_s: float = 3600.0
    health_s: float = 30.0
    held_statuses_s: float = SWEEP_INTERVAL_S
    webhook_retention_s: float = PURGE_INTERVAL_S


def build_scheduler(
    services: Any,
    *,
    analytics: Callable[[], Any] | None = None,
    intervals: Intervals | None = None,
    clock: Clock = utcnow,
    persist: bool = True,
    feed: ChangeFeed | None = None,
    read_only: str | None = None,
) -> EasymoScheduler:
    """The jobs for ``services`` (easymo_core.services.Services or the same shape).

    ``analytics`` is the Meta analytics puller (``pull_meta_analytics`` bound to the
    profile); it never runs on the sandbox, whose Meta has no analytics to pull.
    ``read_only`` says why this login may not write ("your role viewer cannot write"): the
    jobs that write are then listed as off with that reason, and job states are not stored,
    instead of failing every run on a refused write.
    """
    iv = intervals or Intervals()
    sandbox = bool(getattr(services.profile, "is_sandbox", False))
    persist = persist and read_only is None
    scheduler = EasymoScheduler(store=StateStore(services.db) if persist else None, clock=clock,
                                backoff_cap_s=max(300.0, iv.change_feed_s * 16))
    change_feed = feed or ChangeFeed(services.db)
    scheduler.feed = change_feed
    scheduler.add(CHANGE_FEED, change_feed.poll, iv.change_feed_s)
    scheduler.add(TEMPLATE_SYNC, services.templates.sync, iv.template_sync_s, skipped=read_only)
    skipped = read_only
    if skipped is None and sandbox:
        skipped = "sandbox profile: Meta analytics exist only for real numbers"
    elif skipped is None and analytics is None:
        skipped = "no analytics puller installed"
    scheduler.add(META_ANALYTICS, analytics or _nothing, iv.meta_analytics_s, first_run_s=30.0,
                  skipped=skipped)
    scheduler.add(HEALTH, HealthCheck(services.db, services.client, clock=clock), iv.health_s)
    scheduler.add(HELD_STATUSES, services.ingest.sweep, iv.held_statuses_s, first_run_s=5.0,
                  skipped=read_only)
    days = int(getattr(services.profile, "webhook_body_retention_days", DEFAULT_RETENTION_DAYS))
    kept = None if days > 0 else "the profile keeps raw webhook bodies for ever"
    scheduler.add(WEBHOOK_RETENTION, functools.partial(purge_webhook_bodies, services.db, days),
                  iv.webhook_retention_s, first_run_s=5.0, skipped=read_only or kept)
    return scheduler


def _nothing() -> None:
    return None
