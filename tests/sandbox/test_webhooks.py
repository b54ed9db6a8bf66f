"""Status and message webhooks: signed, Meta-shaped, timed, faulty on demand, retried."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import httpx

from easymo_core.config import sandbox_defaults as defaults
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import (
    AUTH,
    PHONE_ID,
    USER,
    WABA_ID,
    Receiver,
    buttons_message,
    list_message,
    order_update_components,
    template_message,
    text_message,
    wait_until,
)

MESSAGES = f"/{PHONE_ID}/messages"
DISPLAY_DIGITS = "".join(ch for ch in defaults.SANDBOX_DISPLAY_NUMBER if ch.isdigit())


def send(srv: Any, payload: dict[str, Any]) -> str:
    response = httpx.post(f"{srv.base_url}/v23.0{MESSAGES}", json=payload, headers=AUTH)
    assert response.status_code == 200, response.text
    wamid: str = response.json()["messages"][0]["id"]
    return wamid


def open_window(srv: Any, user: str = USER) -> dict[str, Any]:
    response = httpx.post(f"{srv.base_url}/_sandbox/inbound", json={"from": user, "name": "Ana", "text": "hi"})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_statuses_reach_read_signed_and_meta_shaped(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    wamid = send(srv, template_message("hello_world"))
    wait_until(lambda: "read" in receiver.status_names(wamid), what="read status")
    assert receiver.status_names(wamid) == ["sent", "delivered", "read"]
    assert receiver.bad_signatures == 0
    post = receiver.accepted()[0]
    assert post["object"] == "whatsapp_business_account"
    entry = post["entry"][0]
    assert entry["id"] == WABA_ID
    change = entry["changes"][0]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": DISPLAY_DIGITS, "phone_number_id": PHONE_ID}
    times = []
    statuses = receiver.statuses(wamid)
    for status in statuses:
        assert status["recipient_id"] == USER
        assert isinstance(status["timestamp"], str) and status["timestamp"].isdigit()
        assert abs(int(status["timestamp"]) - time.time()) < 60
        times.append(int(status["timestamp"]))
    assert times == sorted(times)
    sent, delivered, read = statuses
    for status in (sent, delivered):  # pricing with sent and with one of delivered/read only
        assert status["conversation"]["origin"]["type"] == "utility"
        assert status["pricing"] == {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    assert sent["conversation"]["expiration_timestamp"].isdigit()
    assert "expiration_timestamp" not in delivered["conversation"]
    assert "pricing" not in read and "conversation" not in read
    summary = httpx.get(f"{srv.base_url}/_sandbox/messages").json()["sent"][0]
    assert summary["status"] == "read" and set(summary["timestamps"]) == {"sent", "delivered", "read"}


def test_service_message_in_window_is_free_and_echoes_opaque_data(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    open_window(srv)
    wamid = send(srv, text_message(biz_opaque_callback_data="order-42"))
    wait_until(lambda: "read" in receiver.status_names(wamid), what="read status")
    for status in receiver.statuses(wamid):
        assert status["biz_opaque_callback_data"] == "order-42"
    for status in receiver.statuses(wamid)[:2]:
        assert status["pricing"] == {"billable": False, "pricing_model": "PMP", "category": "service",
                                     "type": "free_customer_service"}


def test_from_webhook_version_24_statuses_carry_no_conversation(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, webhook_version="v24.0")
    wamid = send(srv, template_message("hello_world"))
    wait_until(lambda: "read" in receiver.status_names(wamid), what="read status")
    assert all("conversation" not in s for s in receiver.statuses(wamid))
    assert [("pricing" in s) for s in receiver.statuses(wamid)] == [True, True, False]


def test_delivered_may_be_skipped(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, delivered_skip_rate=1.0)
    wamid = send(srv, template_message("hello_world"))
    wait_until(lambda: "read" in receiver.status_names(wamid), what="read status")
    assert receiver.status_names(wamid) == ["sent", "read"]
    assert "pricing" in receiver.statuses(wamid)[1]


def test_a_utility_template_inside_the_window_is_free_and_an_entry_point_frees_everything(
    make_sandbox: MakeSandbox, receiver: Receiver
) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    open_window(srv)
    utility = send(srv, template_message("hello_world"))
    response = httpx.post(f"{srv.base_url}/_sandbox/inbound",
                          json={"from": "15551230002", "text": "I saw your ad", "entry_point": True})
    assert response.status_code == 200, response.text
    marketing = send(srv, template_message("hello_world", to="15551230002"))
    wait_until(lambda: "read" in receiver.status_names(utility) and "read" in receiver.status_names(marketing),
               what="read statuses")
    assert receiver.statuses(utility)[0]["pricing"]["type"] == "free_customer_service"
    assert receiver.statuses(utility)[0]["pricing"]["billable"] is False
    assert receiver.statuses(marketing)[0]["pricing"]["type"] == "free_entry_point"
    referral = next(m for m in receiver.inbound() if m["from"] == "15551230002")["referral"]
    assert referral["source_type"] == "ad"


def test_free_form_outside_window_fails_with_131047(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    wamid = send(srv, text_message(to="15550009999"))  # accepted: 200 with a wamid, as at Meta
    status = wait_until(lambda: receiver.statuses(wamid), what="failed status")[0]
    assert status["status"] == "failed"
    error = status["errors"][0]
    assert error["code"] == 131047
    assert {"code", "title", "message", "error_data"} <= set(error)
    assert "24 hours" in error["error_data"]["details"]
    assert "conversation" not in status and "pricing" not in status
    time.sleep(0.05)
    assert receiver.status_names(wamid) == ["failed"]


def test_failure_injection(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, failure_rate=1.0)
    wamid = send(srv, template_message("hello_world"))
    status = wait_until(lambda: receiver.statuses(wamid), what="failed status")[0]
    assert status["status"] == "failed" and status["errors"][0]["code"] == 131026


def test_read_rate_zero_stops_at_delivered(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, read_rate=0.0)
    wamid = send(srv, template_message("hello_world"))
    wait_until(lambda: "delivered" in receiver.status_names(wamid), what="delivered")
    time.sleep(0.05)
    assert receiver.status_names(wamid) == ["sent", "delivered"]


def test_duplicates_when_configured(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, duplicate_rate=1.0)
    wamids = [send(srv, template_message("hello_world", to=f"1555000{i:04d}")) for i in range(3)]
    for wamid in wamids:
        names = wait_until(partial(receiver.status_names, wamid), until=lambda n: len(n) == 4,
                           what="three statuses and a duplicate")
        assert sorted(set(names)) == ["delivered", "read", "sent"]
        assert len(names) == 4


def test_out_of_order_when_configured(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, out_of_order_rate=1.0, read_rate=0.0,
                       sent_delay=(0.0, 0.0), delivered_delay=(0.05, 0.05))
    wamid = send(srv, template_message("hello_world"))
    names = wait_until(lambda: receiver.status_names(wamid), until=lambda n: len(n) == 2, what="both statuses")
    assert names == ["delivered", "sent"]
    by_name = {s["status"]: int(s["timestamp"]) for s in receiver.statuses(wamid)}
    assert by_name["sent"] <= by_name["delivered"]  # timestamps stay true


def test_batching_several_statuses_per_post(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, batch_max=4, batch_window=5.0, read_rate=0.0,
                       sent_delay=(0.0, 0.0), delivered_delay=(30.0, 30.0))
    wamids = [send(srv, template_message("hello_world", to=f"1555100{i:04d}")) for i in range(4)]
    wait_until(lambda: len(receiver.statuses()) == 4, what="four sent statuses")
    assert len(receiver.accepted()) == 1  # a full batch goes at once, without waiting the window
    assert [s["id"] for s in receiver.statuses()] == wamids


def test_retries_when_receiver_answers_500_then_200(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    receiver.script = [500, 503]
    srv = make_sandbox(webhook_url=receiver.url, read_rate=0.0, delivered_delay=(5.0, 5.0))
    wamid = send(srv, template_message("hello_world"))
    wait_until(lambda: receiver.status_names(wamid) == ["sent"], what="sent after retries")
    assert receiver.answers[:3] == [500, 503, 200]
    log = httpx.get(f"{srv.base_url}/_sandbox/log", params={"kind": "webhook"}).json()
    entry = log["entries"][0]
    assert entry["outcome"] == "delivered"
    assert [a.get("status") for a in entry["attempts"]] == [500, 503, 200]
    assert [a.get("retry_in") for a in entry["attempts"]] == [0.02, 0.04, None]  # exponential backoff
    assert log["counters"]["webhook_deliveries"] == 1 and log["counters"]["webhook_failures"] == 2


def test_retries_are_bounded(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    receiver.script = [500] * 10
    srv = make_sandbox(webhook_url=receiver.url, retry_attempts=3, read_rate=0.0, delivered_delay=(5.0, 5.0))
    send(srv, template_message("hello_world"))
    entry = wait_until(
        lambda: [e for e in httpx.get(f"{srv.base_url}/_sandbox/log?kind=webhook").json()["entries"]
                 if e["outcome"] == "dropped"],
        what="dropped delivery",
    )[0]
    assert len(entry["attempts"]) == 3
    assert [a.get("retry_in") for a in entry["attempts"]] == [0.02, 0.04, None]
    assert len(receiver.posts) == 3


def test_receiver_down_holds_then_delivers(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, read_rate=0.0, delivered_delay=(5.0, 5.0))
    httpx.post(f"{srv.base_url}/_sandbox/faults", json={"receiver_down_seconds": 0.3})
    started = time.monotonic()
    wamid = send(srv, template_message("hello_world"))
    time.sleep(0.1)
    assert receiver.posts == []  # held, not posted
    wait_until(lambda: receiver.status_names(wamid) == ["sent"], what="delivery after the outage")
    assert time.monotonic() - started >= 0.3
    entry = httpx.get(f"{srv.base_url}/_sandbox/log?kind=webhook").json()["entries"][0]
    assert entry["attempts"][0]["held"] == "receiver down" and entry["attempts"][-1]["status"] == 200


def test_unreachable_receiver_is_retried_not_fatal(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(webhook_url="http://127.0.0.1:9/webhook", retry_attempts=2)
    send(srv, template_message("hello_world"))
    entry = wait_until(
        lambda: [e for e in httpx.get(f"{srv.base_url}/_sandbox/log?kind=webhook").json()["entries"]
                 if e["outcome"] == "dropped"], what="dropped")[0]
    assert all("error" in a for a in entry["attempts"])


def test_inbound_control_posts_a_messages_webhook(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    answer = open_window(srv)
    assert answer["type"] == "text" and answer["webhook"] == "posted"
    assert answer["window_open_until"] > time.time() + 23 * 3600
    message = wait_until(receiver.inbound, what="inbound webhook")[0]
    value = receiver.values()[0]
    assert value["contacts"] == [{"profile": {"name": "Ana"}, "wa_id": USER}]
    assert value["metadata"]["phone_number_id"] == PHONE_ID
    assert message == {"from": USER, "id": answer["id"], "timestamp": message["timestamp"], "type": "text",
                       "text": {"body": "hi"}}
    assert message["id"].startswith("wamid.")


def test_button_and_list_replies_via_control(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    open_window(srv)
    buttons = send(srv, buttons_message())
    listing = send(srv, list_message())
    template = send(srv, template_message("order_update", components=order_update_components()))
    control = f"{srv.base_url}/_sandbox/inbound"
    assert httpx.post(control, json={"from": USER, "button_id": "no", "to": buttons}).status_code == 200
    assert httpx.post(control, json={"from": USER, "list_id": "am", "to": listing}).status_code == 200
    assert httpx.post(control, json={"from": USER, "button_id": "TRACK_42", "to": template}).status_code == 200
    replies = wait_until(receiver.inbound, until=lambda m: len(m) == 4, what="replies")[1:]
    assert replies[0]["interactive"] == {"type": "button_reply", "button_reply": {"id": "no", "title": "No"}}
    assert replies[0]["context"] == {"from": DISPLAY_DIGITS, "id": buttons}
    assert replies[1]["interactive"] == {"type": "list_reply",
                                         "list_reply": {"id": "am", "title": "Morning", "description": "9-12"}}
    assert replies[1]["context"]["id"] == listing
    assert replies[2]["type"] == "button"
    assert replies[2]["button"] == {"payload": "TRACK_42", "text": "Track"}
    assert replies[2]["context"]["id"] == template
    # mistakes are one-line errors
    wrong = httpx.post(control, json={"from": USER, "button_id": "maybe", "to": buttons})
    assert wrong.status_code == 400 and "maybe" in wrong.json()["error"]["message"]
    assert httpx.post(control, json={"from": USER, "list_id": "am", "to": buttons}).status_code == 400
    assert httpx.post(control, json={"from": "15559998888", "button_id": "no", "to": buttons}).status_code == 400
    assert httpx.post(control, json={"from": USER, "button_id": "no"}).status_code == 400
    assert httpx.post(control, json={"from": USER, "text": "a", "button_id": "no", "to": buttons}).status_code == 400
    assert httpx.post(control, json={"from": "abc", "text": "a"}).status_code == 400


def test_simulated_users_reply_to_interactive_messages(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, reply_rate=1.0, text_reply_rate=0.0)
    open_window(srv)
    wamid = send(srv, buttons_message())
    reply = wait_until(lambda: [m for m in receiver.inbound() if m.get("context", {}).get("id") == wamid],
                       what="simulated reply")[0]
    assert reply["type"] == "interactive"
    assert reply["interactive"]["button_reply"]["id"] in {"yes", "no"}
    # users answer what they read: the read happened first (webhooks may still cross)
    read = wait_until(lambda: [s for s in receiver.statuses(wamid) if s["status"] == "read"], what="read")[0]
    assert int(read["timestamp"]) <= int(reply["timestamp"])


def test_reply_opens_the_window_for_free_form(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, reply_rate=1.0, text_reply_rate=0.0)
    template = send(srv, template_message("appointment_reminder", components=[{"type": "body", "parameters": [
        {"type": "text", "parameter_name": "first_name", "text": "Ana"},
        {"type": "text", "parameter_name": "date", "text": "May 1"}]}]))
    reply = wait_until(lambda: receiver.inbound(), what="quick reply")[0]
    assert reply["type"] == "button" and reply["context"]["id"] == template
    follow_up = send(srv, text_message(body="Thanks for confirming"))
    wait_until(lambda: "read" in receiver.status_names(follow_up), what="follow-up read")
    assert "failed" not in receiver.status_names(follow_up)
