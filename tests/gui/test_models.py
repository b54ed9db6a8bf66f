"""Table models and view-models, tested without a window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.models.preview import buttons_preview, list_preview, replies_of, template_preview
from app.models.templates_model import (
    RECORD_ROLE,
    SORT_ROLE,
    STATUS,
    UPDATED,
    TemplatesFilter,
    TemplatesModel,
)
from app.models.timeline import build_timeline
from app.views.composer_forms import payload_issue
from app.widgets.field_errors import parent_path
from easymo_core.cloudapi.errors import PayloadError
from easymo_core.templates.model import TemplateDefinition
from easymo_core.templates.sample_data import sample_template


@dataclass
class Rec:
    name: str
    language: str
    category: str
    status: str
    quality_score: str | None = "GREEN"
    rejected_reason: str | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    definition: Any = None


def records() -> list[Rec]:
    now = datetime.now(UTC)
    return [
        Rec("order_update", "en_US", "UTILITY", "APPROVED", updated_at=now - timedelta(days=3)),
        Rec("order_update", "es", "UTILITY", "PENDING", None, updated_at=now),
        Rec("promo_spring", "en_US", "MARKETING", "REJECTED", "UNKNOWN", "PROMOTIONAL"),
        Rec("feedback_survey", "en_US", "MARKETING", "PAUSED", "RED"),
    ]


def test_templates_model_rows_columns_and_roles(qapp: Any) -> None:
    model = TemplatesModel()
    model.set_records(records())
    assert model.rowCount() == 4 and model.columnCount() == 6
    # Sorted by name, then language.
    assert [model.record(r).name for r in range(4)][:2] == ["feedback_survey", "order_update"]
    row = model.row_of("promo_spring", "en_US")
    status = model.index(row, STATUS)
    assert status.data() == "REJECTED"
    assert status.data(Qt.ItemDataRole.ToolTipRole) == "Rejected: PROMOTIONAL"
    assert model.index(row, 0).data(RECORD_ROLE).category == "MARKETING"
    assert model.headerData(STATUS, Qt.Orientation.Horizontal) == "Status"
    assert model.languages() == ["en_US", "es"]
    assert model.statuses() == ["APPROVED", "PAUSED", "PENDING", "REJECTED"]


def test_filter_by_search_status_category_language(qapp: Any) -> None:
    model = TemplatesModel()
    model.set_records(records())
    proxy = TemplatesFilter()
    proxy.setSourceModel(model)
    assert proxy.rowCount() == 4
    proxy.set_search("ORDER")
    assert proxy.rowCount() == 2
    proxy.set_language("es")
    assert proxy.rowCount() == 1
    proxy.set_search("")
    proxy.set_language(None)
    proxy.set_status("PAUSED")
    assert proxy.rowCount() == 1
    proxy.set_status(None)
    proxy.set_category("MARKETING")
    assert {proxy.index(r, 0).data() for r in range(proxy.rowCount())} == {
        "promo_spring", "feedback_survey"}


def test_sorting_by_last_update_uses_the_timestamp(qapp: Any) -> None:
    model = TemplatesModel()
    model.set_records(records())
    proxy = TemplatesFilter()
    proxy.setSourceModel(model)
    proxy.sort(UPDATED, Qt.SortOrder.AscendingOrder)
    first = proxy.index(0, 0).data(RECORD_ROLE)
    assert (first.name, first.language) == ("order_update", "en_US")
    assert isinstance(proxy.index(0, UPDATED).data(SORT_ROLE), float)


def _ts(seconds: float) -> datetime:
    return datetime(2025, 5, 1, 10, 0, tzinfo=UTC) + timedelta(seconds=seconds)


def test_timeline_read_implies_delivered() -> None:
    detail = {
        "message": {"id": 7, "status": "read", "wamid": "wamid.X", "queued_at": _ts(0),
                    "accepted_at": _ts(0.1), "sent_at": _ts(1), "read_at": _ts(5)},
        "events": [], "replies": [
            {"type": "reply", "body": "Track", "reply_id": "t1", "received_at": _ts(9)}],
    }
    t = build_timeline(detail)
    states = {s.key: s.state for s in t.steps}
    assert states == {"queued": "done", "accepted": "done", "sent": "done",
                      "delivered": "implied", "read": "done"}
    assert t.finished and not t.failed
    assert t.steps[1].detail == "Meta's message id wamid.X"
    assert t.replies[0].kind == "button" and t.replies[0].text == "Track"
    assert replies_of(t)[0].text == "Track"


def test_timeline_failure_explains_the_code() -> None:
    detail = {
        "message": {"id": 8, "status": "failed", "queued_at": _ts(0), "accepted_at": _ts(0.1),
                    "sent_at": _ts(1), "failed_at": _ts(2), "error_code": 131026,
                    "error_title": "Message undeliverable"},
        "events": [{"status": "failed", "error_code": 131026, "explanation": None}],
        "replies": [],
    }
    t = build_timeline(detail)
    assert [s.key for s in t.steps] == ["queued", "accepted", "sent", "failed"]
    failed = t.steps[-1]
    assert failed.state == "failed"
    assert "131026" in failed.detail and "undeliverable" in failed.detail.lower()
    assert "do not retry right away" in failed.hint


def test_timeline_in_flight_has_pending_steps() -> None:
    t = build_timeline({"message": {"id": 1, "status": "accepted", "queued_at": _ts(0),
                                    "accepted_at": _ts(0.2)}})
    assert [s.state for s in t.steps] == ["done", "done", "pending", "pending", "pending"]
    assert not t.finished


def test_previews_of_templates_buttons_and_lists() -> None:
    defn = TemplateDefinition.from_graph(sample_template("order_update"))
    p = template_preview(defn)
    assert p.header_text and "{{" not in p.header_text
    assert "{{" not in p.body  # examples fill every variable
    assert {b.kind for b in p.buttons} <= {"url", "quick_reply", "phone", "copy_code"}
    assert p.buttons
    b = buttons_preview("Deliver tomorrow?", ["Yes", "No"], footer="easyMO")
    assert [x.text for x in b.buttons] == ["Yes", "No"] and b.footer == "easyMO"
    lst = list_preview("Pick a slot", "Slots", [("Morning", [("8-10", "early")])])
    assert lst.list_button == "Slots" and lst.sections[0].rows[0].description == "early"


@pytest.mark.parametrize(
    ("field", "path"),
    [("button 2 title", "buttons[1]"), ("section 1 row 2 title", "sections[0]"),
     ("text body", "body"), ("list button text", "button_text"), ("footer", "footer")],
)
def test_payload_errors_map_to_form_fields(field: str, path: str) -> None:
    assert payload_issue(PayloadError("x", field=field)).field == path


def test_field_paths_have_parents() -> None:
    assert parent_path("buttons[1].url") == "buttons[1]"
    assert parent_path("buttons[1]") == "buttons"
    assert parent_path("body.examples.first_name") == "body.examples"
    assert parent_path("name") is None
