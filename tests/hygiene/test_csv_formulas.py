"""CSV exports cannot carry a live spreadsheet formula from a stranger's WhatsApp text
(OWASP's rule: a cell starting with = + - @ tab or CR is prefixed with ')."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from easymo_core.exports.csv_cells import safe_cell, safe_row
from easymo_core.messaging.log_queries import LogFilter, LogQueries
from easymo_core.storage.engine import Database
from tests.scheduler.helpers import add_message

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\t=1+1", "\r=1+1"]
HARMLESS = ["hello", "order #42 = ready", " =spaced", "", "1,5 €"]


def test_safe_cell_prefixes_formula_starts_and_leaves_the_rest() -> None:
    for text in HOSTILE:
        assert safe_cell(text) == "'" + text
    for text in HARMLESS:
        assert safe_cell(text) == text
    assert safe_row([-3, 2.5, None, "=x"]) == [-3, 2.5, None, "'=x"]


def test_the_message_log_export_neutralises_hostile_inbound_texts(db: Database, tmp_path: Path) -> None:
    ms = int(datetime(2026, 5, 1, 12, tzinfo=UTC).timestamp() * 1000)
    for i, body in enumerate(HOSTILE + HARMLESS):
        add_message(db, ms=ms + i, direction="in", status="received", body=body)
    out = tmp_path / "log.csv"
    result = LogQueries(db).export_csv(LogFilter(), out)
    assert result.rows == len(HOSTILE) + len(HARMLESS)
    with out.open(newline="", encoding="utf-8") as fh:
        bodies = [r["body"] for r in csv.DictReader(fh)]
    for text in HOSTILE:
        assert "'" + text in bodies and text not in bodies
    for text in HARMLESS:
        assert text in bodies


@pytest.mark.gui
def test_a_chart_data_export_neutralises_hostile_labels(qtbot: Any, tmp_path: Path) -> None:
    from app.widgets.chart_card import ChartCard

    card = ChartCard("errors", "Errors")
    qtbot.addWidget(card)
    card.table = lambda: (["label", "count"], [[text, 1] for text in HOSTILE])  # type: ignore[method-assign]
    out = tmp_path / "chart.csv"
    assert card.export_csv(out) == len(HOSTILE)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]
    assert [r[1] for r in rows[1:]] == ["1"] * len(HOSTILE)
