"""The status bar's "Scheduler" light: every job's last run, next run and last error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt

from app.errors import plain
from app.hub import Hub
from app.widgets.statusbar import HealthIndicator
from easymo_core.display import ago
from easymo_core.scheduler import HEALTH, TEMPLATE_SYNC, JobState

LABELS = {"change_feed": "Change feed", "template_sync": "Template sync",
          "meta_analytics": "Meta analytics", "health": "Health checks",
          "held_statuses": "Held statuses",
          "webhook_retention": "Webhook body retention"}
_RANK = {"error": 3, "warn": 2, "busy": 1, "ok": 0, "off": -1}


def overall(states: dict[str, JobState], now: datetime) -> tuple[str, str, str]:
    """(health, one-line detail, tooltip) for the job states."""
    live = [s for s in states.values() if not s.skipped]
    if not live:
        return "off", "no jobs", ""
    worst = max(live, key=lambda s: _RANK[s.health])
    health = worst.health
    if health in ("warn", "error"):
        detail = f"{LABELS.get(worst.name, worst.name)} failing: {worst.last_error or ''}"
    elif health == "busy":
        detail = "starting…"
    else:
        feed = states.get("change_feed")
        detail = f"{len(live)} jobs ok"
        if feed is not None and feed.last_ok is not None:
            detail += f" · feed {ago(now, feed.last_ok)} ago"
    lines = []
    for s in states.values():
        name = LABELS.get(s.name, s.name)
        if s.skipped:
            lines.append(f"{name}: off — {s.skipped}")
            continue
        last = f"last run {ago(now, s.last_run)} ago" if s.last_run else "not run yet"
        nxt = f"next in {ago(s.next_run, now)}" if s.next_run else "next: —"
        line = f"{name}: {last}, {nxt}, {s.run_count} runs"
        if s.last_duration_ms is not None:
            line += f" ({s.last_duration_ms:.0f} ms)"
        if s.failures and s.last_error:
            line += f"\n    failing ({s.failures}×): {s.last_error}"
        elif s.last_error and s.last_error_at:
            line += f"\n    last error {ago(now, s.last_error_at)} ago: {s.last_error}"
        lines.append(line)
    return health, detail, "\n".join(lines)


class SchedulerStatus(QObject):
    """Feeds the "Scheduler" and "API" lights from job states and health reports."""

    def __init__(self, hub: Hub, indicator: HealthIndicator, bridge: Any,
                 parent: QObject | None = None, *, read_only: str | None = None) -> None:
        super().__init__(parent)
        self.hub, self.indicator, self.bridge = hub, indicator, bridge
        self.read_only = read_only  # why the jobs that write are off, said on the light
        self.states: dict[str, JobState] = dict(bridge.states)
        self._api_reported = False
        hub.job_state_changed.connect(self._state)
        bridge.health.connect(self._health, Qt.ConnectionType.QueuedConnection)
        self._show()

    def _state(self, state: JobState) -> None:
        self.states[state.name] = state
        self._show()
        # The template sync talks to the Graph API first: its failure before the first
        # health report is the API's news, not "checking…" for another half minute.
        if (state.name == TEMPLATE_SYNC and state.failures and state.last_error
                and not self.api_reported):
            self.hub.health_changed.emit("api", "error", plain(state.last_error))

    @property
    def api_reported(self) -> bool:
        return self._api_reported

    def _show(self) -> None:
        health, detail, tooltip = overall(self.states, datetime.now(UTC))
        if self.read_only:
            off = sum(1 for s in self.states.values() if s.skipped == self.read_only)
            detail += f" · {off} off: read-only"  # short for the light; the tooltip says whose role
        self.hub.health_changed.emit("scheduler", health, detail)
        self.indicator.setToolTip(tooltip or detail)

    def _health(self, report: Any) -> None:
        if report.api_ok is None:
            return
        self._api_reported = True
        if report.api_ok:
            name = report.phone or "phone number"
            ms = report.api_ms or 0.0
            self.hub.health_changed.emit("api", "ok" if ms < 2000 else "warn", f"{name} · {ms:.0f} ms")
        else:
            self.hub.health_changed.emit("api", "error", plain(report.api_error or "unreachable"))


__all__ = ["HEALTH", "SchedulerStatus", "overall"]
