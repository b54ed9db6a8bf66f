"""`easymo bench send` end to end on the sandbox; figures only, no timing assertions."""

from __future__ import annotations

import json

import pytest

from easymo_tools.bench.send import ROUNDS, run


@pytest.mark.slow
def test_bench_send_reports_both_loops_and_the_pacer() -> None:
    report = run(n=2 * ROUNDS, pacer_rate=100.0, pacer_seconds=0.3)
    figures = report.figures
    assert figures["sends_per_loop"] == 2 * ROUNDS
    assert figures["client_rate"] > 0 and figures["bare_rate"] > 0
    assert report.ratio == pytest.approx(figures["client_rate"] / figures["bare_rate"], rel=1e-3)
    assert figures["pacer_sent"] > figures["pacer_burst"]
    assert set(report.targets) == {"client >= 0.95 x bare httpx", "pacer within 5 %"}
    assert json.loads(report.to_json())["benchmark"] == "send"
    assert "bare httpx loop" in report.table()


def test_bench_send_needs_a_send_per_round() -> None:
    with pytest.raises(ValueError):
        run(n=ROUNDS - 1)
