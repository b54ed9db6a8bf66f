"""Follows one sent message: polls its detail in a worker until it settles.

Every ~500 ms while the message is in flight, then every 2 s for a while after it is
read or failed, because the user's reply comes later. Each answer becomes a Timeline.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.hub import Hub
from app.models.timeline import Timeline, build_timeline
from app.workers import Jobs, Poller

FAST_MS = 500
SLOW_MS = 2000
# How long replies are awaited after the message settled.
REPLY_WAIT_S = 120.0


class MessageTracker(QObject):
    updated = Signal(object, object)  # Timeline, MessageDetail

    def __init__(self, jobs: Jobs, hub: Hub, messages: Any, message_id: int, *,
                 fallback_note: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub, self.message_id = hub, message_id
        self.fallback_note = fallback_note
        self.timeline: Timeline | None = None
        self._settled_at: float | None = None
        self._status: str | None = None
        self.poller = Poller(jobs, lambda: messages.detail(message_id), self._got,
                             interval_ms=FAST_MS, name="message status", parent=self,
                             on_error=self._failed)
        # The scheduler's change feed says when this message moved: look at once.
        hub.messages_changed.connect(self._feed)

    def _feed(self, batch: Any) -> None:
        if self.active and self.message_id in batch.message_ids():
            self.poller.poll_now()

    def start(self) -> None:
        self.poller.start()

    def stop(self) -> None:
        self.poller.stop()

    @property
    def active(self) -> bool:
        return self.poller.running

    def _got(self, detail: Any) -> None:
        timeline = build_timeline(detail)
        if self.fallback_note and not timeline.fallback_note:
            from dataclasses import replace

            timeline = replace(timeline, fallback_note=self.fallback_note)
        if timeline.status != self._status:
            self._status = timeline.status
            self.hub.status_changed.emit(self.message_id, timeline.status)
            if timeline.failed:
                failed = next((s for s in timeline.steps if s.key == "failed"), None)
                self.hub.message_failed.emit(self.message_id, failed.detail if failed else "")
        self.timeline = timeline
        self.updated.emit(timeline, detail)
        if timeline.finished:
            if self._settled_at is None:
                self._settled_at = time.monotonic()
                self.poller.timer.setInterval(SLOW_MS)
            elif time.monotonic() - self._settled_at > REPLY_WAIT_S:
                self.stop()

    def _failed(self, exc: object) -> None:
        # A transient database error: keep polling; the next answer will come.
        pass
