"""`easymo bench ingest|process` run as a user runs them, on small sizes: the figures are
measured and reported, the run checks its own work (no timing thresholds here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Each runs a benchmark in a process of its own, with its servers.
pytestmark = pytest.mark.slow


def bench(*args: str) -> dict:  # type: ignore[type-arg]
    proc = subprocess.run(
        [sys.executable, "-m", "easymo_core.cli.main", "bench", *args, "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_bench_ingest_measures_sqlite_and_postgresql() -> None:
    pg = os.environ.get("EASYMO_TEST_PG_URL")
    if not pg:
        pytest.fail("EASYMO_TEST_PG_URL is not set: scripts/test starts a PostgreSQL for this")
    report = bench("ingest", "--events", "300", "--single-events", "30", "--pg-url", pg)
    f = report["figures"]
    assert report["benchmark"] == "ingest" and report["ratio"] > 0
    for key in ("sqlite50", "sqlite1", "pg50", "pg1", "bare50_before", "bare50_after", "bare1", "durable50"):
        assert f[f"{key}_eps"] > 0 and f[f"{key}_errors"] == 0
    # The baselines replay the receiver's 6 POSTs to 3,000, a run long enough to time; the
    # durable one checks its own row count, or the run fails.
    assert (f["durable50_posts"], f["durable50_events"]) == (3000, 150_000)
    assert (f["bare50_before_posts"], f["bare1_posts"]) == (3000, 3000)
    assert f["ratio_vs_durable"] == pytest.approx(f["sqlite50_eps"] / f["durable50_eps"], rel=1e-2)
    assert f["sqlite50_events"] == 300 and f["sqlite50_posts"] == 6 and f["sqlite1_posts"] == 30
    assert set(report["targets_met"]) == {
        "SQLite batch 50 >= 5,000 events/s", "ratio >= 0.5", "no POST refused (other than 503, retried)"}


def test_bench_process_counts_every_message() -> None:
    pg = os.environ.get("EASYMO_TEST_PG_URL")
    if not pg:
        pytest.fail("EASYMO_TEST_PG_URL is not set: scripts/test starts a PostgreSQL for this")
    report = bench("process", "--messages", "200", "--batch", "50", "--threads", "4", "--pg-url", pg)
    f = report["figures"]
    assert report["benchmark"] == "process"
    assert f["accepted_rows"] == 50 + 200 + 200  # warm-up batch, timed batches, one-at-a-time run
    assert f["pg_accepted_rows"] == 50 + 200  # warm-up batch, timed batches
    assert f["processor_rate"] > 0 and f["bare_client_rate"] > 0 and f["pg_processor_rate"] > 0
    assert report["ratio"] == pytest.approx(f["processor_rate"] / 1000, rel=1e-3)


def test_bench_process_without_postgresql_says_how_to_measure_it() -> None:
    env = {k: v for k, v in os.environ.items() if k != "EASYMO_BENCH_PG_URL"}
    proc = subprocess.run(
        [sys.executable, "-m", "easymo_core.cli.main", "bench", "process", "--messages", "20",
         "--batch", "10", "--threads", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "not measured: pass --pg-url" in proc.stdout


def test_bench_dashboard_reports_frames_stall_and_memory() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "easymo_core.cli.main", "bench", "dashboard", "--messages", "2000",
         "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "propagateSizeHints" not in proc.stderr  # platform noise is filtered out
    report = json.loads(proc.stdout)
    f = report["figures"]
    assert report["benchmark"] == "dashboard" and f["messages"] == 2000
    assert len(f["refresh_30d_runs_ms"]) == 5 and all(v > 0 for v in f["refresh_30d_runs_ms"])
    assert f["live_updates"] > 0 and f["live_messages_written"] > 0
    assert f["rebuild_view_ms"] > 0 and f["live_update_frame_median_ms"] > 0
    assert report["ratio"] == pytest.approx(16.0 / f["live_update_frame_median_ms"], rel=2e-2)
    assert 0 < f["peak_rss_mb"] < 4000 and f["ui_stall_ms"] > 0
    assert set(report["targets_met"]) == {
        "UI stall < 50 ms", "update frame < 16 ms (median)", "peak RSS < 400 MB"}


def test_bench_dashboard_refuses_a_tiny_database() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "easymo_core.cli.main", "bench", "dashboard", "--messages", "5"],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "at least 100" in proc.stderr
