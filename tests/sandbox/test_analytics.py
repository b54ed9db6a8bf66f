"""Analytics computed from what the sandbox sent, delivered and read."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from easymo_core.sandbox.analytics import PRICE_USD
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import (
    AUTH,
    PHONE_ID,
    WABA_ID,
    order_update_components,
    template_message,
    wait_until,
)
from tests.sandbox.test_messages import assert_error

MESSAGES = f"/{PHONE_ID}/messages"
USERS = ["15553000001", "15553000002", "4915112345678"]


@pytest.fixture
def busy(make_sandbox: MakeSandbox) -> dict[str, Any]:
    """Three users got hello_world twice and order_update once; one tapped Track; all read."""
    srv = make_sandbox()
    client = httpx.Client(base_url=srv.base_url, headers=AUTH)
    order_wamids = []
    for user in USERS:
        for _ in range(2):
            assert client.post(f"/v23.0{MESSAGES}", json=template_message("hello_world", to=user)).status_code == 200
        response = client.post(f"/v23.0{MESSAGES}", json=template_message(
            "order_update", components=order_update_components(), to=user))
        order_wamids.append(response.json()["messages"][0]["id"])
    wait_until(lambda: all(m["status"] == "read" for m in client.get("/_sandbox/messages").json()["sent"]),
               what="everything read")
    client.post("/_sandbox/inbound", json={"from": USERS[0], "button_id": "TRACK_42", "to": order_wamids[0]})
    templates = client.get(f"/v23.0/{WABA_ID}/message_templates", params={"fields": "name,language", "limit": 50})
    ids = {(t["name"], t["language"]): t["id"] for t in templates.json()["data"]}
    now = int(time.time())
    return {"client": client, "ids": ids, "start": now - 86400 * 2, "end": now + 86400}


def waba(client: httpx.Client, fields: str) -> httpx.Response:
    return client.get(f"/v23.0/{WABA_ID}", params={"fields": fields})


def test_message_analytics(busy: dict[str, Any]) -> None:
    client, start, end = busy["client"], busy["start"], busy["end"]
    body = waba(client, f"analytics.start({start}).end({end}).granularity(DAY)").json()
    assert body["id"] == WABA_ID
    analytics = body["analytics"]
    assert analytics["granularity"] == "DAY"
    points = analytics["data_points"]
    assert all(p["end"] - p["start"] == 86400 and p["start"] % 86400 == 0 for p in points)
    assert sum(p["sent"] for p in points) == 9 and sum(p["delivered"] for p in points) == 9
    half_hours = waba(client, f"analytics.start({end - 7200}).end({end}).granularity(HALF_HOUR)").json()
    assert len(half_hours["analytics"]["data_points"]) in (4, 5)
    other_phone = waba(client, f"analytics.start({start}).end({end}).granularity(DAY).phone_numbers([\"15550000000\"])")
    assert sum(p["sent"] for p in other_phone.json()["analytics"]["data_points"]) == 0


def test_conversation_and_pricing_analytics(busy: dict[str, Any]) -> None:
    client, start, end = busy["client"], busy["start"], busy["end"]
    fields = (f"conversation_analytics.start({start}).end({end}).granularity(DAILY)"
              ".dimensions([\"CONVERSATION_CATEGORY\",\"COUNTRY\"])")
    points = waba(client, fields).json()["conversation_analytics"]["data"][0]["data_points"]
    # one utility conversation per user, however many templates it carried
    assert sum(p["conversation"] for p in points) == 3
    assert {p["conversation_category"] for p in points} == {"UTILITY"}
    assert {p["country"] for p in points} == {"US", "DE"}
    assert all(p["cost"] > 0 for p in points)
    pricing = waba(client, f"pricing_analytics.start({start}).end({end}).granularity(DAILY)").json()
    volume = pricing["pricing_analytics"]["data"][0]["data_points"]
    assert sum(p["volume"] for p in volume) == 9


def test_template_analytics(busy: dict[str, Any]) -> None:
    client, ids, start, end = busy["client"], busy["ids"], busy["start"], busy["end"]
    hello, order = ids[("hello_world", "en_US")], ids[("order_update", "en_US")]
    response = client.get(f"/v23.0/{WABA_ID}/template_analytics", params={
        "start": start, "end": end, "granularity": "DAILY", "template_ids": f"[{hello},{order}]",
        "metric_types": "[\"SENT\",\"DELIVERED\",\"READ\",\"CLICKED\"]"})
    assert response.status_code == 200, response.text
    data = {d["template_id"]: d for d in response.json()["data"]}
    assert set(data) == {hello, order}

    def total(template_id: str, metric: str) -> int:
        return sum(p[metric] for p in data[template_id]["data_points"])

    assert (total(hello, "sent"), total(hello, "delivered"), total(hello, "read")) == (6, 6, 6)
    assert (total(order, "sent"), total(order, "read")) == (3, 3)
    clicks = [c for p in data[order]["data_points"] for c in p["clicked"]]
    assert clicks == [{"type": "quick_reply_button", "button_content": "Track", "count": 1}]
    assert all(p["template_id"] == order for p in data[order]["data_points"])
    only_sent = client.get(f"/v23.0/{WABA_ID}/template_analytics", params={
        "start": start, "end": end, "template_ids": hello, "metric_types": "SENT"}).json()
    assert set(only_sent["data"][0]["data_points"][0]) == {"template_id", "start", "end", "sent"}


@pytest.mark.parametrize(
    "fields",
    [
        "analytics.end(2).granularity(DAY)",
        "analytics.start(1).end(2).granularity(WEEK)",
        "analytics.start(x).end(2).granularity(DAY)",
        "analytics.start(5).end(2).granularity(DAY)",
        "conversation_analytics.start(1).end(2).granularity(DAILY).dimensions([COLOUR])",
        "analytics.start(1).end(2).granularity(DAY) junk",
        "colour",
    ],
)
def test_analytics_field_errors(graph: httpx.Client, fields: str) -> None:
    assert_error(graph.get(f"/{WABA_ID}", params={"fields": fields}), 400, 100)


def test_template_analytics_errors(graph: httpx.Client) -> None:
    now = int(time.time())
    url = f"/{WABA_ID}/template_analytics"
    assert_error(graph.get(url, params={"start": now - 10, "end": now}), 400, 100)  # no template_ids
    assert_error(graph.get(url, params={"start": now - 10, "end": now, "template_ids": "[404]"}), 400, 100)
    assert_error(graph.get(url, params={"start": now - 100 * 86400, "end": now, "template_ids": "[1]"}), 400, 100)
    assert_error(graph.get(url, params={"start": now - 10, "end": now, "template_ids": "1",
                                        "granularity": "MONTHLY"}), 400, 100)
    ids = ",".join(str(i) for i in range(11))
    assert_error(graph.get(url, params={"start": now - 10, "end": now, "template_ids": f"[{ids}]"}), 400, 100)


def test_waba_node_default_fields(graph: httpx.Client) -> None:
    body = graph.get(f"/{WABA_ID}").json()
    assert set(body) == {"id", "name", "timezone_id", "message_template_namespace"}
    assert graph.get(f"/{WABA_ID}", params={"fields": "currency"}).json() == {"currency": "USD", "id": WABA_ID}


def test_pricing_analytics_by_type_counts_service_messages_and_frees_utility_in_the_window(
    make_sandbox: MakeSandbox,
) -> None:
    srv = make_sandbox()
    with httpx.Client(base_url=srv.base_url, headers=AUTH) as client:
        client.post("/_sandbox/inbound", json={"from": USERS[0], "text": "hi"})  # window open
        client.post("/_sandbox/inbound", json={"from": USERS[1], "text": "ad", "entry_point": True})
        sends = [template_message("hello_world", to=USERS[0]),  # utility inside the window: free
                 {"messaging_product": "whatsapp", "to": USERS[0], "type": "text", "text": {"body": "hi"}},
                 template_message("hello_world", to=USERS[1]),  # entry point: free
                 template_message("hello_world", to=USERS[2])]  # utility outside: regular
        for payload in sends:
            assert client.post(f"/v23.0{MESSAGES}", json=payload).status_code == 200
        wait_until(lambda: all(m["status"] == "read" for m in client.get("/_sandbox/messages").json()["sent"]),
                   what="everything read")
        now = int(time.time())
        fields = (f"pricing_analytics.start({now - 86400}).end({now + 86400}).granularity(DAILY)"
                  ".dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\"])")
        points = waba(client, fields).json()["pricing_analytics"]["data"][0]["data_points"]
    by_kind = {(p["pricing_category"], p["pricing_type"]): (p["volume"], p["cost"]) for p in points}
    assert by_kind == {
        ("UTILITY", "FREE_CUSTOMER_SERVICE"): (1, 0.0),
        ("SERVICE", "FREE_CUSTOMER_SERVICE"): (1, 0.0),
        ("UTILITY", "FREE_ENTRY_POINT"): (1, 0.0),
        ("UTILITY", "REGULAR"): (1, PRICE_USD["utility"]),
    }
