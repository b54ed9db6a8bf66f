"""Background watchers of the open profile: API and webhook health, template reviews.

They poll through workers on timers and publish on the hub; the status bar and the pages
only listen. Intervals are short on the sandbox (everything is local) and gentle on Meta.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject

from app.hub import Hub
from app.session import ComponentHealth, ConsoleSession
from app.workers import Jobs, Poller

PENDING = ("PENDING", "IN_APPEAL")


def publish_sync(hub: Hub, result: Any) -> None:
    """A sync finished: pages reload. Review news comes from the TemplateWatcher's diff."""
    hub.template_synced.emit(result)


def notify_review(hub: Hub, name: str, language: str, old: str | None, new: str | None) -> None:
    """One review result as a notification: "order_update (en) approved"."""
    text = f"{name} ({language}) " + ((new or "deleted").lower().replace("_", " "))
    if new == "APPROVED":
        hub.success(text)
    elif new in ("REJECTED", "PAUSED", "DISABLED", "FLAGGED") or new is None:
        hub.warning(text)
    else:
        hub.info(text, f"was {old.lower()}" if old else "")


class HealthMonitor(QObject):
    """API reachability and webhook receiver health, on the status bar."""

    def __init__(self, jobs: Jobs, hub: Hub, session: ConsoleSession) -> None:
        super().__init__(jobs)
        self.hub, self.session = hub, session
        sandbox = session.profile.is_sandbox
        self.api = Poller(jobs, session.api_health, self._report, name="API check",
                          interval_ms=10_000 if sandbox else 60_000,
                          on_error=self._api_failed, parent=self)
        self.webhook = Poller(jobs, session.webhook_health, self._report, name="webhook check",
                              interval_ms=5_000, on_error=self._webhook_failed, parent=self)

    def start(self) -> None:
        self.hub.health_changed.emit("api", "busy", "checking…")
        # With the scheduler running, its health job reports the API (app/scheduler_status.py).
        if getattr(self.session, "scheduler", None) is None:
            self.api.start()
        self.webhook.start()

    def stop(self) -> None:
        self.api.stop()
        self.webhook.stop()

    def _report(self, health: ComponentHealth) -> None:
        self.hub.health_changed.emit(health.component, health.health, health.detail)

    def _api_failed(self, exc: object) -> None:
        from app.errors import describe

        self.hub.health_changed.emit("api", "error", describe(exc)[0])  # type: ignore[arg-type]

    def _webhook_failed(self, exc: object) -> None:
        from app.errors import describe

        self.hub.health_changed.emit("webhook", "error", describe(exc)[0])  # type: ignore[arg-type]


class TemplateWatcher(QObject):
    """Notices template review results, wherever they come from.

    Meta reports reviews by webhook (the ingest writes them to the shared database) and
    by the template list (a sync). The watcher reads the local list often (cheap) and
    notifies each status that changed since it last looked; it also syncs with Meta now
    and then, for set-ups without webhooks. Its health is the status bar's "Scheduler".
    """

    def __init__(self, jobs: Jobs, hub: Hub, session: ConsoleSession) -> None:
        super().__init__(jobs)
        self.jobs, self.hub, self.session = jobs, hub, session
        sandbox = session.profile.is_sandbox
        self.snapshot: dict[tuple[str, str], str] | None = None
        self.last_sync: float | None = None
        self.scheduled = False
        self.poller = Poller(jobs, session.services.templates.list, self._listed,
                             name="template watch", interval_ms=1_500 if sandbox else 10_000,
                             on_error=self._failed, parent=self)
        self.syncer = Poller(jobs, session.services.templates.sync, self._synced,
                             name="template sync", interval_ms=60_000 if sandbox else 600_000,
                             on_error=self._failed, parent=self)
        hub.template_synced.connect(lambda _r: self.poller.poll_now())
        hub.templates_changed.connect(self.poller.poll_now)

    def start(self) -> None:
        # The scheduler syncs with Meta (and its results reach the hub as template_synced);
        # without one, this watcher's own syncer does, and it reports as "Scheduler".
        self.scheduled = getattr(self.session, "scheduler", None) is not None
        access = getattr(self.session, "access", None)
        if not self.scheduled and access is not None and not access.may_write:
            self.scheduled = True  # a sync writes: a read-only login only watches the list
        if not self.scheduled:
            self.hub.health_changed.emit("scheduler", "busy", "first template sync…")
            self.syncer.start(immediately=True)
        self.poller.start(immediately=self.scheduled)

    def stop(self) -> None:
        self.poller.stop()
        self.syncer.stop()

    def _synced(self, result: Any) -> None:
        self.last_sync = time.monotonic()
        publish_sync(self.hub, result)

    def _listed(self, records: list[Any]) -> None:
        statuses = {(r.name, r.language): r.status for r in records}
        previous, self.snapshot = self.snapshot, statuses
        if previous is not None and previous != statuses:
            for key, new in statuses.items():
                old = previous.get(key)
                if old is not None and old != new:
                    notify_review(self.hub, key[0], key[1], old, new)
            self.hub.templates_changed.emit()
        if self.scheduled:
            return
        pending = sum(1 for s in statuses.values() if s in PENDING)
        detail = f"running · {len(statuses)} templates"
        if pending:
            detail += f", {pending} in review"
        self.hub.health_changed.emit("scheduler", "ok", detail)

    def _failed(self, exc: object) -> None:
        from app.errors import describe

        if self.scheduled:
            return
        message, _hint = describe(exc)  # type: ignore[arg-type]
        self.hub.health_changed.emit("scheduler", "warn", f"template check failed: {message}")
