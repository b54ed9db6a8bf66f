"""One way to show a duration and a moment (easymo_core/display.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from easymo_core.display import ago, fmt_duration_ms, fmt_elapsed, fmt_latency, fmt_when


@pytest.mark.parametrize("ms, text", [
    (0, "0 ms"), (999, "999 ms"), (1000, "1.0 s"), (90_000, "90.0 s"), (119_999, "120.0 s"),
    (120_000, "2.0 min"), (7_199_999, "120.0 min"), (7_200_000, "2.0 h"),
])
def test_durations_switch_units_at_one_second_two_minutes_and_two_hours(ms: int, text: str) -> None:
    assert fmt_duration_ms(ms) == text


def test_a_lower_bound_and_nothing_are_said_as_such() -> None:
    assert fmt_duration_ms(3_600_000, at_least=True) == "≥60.0 min"
    assert fmt_duration_ms(None) == fmt_duration_ms(float("nan")) == "—"
    assert fmt_latency(None) == "" and fmt_latency(1500) == "1.5 s"


def test_elapsed_time_uses_the_same_switch() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert [fmt_elapsed(s) for s in (5, 119, 120, 7199, 7200)] == ["5 s", "119 s", "2 min", "120 min", "2.0 h"]
    assert ago(now, now - timedelta(seconds=30)) == "30 s"
    assert ago(now, now + timedelta(seconds=30)) == "0 s"  # never negative


def test_a_moment_is_local_time_with_its_zone() -> None:
    at = datetime(2026, 5, 1, 12, 30, 5, tzinfo=UTC)
    local = at.astimezone()
    zone = local.strftime("%Z")
    assert fmt_when(at, now=at) == f"{local:%H:%M:%S} {zone}"
    assert fmt_when(at, now=at + timedelta(days=40)) == f"{local:%d %b %H:%M} {zone}"
    assert fmt_when(at, now=at + timedelta(days=400)) == f"{local:%d %b %Y}"
    # the database's naive datetimes are UTC
    assert fmt_when(at.replace(tzinfo=None), now=at) == fmt_when(at, now=at)
    assert fmt_when(None) == "—"
