"""Shared pieces of the flow tests: a processor stand-in, inbound records, sample flows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.messaging.outcome import SendOutcome
from easymo_core.messaging.webhook_payload import InboundRecord

ORDER_FLOW = """\
name: order_check
title: Order check
timeout: 10m
max_retries: 1
retry: Please use the buttons.
steps:
  ask:
    buttons:
      body: Did your order arrive?
      options:
        - {id: arrived, title: Arrived, next: rate}
        - {id: missing, title: Not yet, next: details}
  details:
    text: Please type your order number.
    expect:
      - pattern: '#?\\d{4,}'
        next: done
    store: order_number
    on_fail: human
  human:
    text: An agent will call you shortly.
    end: true
  rate:
    list:
      body: How was the delivery?
      button: Rate
      rows:
        - {id: r5, title: Great, value: 5}
        - {id: r3, title: Fine, value: 3}
        - {id: r1, title: Bad, value: 1}
    store: satisfaction
    next: done
  done:
    text: Thank you!
    end: true
"""


@dataclass
class Sent:
    kind: str
    to: str
    body: str
    key: str
    options: list[str] = field(default_factory=list)


class FakeProcessor:
    """Records what the engine sends; ``fail_next`` makes the next send fail like Meta would."""

    def __init__(self, waba_id: str = "") -> None:
        # The profile the engine sends for: its account is the engine's.
        self.profile = SimpleNamespace(waba_id=waba_id)
        self.sent: list[Sent] = []
        self.fail_next = False
        self._ids = itertools.count(1)

    def _out(self, kind: str, to: str, body: str, key: str, options: list[str] | None = None) -> SendOutcome:
        n = next(self._ids)
        self.sent.append(Sent(kind, to, body, key, options or []))
        if self.fail_next:
            self.fail_next = False
            return SendOutcome(n, None, "failed", key, error=PayloadError("refused by the test", field="to"))
        return SendOutcome(n, f"wamid.fake{n}", "accepted", key)

    def send_text(self, to: str, body: str, *, source: str, idempotency_key: str, **_: Any) -> SendOutcome:
        assert source == "flow"
        return self._out("text", to, body, idempotency_key)

    def send_buttons(self, to: str, body: str, buttons: Any, *, source: str, idempotency_key: str, **_: Any) -> SendOutcome:
        assert source == "flow"
        return self._out("buttons", to, body, idempotency_key, [b[0] for b in buttons])

    def send_list(self, to: str, body: str, button: str, sections: Any, *, source: str, idempotency_key: str, **_: Any) -> SendOutcome:
        assert source == "flow"
        return self._out("list", to, body, idempotency_key, [r["id"] for s in sections for r in s["rows"]])

    def send_template(self, to: str, name: str, language: str, params: Any, *, source: str, idempotency_key: str, **_: Any) -> SendOutcome:
        assert source == "flow"
        return self._out("template", to, name, idempotency_key)


_wamids = itertools.count(1)


def inbound(frm: str, *, text: str | None = None, reply_id: str | None = None, kind: str | None = None,
            waba_id: str = "") -> InboundRecord:
    """An inbound message as the ingest hands it on: a typed text or a button/list tap."""
    return InboundRecord(
        wamid=f"wamid.in{next(_wamids)}",
        from_wa_id=frm,
        profile_name=None,
        meta_ts=datetime.now(UTC),
        type=kind or ("reply" if reply_id else "text"),
        body=text,
        reply_id=reply_id,
        context_wamid=None,
        phone_number_id="1",
        raw={},
        waba_id=waba_id,
    )


def events(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["step"], e["event"]) for e in history]
