"""Template management on /{waba_id}/message_templates and /{template_id}, and the review."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest

from easymo_core.sandbox.server import SandboxServer
from easymo_core.templates.sample_data import sample_templates
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import AUTH, TEST_TEMPLATES, WABA_ID, wait_until
from tests.sandbox.test_messages import assert_error

TEMPLATES = f"/{WABA_ID}/message_templates"


def new_template(name: str, body: str = "Hello {{1}}, your parcel is on its way to you today.",
                 category: str = "UTILITY", language: str = "en_US", **extra: Any) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "BODY", "text": body}
    if "{{" in body:
        component["example"] = {"body_text": [["Ana", "May 1", "3"][: body.count("{{")]]}
    return {"name": name, "language": language, "category": category, "components": [component], **extra}


def status_of(graph: httpx.Client, template_id: str) -> dict[str, Any]:
    return graph.get(f"/{template_id}", params={"fields": "status,rejected_reason,category,previous_category"}).json()


def test_list_default_fields_and_paging(graph: httpx.Client) -> None:
    first = graph.get(TEMPLATES, params={"limit": 3})
    assert first.status_code == 200
    page = first.json()
    assert len(page["data"]) == 3
    assert {"id", "name", "language", "status", "category", "components"} <= set(page["data"][0])
    assert set(page["paging"]["cursors"]) == {"before", "after"}
    assert "previous" not in page["paging"]
    names: list[tuple[str, str]] = []
    url: str | None = page["paging"]["next"]
    names += [(t["name"], t["language"]) for t in page["data"]]
    while url:
        assert url.startswith(str(graph.base_url).replace("/v23.0", "")) and "after=" in url
        page = httpx.get(url, headers=AUTH).json()
        names += [(t["name"], t["language"]) for t in page["data"]]
        url = page["paging"].get("next")
    assert sorted(names) == sorted((t["name"], t["language"]) for t in TEST_TEMPLATES)
    assert "previous" in page["paging"]  # the last page has a way back, and no next


def test_next_only_when_more(graph: httpx.Client) -> None:
    everything = graph.get(TEMPLATES, params={"limit": len(TEST_TEMPLATES)}).json()
    assert len(everything["data"]) == len(TEST_TEMPLATES)
    assert "next" not in everything["paging"]
    one_less = graph.get(TEMPLATES, params={"limit": len(TEST_TEMPLATES) - 1}).json()
    assert "next" in one_less["paging"]


def test_before_cursor_returns_the_previous_page(graph: httpx.Client) -> None:
    first = graph.get(TEMPLATES, params={"limit": 2}).json()
    second = graph.get(TEMPLATES, params={"limit": 2, "after": first["paging"]["cursors"]["after"]}).json()
    back = graph.get(TEMPLATES, params={"limit": 2, "before": second["paging"]["cursors"]["before"]}).json()
    assert [t["id"] for t in back["data"]] == [t["id"] for t in first["data"]]
    assert_error(graph.get(TEMPLATES, params={"after": "!!!"}), 400, 100)


def test_fields_and_filters(graph: httpx.Client) -> None:
    only = graph.get(TEMPLATES, params={"fields": "name,status"}).json()["data"]
    assert all(set(t) == {"name", "status", "id"} for t in only)
    paused = graph.get(TEMPLATES, params={"status": "PAUSED", "fields": "name,quality_score"}).json()["data"]
    assert [t["name"] for t in paused] == ["winback_offer"]
    assert paused[0]["quality_score"]["score"] == "RED"
    marketing = graph.get(TEMPLATES, params={"category": "MARKETING"}).json()["data"]
    assert {t["name"] for t in marketing} == {"winback_offer", "flash_sale_2023", "feedback_request"}
    spanish = graph.get(TEMPLATES, params={"language": "es"}).json()["data"]
    assert [(t["name"], t["language"]) for t in spanish] == [("order_update", "es")]
    by_name = graph.get(TEMPLATES, params={"name": "order_update"}).json()["data"]
    assert {t["language"] for t in by_name} == {"en_US", "es"}
    rejected = graph.get(TEMPLATES, params={"status": "REJECTED", "fields": "rejected_reason"}).json()["data"]
    assert rejected[0]["rejected_reason"] == "INVALID_FORMAT"
    assert_error(graph.get(TEMPLATES, params={"fields": "name,colour"}), 400, 100)
    assert_error(graph.get(TEMPLATES, params={"limit": "0"}), 400, 100)


def test_create_pending_then_approved_with_webhook(make_sandbox: MakeSandbox, receiver: Any) -> None:
    srv = make_sandbox(review_delay=0.05, webhook_url=receiver.url)
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        response = graph.post(TEMPLATES, json=new_template("parcel_notice"))
        assert response.status_code == 200, response.text
        created = response.json()
        assert set(created) == {"id", "status", "category"}
        assert created["status"] == "PENDING" and created["category"] == "UTILITY"
        assert status_of(graph, created["id"])["status"] == "PENDING"
        wait_until(lambda: status_of(graph, created["id"])["status"] == "APPROVED", what="approval")
    update = wait_until(lambda: receiver.values("message_template_status_update"), what="status webhook")[0]
    assert update["event"] == "APPROVED"
    assert update["message_template_id"] == int(created["id"])
    assert update["message_template_name"] == "parcel_notice"
    assert update["message_template_language"] == "en_US"
    assert update["message_template_category"] == "UTILITY"
    assert receiver.bad_signatures == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{{1}} is on its way to your home today, thanks", "INVALID_FORMAT"),  # starts with a variable
        ("Your parcel for today is on its way, {{1}}", "INVALID_FORMAT"),  # ends with a variable
        ("Hello {{1}} {{2}}, your parcel is on its way today", "INVALID_FORMAT"),  # adjacent
        ("Hi {{1}}, {{2}} and {{3}} now.", "INVALID_FORMAT"),  # too many variables for the text
        ("Congratulations {{1}}, you have won a car! Reply to claim it now.", "SCAM"),
    ],
)
def test_review_rejects_by_the_rules(graph: httpx.Client, body: str, reason: str) -> None:
    created = graph.post(TEMPLATES, json=new_template("risky_one", body)).json()
    result = wait_until(lambda: status_of(graph, created["id"]), until=lambda s: s["status"] != "PENDING",
                        what="review")
    assert result["status"] == "REJECTED"
    assert result["rejected_reason"] == reason


def test_review_recategorises_promotional_utility(graph: httpx.Client) -> None:
    body = "Hi {{1}}, enjoy a 20% off discount on your next order with us this week."
    created = graph.post(TEMPLATES, json=new_template("utility_promo", body)).json()
    assert created["category"] == "UTILITY"
    result = wait_until(lambda: status_of(graph, created["id"]), until=lambda s: s["status"] == "APPROVED",
                        what="review")
    assert result["category"] == "MARKETING" and result["previous_category"] == "UTILITY"


@pytest.mark.parametrize(
    ("template", "detail"),
    [
        (new_template("Bad Name"), "name"),
        (new_template("x" * 513), "name"),
        (new_template("no_body", category="UTILITY") | {"components": [{"type": "FOOTER", "text": "hi"}]}, "body"),
        (new_template("bad_category", category="PROMOS"), "category"),
        ({"name": "no_example", "language": "en_US", "category": "UTILITY",
          "components": [{"type": "BODY", "text": "Hello {{1}}, your parcel is on its way today."}]}, "example"),
        (new_template("long_body", "word " * 210), "1,024"),
        (new_template("footer_var") | {"components": [
            {"type": "BODY", "text": "Your parcel is on its way today."},
            {"type": "FOOTER", "text": "Bye {{1}}"}]}, "footer"),
        (new_template("too_many_buttons") | {"components": [
            {"type": "BODY", "text": "Your parcel is on its way today."},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": f"B{i}"} for i in range(11)]}]}, "10"),
    ],
)
def test_creation_refused_with_code_100(graph: httpx.Client, template: dict[str, Any], detail: str) -> None:
    error = assert_error(graph.post(TEMPLATES, json=template), 400, 100)
    assert detail in error["error_user_msg"] or detail in error["error_user_title"], error


def test_creation_needs_the_required_parameters(graph: httpx.Client) -> None:
    assert_error(graph.post(TEMPLATES, json={"language": "en_US"}), 400, 100)
    assert_error(graph.post(TEMPLATES, content=b"[]", headers={"Content-Type": "application/json"}), 400, 100)


def test_same_name_and_language_is_refused_other_language_is_not(graph: httpx.Client) -> None:
    error = assert_error(graph.post(TEMPLATES, json=new_template("hello_world")), 400, 100)
    assert error["error_subcode"] == 2388024
    assert graph.post(TEMPLATES, json=new_template("hello_world", language="pt_BR")).status_code == 200


def test_delete_by_name_and_by_hsm_id(graph: httpx.Client) -> None:
    spanish = graph.get(TEMPLATES, params={"name": "order_update", "language": "es"}).json()["data"][0]
    response = graph.delete(TEMPLATES, params={"name": "order_update", "hsm_id": spanish["id"]})
    assert response.status_code == 200 and response.json() == {"success": True}
    assert {t["language"] for t in graph.get(TEMPLATES, params={"name": "order_update"}).json()["data"]} == {"en_US"}
    assert graph.delete(TEMPLATES, params={"name": "order_update"}).json() == {"success": True}
    assert graph.get(TEMPLATES, params={"name": "order_update"}).json()["data"] == []
    assert_error(graph.delete(TEMPLATES, params={"name": "order_update"}), 400, 100)
    assert_error(graph.delete(TEMPLATES), 400, 100)
    # an approved name cannot come back for 30 days
    error = assert_error(graph.post(TEMPLATES, json=new_template("order_update")), 400, 100)
    assert error["error_subcode"] == 2388023


def test_get_and_edit_one_template(graph: httpx.Client) -> None:
    hello = graph.get(TEMPLATES, params={"name": "hello_world"}).json()["data"][0]
    one = graph.get(f"/{hello['id']}")
    assert one.status_code == 200
    assert one.json()["name"] == "hello_world" and one.json()["id"] == hello["id"]
    edit = {"components": [{"type": "BODY", "text": "Welcome aboard, this is our new greeting for everyone."}]}
    response = graph.post(f"/{hello['id']}", json=edit)
    assert response.status_code == 200 and response.json() == {"success": True}
    assert wait_until(lambda: status_of(graph, hello["id"])["status"] == "APPROVED", what="re-review")
    assert graph.get(f"/{hello['id']}").json()["components"][0]["text"].startswith("Welcome aboard")
    # approved templates: one edit a day
    second = assert_error(graph.post(f"/{hello['id']}", json=edit), 400, 100)
    assert "Edit limit" in second["error_user_title"]
    assert_error(graph.post(f"/{hello['id']}", json={"category": "MARKETING"}), 400, 100)
    disabled = graph.get(TEMPLATES, params={"name": "flash_sale_2023"}).json()["data"][0]
    assert_error(graph.post(f"/{disabled['id']}", json=edit), 400, 100)


def test_control_pause_and_quality_webhooks(make_sandbox: MakeSandbox, receiver: Any) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    with httpx.Client(base_url=srv.base_url, headers=AUTH) as client:
        hello = client.get(f"/v23.0{TEMPLATES}", params={"name": "hello_world"}).json()["data"][0]
        red = client.post(f"/_sandbox/templates/{hello['id']}/status", json={"quality": "RED"})
        assert red.status_code == 200 and red.json()["status"] == "PAUSED"
        quality = wait_until(lambda: receiver.values("message_template_quality_update"), what="quality webhook")
        assert quality[0]["new_quality_score"] == "RED" and quality[0]["message_template_name"] == "hello_world"
        paused = wait_until(lambda: receiver.values("message_template_status_update"), what="pause webhook")
        assert paused[0]["event"] == "PAUSED"
        again = client.post(f"/_sandbox/templates/{hello['id']}/status", json={"quality": "RED"}).json()
        assert again["status"] == "DISABLED"
        back = client.post(f"/_sandbox/templates/{hello['id']}/status", json={"status": "approved"}).json()
        assert back["status"] == "APPROVED"
        wait_until(lambda: len(receiver.values("message_template_status_update")) == 3, what="all events")
        events = [v["event"] for v in receiver.values("message_template_status_update")]
        assert events == ["PAUSED", "DISABLED", "APPROVED"]
        disabled = receiver.values("message_template_status_update")[1]
        assert disabled["disable_info"]["disable_date"] and disabled["message_template_category"] == "UTILITY"
        rejected = client.post(f"/_sandbox/templates/{hello['id']}/status",
                               json={"status": "REJECTED", "reason": "PROMOTIONAL"}).json()
        assert rejected["rejected_reason"] == "PROMOTIONAL"
        update = wait_until(lambda: receiver.values("message_template_status_update")[3:], what="rejection")[0]
        assert update["reason"] == "PROMOTIONAL" and update["rejection_info"]["reason"]
        # an unchanged score is not news: no second quality webhook
        before = len(receiver.values("message_template_quality_update"))
        client.post(f"/_sandbox/templates/{hello['id']}/status", json={"quality": "RED"})
        client.post(f"/_sandbox/templates/{hello['id']}/status", json={"quality": "GREEN"})
        wait_until(lambda: len(receiver.values("message_template_quality_update")) == before + 1, what="GREEN")
        assert [v["new_quality_score"] for v in receiver.values("message_template_quality_update")][-1] == "GREEN"
        assert client.post(f"/_sandbox/templates/{hello['id']}/status", json={"status": "NOPE"}).status_code == 400
        assert client.post("/_sandbox/templates/404404/status", json={"status": "APPROVED"}).status_code == 404
    assert receiver.bad_signatures == 0


def test_seed_templates_come_from_the_shared_sample_data(make_sandbox: MakeSandbox) -> None:
    srv: SandboxServer = make_sandbox(templates=False, seed_templates=True, review_delay=0.0)
    samples = sample_templates()
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        listed = graph.get(TEMPLATES, params={"limit": 100, "fields": "name,language,status"}).json()["data"]
        assert sorted((t["name"], t["language"]) for t in listed) == sorted(
            (t["name"], t["language"]) for t in samples)
        # a PENDING sample is reviewed once the server runs
        pending = [t for t in samples if t.get("status") == "PENDING"]
        for sample in pending:
            wait_until(partial(status_of, graph, sample["id"]), until=lambda s: s["status"] != "PENDING",
                       what="seed review")


# Every field of the node, the edge's filters and summary, Meta's kinds of template ------

def test_every_field_of_the_template_node_answers_and_created_fields_are_kept(graph: httpx.Client) -> None:
    body = new_template("ttl_check", message_send_ttl_seconds=3600, cta_url_link_tracking_opted_out=True,
                        sub_category="ORDER_DETAILS")
    created = graph.post(TEMPLATES, json=body).json()
    fields = ("id,name,language,status,category,components,parameter_format,rejected_reason,quality_score,"
              "previous_category,sub_category,library_template_name,correct_category,"
              "cta_url_link_tracking_opted_out,message_send_ttl_seconds,degrees_of_freedom_spec")
    node = graph.get(f"/{created['id']}", params={"fields": fields})
    assert node.status_code == 200, node.text
    assert node.json()["message_send_ttl_seconds"] == 3600
    assert node.json()["cta_url_link_tracking_opted_out"] is True
    assert node.json()["sub_category"] == "ORDER_DETAILS"
    bad_ttl = graph.post(TEMPLATES, json=new_template("ttl_bad", message_send_ttl_seconds=5))
    assert_error(bad_ttl, 400, 100, "message_send_ttl_seconds")


def test_content_and_quality_filters_and_the_summary(graph: httpx.Client) -> None:
    def names(**params: str) -> set[str]:
        return {t["name"] for t in graph.get(TEMPLATES, params={"limit": 100, **params}).json()["data"]}

    assert names(content="special discount") == {"winback_offer"}
    assert names(name_or_content="flash") == {"flash_sale_2023"}
    assert names(name_or_content="arrives") == {"order_update"}
    assert names(quality_score="RED") == {"winback_offer"}
    listing = graph.get(TEMPLATES, params={"summary": "total_count,message_template_count,message_template_limit",
                                           "category": "MARKETING"}).json()
    assert listing["summary"] == {"total_count": 3, "message_template_count": len(TEST_TEMPLATES),
                                  "message_template_limit": 250}
    assert_error(graph.get(TEMPLATES, params={"quality_score": "PURPLE"}), 400, 100)


def test_library_templates_are_created_pending(graph: httpx.Client) -> None:
    body = {"name": "my_delivery_update", "language": "en_US", "category": "UTILITY",
            "library_template_name": "delivery_update_1",
            "library_template_button_inputs": [{"type": "URL", "url": {"base_url": "https://e.com/{{1}}"}}]}
    created = graph.post(TEMPLATES, json=body)
    assert created.status_code == 200, created.text
    assert created.json()["status"] == "PENDING"
    node = graph.get(f"/{created.json()['id']}", params={"fields": "library_template_name"}).json()
    assert node["library_template_name"] == "delivery_update_1"


def test_authentication_send_addresses_the_otp_button_as_url(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(seed_templates=True, templates=False)
    code = [{"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}]
    message = {"messaging_product": "whatsapp", "to": "15551230001", "type": "template",
               "template": {"name": "verification_code", "language": {"code": "en_US"}, "components": code}}
    with httpx.Client(base_url=srv.base_url + "/v23.0", headers=AUTH) as graph:
        listed = graph.get(TEMPLATES, params={"name": "verification_code"}).json()["data"][0]
        buttons = next(c for c in listed["components"] if c["type"] == "BUTTONS")["buttons"]
        assert buttons[0]["type"] == "OTP" and buttons[0]["otp_type"] == "COPY_CODE"
        assert graph.post(f"/{srv.config.phone_number_id}/messages", json=message).status_code == 200
        code[1]["sub_type"] = "copy_code"
        assert_error(graph.post(f"/{srv.config.phone_number_id}/messages", json=message), 400, 131009, "sub_type")
