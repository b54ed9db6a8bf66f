"""A sandbox stack whose receiver drives flows, as `easymo webhook serve` and the console do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from easymo_core.storage.engine import Database
from easymo_core.storage.models import FlowState, Message, table_of
from tests.e2e.conftest import Stack
from tests.flows.helpers import ORDER_FLOW

messages_t = table_of(Message)
states_t = table_of(FlowState)


class FlowStack(Stack):
    def __init__(self, db: Database, **sandbox: Any) -> None:
        # A flow answers within a second: the pair-rate limit (131056) is not under test here.
        super().__init__(db, pair_interval=0.0, **sandbox)
        self.flows = self.services.flows
        self.flows.attach(self.webhook.intake.ingest)
        self.flows.library.import_text(ORDER_FLOW, source_name="order.yaml")

    def close(self) -> None:
        # The receiver first: a flow answer in progress must not meet a closed client.
        self.webhook.stop()
        super().close()

    def write(self, frm: str, **body: Any) -> dict[str, Any]:
        """A simulated user writes (text=...) or taps (button_id=/list_id=, to=wamid)."""
        r = httpx.post(f"{self.sandbox.base_url}/_sandbox/inbound", json={"from": frm, **body}, timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def inbound_stored(self, wamid: str) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(select(messages_t.c.id).where(messages_t.c.wamid == wamid)).first() is not None

    def flow_messages(self, wa_id: str) -> list[Any]:
        with self.db.engine.connect() as conn:
            return list(
                conn.execute(
                    select(messages_t)
                    .where(messages_t.c.contact_wa_id == wa_id, messages_t.c.source == "flow")
                    .order_by(messages_t.c.id)
                )
            )

    def next_flow_message(self, wa_id: str, n: int) -> Any:
        """The ``n``-th (1-based) message a flow sent to ``wa_id``, once it has its wamid."""
        from tests.e2e.conftest import wait_for

        def sent() -> Any:
            found = self.flow_messages(wa_id)
            return found[n - 1] if len(found) >= n and found[n - 1].wamid else None

        return wait_for(sent, what=f"flow message {n} to {wa_id}")

    def state(self, wa_id: str) -> Any:
        with self.db.engine.connect() as conn:
            return conn.execute(
                select(states_t).where(states_t.c.contact_wa_id == wa_id).order_by(states_t.c.id.desc())
            ).first()

    def states(self) -> list[Any]:
        with self.db.engine.connect() as conn:
            return list(conn.execute(select(states_t).order_by(states_t.c.id)))


@pytest.fixture
def flow_stack(db: Database) -> Iterator[FlowStack]:
    s = FlowStack(db)
    try:
        yield s
    finally:
        s.close()
