"""Meta's analytics pulled from the sandbox's Graph endpoints and shown beside local figures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.meta import disagree, pull_meta_analytics
from easymo_core.analytics.period import resolve_period
from easymo_core.sandbox.analytics import PRICE_USD
from easymo_core.storage.types import utcnow
from tests.e2e.conftest import Stack, wait_for

TO = "15551230001"


def test_pull_stores_meta_figures_and_flags_disagreement(stack: Stack) -> None:
    services = stack.services
    services.templates.sync()
    for _ in range(3):
        services.processor.send_template(TO, "hello_world", "en_US")

    def all_read() -> bool:
        with stack.db.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM messages WHERE read_at IS NOT NULL")).scalar() == 3

    wait_for(all_read, what="three messages read")
    now = utcnow()
    since, until = now - timedelta(days=2), now + timedelta(days=1)
    result = pull_meta_analytics(services, since, until)
    assert result.stored.get("messages", 0) > 0 and result.stored.get("templates", 0) > 0, result.errors

    period = resolve_period(start=since, end=until)
    section = Analytics(stack.db).dashboard(period).meta
    assert section is not None
    sent = [r for r in section.rows if r.kind == "messages" and r.metric == "sent"]
    assert sent and sent[0].meta == sent[0].local == 3 and not sent[0].disagree
    hello = [r for r in section.rows if r.kind == "template" and r.label.startswith("hello_world")
             and r.metric == "sent"]
    assert hello and hello[0].meta == 3 and not hello[0].disagree
    # The bill counts each message once: three utility templates outside the window, priced
    # per message (not one conversation).
    assert result.stored.get("pricing", 0) > 0, result.errors
    assert section.priced_messages == 3
    assert section.cost == round(3 * PRICE_USD["utility"], 4)

    # Meta counting far more than we recorded is what the flag is for.
    with stack.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM messages WHERE direction = 'out'"))
    section = Analytics(stack.db).dashboard(period).meta
    assert section is not None
    assert any(r.disagree for r in section.rows if r.kind == "messages" and r.metric == "sent")
    assert disagree(0, 30) and not disagree(100, 103) and not disagree(0, 2)
