"""POST /{v}/{phone_number_id}/messages: what is accepted, and every refusal with Meta's code."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from easymo_core.cloudapi import limits
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import (
    AUTH,
    PHONE_ID,
    USER,
    WABA_ID,
    buttons_message,
    list_message,
    order_update_components,
    template_message,
    text_message,
)

WAMID_RE = re.compile(r"^wamid\.[A-Za-z0-9+/=]+$")
MESSAGES = f"/{PHONE_ID}/messages"


def assert_error(response: httpx.Response, status: int, code: int, detail: str | None = None) -> dict[str, Any]:
    """The Graph error envelope, with its status, code, type and trace id."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    assert re.match(r"^A[A-Za-z0-9_-]{22}$", error["fbtrace_id"])
    if detail is not None:
        assert detail in error["error_data"]["details"], error
        assert error["error_data"]["messaging_product"] == "whatsapp"
    return error


def test_text_send_answers_meta_shape(graph: httpx.Client) -> None:
    response = graph.post(MESSAGES, json=text_message(to="+1 (555) 123-0001"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"messaging_product", "contacts", "messages"}
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+1 (555) 123-0001", "wa_id": "15551230001"}]
    assert len(body["messages"]) == 1 and set(body["messages"][0]) == {"id"}
    assert WAMID_RE.match(body["messages"][0]["id"])


def test_available_versions_answer_and_retired_or_unknown_ones_are_refused(sandbox: Any) -> None:
    for version in ("v21.0", "v23.0", "v24.0"):
        response = httpx.post(f"{sandbox.base_url}/{version}{MESSAGES}", json=text_message(), headers=AUTH)
        assert response.status_code == 200, version
    for version in ("v19.0", "v99.9"):
        response = httpx.post(f"{sandbox.base_url}/{version}{MESSAGES}", json=text_message(), headers=AUTH)
        assert "Unknown path components" in assert_error(response, 400, 2500)["message"], version


@pytest.mark.parametrize(
    "payload",
    [
        buttons_message(),
        list_message(),
        {"messaging_product": "whatsapp", "recipient_type": "individual", "to": USER, "type": "image",
         "image": {"link": "https://example.com/cat.jpg", "caption": "A cat"}},
        {"messaging_product": "whatsapp", "to": USER, "type": "document",
         "document": {"id": "1234567890", "filename": "invoice.pdf"}},
        {"messaging_product": "whatsapp", "to": USER, "type": "audio", "audio": {"id": "987"}},
        {"messaging_product": "whatsapp", "to": USER, "type": "sticker", "sticker": {"link": "https://e.com/s.webp"}},
        {"messaging_product": "whatsapp", "to": USER, "type": "location",
         "location": {"latitude": 37.48, "longitude": -122.14, "name": "HQ"}},
        {"messaging_product": "whatsapp", "to": USER, "type": "contacts",
         "contacts": [{"name": {"formatted_name": "Ana Lima", "first_name": "Ana"}}]},
        {"messaging_product": "whatsapp", "to": USER, "type": "reaction",
         "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        {"messaging_product": "whatsapp", "to": USER, "type": "interactive", "interactive": {
            "type": "cta_url", "body": {"text": "See it"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Open", "url": "https://e.com"}}}},
        {"messaging_product": "whatsapp", "to": USER, "text": {"body": "type defaults to text"}},
        text_message(context={"message_id": "wamid.ABC"}, biz_opaque_callback_data="order-42"),
    ],
    ids=lambda p: p.get("type", "default") + "-" + str(p.get("interactive", {}).get("type", "")),
)
def test_each_message_type_is_accepted(graph: httpx.Client, payload: dict[str, Any]) -> None:
    response = graph.post(MESSAGES, json=payload)
    assert response.status_code == 200, response.text
    assert WAMID_RE.match(response.json()["messages"][0]["id"])


def test_template_send_adds_message_status(graph: httpx.Client) -> None:
    response = graph.post(MESSAGES, json=template_message("order_update", components=order_update_components()))
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["message_status"] == "accepted"
    named = template_message("appointment_reminder", components=[{"type": "body", "parameters": [
        {"type": "text", "parameter_name": "date", "text": "May 1"},
        {"type": "text", "parameter_name": "first_name", "text": "Ana"},
    ]}])
    assert graph.post(MESSAGES, json=named).status_code == 200


def test_wamids_differ_and_share_the_user_prefix(graph: httpx.Client) -> None:
    ids = [graph.post(MESSAGES, json=text_message()).json()["messages"][0]["id"] for _ in range(5)]
    assert len(set(ids)) == 5
    assert len({i[:20] for i in ids}) == 1


# Auth and paths --------------------------------------------------------------------------

def test_missing_token_is_104_401(sandbox: Any) -> None:
    response = httpx.post(f"{sandbox.base_url}/v23.0{MESSAGES}", json=text_message())
    error = assert_error(response, 401, 104)
    assert error["type"] == "OAuthException"
    assert error["is_transient"] is False
    assert "invalid_token" in response.headers["www-authenticate"]


@pytest.mark.parametrize("header", ["Bearer wrong-token", "Basic c2FuZGJveA==", "Bearer"])
def test_invalid_token_is_190_401(sandbox: Any, header: str) -> None:
    response = httpx.post(f"{sandbox.base_url}/v23.0{MESSAGES}", json=text_message(), headers={"Authorization": header})
    assert_error(response, 401, 190)


def test_access_token_query_parameter_works(sandbox: Any) -> None:
    url = f"{sandbox.base_url}/v23.0/{PHONE_ID}"
    assert httpx.get(url, params={"access_token": "sandbox-token"}).status_code == 200
    assert_error(httpx.get(url, params={"access_token": "nope"}), 401, 190)


def test_unknown_object_is_100_subcode_33(graph: httpx.Client) -> None:
    error = assert_error(graph.post("/123456/messages", json=text_message()), 400, 100)
    assert error["error_subcode"] == 33
    assert "Object with ID '123456' does not exist" in error["message"]


def test_wrong_paths_are_graph_errors(graph: httpx.Client, sandbox: Any) -> None:
    assert "Unknown path components: /foo" in assert_error(graph.get(f"/{PHONE_ID}/foo"), 400, 2500)["message"]
    assert_error(graph.post(f"/{WABA_ID}/messages", json=text_message()), 400, 2500)
    assert_error(graph.get(MESSAGES), 400, 100)
    assert_error(httpx.get(f"{sandbox.base_url}/not-a-version/{PHONE_ID}", headers=AUTH), 404, 100)
    assert_error(httpx.get(f"{sandbox.base_url}/", headers=AUTH), 404, 100)


# Payload validation ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("payload", "code", "detail"),
    [
        ({"to": USER, "type": "text", "text": {"body": "x"}}, 131008, "messaging_product"),
        ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 131008, "to"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "text"}, 131008, "text"),
        (text_message(body=""), 131008, "text['body']"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "image", "image": {}}, 131008, "image['id'] or image['link']"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "location", "location": {"latitude": 1}}, 131008, "location['longitude']"),
        ({**buttons_message(), "interactive": {"type": "button", "action": {"buttons": []}, "body": {"text": "x"}}},
         131008, "interactive['action']['buttons']"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "template", "template": {"name": "hello_world"}},
         131008, "template['language']"),
        ({"messaging_product": "whatsapp", "status": "read"}, 131008, "message_id"),
        ({"messaging_product": "sms", "to": USER, "text": {"body": "x"}}, 131009, "messaging_product"),
        (text_message(to="12ab"), 131009, "to"),
        (text_message(body="x" * (limits.TEXT_BODY_MAX + 1)), 131009, "text['body']"),
        ({**text_message(), "recipient_type": "group"}, 131009, "recipient_type"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "image",
          "image": {"link": "ftp://example.com/a.jpg"}}, 131009, "image['link']"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "image",
          "image": {"id": "1", "link": "https://e.com/a.jpg"}}, 131009, "image"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "location",
          "location": {"latitude": 91, "longitude": 0}}, 131009, "location['latitude']"),
        (text_message(biz_opaque_callback_data="x" * 513), 131009, "biz_opaque_callback_data"),
        (text_message(extra_field=1), 100, "extra_field"),
        ({**text_message(), "text": {"body": "x", "preview_url": "yes"}}, 100, "text['preview_url']"),
        ({**text_message(), "text": {"body": 5}}, 100, "text['body']"),
        ({**text_message(), "text": {"body": "x", "bold": True}}, 100, "text['bold']"),
        ({**text_message(), "to": 15551230001}, 100, "to"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "audio",
          "audio": {"id": "1", "caption": "no captions on audio"}}, 100, "audio['caption']"),
    ],
)
def test_payload_errors(graph: httpx.Client, payload: dict[str, Any], code: int, detail: str) -> None:
    assert_error(graph.post(MESSAGES, json=payload), 400, code, detail)


def test_unknown_message_type_is_131051(graph: httpx.Client) -> None:
    assert_error(graph.post(MESSAGES, json={"messaging_product": "whatsapp", "to": USER, "type": "hologram",
                                            "hologram": {}}), 400, 131051)


def test_body_that_is_not_json_is_100(graph: httpx.Client) -> None:
    response = graph.post(MESSAGES, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(response, 400, 100, "not valid JSON")


def test_sending_to_own_number_is_131021(graph: httpx.Client) -> None:
    assert_error(graph.post(MESSAGES, json=text_message(to="+1 555 010 0001")), 400, 131021)


def _flow(**parameters: Any) -> dict[str, Any]:
    base = {"flow_message_version": "3", "flow_id": "1234", "flow_cta": "Book"}
    params = {k: v for k, v in {**base, **parameters}.items() if v is not None}
    return {"messaging_product": "whatsapp", "to": USER, "type": "interactive", "interactive": {
        "type": "flow", "body": {"text": "Book a slot"}, "action": {"name": "flow", "parameters": params}}}


def test_a_valid_flow_message_is_accepted(graph: httpx.Client) -> None:
    assert graph.post(MESSAGES, json=_flow(flow_cta="c" * 30)).status_code == 200
    assert graph.post(MESSAGES, json=_flow(flow_id=None, flow_name="booking", mode="draft")).status_code == 200


@pytest.mark.parametrize(
    ("payload", "code", "detail"),
    [
        (_flow(flow_cta=None), 131008, "flow_cta"),
        (_flow(flow_message_version=None), 131008, "flow_message_version"),
        (_flow(flow_cta="c" * 31), 131009, "flow_cta"),
        (_flow(flow_name="booking"), 131009, "not both"),
        (_flow(flow_id=None), 131008, "flow_name"),
        (_flow(flow_message_version="2"), 131009, "flow_message_version"),
        ({"messaging_product": "whatsapp", "to": USER, "type": "interactive", "interactive": {
            "type": "cta_url", "body": {"text": "See it"},
            "action": {"parameters": {"display_text": "Open", "url": "https://e.com"}}}}, 131008, "['name']"),
    ],
)
def test_flow_and_cta_url_messages_are_checked_as_meta_does(
    graph: httpx.Client, payload: dict[str, Any], code: int, detail: str
) -> None:
    assert_error(graph.post(MESSAGES, json=payload), 400, code, detail)


def _interactive_buttons(*buttons: tuple[str, str]) -> dict[str, Any]:
    message = buttons_message()
    message["interactive"]["action"]["buttons"] = [
        {"type": "reply", "reply": {"id": bid, "title": title}} for bid, title in buttons
    ]
    return message


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (_interactive_buttons(("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")), "between 1 and 3"),
        (_interactive_buttons(("a", "x" * (limits.BUTTON_TITLE_MAX + 1))), "['title']"),
        (_interactive_buttons(("a", "Same"), ("b", "Same")), "titles"),
        (_interactive_buttons(("a", "One"), ("a", "Two")), "ids"),
        (_interactive_buttons(("i" * (limits.BUTTON_ID_MAX + 1), "One")), "['id']"),
    ],
)
def test_reply_button_limits(graph: httpx.Client, payload: dict[str, Any], detail: str) -> None:
    assert_error(graph.post(MESSAGES, json=payload), 400, 131009, detail)


def test_list_limits(graph: httpx.Client) -> None:
    too_many_rows = list_message()
    too_many_rows["interactive"]["action"]["sections"] = [
        {"title": f"S{s}", "rows": [{"id": f"r{s}{r}", "title": "Row"} for r in range(6)]} for s in range(2)
    ]
    assert_error(graph.post(MESSAGES, json=too_many_rows), 400, 131009, "rows in total")
    untitled = list_message()
    untitled["interactive"]["action"]["sections"] = [
        {"rows": [{"id": "a", "title": "A"}]}, {"rows": [{"id": "b", "title": "B"}]}
    ]
    assert_error(graph.post(MESSAGES, json=untitled), 400, 131008, "['title']")
    long_row = list_message()
    long_row["interactive"]["action"]["sections"][0]["rows"][0]["description"] = "d" * 73
    assert_error(graph.post(MESSAGES, json=long_row), 400, 131009, "['description']")
    image_header = list_message()
    image_header["interactive"]["header"] = {"type": "image", "image": {"link": "https://e.com/a.jpg"}}
    assert_error(graph.post(MESSAGES, json=image_header), 400, 131009, "interactive['header']['type']")


# Templates at send time ------------------------------------------------------------------

def test_unknown_template_or_language_is_132001(graph: httpx.Client) -> None:
    assert_error(graph.post(MESSAGES, json=template_message("no_such_template")), 400, 132001, "no_such_template")
    # en is not en_US: the language must match an approved translation exactly
    assert_error(graph.post(MESSAGES, json=template_message("hello_world", language="en")), 400, 132001, "en")
    assert_error(graph.post(MESSAGES, json=template_message("feedback_request",
                 components=[{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}])), 400, 132001)


def test_paused_and_disabled_templates(graph: httpx.Client) -> None:
    paused = template_message("winback_offer", components=[{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}])
    assert_error(graph.post(MESSAGES, json=paused), 400, 132015)
    assert_error(graph.post(MESSAGES, json=template_message("flash_sale_2023")), 400, 132016)


def test_parameter_count_mismatch_is_132000(graph: httpx.Client) -> None:
    components = order_update_components()
    components[1]["parameters"].pop()
    error = assert_error(graph.post(MESSAGES, json=template_message("order_update", components=components)), 400, 132000)
    assert "body" in error["error_data"]["details"] and "(2)" in error["error_data"]["details"]
    no_header = order_update_components()[1:]
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=no_header)), 400, 132000, "header")
    no_url_param = order_update_components()[:-1]
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=no_url_param)), 400, 132000,
                 "button at index 1")
    extra = [{"type": "body", "parameters": [{"type": "text", "text": "surplus"}]}]
    assert_error(graph.post(MESSAGES, json=template_message("hello_world", components=extra)), 400, 132000)
    wrong_names = template_message("appointment_reminder", components=[{"type": "body", "parameters": [
        {"type": "text", "parameter_name": "first_name", "text": "Ana"},
        {"type": "text", "parameter_name": "day", "text": "May 1"},
    ]}])
    assert_error(graph.post(MESSAGES, json=wrong_names), 400, 132000, "names")


def test_parameter_format_errors(graph: httpx.Client) -> None:
    newline = order_update_components()
    newline[1]["parameters"][0]["text"] = "Ana\nLima"
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=newline)), 400, 132008, "newline")
    spaces = order_update_components()
    spaces[1]["parameters"][0]["text"] = "Ana     Lima"
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=spaces)), 400, 132008, "spaces")
    blank_suffix = order_update_components()
    blank_suffix[3]["parameters"][0]["text"] = "   "
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=blank_suffix)), 400, 132008)
    media_in_body = order_update_components()
    media_in_body[1]["parameters"][0] = {"type": "image", "image": {"link": "https://e.com/a.jpg"}}
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=media_in_body)), 400, 132012)
    video_header = order_update_components()
    video_header[0]["parameters"] = [{"type": "video", "video": {"link": "https://e.com/v.mp4"}}]
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=video_header)), 400, 132012, "image")
    wrong_sub_type = order_update_components()
    wrong_sub_type[2]["sub_type"] = "url"
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=wrong_sub_type)), 400, 131009,
                 "sub_type")
    out_of_range = [*order_update_components(), {"type": "button", "sub_type": "quick_reply", "index": "7",
                                                 "parameters": []}]
    assert_error(graph.post(MESSAGES, json=template_message("order_update", components=out_of_range)), 400, 131009,
                 "out of range")


# Rate limits ----------------------------------------------------------------------------

def test_throughput_limit_is_130429_429(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(messages_per_second=3.0)
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        statuses = [graph.post(MESSAGES, json=text_message(to=f"1555123{i:04d}")).status_code for i in range(10)]
        assert statuses[:3] == [200, 200, 200]
        refused = graph.post(MESSAGES, json=text_message(to="15559990000"))
    assert 429 in statuses
    error = assert_error(refused, 429, 130429, "throughput")
    assert isinstance(error["error_subcode"], int) and error["is_transient"] is True
    assert srv.state.counters["sends_rejected"] >= 1


def test_pair_rate_limit_is_131056_per_user(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(pair_burst=2, pair_interval=60.0)
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        assert graph.post(MESSAGES, json=text_message()).status_code == 200
        assert graph.post(MESSAGES, json=text_message()).status_code == 200
        assert_error(graph.post(MESSAGES, json=text_message()), 429, 131056, "same phone number")
        # another user is not affected
        assert graph.post(MESSAGES, json=text_message(to="15557770000")).status_code == 200


def test_pair_rate_lets_a_burst_borrow_then_refuses_until_paid_back() -> None:
    """Meta's figures: 45 at once pass, the 46th is refused, and a burst of 20 keeps the
    user closed for 20 x 6 s; a message every 6 s never waits."""
    from easymo_core.sandbox.config import SandboxConfig
    from easymo_core.sandbox.graph_errors import GraphError
    from easymo_core.sandbox.rate_limits import take_pair_token
    from easymo_core.sandbox.state import User

    config = SandboxConfig()
    assert (config.pair_burst, config.pair_interval) == (45, 6.0)
    user = User("1", "a")
    for _ in range(45):
        take_pair_token(user, config, 1000.0)
    with pytest.raises(GraphError) as refused:
        take_pair_token(user, config, 1000.5)
    assert refused.value.code == 131056
    burst = User("2", "b")
    for i in range(20):
        take_pair_token(burst, config, 2000.0 + i * 0.1)
    for later in (2007.0, 2060.0, 2119.0):  # the burst is over, the debt is not paid
        with pytest.raises(GraphError):
            take_pair_token(burst, config, later)
    take_pair_token(burst, config, 2120.0)
    paced = User("3", "c")
    for i in range(100):
        take_pair_token(paced, config, 3000.0 + i * 6.0)


def test_pair_rate_refills_over_time(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(pair_burst=1, pair_interval=0.05)
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        assert graph.post(MESSAGES, json=text_message()).status_code == 200
        assert graph.post(MESSAGES, json=text_message()).status_code == 429
        import time

        time.sleep(0.06)
        assert graph.post(MESSAGES, json=text_message()).status_code == 200


def test_unlimited_turns_limits_off(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(unlimited=True, messages_per_second=1.0, pair_burst=1, pair_interval=60.0)
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        assert {graph.post(MESSAGES, json=text_message()).status_code for _ in range(20)} == {200}
    assert srv.state.counters["statuses_emitted"] == 0


# Mark as read ----------------------------------------------------------------------------

def test_mark_read_of_an_inbound_message(graph: httpx.Client, control: httpx.Client) -> None:
    inbound = control.post("/inbound", json={"from": USER, "name": "Ana", "text": "hi"}).json()
    response = graph.post(MESSAGES, json={"messaging_product": "whatsapp", "status": "read", "message_id": inbound["id"],
                                          "typing_indicator": {"type": "text"}})
    assert response.status_code == 200 and response.json() == {"success": True}
    received = control.get("/messages").json()["received"]
    assert received[0]["read"] is True
    assert_error(graph.post(MESSAGES, json={"messaging_product": "whatsapp", "status": "read",
                                            "message_id": "wamid.unknown"}), 400, 100)
    assert_error(graph.post(MESSAGES, json={"messaging_product": "whatsapp", "status": "delivered",
                                            "message_id": inbound["id"]}), 400, 131009)


def test_a_repeated_variable_takes_one_parameter(graph: httpx.Client, control: httpx.Client) -> None:
    control.post("/templates", json={"name": "repeat_name", "language": "en_US", "category": "UTILITY",
                                     "components": [{"type": "BODY", "text": "Hi {{1}}, yes you, {{1}}, welcome."}]})
    one = template_message("repeat_name", components=[{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}])
    assert graph.post(MESSAGES, json=one).status_code == 200
    two = template_message("repeat_name", components=[{"type": "body", "parameters": [
        {"type": "text", "text": "Ana"}, {"type": "text", "text": "Ana"}]}])
    assert_error(graph.post(MESSAGES, json=two), 400, 132000)
