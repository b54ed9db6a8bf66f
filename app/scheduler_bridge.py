"""The scheduler's results as Qt signals on the UI thread.

The core scheduler calls its listeners on its own job threads. The bridge's signals are
emitted there and delivered through queued connections to the hub (a QObject of the UI
thread), so views only ever see change batches, sync results and job states on the UI
thread, whoever produced them.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.hub import Hub
from easymo_core.scheduler import CHANGE_FEED, HEALTH, TEMPLATE_SYNC, EasymoScheduler, JobState

log = logging.getLogger("easymo.console.scheduler")


class SchedulerBridge(QObject):
    batch = Signal(object)  # ChangeBatch (non-empty only)
    synced = Signal(object)  # SyncResult
    health = Signal(object)  # HealthReport
    state = Signal(object)  # JobState

    def __init__(self, scheduler: EasymoScheduler, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scheduler, self.hub = scheduler, hub
        self.states: dict[str, JobState] = scheduler.states()
        queued = Qt.ConnectionType.QueuedConnection
        self.batch.connect(hub.messages_changed, queued)
        self.synced.connect(hub.template_synced, queued)
        self.state.connect(self._remember, queued)
        self.state.connect(hub.job_state_changed, queued)
        # Kept so detach() removes exactly these callables.
        self._subs: list[Any] = [self._on_batch, self._on_synced, self._on_health, self._on_state]
        scheduler.subscribe(CHANGE_FEED, self._on_batch)
        scheduler.subscribe(TEMPLATE_SYNC, self._on_synced)
        scheduler.subscribe(HEALTH, self._on_health)
        scheduler.on_state(self._on_state)

    def _on_batch(self, batch: Any) -> None:
        if not batch.empty:
            self.batch.emit(batch)

    def _on_synced(self, result: Any) -> None:
        self.synced.emit(result)

    def _on_health(self, report: Any) -> None:
        self.health.emit(report)

    def _on_state(self, state: JobState) -> None:
        self.state.emit(state)

    def _remember(self, state: JobState) -> None:
        self.states[state.name] = state

    def detach(self) -> None:
        """Stop listening (the session is closing); signals already queued still arrive."""
        for fn in self._subs:
            self.scheduler.unsubscribe_all(fn)
