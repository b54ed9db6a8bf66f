"""The Flows page's query object gives the figures `easymo flows` and `easymo stats` give."""

from __future__ import annotations

from datetime import timedelta

from easymo_core.analytics.dashboard import Analytics
from easymo_core.flows.history import event
from easymo_core.flows.overview import FlowOverview
from easymo_core.storage.engine import Database
from easymo_core.storage.models import FlowState
from easymo_core.storage.types import to_ms, utcnow
from tests.flows.helpers import ORDER_FLOW


def _run(db: Database, flow_id: int, contact: str, steps: list[str], status: str,
         minutes_ago: int) -> None:
    start = utcnow() - timedelta(minutes=minutes_ago)
    at = to_ms(start)
    history = []
    for i, step in enumerate(steps):
        history.append(event(step, at + i * 1000, "entered"))
        if i < len(steps) - 1 or status == "completed":
            history.append(event(step, at + i * 1000 + 500, "reply" if i < len(steps) - 1
                                 else "completed"))
    if status == "abandoned":
        history.append(event(steps[-1], at + len(steps) * 1000, "abandoned"))
    with db.session() as s:
        s.add(FlowState(flow_id=flow_id, contact_wa_id=contact, status=status,
                        current_step=steps[-1], history=history, started_at=start,
                        updated_at=start + timedelta(seconds=len(steps)),
                        completed_at=start + timedelta(seconds=len(steps))
                        if status == "completed" else None))


def test_overview_matches_the_cli_and_stats_figures(db: Database) -> None:
    overview = FlowOverview(db)
    version, _action = overview.import_text(ORDER_FLOW, source="order.yaml")
    assert version == 1
    flow_id = overview.library.get("order_check").id
    _run(db, flow_id, "15550100002", ["ask", "rate", "done"], "completed", 50)
    _run(db, flow_id, "15550100003", ["ask", "details"], "abandoned", 40)
    _run(db, flow_id, "15550100004", ["ask"], "active", 5)

    assert overview.summaries() == overview.library.summaries()
    names = {s.name: s for s in overview.summaries()}
    assert names["order_check"].version == 1 and names["order_check"].completed == 1
    assert names["satisfaction_survey"].origin == "built-in"

    period = Analytics(db).period("24h")
    figures = overview.figures("order_check", period)
    stats = Analytics(db).dashboard(period, with_meta=False)
    assert [figures.funnel] == [f for f in stats.flows if f.flow == "order_check"]
    assert figures.satisfaction == stats.satisfaction
    assert (figures.funnel.started, figures.funnel.completed, figures.funnel.abandoned,
            figures.funnel.active) == (3, 1, 1, 1)

    contacts = overview.contacts("order_check")
    assert [c.contact for c in contacts] == ["15550100004", "15550100003", "15550100002"]
    assert contacts[0].step == "ask" and contacts[0].status == "active"
    assert contacts[2].last_activity > contacts[2].started_at

    detail = overview.detail("order_check")
    assert detail.version == 1 and detail.definition.start == "ask"
    assert overview.detail("satisfaction_survey").version is None


def test_validate_lists_each_problem_at_its_line() -> None:
    broken = ORDER_FLOW.replace("next: rate}", "next: nowhere}").replace("    next: done\n", "")
    result = FlowOverview.validate(broken, source="order.yaml")
    assert not result.ok and result.definition is None
    assert any("nowhere" in p.message for p in result.problems)
    line = next(p.line for p in result.problems if "nowhere" in p.message)
    # The line of the step that names the missing target.
    assert broken.splitlines()[line - 1] == "  ask:"
    assert FlowOverview.validate(ORDER_FLOW).ok
