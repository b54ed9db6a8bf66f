"""What every operation puts on the wire, and how it reads the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.errors import (
    MalformedResponseError,
    PayloadError,
    RecipientError,
    SendOutcomeUnknown,
)
from easymo_core.cloudapi.models import PhoneNumberInfo, SendResult
from easymo_core.cloudapi.payloads import ListRow, ListSection, quick_reply_button, text_message
from easymo_core.errors import ConfigError

from .fakes import BASE, PHONE_ID, TO, TOKEN, WABA_ID, Script, assert_no_token, graph_error, sent_ok

MakeClient = Callable[..., CloudAPIClient]
MESSAGES = f"/v23.0/{PHONE_ID}/messages"
TEMPLATES = f"/v23.0/{WABA_ID}/message_templates"


def only(script: Script) -> httpx.Request:
    assert len(script.requests) == 1
    return script.requests[0]


def test_send_text_request_and_result(make_client: MakeClient) -> None:
    script = Script(sent_ok("wamid.HBgL=="))
    result = make_client(script).send_text("+1 555-123-4567", "Hello", reply_to="wamid.Q")
    request = only(script)
    assert (request.method, request.url.host, request.url.path) == ("POST", "graph.test", MESSAGES)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == text_message(TO, "Hello", reply_to="wamid.Q")
    assert result == SendResult(wamid="wamid.HBgL==", wa_id=TO, input=TO, message_status=None)


def test_send_template_reads_the_message_status(make_client: MakeClient) -> None:
    script = Script(sent_ok(status="held_for_quality_assessment"))
    result = make_client(script).send_template(
        TO, "order_update", "en_US", body={"name": "Ana"}, buttons=[quick_reply_button(0, "OK")])
    body = script.bodies[0]
    assert body["type"] == "template" and body["template"]["name"] == "order_update"
    assert body["template"]["components"][0]["parameters"][0]["parameter_name"] == "name"
    assert result.message_status == "held_for_quality_assessment"


def test_send_buttons_and_list_bodies(make_client: MakeClient) -> None:
    script = Script(sent_ok())
    client = make_client(script)
    client.send_buttons(TO, "Pick", [("y", "Yes"), ("n", "No")], footer="f",
                        biz_opaque_callback_data="ob-1")
    client.send_list(TO, "Choose", "Open", [ListSection([ListRow("r1", "Row")])], header="H")
    buttons, listing = script.bodies
    assert buttons["interactive"]["type"] == "button"
    assert buttons["biz_opaque_callback_data"] == "ob-1"
    assert listing["interactive"]["action"]["sections"][0]["rows"] == [{"id": "r1", "title": "Row"}]
    assert listing["interactive"]["header"] == {"type": "text", "text": "H"}


def test_send_payload_checks_and_normalises(make_client: MakeClient) -> None:
    script = Script(sent_ok())
    client = make_client(script)
    client.send_payload({**text_message(TO, "hi"), "to": "+1 (555) 123-4567"})
    assert script.bodies[0]["to"] == TO
    with pytest.raises(PayloadError):
        client.send_payload({**text_message(TO, "hi"), "text": {"body": ""}})
    assert len(script.requests) == 1  # the refused payload never left


def test_mark_read(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"success": True}))
    assert make_client(script).mark_read("wamid.IN", typing_indicator=True) is True
    assert only(script).url.path == MESSAGES
    assert script.bodies[0] == {"messaging_product": "whatsapp", "status": "read",
                                "message_id": "wamid.IN", "typing_indicator": {"type": "text"}}


def page(names: list[str], after: str | None = None, next_url: str | None = None
         ) -> httpx.Response:
    body: dict[str, Any] = {"data": [{"name": n} for n in names]}
    if after or next_url:
        body["paging"] = {"cursors": {"before": "B", **({"after": after} if after else {})}}
        body["paging"]["next"] = next_url or f"https://graph.facebook.com/next?after={after}"
    elif names:
        body["paging"] = {"cursors": {"before": "B", "after": "END"}}  # last page: no next
    return httpx.Response(200, json=body)


def test_list_templates_follows_cursors_to_the_end(make_client: MakeClient) -> None:
    script = Script(page(["a", "b"], after="C1"), page(["c"], after="C2"), page(["d"]))
    names = [t["name"] for t in make_client(script).list_templates(status="APPROVED",
                                                                   page_size=2)]
    assert names == ["a", "b", "c", "d"]
    first, second, third = script.requests
    assert first.url.path == TEMPLATES and first.method == "GET"
    assert first.url.params["status"] == "APPROVED" and first.url.params["limit"] == "2"
    assert "quality_score" in first.url.params["fields"].split(",")
    assert "after" not in first.url.params
    assert (second.url.params["after"], third.url.params["after"]) == ("C1", "C2")
    assert second.url.params["status"] == "APPROVED"
    assert second.url.host == "graph.test"  # stays on the profile's host, not paging.next's


def test_paging_without_cursors_uses_next_minus_the_token(make_client: MakeClient) -> None:
    next_url = (f"https://graph.facebook.com/v23.0/{WABA_ID}/message_templates"
                f"?access_token={TOKEN}&limit=2&after=QVFI")
    script = Script(
        httpx.Response(200, json={"data": [{"name": "a"}], "paging": {"next": next_url}}),
        page(["b"]))
    assert [t["name"] for t in make_client(script).list_templates()] == ["a", "b"]
    second = script.requests[1]
    assert second.url.params["after"] == "QVFI" and "access_token" not in second.url.params
    assert second.url.host == "graph.test"
    assert TOKEN not in str(second.url)


def test_a_repeating_cursor_stops_with_an_error(make_client: MakeClient) -> None:
    script = Script(page(["a"], after="SAME"))
    with pytest.raises(MalformedResponseError, match="paging cursor repeats"):
        list(make_client(script).list_templates())
    assert len(script.requests) == 2


def test_get_create_delete_template(make_client: MakeClient) -> None:
    script = Script(
        httpx.Response(200, json={"id": "555", "name": "t", "status": "APPROVED"}),
        httpx.Response(200, json={"id": "777", "status": "PENDING", "category": "UTILITY"}),
        httpx.Response(200, json={"success": True}),
    )
    client = make_client(script)
    assert client.get_template("555")["status"] == "APPROVED"
    definition = {"name": "t", "language": "en_US", "category": "UTILITY",
                  "components": [{"type": "BODY", "text": "Hi"}]}
    assert client.create_template(definition) == {"id": "777", "status": "PENDING",
                                                  "category": "UTILITY"}
    assert client.delete_template("t", hsm_id="777") is True
    get, create, delete = script.requests
    assert (get.method, get.url.path) == ("GET", "/v23.0/555")
    assert "components" in get.url.params["fields"]
    assert (create.method, create.url.path) == ("POST", TEMPLATES)
    assert json.loads(create.content) == definition
    assert (delete.method, delete.url.path) == ("DELETE", TEMPLATES)
    assert dict(delete.url.params) == {"name": "t", "hsm_id": "777"}


def test_delete_every_language(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"success": True}))
    make_client(script).delete_template("promo")
    assert dict(only(script).url.params) == {"name": "promo"}


@pytest.mark.parametrize(
    ("definition", "field"),
    [({"language": "en", "category": "UTILITY", "components": [{}]}, "name"),
     ({"name": "t", "language": "en", "category": "PROMO", "components": [{}]}, "category")],
)
def test_create_template_refuses_incomplete_definitions(
    make_client: MakeClient, definition: dict[str, Any], field: str
) -> None:
    script = Script()
    with pytest.raises(PayloadError) as caught:
        make_client(script).create_template(definition)
    assert caught.value.field == field and not script.requests


def test_create_template_without_an_id_is_malformed(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"status": "PENDING"}))
    with pytest.raises(MalformedResponseError, match="no id"):
        make_client(script).create_template(
            {"name": "t", "language": "en", "category": "UTILITY", "components": [{}]})


def test_phone_number_info(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={
        "id": PHONE_ID, "display_phone_number": "+1 555 010 0001", "verified_name": "easyMO",
        "quality_rating": "GREEN", "whatsapp_business_manager_messaging_limit": "TIER_2K",
        "throughput": {"level": "STANDARD"}, "status": "CONNECTED"}))
    info = make_client(script).phone_number_info()
    request = only(script)
    assert request.url.path == f"/v23.0/{PHONE_ID}"
    fields = set(request.url.params["fields"].split(","))
    assert {"throughput", "whatsapp_business_manager_messaging_limit", "quality_rating"} <= fields
    assert "messaging_limit_tier" not in fields  # deprecated by Meta
    assert info == PhoneNumberInfo(
        id=PHONE_ID, display_phone_number="+1 555 010 0001", verified_name="easyMO",
        quality_rating="GREEN", messaging_limit_tier="TIER_2K", throughput_level="STANDARD",
        status="CONNECTED")


def test_message_analytics(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"analytics": {
        "granularity": "DAY", "data_points": [{"start": 100, "end": 200, "sent": 5,
                                               "delivered": 4}]}, "id": WABA_ID}))
    start = datetime(2025, 5, 1, tzinfo=UTC)
    points = make_client(script).analytics(start, 1746144000, "DAY", phone_numbers=["15550100001"])
    request = only(script)
    assert request.url.path == f"/v23.0/{WABA_ID}"
    assert request.url.params["fields"] == (
        'analytics.start(1746057600).end(1746144000).granularity(DAY)'
        '.phone_numbers(["15550100001"])')
    assert [(p.start, p.end, p.sent, p.delivered) for p in points] == [(100, 200, 5, 4)]


def test_naive_datetimes_are_utc(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"analytics": {"data_points": []}}))
    make_client(script).analytics(datetime(2025, 5, 1), datetime(2025, 5, 2), "MONTH")
    assert "start(1746057600).end(1746144000)" in only(script).url.params["fields"]


def test_conversation_analytics(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"conversation_analytics": {"data": [{
        "data_points": [{"start": 1, "end": 2, "conversation": 3, "cost": 0.25,
                         "conversation_category": "UTILITY"}]}]}}))
    points = make_client(script).conversation_analytics(1, 2, "MONTHLY",
                                                        dimensions=["CONVERSATION_CATEGORY"])
    assert only(script).url.params["fields"] == (
        'conversation_analytics.start(1).end(2).granularity(MONTHLY)'
        '.dimensions(["CONVERSATION_CATEGORY"])')
    assert points[0].cost == 0.25 and points[0].dimensions == {
        "conversation_category": "UTILITY"}


def test_pricing_analytics(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"pricing_analytics": {"data": [{
        "data_points": [{"start": 1, "end": 2, "volume": 3, "cost": 0.012, "pricing_category": "UTILITY",
                         "pricing_type": "REGULAR"}]}]}}))
    points = make_client(script).pricing_analytics(1, 2, dimensions=["PRICING_CATEGORY", "PRICING_TYPE"])
    assert only(script).url.params["fields"] == (
        'pricing_analytics.start(1).end(2).granularity(DAILY)'
        '.dimensions(["PRICING_CATEGORY", "PRICING_TYPE"])')
    assert (points[0].volume, points[0].cost) == (3, 0.012)
    assert points[0].dimensions == {"pricing_category": "UTILITY", "pricing_type": "REGULAR"}


def test_template_analytics_chunks_ids_and_sums_clicks(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.url.params["template_ids"])
        return httpx.Response(200, json={"data": [{"granularity": "DAILY", "data_points": [
            {"template_id": i, "start": 10, "end": 20, "sent": 3, "delivered": 2, "read": 1,
             "clicked": [{"type": "quick_reply_button", "button_content": "OK", "count": 2},
                         {"type": "url_button", "button_content": "Go", "count": 1}]}
            for i in ids]}]})

    script = Script(answer)
    ids = [str(1000 + i) for i in range(12)]
    points = make_client(script).template_analytics(1, 2, ids, metric_types=["SENT", "CLICKED"])
    assert len(script.requests) == 2
    first = script.requests[0]
    assert first.url.path == f"/v23.0/{WABA_ID}/template_analytics"
    assert json.loads(first.url.params["template_ids"]) == ids[:10]
    assert json.loads(script.requests[1].url.params["template_ids"]) == ids[10:]
    assert json.loads(first.url.params["metric_types"]) == ["SENT", "CLICKED"]
    assert (first.url.params["start"], first.url.params["granularity"]) == ("1", "DAILY")
    assert [p.template_id for p in points] == ids
    assert points[0].clicked == 3 and points[0].read == 1


def test_template_analytics_with_the_id_on_the_group(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"data": [{"template_id": "9", "data_points": [
        {"start": 1, "end": 2, "sent": 1, "delivered": 1, "read": 0, "clicked": 0}]}]}))
    assert make_client(script).template_analytics(1, 2, ["9"])[0].template_id == "9"


def test_analytics_granularity_is_checked(make_client: MakeClient) -> None:
    script = Script()
    client = make_client(script)
    with pytest.raises(PayloadError, match="granularity 'DAILY' is not one of"):
        client.analytics(1, 2, "DAILY")
    with pytest.raises(PayloadError, match="granularity 'DAY' is not one of"):
        client.conversation_analytics(1, 2, "DAY")
    assert client.template_analytics(1, 2, []) == [] and not script.requests


def test_wrongly_shaped_answers_are_malformed(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"id": PHONE_ID}), httpx.Response(200, json=[1]),
                    httpx.Response(200, content=b"<html>"))
    client = make_client(script)
    for _ in range(3):
        with pytest.raises(MalformedResponseError):
            client.phone_number_info()


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(200, json={"messages": []}), httpx.Response(200, json={"messages": [{}]}),
     httpx.Response(200, json={"messages": [{"id": ""}]}), httpx.Response(200, content=b"ok"),
     httpx.Response(202, content=b"")],
)
def test_a_success_send_without_wamid_is_an_unknown_outcome(
    make_client: MakeClient, answer: httpx.Response
) -> None:
    script = Script(answer, sent_ok())
    with pytest.raises(SendOutcomeUnknown) as caught:
        make_client(script).send_text(TO, "hi", biz_opaque_callback_data="ob-9",
                                      idempotency_key="k-9")
    assert caught.value.context.biz_opaque_callback_data == "ob-9"
    assert caught.value.context.idempotency_key == "k-9"
    assert isinstance(caught.value.cause, MalformedResponseError)
    assert len(script.requests) == 1


def test_graph_errors_surface_typed(make_client: MakeClient) -> None:
    script = Script(graph_error(131047, details="Message failed to send because more than 24 "
                                "hours have passed"))
    with pytest.raises(RecipientError) as caught:
        make_client(script).send_text(TO, "hi")
    assert caught.value.code == 131047 and "24" in caught.value.details
    assert "template" in caught.value.explanation


def test_base_url_version_and_ids(make_client: MakeClient) -> None:
    script = Script(sent_ok())
    make_client(script, base_url="http://127.0.0.1:8765/", graph_version="v21.0").send_text(
        TO, "hi")
    assert str(only(script).url) == f"http://127.0.0.1:8765/v21.0/{PHONE_ID}/messages"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"base_url": "graph.facebook.com"}, "must start with https://"),
        ({"graph_version": "23"}, "not like v23.0"),
        ({"phone_number_id": "12/../34"}, "must be digits"),
        ({"waba_id": "abc"}, "must be digits"),
        ({"access_token": ""}, "no access token"),
    ],
)
def test_bad_configuration_is_refused(
    make_client: MakeClient, overrides: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        make_client(Script(), **overrides)


def test_missing_ids_are_named_when_needed(make_client: MakeClient) -> None:
    script = Script()
    no_waba = make_client(script, waba_id="")
    with pytest.raises(ConfigError, match="no WABA id"):
        list(no_waba.list_templates())
    no_phone = make_client(script, phone_number_id="")
    with pytest.raises(ConfigError, match="no phone-number id"):
        no_phone.send_text(TO, "hi")
    with pytest.raises(ConfigError, match="must be digits"):
        no_phone.get_template("../me")
    assert not script.requests


def test_repr_and_errors_never_show_the_token(make_client: MakeClient) -> None:
    script = Script(graph_error(190, 401, details=f"bad token {TOKEN}"))
    client = make_client(script)
    assert "graph.test" in repr(client) and "CloudAPIClient" in repr(client)
    with pytest.raises(Exception) as caught:
        client.phone_number_info()
    assert_no_token(client, caught.value, caught.value.args)


def test_context_manager_closes_the_pool(make_client: MakeClient) -> None:
    with make_client(Script(sent_ok())) as client:
        client.send_text(TO, "hi")
    with pytest.raises(RuntimeError):
        client.send_text(TO, "hi")


def test_default_base_url_is_meta(retry: Any) -> None:
    script = Script(sent_ok())
    with CloudAPIClient(access_token=TOKEN, phone_number_id=PHONE_ID, retry=retry,
                        transport=script.transport()) as client:
        client.send_text(TO, "hi")
    assert str(only(script).url).startswith("https://graph.facebook.com/v23.0/")


def test_base_is_the_fake_host() -> None:
    assert BASE == "https://graph.test"
