"""The Flows page: list, graph, funnel, contacts, start, import with problems at their lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.views.flows_page import FlowsPage
from tests.flows.helpers import ORDER_FLOW
from tests.gui.conftest import USER, user_writes


@pytest.fixture
def page(qtbot: Any, session: Any, jobs: Any, hub: Any) -> FlowsPage:
    p = FlowsPage(session.services, jobs, hub, sandbox=True)
    qtbot.addWidget(p)
    p.resize(1280, 900)
    p.show()
    return p


def _names(page: FlowsPage) -> list[str]:
    return [page.flow_table.item(r, 0).data(0x0100) for r in range(page.flow_table.rowCount())]


def test_import_shows_problems_at_their_lines_then_imports(qtbot: Any, page: FlowsPage,
                                                           tmp_path: Path) -> None:
    page.activated()
    qtbot.waitUntil(lambda: "satisfaction_survey" in _names(page), timeout=10_000)
    assert page.flow_table.item(0, 2).text() in ("built-in", "imported")

    broken = tmp_path / "order.yaml"
    broken.write_text(ORDER_FLOW.replace("next: rate}", "next: nowhere}"), encoding="utf-8")
    dialog = page.open_import(broken)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert not dialog.import_button.isEnabled()
    lines = dialog.problem_lines()
    assert lines and broken.read_text().splitlines()[lines[0] - 1] == "  ask:"
    assert "nowhere" in dialog.problems.item(0).text() and dialog.problems.item(0).text().startswith(
        f"line {lines[0]}:")
    assert dialog.text.extraSelections()  # the line is marked in the text
    dialog.problems.setCurrentRow(0)
    assert dialog.text.textCursor().blockNumber() == lines[0] - 1
    dialog.reject()

    good = tmp_path / "order_ok.yaml"
    good.write_text(ORDER_FLOW, encoding="utf-8")
    dialog = page.open_import(good)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.import_button.isEnabled() and "order_check: 5 steps" in dialog.summary.text()
    dialog.import_now()
    qtbot.waitUntil(lambda: "order_check" in _names(page), timeout=10_000)
    row = _names(page).index("order_check")
    assert page.flow_table.item(row, 1).text() == "1"
    assert page.flow_table.item(row, 2).text() == "imported"
    qtbot.waitUntil(lambda: page.graph.definition is not None
                    and page.graph.definition.name == "order_check", timeout=10_000)
    assert page.graph.rows[0] == ["ask"]  # the start alone on the first row
    assert "ask → rate, details" in page.graph.describe()


def test_start_for_a_test_contact_shows_them_and_opens_the_conversation(
        qtbot: Any, page: FlowsPage, stack: Any, hub: Any) -> None:
    errors: list[Any] = []
    hub.notify.connect(lambda note: errors.append(note) if note.level == "error" else None)
    user_writes(stack)  # a list message needs the contact's 24-hour window open
    page.activated()
    qtbot.waitUntil(lambda: "satisfaction_survey" in _names(page), timeout=10_000)
    page.flow_table.selectRow(_names(page).index("satisfaction_survey"))
    qtbot.waitUntil(lambda: page.graph.definition is not None, timeout=10_000)
    page.start_for(USER)
    qtbot.waitUntil(lambda: errors or any(c.contact == USER.lstrip("+") for c in page.contacts),
                    timeout=15_000)
    assert not errors, errors
    row = next(i for i, c in enumerate(page.contacts) if c.contact == USER.lstrip("+"))
    assert page.contact_table.item(row, 1).text() in ("active", "completed")
    assert page.contact_table.item(row, 2).text()  # its current step
    assert page.figures.funnel.started >= 1
    assert page.graph.entered.get("rate", 0) >= 1
    opened: list[str] = []
    page.open_contact.connect(opened.append)
    page.open_row(row)
    assert opened == [USER.lstrip("+")]


def test_a_flow_contact_click_opens_their_conversation(qtbot: Any, window: Any,
                                                       stack: Any) -> None:
    user_writes(stack, "hello from the flow test")
    flows = window.page("flows")
    window.navigate("flows")
    assert window.stack.currentWidget() is flows
    flows.open_contact.emit(USER.lstrip("+"))
    messages = window.page("messages")
    assert window.current_key() == "messages"
    qtbot.waitUntil(lambda: messages.tabs.currentWidget() is messages.conversation
                    and messages.conversation.conversation is not None, timeout=10_000)
    assert messages.phone.text() == USER.lstrip("+")
