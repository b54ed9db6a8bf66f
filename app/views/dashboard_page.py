"""Dashboard: how the WhatsApp channel is doing, live, for 24 h / 7 d / 30 d or a custom range.

Every refresh is one worker call (app/dashboard_data.py: the analytics' figures plus a few
series); the UI thread only moves the new numbers into tiles and plot items that already
exist. Live: the scheduler's change feed (hub.messages_changed) asks for a refresh, at most
one every ``min_interval_ms`` and never two at once; a slow timer keeps the health chart
moving when no message arrives.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.dashboard_data import PeriodChoice, Snapshot, change, load
from app.hub import Hub
from app.number_label import number_label
from app.views.page import Page
from app.widgets.banner import Banner
from app.widgets.bar_charts import ErrorsChart, FunnelChart, ScoresChart, TemplatesChart
from app.widgets.chart_card import ChartCard, fmt_pct
from app.widgets.choice_menu import refill
from app.widgets.kpi_tile import KpiTile
from app.widgets.reflow import ReflowGrid
from app.widgets.time_charts import HealthChart, LatencyChart, MessagesChart, fmt_ms
from app.workers import Jobs
from easymo_core.config import Profile

if TYPE_CHECKING:
    from easymo_core.services import Services

PERIODS = (("24h", "24 h"), ("7d", "7 d"), ("30d", "30 d"), ("custom", "Custom"))
# key, label, higher is better
TILES = (("sent", "Sent", True), ("delivery_rate", "Delivery rate", True),
         ("read_rate", "Read rate", True), ("failure_rate", "Failure rate", False),
         ("p95", "Delivery (95%)", False), ("active_users", "Active users", True),
         ("response_rate", "Response rate", True), ("satisfaction", "Satisfaction", True))
MIN_ALERT_SAMPLE = 20  # sent messages before a failure rate is worth an alert
STAGE_SPACING_MS = 20  # between two charts of a staged update (see apply)
# Figures kept per contact, not per sending number: a number filter leaves them whole.
ALL_NUMBERS_TILES = ("active_users", "response_rate", "satisfaction")
ALL_NUMBERS_CHARTS = ("funnel", "scores")


@dataclass(frozen=True)
class Thresholds:
    error_rate: float = 0.05  # fraction of sent messages failed in the period
    webhook_lag_s: float = 120.0

    @classmethod
    def of(cls, profile: Profile) -> Thresholds:
        return cls(profile.alert_error_rate, profile.alert_webhook_lag_s)


def _scope(snap: Snapshot) -> str | None:
    """What the per-contact figures say when the message figures are one number's."""
    return "all numbers" if snap.board.phone_number_id is not None else None


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


class DashboardPage(Page):
    # filters for the messages log (MessagesPage.set_filter), from a click on a chart
    open_messages = Signal(dict)
    # a refresh reached the screen (the Snapshot), for tests and the benchmark
    refreshed = Signal(object)

    def __init__(self, services: Services, jobs: Jobs, hub: Hub, *, thresholds: Thresholds | None = None,
                 live: bool = True, number_names: dict[str, str] | None = None,
                 sandbox: bool = False, parent: QWidget | None = None) -> None:
        super().__init__("Dashboard", "Delivery, engagement and system health, live.", parent)
        self.services, self.jobs, self.hub = services, jobs, hub
        self.thresholds = thresholds or Thresholds()
        self.choice = PeriodChoice("24h")
        self.number: str | None = None  # the sending phone-number id shown; None: all
        self.number_names = number_names or {}  # profile name by phone-number id
        self.snapshot: Snapshot | None = None
        self.min_interval_ms = 2000
        self.apply_ms: collections.deque[float] = collections.deque(maxlen=200)
        self.refreshes = 0
        self._active = False
        self._in_flight = False
        self._pending = False
        self._last_start = float("-inf")
        self._generation = 0
        self._alerts: set[str] = set()
        from app.desktop_notify import notify

        # The OS notification too (False where the desktop has no tray); swappable in tests.
        self.notify_desktop: Callable[[str, str], bool] = notify
        self.desktop_notified = 0
        self._stage_token = 0
        self._build_period()
        self.banner = Banner("warning", "", closable=True)
        self.banner.hide()
        self.body.addWidget(self.banner)
        # An empty sandbox is a dull first look: offer a few days of sample traffic.
        self.sandbox = sandbox
        self.sample_banner = Banner(
            "info", "Nothing sent or received yet. Fill the sandbox with three days of sample "
            "traffic (marked as sandbox history) to see the dashboard at work, or send a "
            "message from Compose.", action="Generate sample traffic")
        self.sample_banner.action_clicked.connect(self.generate_sample)
        self.sample_banner.hide()
        self.body.addWidget(self.sample_banner)
        self._build_tiles()
        self._build_charts()
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.timeout.connect(self.request_refresh)
        # Time moves the health chart and the named periods even when no message arrives.
        self._clock = QTimer(self)
        self._clock.setInterval(15_000)
        self._clock.timeout.connect(self.request_refresh)
        if live:
            hub.messages_changed.connect(self._feed)

    # -- building --------------------------------------------------------------------
    def _build_period(self) -> None:
        self.status_label = QLabel("")
        self.status_label.setObjectName("Muted")
        # Its text changes on every refresh: a fixed width keeps the header (and so the
        # whole page) from being laid out and repainted each time.
        self.status_label.setFixedWidth(230)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.header_actions.addWidget(self.status_label)
        # Several profiles may share one database; hidden while only one number sent.
        self.number_combo = QComboBox()
        self.number_combo.addItem("All numbers", None)
        self.number_combo.setToolTip("Message figures of one business phone number (its "
                                     "phone-number id); people figures stay for all numbers")
        self.number_combo.setVisible(False)
        self.number_combo.currentIndexChanged.connect(
            lambda _i: self.set_number(self.number_combo.currentData()))
        self.header_actions.addWidget(self.number_combo)
        self.period_group = QButtonGroup(self)
        self.period_group.setExclusive(True)
        self.period_buttons: dict[str, QPushButton] = {}
        for key, label in PERIODS:
            button = QPushButton(label)
            button.setCheckable(True)
            button.setObjectName("PeriodButton")
            button.setProperty("segment", True)
            button.clicked.connect(lambda _c=False, k=key: self._period_clicked(k))
            self.period_group.addButton(button)
            self.period_buttons[key] = button
            self.header_actions.addWidget(button)
        self.period_buttons["24h"].setChecked(True)
        self.custom = QWidget()
        row = QHBoxLayout(self.custom)
        row.setContentsMargins(0, 0, 0, 0)
        now = QDateTime.currentDateTime()
        self.custom_from = QDateTimeEdit(now.addDays(-3))
        self.custom_to = QDateTimeEdit(now)
        for edit in (self.custom_from, self.custom_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        apply = QPushButton("Show")
        apply.setProperty("primary", True)
        apply.clicked.connect(self._custom_apply)
        row.addWidget(QLabel("From"))
        row.addWidget(self.custom_from)
        row.addWidget(QLabel("to"))
        row.addWidget(self.custom_to)
        row.addWidget(apply)
        row.addStretch(1)
        self.custom.hide()
        self.body.addWidget(self.custom)

    def _build_tiles(self) -> None:
        # One row of eight on a wide window, two rows of four on a laptop: a tile never
        # gets too narrow for its figure.
        self.tile_grid = ReflowGrid(lambda width: 8 if width >= 960 else 4, spacing=10)
        self.tiles: dict[str, KpiTile] = {}
        for key, label, better in TILES:
            tile = KpiTile(key, label, higher_is_better=better)
            # Equal columns whatever the figures' widths: a new figure repaints its tile
            # only, not the row.
            tile.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self.tile_grid.add(tile)
            self.tiles[key] = tile
        self.body.addWidget(self.tile_grid)

    def _build_charts(self) -> None:
        self.messages_chart = MessagesChart()
        self.latency_chart = LatencyChart()
        self.errors_chart = ErrorsChart()
        self.templates_chart = TemplatesChart()
        self.funnel_chart = FunnelChart()
        self.scores_chart = ScoresChart()
        self.health_chart = HealthChart()
        self.charts: dict[str, ChartCard] = {c.key: c for c in (
            self.messages_chart, self.errors_chart, self.latency_chart, self.templates_chart,
            self.funnel_chart, self.scores_chart, self.health_chart)}
        # Two columns (3:2) where there is room, else one: a card is never cut at the right.
        holder = ReflowGrid(lambda width: 2 if width >= 820 else 1,
                            stretches=lambda columns: [3, 2] if columns == 2 else [1])
        holder.setObjectName("PageBody")
        holder.grid.setContentsMargins(0, 0, 12, 0)  # room for the vertical scroll bar
        for key in ("messages", "errors", "latency", "templates", "funnel", "scores", "health"):
            chart = self.charts[key]
            # Fixed: two rows of charts fit under the tiles on a laptop screen.
            chart.setFixedHeight(300)
            chart.setMinimumWidth(0)
            chart.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            chart.activated.connect(lambda filters, k=key: self._open_messages(k, filters))
            holder.add(chart, full_row=key == "health")
        scroll = QScrollArea()
        scroll.setObjectName("PageScroll")
        scroll.setWidgetResizable(True)
        # Charts shrink to the window's width; only the page scrolls, downwards.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(holder)
        box = QVBoxLayout()
        box.addWidget(scroll)
        self.body.addLayout(box, 1)

    def _open_messages(self, chart: str, filters: dict[str, Any]) -> None:
        # The log shows what the bar counted: one number's messages when the chart is filtered.
        if self.number is not None and chart not in ALL_NUMBERS_CHARTS:
            filters = {**filters, "number": self.number}
        self.open_messages.emit(filters)

    def generate_sample(self) -> None:
        """One click: three days of simulated traffic through the processor and the ingest."""
        from easymo_core.sandbox.history import generate_history

        self.sample_banner.action.setEnabled(False)
        self.sample_banner.set_text("Generating three days of sample traffic…")
        self.jobs.submit(generate_history, self.services, name="sample traffic", owner=self,
                         on_result=self._sample_done, on_error=self._sample_failed,
                         on_done=lambda: self.sample_banner.action.setEnabled(True))

    def _sample_done(self, result: Any) -> None:
        self.sample_banner.hide()
        self.hub.success("Sample traffic added",
                         f"{result.sent:,} sent and {result.received:,} received over "
                         f"{result.days} days, marked as sandbox history")
        self.set_period(PeriodChoice("7d"))

    def _sample_failed(self, exc: object) -> None:
        from app.errors import one_line

        self.sample_banner.set_text(f"No sample traffic: {one_line(exc)}")  # type: ignore[arg-type]

    # -- period ----------------------------------------------------------------------
    def _period_clicked(self, key: str) -> None:
        self.custom.setVisible(key == "custom")
        if key != "custom":
            self.set_period(PeriodChoice(key))

    def _custom_apply(self) -> None:
        start = datetime.fromtimestamp(self.custom_from.dateTime().toMSecsSinceEpoch() / 1000, UTC)
        end = datetime.fromtimestamp(self.custom_to.dateTime().toMSecsSinceEpoch() / 1000, UTC)
        if end <= start:
            self.status_label.setText("The range ends before it starts")
            return
        self.set_period(PeriodChoice("custom", start, end))

    def set_period(self, choice: PeriodChoice) -> None:
        """Show ``choice``; figures follow in a worker (a stale answer is dropped)."""
        self.choice = choice
        button = self.period_buttons.get(choice.name)
        if button is not None and not button.isChecked():
            button.setChecked(True)
        self.custom.setVisible(choice.name == "custom")
        self._generation += 1
        self.status_label.setText("Loading…")
        self.refresh_now()

    def set_number(self, number: str | None) -> None:
        """Show the message figures of one sending phone number (None: all numbers)."""
        if number == self.number:
            return
        self.number = number
        index = self.number_combo.findData(number)
        if index < 0 and number is not None:
            self.number_combo.addItem(number_label(number, self.number_names), number)
            index = self.number_combo.count() - 1
        if self.number_combo.currentIndex() != index:
            self.number_combo.blockSignals(True)
            self.number_combo.setCurrentIndex(max(index, 0))
            self.number_combo.blockSignals(False)
        self._show_numbers()
        self._generation += 1
        self.status_label.setText("Loading…")
        self.refresh_now()

    def _fill_numbers(self, numbers: list[str]) -> None:
        wanted = sorted(set(numbers) | ({self.number} if self.number is not None else set()))
        refill(self.number_combo, wanted, lambda n: number_label(n, self.number_names))
        self._show_numbers()

    def _show_numbers(self) -> None:
        self.number_combo.setVisible(self.number_combo.count() > 2 or self.number is not None)

    def set_custom_range(self, start: datetime, end: datetime | None = None) -> None:
        end = end or datetime.now(UTC)
        self.custom_from.setDateTime(QDateTime.fromMSecsSinceEpoch(int(start.timestamp() * 1000)))
        self.custom_to.setDateTime(QDateTime.fromMSecsSinceEpoch(int(end.timestamp() * 1000)))
        self.set_period(PeriodChoice("custom", start, end))

    # -- refreshing ------------------------------------------------------------------
    def _feed(self, _batch: Any) -> None:
        if self._active:
            self.request_refresh()

    def request_refresh(self) -> None:
        """A refresh soon: at most one per ``min_interval_ms``, never two at once."""
        if self._in_flight:
            self._pending = True
            return
        wait = self.min_interval_ms - (time.monotonic() - self._last_start) * 1000
        if wait > 0:
            if not self._throttle.isActive():
                self._throttle.start(int(wait) + 1)
            return
        self.refresh_now()

    def refresh_now(self) -> None:
        if self._in_flight:
            self._pending = True
            return
        self._throttle.stop()
        self._in_flight = True
        self._last_start = time.monotonic()
        generation, choice = self._generation, self.choice
        job = self.jobs.submit(
            load, self.services.db, choice, phone_number_id=self.number, name="dashboard",
            owner=self, quiet=True,
            on_result=lambda snap: self._loaded(generation, snap), on_error=self._failed,
            on_done=self._done)
        if job is None:
            self._in_flight = False

    def _done(self) -> None:
        self._in_flight = False
        if self._pending:
            self._pending = False
            self.request_refresh()

    def _failed(self, exc: object) -> None:
        from app.errors import one_line

        self.status_label.setText(f"Figures unavailable: {one_line(exc)}")  # type: ignore[arg-type]

    def _loaded(self, generation: int, snap: Snapshot) -> None:
        if generation != self._generation:
            return  # the period changed while this was loading
        self.apply(snap)

    # -- showing ---------------------------------------------------------------------
    def apply(self, snap: Snapshot, *, staged: bool | None = None) -> None:
        """Move a snapshot's figures into the tiles and charts (UI thread; timed).

        A live update changes a bucket or two and runs in one go. A new period redraws every
        axis and bar, which in one go would hold the UI thread for several frames; it is
        ``staged``: tiles, then one chart at a time, each given a frame to paint.
        ``snapshot`` and ``refreshed`` follow once everything is on screen.
        """
        if staged is None:
            staged = (self.snapshot is None or self.snapshot.choice != snap.choice
                      or self.snapshot.board.phone_number_id != snap.board.phone_number_id)
        self._stage_token += 1
        token = self._stage_token
        b, days = snap.board, snap.choice.days
        steps: list[Callable[[], None]] = [
            lambda: self._show_tiles(snap),
            lambda: self.messages_chart.update_data(b.series, b.period.bucket_ms, days),
            lambda: self.errors_chart.update_data(b.errors, days),
            lambda: self.latency_chart.update_data(snap.latency, b.period.bucket_ms),
            lambda: self.templates_chart.update_data(b.templates),
            lambda: self.funnel_chart.update_data(b.flows),
            lambda: self.scores_chart.update_data(b.engagement.score_distribution,
                                                  b.engagement.score_average),
            lambda: self.health_chart.update_data(snap.health),
            lambda: self._finish(snap),
        ]
        spent = [0.0]

        def run(i: int) -> None:
            if token != self._stage_token:
                return  # a newer snapshot took over
            began = time.perf_counter()
            for step in steps[i:] if not staged else steps[i:i + 1]:
                step()
            spent[0] += (time.perf_counter() - began) * 1000
            if staged and i + 1 < len(steps):
                # A frame and a bit between two charts. A pyqtgraph chart settles over two
                # or three paints after a new period (autorange, then its axes re-laid out),
                # and the window paints every dirty chart together: with the next chart
                # changed 1 ms later, two charts' settling paints piled into one 48-53 ms
                # stall on the 1M-message benchmark, 17-27 ms with this spacing. A new
                # period then fills in over ~230 ms instead of ~100. (Zero-timers would be
                # worse: they run ahead of other timers and input.)
                QTimer.singleShot(STAGE_SPACING_MS, self, lambda: run(i + 1))
            else:
                self.apply_ms.append(spent[0])
                self.refreshes += 1
                self.refreshed.emit(snap)

        run(0)

    def _finish(self, snap: Snapshot) -> None:
        self.snapshot = snap
        empty = snap.board.totals.sent == 0 and snap.board.engagement.messages_in == 0
        self.sample_banner.setVisible(self.sandbox and empty and snap.choice.name == "24h"
                                      and self.number is None)
        self._fill_numbers(snap.numbers)
        for key in ALL_NUMBERS_CHARTS:
            self.charts[key].set_scope(_scope(snap))
        self._check_alerts(snap)
        self.status_label.setText(f"Updated {datetime.now():%H:%M:%S} · "
                                  f"{snap.load_ms:.0f} ms")

    def _show_tiles(self, snap: Snapshot) -> None:
        for key in ALL_NUMBERS_TILES:
            self.tiles[key].set_scope(_scope(snap))
        b, p = snap.board, snap.previous
        t, pt = b.totals, p.totals
        e, pe = b.engagement, p.engagement
        tiles = self.tiles
        tiles["sent"].set_figure(f"{t.sent:,}", change(t.sent, pt.sent),
                                 f"{t.sent:,} sent, {pt.sent:,} in the previous period")
        for key, now, before, what in (
            ("delivery_rate", t.delivery_rate, pt.delivery_rate, f"{t.delivered:,} delivered"),
            ("read_rate", t.read_rate, pt.read_rate, f"{t.read:,} read"),
            ("failure_rate", t.failure_rate, pt.failure_rate, f"{t.failed:,} failed"),
            ("response_rate", e.response_rate, pe.response_rate,
             f"{e.user_responses:,} responses to {e.messages_out:,} messages"),
        ):
            tiles[key].set_figure(fmt_pct(now), _diff(now, before),
                                  f"{what}; previous period {fmt_pct(before)}", points=True)
        lat, plat = b.latency, p.latency
        tiles["p95"].set_figure(lat.shown("delivery_p95_ms"),
                                change(lat.delivery_p95_ms, plat.delivery_p95_ms),
                               f"95% of messages were delivered within this time of being "
                               f"sent; typically {lat.shown('delivery_p50_ms')} "
                               f"({lat.delivery_count:,} receipts)")
        tiles["active_users"].set_figure(f"{e.active_users:,}",
                                         change(e.active_users, pe.active_users),
                                         "contacts who wrote in the period")
        s, ps = b.satisfaction, p.satisfaction
        tiles["satisfaction"].set_figure(
            "–" if s.average is None else f"{s.average:.2f} / 5", change(s.average, ps.average),
            f"{s.ratings:,} ratings")

    # -- alerts ----------------------------------------------------------------------
    def alerts(self, snap: Snapshot) -> dict[str, str]:
        """Threshold alerts for ``snap``, by key (so each is announced once while it lasts)."""
        out: dict[str, str] = {}
        t, th = snap.board.totals, self.thresholds
        if t.failure_rate is not None and t.sent >= MIN_ALERT_SAMPLE \
                and t.failure_rate > th.error_rate:
            out["error_rate"] = (f"Failure rate {fmt_pct(t.failure_rate)} is above the "
                                 f"{fmt_pct(th.error_rate)} threshold")
        lag = snap.board.health.webhook_lag_avg_ms
        if lag is not None and lag > th.webhook_lag_s * 1000:
            out["webhook_lag"] = (f"Webhook lag {fmt_ms(lag)} is above the "
                                  f"{th.webhook_lag_s:.0f} s threshold")
        for name, language, status in snap.paused_templates:
            out[f"template:{name}:{language}"] = (f"Template {name} ({language}) is "
                                                  f"{status.lower()} by Meta")
        return out

    def _check_alerts(self, snap: Snapshot) -> None:
        current = self.alerts(snap)
        for key in current.keys() - self._alerts:
            self.hub.warning("Dashboard alert", current[key],
                             "Thresholds are in Settings, per profile.")
            self.desktop_notified += bool(self.notify_desktop("easyMO alert", current[key]))
        self._alerts = set(current)
        if current:
            self.banner.set_text(" · ".join(current.values()))
            self.banner.show()
        else:
            self.banner.hide()

    # -- page life -------------------------------------------------------------------
    def activated(self) -> None:
        self._active = True
        self._clock.start()
        self.request_refresh() if self.snapshot is not None else self.refresh_now()

    def deactivated(self) -> None:
        self._active = False
        self._clock.stop()
        self._throttle.stop()

    def shutdown(self) -> None:
        self.deactivated()


__all__ = ["DashboardPage", "Thresholds"]
