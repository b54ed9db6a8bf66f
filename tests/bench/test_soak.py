"""`easymo bench soak`, short: CI runs the receiver at 1,000 events/s for a few seconds
(`easymo bench soak` alone runs 60 s); nothing may be lost, whatever the machine's speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_soak_loses_nothing_and_reports_rss() -> None:
    seconds = os.environ.get("EASYMO_SOAK_SECONDS", "5")
    proc = subprocess.run(
        [sys.executable, "-m", "easymo_core.cli.main", "bench", "soak", "--rate", "1000",
         "--seconds", seconds, "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    f = report["figures"]
    assert f["events"] == int(1000 * float(seconds)) // 3 * 3
    assert f["lost"] == 0 and f["stored"] == f["events"] and f["errors"] == 0
    assert f["messages_read"] == f["events"] // 3
    assert f["rss_start_mib"] > 0 and f["rss_end_mib"] > 0 and f["rss_peak_mib"] >= f["rss_start_mib"]
    assert report["targets_met"]["nothing lost"] is True
