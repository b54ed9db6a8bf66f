"""The start-up benchmark's parts and ``--screenshots``, end to end (slow: real processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from easymo_tools.bench import startup as bench_startup

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_console_cold_start_reports_a_shown_window() -> None:
    seconds = bench_startup.time_start(bench_startup._CONSOLE)
    assert 0 < seconds < 10


@pytest.mark.slow
def test_ui_stall_is_measured_while_syncing_and_sending(qapp: Any) -> None:
    figures = bench_startup.measure_stall(sends=10)
    assert figures["sent"] == 10 and figures["failed"] == 0
    assert figures["heartbeat_ticks"] > 20
    # Generous here (CI machines are busy); `easymo bench startup` reports the real figure.
    assert figures["ui_stall_ms"] < 500


@pytest.mark.slow
def test_screenshots_mode_saves_every_screen(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = tmp_path / "shots"
    # faulthandler: a crash of the console (a signal, not an exception) prints every
    # thread's Python stack, so a failure here says where it happened.
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "app.main", "--screenshots", str(out)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"stdout: {result.stdout[-1000:]}\nstderr: {result.stderr[-6000:]}"
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == [
        "00-start.png", "00b-start-error.png", "01-dashboard.png", "02-templates.png", "03-template-editor.png",
        "04-compose-in-flight.png", "05-compose-read-reply.png", "06-compose-list.png",
        "07-messages.png", "07b-conversation.png", "08-flows.png", "08b-audit.png", "09-settings.png",
    ]
    assert all((out / n).stat().st_size > 20_000 for n in names)
    # The run used a throw-away home: nothing was written to the user's profiles.
    assert "timed out" not in result.stderr


@pytest.mark.slow
def test_screenshots_take_a_size_and_a_theme(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = tmp_path / "small-dark"
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "app.main", "--screenshots", str(out),
         "--size", "1024x640", "--theme", "dark"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"stdout: {result.stdout[-1000:]}\nstderr: {result.stderr[-6000:]}"
    flows = [p for p in out.glob("*.png") if "flows" in p.name]
    assert len(flows) == 1
    page = QImage(str(out / "01-dashboard.png"))
    assert (page.width(), page.height()) == (1024, 640)
    # Dark: most of the picture is dark (the light theme's pages are near white).
    samples = [page.pixelColor(x, y).lightness() for x in range(0, 1024, 32) for y in range(0, 640, 32)]
    assert sorted(samples)[len(samples) // 2] < 100
