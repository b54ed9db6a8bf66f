"""Background jobs of a console: the change feed, template sync, Meta analytics, health,
the sweep of held statuses and the retention of raw webhook bodies.

No Qt here: the console bridges the published results to signals (app/scheduler_bridge.py).
"""

from easymo_core.scheduler.feed import ChangeBatch, ChangeFeed, FeedCursor, MessageChange, StatusChange
from easymo_core.scheduler.health import HealthCheck, HealthReport
from easymo_core.scheduler.jobs import (
    CHANGE_FEED,
    HEALTH,
    HELD_STATUSES,
    JOBS,
    META_ANALYTICS,
    TEMPLATE_SYNC,
    WEBHOOK_RETENTION,
    WRITING_JOBS,
    Intervals,
    build_scheduler,
)
from easymo_core.scheduler.runner import JobRunner
from easymo_core.scheduler.scheduler import EasymoScheduler
from easymo_core.scheduler.state import JobState, StateStore

__all__ = [
    "CHANGE_FEED",
    "HEALTH",
    "HELD_STATUSES",
    "JOBS",
    "META_ANALYTICS",
    "TEMPLATE_SYNC",
    "WEBHOOK_RETENTION",
    "WRITING_JOBS",
    "ChangeBatch",
    "ChangeFeed",
    "EasymoScheduler",
    "FeedCursor",
    "HealthCheck",
    "HealthReport",
    "Intervals",
    "JobRunner",
    "JobState",
    "MessageChange",
    "StateStore",
    "StatusChange",
    "build_scheduler",
]
