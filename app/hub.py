"""The one application-wide signal object.

Workers, pollers and views publish here; the status bar, the notification area and the
pages subscribe, so none of them needs to know the others (Vorta's pattern).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from PySide6.QtCore import QObject, Signal

Level = Literal["info", "success", "warning", "error"]
# Health of one component shown in the status bar.
Health = Literal["ok", "busy", "warn", "error", "off"]


@dataclass(frozen=True)
class Notification:
    level: Level
    title: str
    text: str = ""
    hint: str = ""
    at: datetime = field(default_factory=datetime.now)


class Hub(QObject):
    # a message's delivery status moved: message row id, new status
    status_changed = Signal(int, str)
    # a component of the status bar ("api", "webhook", "scheduler"): health, one-line detail
    health_changed = Signal(str, str, str)
    # a SyncResult from svc.templates.sync
    template_synced = Signal(object)
    # the template list changed locally (created, deleted): tables reload
    templates_changed = Signal()
    # message row id, and the SendOutcome right after a send
    message_sent = Signal(int, object)
    # message row id, one-line reason
    message_failed = Signal(int, str)
    notify = Signal(object)  # Notification
    # the active profile's services are open (a ConsoleSession) or closed (None)
    session_changed = Signal(object)
    # the scheduler's change feed saw messages or status events (an easymo_core ChangeBatch)
    messages_changed = Signal(object)
    # a scheduler job's state changed (an easymo_core.scheduler JobState)
    job_state_changed = Signal(object)

    def info(self, title: str, text: str = "") -> None:
        self.notify.emit(Notification("info", title, text))

    def success(self, title: str, text: str = "") -> None:
        self.notify.emit(Notification("success", title, text))

    def warning(self, title: str, text: str = "", hint: str = "") -> None:
        self.notify.emit(Notification("warning", title, text, hint))

    def error(self, title: str, exc: BaseException | str) -> None:
        """Report a failure: an EasymoError keeps its message and hint apart."""
        from app.errors import describe

        message, hint = describe(exc)
        self.notify.emit(Notification("error", title, message, hint))
