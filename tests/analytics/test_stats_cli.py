"""`easymo stats` and `easymo bench analytics` through the real entry point."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.period import resolve_period
from easymo_core.cli.main import main
from easymo_core.storage.engine import Database
from easymo_core.storage.types import from_ms
from tests.analytics.test_trigger_properties import PHONES, T0, Chooser, History, play, reset


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_stats_json_matches_the_analytics(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(db_url)
    try:
        reset(db, 1_800_000)
        h = History(db, Chooser(rnd=random.Random(11)))
        play(h, 40)
        start, end = from_ms(T0) - timedelta(hours=1), from_ms(h.t) + timedelta(days=1)
        want = Analytics(db).dashboard(resolve_period(start=start, end=end))
    finally:
        db.dispose()
    code, out, _ = run_cli(["--db-url", db_url, "stats", "--from", start.isoformat(), "--to", end.isoformat(),
                            "--json"], capsys)
    assert code == 0
    got = json.loads(out)
    assert got["period"]["label"] == "custom"
    assert got["totals"]["sent"] == want.totals.sent > 0
    assert got["totals"]["delivered"] == want.totals.delivered
    assert got["engagement"]["messages_in"] == want.engagement.messages_in
    assert [t["name"] for t in got["templates"]] == [t.name for t in want.templates]
    assert got["session_gap_ms"] == 1_800_000

    code, out, _ = run_cli(["--db-url", db_url, "stats", "--from", start.isoformat(), "--to", end.isoformat()],
                           capsys)
    assert code == 0
    assert "Delivery" in out and "Templates" in out and "System health" in out
    assert str(want.totals.sent) in out


def test_stats_of_one_phone_number(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(db_url)
    try:
        reset(db, 1_800_000)
        h = History(db, Chooser(rnd=random.Random(12)))
        play(h, 40)
        start, end = from_ms(T0) - timedelta(hours=1), from_ms(h.t) + timedelta(days=1)
        period = resolve_period(start=start, end=end)
        whole = Analytics(db).dashboard(period).to_dict()
        one = Analytics(db).dashboard(period, phone_number_id=PHONES[0]).to_dict()
    finally:
        db.dispose()
    assert 0 < one["totals"]["sent"] < whole["totals"]["sent"]
    span = ["--from", start.isoformat(), "--to", end.isoformat()]
    code, out, _ = run_cli(["--db-url", db_url, "stats", *span, "--json", "--phone-number-id", PHONES[0]],
                           capsys)
    assert code == 0
    got = json.loads(out)
    assert got["phone_number_id"] == PHONES[0]
    assert (got["totals"], got["errors"], got["templates"]) == (one["totals"], one["errors"], one["templates"])
    assert got["engagement"] == whole["engagement"]

    code, out, _ = run_cli(["--db-url", db_url, "stats", *span, "--phone-number-id", PHONES[0]], capsys)
    assert code == 0
    assert f"phone number {PHONES[0]}:" in out and "for all numbers" in out
    code, out, _ = run_cli(["--db-url", db_url, "stats", *span], capsys)
    assert code == 0
    assert "phone numbers: all" in out
    code, out, _ = run_cli(["--db-url", db_url, "stats", *span, "--json"], capsys)
    assert json.loads(out)["phone_number_id"] is None


def test_stats_refuses_a_bad_range(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--db-url", db_url, "stats", "--from", "yesterday"], capsys)
    assert code == 1
    assert "ISO" in err


def test_bench_analytics_small(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["bench", "analytics", "--messages", "3000", "--sample", "300", "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    figures = report["figures"]
    assert report["benchmark"] == "analytics"
    assert figures["messages"] >= 2500 and figures["status_events"] > figures["messages"]
    for key in ("dashboard_ms", "plain_ms", "peak_rss_mb", "ingest_slowdown"):
        assert figures[key] > 0
    assert figures["figures_agree"] is True
    assert figures["rebuild_matches_triggers"] is True
    assert report["ratio"] == pytest.approx(figures["plain_ms"] / figures["dashboard_ms"], rel=0.01)
