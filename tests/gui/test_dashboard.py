"""The dashboard: live tiles and charts from sandbox traffic, the same figures as
`easymo stats --json` for each period, click-through to the messages log, export, alerts."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.dashboard_data import PeriodChoice
from app.views.dashboard_page import DashboardPage, Thresholds
from easymo_core.cli.main import main
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.storage.types import to_ms, utcnow
from easymo_tools.bench.analytics import bulk_load
from easymo_tools.bench.log_data import generate_messages
from tests.gui.conftest import USER, user_writes

# Figures that must be equal between the page and `easymo stats --json` (health moves with
# the clock, query_ms with the machine).
SAME = ("period", "totals", "latency", "errors", "templates", "engagement", "satisfaction", "flows",
        "series", "session_gap_ms")


@pytest.fixture
def gen_db(tmp_path: Path) -> Iterator[Database]:
    """A month of generated traffic (templates, failures with Meta codes, replies)."""
    db = Database(f"sqlite:///{tmp_path / 'dash.db'}")
    migrate.upgrade(db)
    bulk_load(db, 3000, to_ms(utcnow()), seed=3)
    yield db
    db.dispose()


def make_page(qtbot: Any, services: Any, jobs: Any, hub: Any, **kw: Any) -> DashboardPage:
    page = DashboardPage(services, jobs, hub, **kw)
    page.min_interval_ms = 300  # the 2 s throttle, shortened so the test stays quick
    qtbot.addWidget(page)
    page.resize(1200, 900)
    page.show()
    page.activated()
    qtbot.waitUntil(lambda: page.snapshot is not None, timeout=10_000)
    return page


def stats_json(db: Database, period: str, capsys: pytest.CaptureFixture[str],
               *extra: str) -> dict[str, Any]:
    with pytest.raises(SystemExit) as exit_:
        main(["--db-url", str(db.engine.url), "stats", "--json", "--period", period, *extra])
    out, err = capsys.readouterr()
    assert exit_.value.code in (0, None), err
    return json.loads(out)  # type: ignore[no-any-return]


def test_tiles_and_charts_change_as_sandbox_events_arrive(qtbot: Any, session: Any, stack: Any,
                                                          jobs: Any, hub: Any) -> None:
    from app.scheduler_bridge import SchedulerBridge

    bridge = SchedulerBridge(session.scheduler, hub)
    page = make_page(qtbot, session.services, jobs, hub)
    try:
        assert page.tiles["sent"].value.text() == "0"
        bars = dict(page.messages_chart.bars)
        items = len(page.messages_chart.plot.getPlotItem().items)
        refreshes = page.refreshes
        user_writes(stack)
        jobs.submit(session.services.processor.send_text, USER, "Your order left the warehouse.",
                    source="composer", name="send")
        # Only the change feed asks for these refreshes (the page's own clock ticks every 15 s).
        qtbot.waitUntil(lambda: page.tiles["sent"].value.text() == "1", timeout=10_000)
        qtbot.waitUntil(lambda: page.snapshot is not None and page.snapshot.board.totals.read == 1,
                        timeout=10_000)
        assert page.refreshes > refreshes
        assert page.tiles["read_rate"].value.text() == "100.0%"
        assert page.tiles["active_users"].value.text() == "1"
        assert page.messages_chart.parts["read"].sum() == 1
        assert "sent 1" in (page.messages_chart.hover_text(
            page.snapshot.board.series[-1].start_ms / 1000 + 1, 0.5) or "")
        # Updated in place: the same plot items, no new ones.
        assert page.messages_chart.bars == bars
        assert len(page.messages_chart.plot.getPlotItem().items) == items
        qtbot.waitUntil(lambda: any(p.events for p in page.snapshot.health), timeout=10_000)
        assert page.health_chart.events.opts["height"].sum() >= 1
    finally:
        bridge.detach()


def test_period_switch_gives_the_figures_of_easymo_stats(qtbot: Any, gen_db: Database, jobs: Any,
                                                         hub: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    page = make_page(qtbot, SimpleNamespace(db=gen_db), jobs, hub, live=False)
    seen = set()
    for name in ("7d", "30d", "24h"):
        page.set_period(PeriodChoice(name))
        qtbot.waitUntil(lambda n=name: page.snapshot.choice.name == n, timeout=10_000)
        want = stats_json(gen_db, name, capsys)
        got = page.snapshot.board.to_dict()
        if got["period"] != want["period"]:  # the hour turned between the two reads
            page.refresh_now()
            start = want["period"]["start_ms"]
            qtbot.waitUntil(lambda s=start: page.snapshot.board.period.start_ms == s, timeout=10_000)
            got = page.snapshot.board.to_dict()
        for key in SAME:
            assert got[key] == want[key], key
        t = want["totals"]
        assert page.tiles["sent"].value.text() == f"{t['sent']:,}"
        assert page.tiles["failure_rate"].value.text() == f"{100 * t['failure_rate']:.1f}%"
        assert page.period_buttons[name].isChecked()
        assert [r.code for r in page.errors_chart.rows] == [e["code"] for e in want["errors"]]
        assert len(page.messages_chart.points) == len(want["series"])
        seen.add(t["sent"])
    assert len(seen) == 3  # the three periods really differ on this data


def test_number_filter_shows_one_numbers_message_figures_as_easymo_stats_does(
        qtbot: Any, tmp_path: Path, jobs: Any, hub: Any, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(f"sqlite:///{tmp_path / 'two-numbers.db'}")
    migrate.upgrade(db)
    numbers = ("100000000000001", "100000000000002")
    generate_messages(db, 2000, days=2, contacts=80, numbers=numbers)
    try:
        page = make_page(qtbot, SimpleNamespace(db=db), jobs, hub, live=False,
                         number_names={numbers[0]: "shop"})
        qtbot.waitUntil(lambda: page.number_combo.count() == 3, timeout=10_000)
        assert page.number_combo.isVisible()  # two numbers sent: the filter is offered
        assert [page.number_combo.itemText(i) for i in range(3)] == [
            "All numbers", f"shop · {numbers[0]}", numbers[1]]
        everyone = page.snapshot.board
        assert everyone.phone_number_id is None
        page.number_combo.setCurrentIndex(page.number_combo.findData(numbers[1]))
        qtbot.waitUntil(lambda: page.snapshot.board.phone_number_id == numbers[1], timeout=10_000)
        board = page.snapshot.board
        want = stats_json(db, "24h", capsys, "--phone-number-id", numbers[1])
        got = board.to_dict()
        if got["period"] != want["period"]:  # the hour turned between the two reads
            page.refresh_now()
            start = want["period"]["start_ms"]
            qtbot.waitUntil(lambda: page.snapshot.board.period.start_ms == start, timeout=10_000)
            board, got = page.snapshot.board, page.snapshot.board.to_dict()
        for key in ("totals", "latency", "errors", "templates"):
            assert got[key] == want[key], key
        assert 0 < board.totals.sent < everyone.totals.sent
        assert page.tiles["sent"].value.text() == f"{board.totals.sent:,}"
        # People figures are per contact: the page says they are for all numbers.
        assert page.tiles["active_users"].delta.text().endswith("· all numbers")
        assert "all numbers" not in page.tiles["sent"].delta.text()
        assert page.charts["scores"].title.text().endswith("· all numbers")
        assert page.charts["errors"].title.text() == "Failures by error code"
        asked: list[dict[str, Any]] = []
        page.open_messages.connect(asked.append)
        page.errors_chart.activated.emit({"status": "failed"})
        assert asked[-1] == {"status": "failed", "number": numbers[1]}
        page.set_number(None)
        qtbot.waitUntil(lambda: page.snapshot.board.phone_number_id is None, timeout=10_000)
        assert page.snapshot.board.totals.sent >= everyone.totals.sent
        assert page.tiles["active_users"].delta.text().endswith("vs previous")
    finally:
        db.dispose()


def test_click_on_failure_bar_filters_the_log(qtbot: Any, window: Any) -> None:
    # Free-form text to a number that never wrote: Meta refuses it with 131047.
    window.jobs.submit(window.session.services.processor.send_text, "+15550100099", "Hello?",
                       source="composer", name="send")
    window.navigate("dashboard")
    page = window.page("dashboard")
    qtbot.waitUntil(lambda: page.snapshot is not None and any(
        r.code == 131047 for r in page.snapshot.board.errors), timeout=15_000)
    chart = page.errors_chart
    i = next(i for i, r in enumerate(chart.rows) if r.code == 131047)
    assert "131047" in (chart.hover_text(i, 0.5) or "")
    assert chart.rows[i].explanation in (chart.hover_text(i, 0.5) or "").replace("\n", " ")
    qtbot.mouseClick(chart.plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=chart.widget_pos(i, chart.rows[i].failures / 2))
    assert window.current_key() == "messages"
    log = window.page("messages")
    f = log.current_filter()
    assert (f.status, f.error_code, f.direction) == ("failed", 131047, "out")
    qtbot.waitUntil(lambda: log.model.rowCount() >= 1 and not log.model.loading, timeout=10_000)
    assert {r.error_code for r in log.model.rows()} == {131047}


def test_export_png_and_csv_and_threshold_banner(qtbot: Any, gen_db: Database, jobs: Any, hub: Any,
                                                 tmp_path: Path) -> None:
    page = make_page(qtbot, SimpleNamespace(db=gen_db), jobs, hub, live=False,
                     thresholds=Thresholds(error_rate=0.01, webhook_lag_s=120))
    page.set_period(PeriodChoice("30d"))
    qtbot.waitUntil(lambda: page.snapshot.choice.name == "30d", timeout=10_000)
    assert page.banner.isVisible() and "Failure rate" in page.banner.text()
    chart = page.errors_chart
    chart.export_png(tmp_path / "errors.png")
    image = QImage(str(tmp_path / "errors.png"))
    assert image.width() > 100 and image.height() > 100
    assert chart.export_csv(tmp_path / "errors.csv") == len(page.snapshot.board.errors) > 0
    with (tmp_path / "errors.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["failures"]) for r in rows] == [e.failures for e in page.snapshot.board.errors]
    assert page.messages_chart.export_csv(tmp_path / "series.csv") == len(page.snapshot.board.series)
    page.thresholds = Thresholds(error_rate=0.5, webhook_lag_s=120)
    page.refresh_now()
    qtbot.waitUntil(lambda: not page.banner.isVisible(), timeout=10_000)


def test_thresholds_saved_in_settings_reach_the_open_dashboard(qtbot: Any, window: Any) -> None:
    from dataclasses import replace

    window.navigate("dashboard")
    page = window.page("dashboard")
    assert page.thresholds == Thresholds.of(window.session.profile)
    window._profile_saved(replace(window.session.profile, alert_error_rate=0.01,
                                  alert_webhook_lag_s=30.0))
    assert page.thresholds == Thresholds(error_rate=0.01, webhook_lag_s=30.0)
    # Another profile's thresholds are not this dashboard's.
    window._profile_saved(replace(window.session.profile, name="other", alert_error_rate=0.5))
    assert page.thresholds.error_rate == 0.01


def test_an_alert_also_goes_to_the_desktop_once(qtbot: Any, gen_db: Database, jobs: Any,
                                                 hub: Any) -> None:
    page = DashboardPage(SimpleNamespace(db=gen_db), jobs, hub, live=False,
                         thresholds=Thresholds(error_rate=0.01, webhook_lag_s=120))
    qtbot.addWidget(page)
    sent: list[tuple[str, str]] = []
    page.notify_desktop = lambda title, text: sent.append((title, text)) or True
    page.set_period(PeriodChoice("30d"))
    qtbot.waitUntil(lambda: page.snapshot is not None, timeout=10_000)
    assert any("Failure rate" in text for _t, text in sent) and page.desktop_notified == len(sent)
    before = len(sent)
    page.refresh_now()
    qtbot.waitUntil(lambda: page.refreshes >= 2, timeout=10_000)
    assert len(sent) == before  # still the same alerts: not announced again


def test_desktop_notification_uses_the_tray_or_says_there_is_none(qapp: Any) -> None:
    from app import desktop_notify

    shown: list[tuple[Any, ...]] = []
    tray = SimpleNamespace(showMessage=lambda *a: shown.append(a))
    assert desktop_notify.notify("easyMO alert", "Template x (en) is paused", tray=tray)
    assert shown[0][:2] == ("easyMO alert", "Template x (en) is paused")
    # The offscreen platform has no system tray: nothing to show, and no error.
    assert desktop_notify.notify("t", "x") is desktop_notify.available()
