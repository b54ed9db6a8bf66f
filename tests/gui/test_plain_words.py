"""Plain words and honest lights: OS error codes, the status lights, exports that fail."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from app.errors import describe, plain
from app.hub import Hub
from app.session import ConsoleSession
from easymo_core.config import sandbox_profile


def test_os_error_codes_become_words() -> None:
    text = plain("cannot reach the Graph API at http://127.0.0.1:9: [Errno 111] Connection refused")
    assert "[Errno" not in text and "connection was refused" in text
    assert plain("[Errno -2] Name or service not known") == "the host name could not be found"
    message, hint = describe(PermissionError(13, "Permission denied", "/root/out.csv"))
    assert message == "Permission denied (/root/out.csv)" and hint
    message, _ = describe(ConnectionRefusedError(111, "Connection refused"))
    assert "Errno" not in message


def test_webhook_light_follows_the_receiver_not_the_graph_sandbox() -> None:
    receiver = SimpleNamespace(running=True, url="http://127.0.0.1:8766/webhook")
    stack = SimpleNamespace(webhook=receiver, webhook_url=receiver.url,
                            sandbox=SimpleNamespace(running=False), running=False)
    session = ConsoleSession(sandbox_profile(), services=None, stack=stack)
    health = session.webhook_health()
    assert health.health == "ok" and "127.0.0.1:8766" in health.detail
    receiver.running = False
    assert session.webhook_health().detail == "embedded receiver stopped"


def test_a_failing_first_sync_turns_the_api_light_red(qtbot: Any) -> None:
    from PySide6.QtCore import QObject, Signal

    from app.scheduler_status import SchedulerStatus
    from app.widgets.statusbar import HealthIndicator
    from easymo_core.scheduler import TEMPLATE_SYNC, JobState

    class Bridge(QObject):
        health = Signal(object)
        states: ClassVar[dict[str, Any]] = {}

    hub = Hub()
    seen: list[tuple[str, str, str]] = []
    hub.health_changed.connect(lambda c, h, d: seen.append((c, h, d)))
    indicator = HealthIndicator("Scheduler")
    qtbot.addWidget(indicator)
    status = SchedulerStatus(hub, indicator, Bridge())
    failed = JobState(TEMPLATE_SYNC, 900.0, failures=1,
                      last_error="cannot reach the Graph API: [Errno 111] Connection refused")
    hub.job_state_changed.emit(failed)
    api = [s for s in seen if s[0] == "api"]
    assert api and api[-1][1] == "error" and "connection was refused" in api[-1][2]
    assert status.api_reported is False


def test_health_lights_differ_in_shape_not_only_colour(qtbot: Any) -> None:
    from app.widgets.statusbar import HealthIndicator

    light = HealthIndicator("API")
    qtbot.addWidget(light)
    shapes = {}
    for state in ("ok", "error", "warn", "busy", "off"):
        light.set_health(state, "x")
        image = light.light.pixmap().toImage()
        # Shape only, colour left out: where the light is opaque, and where it is white.
        shapes[state] = tuple(
            (image.pixelColor(x, y).alpha() > 128, image.pixelColor(x, y).lightness() > 240)
            for y in range(image.height()) for x in range(image.width()))
    assert len(set(shapes.values())) == len(shapes)


def test_chart_export_to_an_unwritable_place_says_so(qtbot: Any, tmp_path: Path,
                                                    monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QFileDialog

    from app.widgets.bar_charts import ErrorsChart

    chart = ErrorsChart()
    qtbot.addWidget(chart)
    target = tmp_path / "missing-folder" / "errors.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    chart.choose_csv()  # no exception reaches Qt
    assert chart.note.text().startswith("Not saved: ") and "Errno" not in chart.note.text()
    assert chart.menu_button.accessibleName() == "Export Failures by error code"
