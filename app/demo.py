"""Demo traffic on the sandbox: customers write in, the business answers with every kind of
message, a few fail. Used by ``--screenshots`` and the start-up benchmark; runs in a worker.

Everything goes through the processor, like any other send; the simulated users are driven
through the sandbox's loopback control API.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from easymo_core.services import Services

log = logging.getLogger("easymo.console.demo")

CUSTOMERS = ("+15550100002", "+15550100003", "+15550100004", "+15550100005")
# Quick timings so every status shows up within a second or two.
DEMO_SANDBOX: dict[str, Any] = {
    "review_delay": 4.0,
    "sent_delay": (0.05, 0.2),
    "delivered_delay": (0.2, 0.6),
    "read_delay": (0.4, 1.2),
    "failure_rate": 0.0,
    "read_rate": 0.9,
    "reply_rate": 0.8,
    "reply_delay": (0.8, 1.6),
    "text_reply_rate": 0.2,
}


def control(graph_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{graph_url}/_sandbox/{path}"
    with httpx.Client(timeout=5) as client:
        response = client.post(url, json=body) if body is not None else client.get(url)
    response.raise_for_status()
    return response.json()


def customers_write(graph_url: str) -> None:
    """Each demo customer writes first, which opens their 24-hour window."""
    for number, text in zip(CUSTOMERS, ("Hi! Is my order on its way?", "Hello 👋",
                                        "Can I change my delivery slot?", "Thanks"),
                            strict=True):
        control(graph_url, "inbound", {"from": number, "text": text})


def traffic(services: Services, graph_url: str) -> list[Any]:
    """A morning's worth of messages; returns the SendOutcomes."""
    p = services.processor
    services.templates.sync()
    customers_write(graph_url)
    time.sleep(0.4)  # let the inbound webhooks land
    outcomes = []
    sends = [
        lambda: p.send_template(CUSTOMERS[0], "order_update", "en_US",
                                _example_params(services, "order_update", "en_US"),
                                source="sandbox"),
        lambda: p.send_text(CUSTOMERS[1], "Good morning! Your parcel *#4521* left the "
                            "warehouse. Track it any time: https://shop.example.com/o/4521",
                            source="sandbox"),
        lambda: p.send_buttons(CUSTOMERS[2], "Would you like your delivery tomorrow morning?",
                               [("yes", "Yes, please"), ("later", "Later")],
                               footer="easyMO deliveries", source="sandbox"),
        lambda: p.send_list(CUSTOMERS[3], "Pick a delivery slot for tomorrow.", "Slots",
                            [{"title": "Morning", "rows": [
                                {"id": "m1", "title": "8–10 am", "description": "Earliest"},
                                {"id": "m2", "title": "10–12 am"}]},
                             {"title": "Afternoon", "rows": [
                                 {"id": "a1", "title": "2–4 pm", "description": "Most popular"}]}],
                            source="sandbox"),
        lambda: p.send_template(CUSTOMERS[1], "feedback_survey", "en_US",
                                _example_params(services, "feedback_survey", "en_US"),
                                source="sandbox"),
        # The built-in survey: the simulated user picks a rating, so the dashboard's flow
        # funnel and satisfaction have data.
        lambda: services.flows.start("satisfaction_survey", CUSTOMERS[0]),
        # No window open for this number: Meta refuses free-form text (131047).
        lambda: p.send_text("+15550100099", "Hello, are you still interested?",
                            source="sandbox"),
    ]
    for send in sends:
        try:
            outcomes.append(send())
        except Exception as exc:  # a demo send refused is part of the demo
            log.info("demo send refused: %s", exc)
    return outcomes


def _example_params(services: Services, name: str, language: str) -> Any:
    from easymo_core.templates.variables import example_parameters

    record = next((r for r in services.templates.list() if r.name == name
                   and r.language == language), None)
    return example_parameters(record.definition) if record else None
