"""The sandbox's answers and webhooks against Meta's OpenAPI description, so it cannot drift."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import httpx
import pytest

from tests.sandbox import meta_openapi
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
TEMPLATES = f"/{WABA_ID}/message_templates"
# Meta's example passes JSON booleans as text parameters: refused (100), as a wrong JSON
# type is everywhere else.
BROKEN_EXAMPLES = {"Send Sample Issue Resolution Template"}


def assert_valid(validator: Any, instance: Any) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_subset_is_current() -> None:
    if not meta_openapi.FULL_SPEC.exists():
        pytest.skip(f"full description not at {meta_openapi.FULL_SPEC}")
    yaml = pytest.importorskip("yaml")
    full = yaml.load(meta_openapi.FULL_SPEC.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert meta_openapi.extract(full) == meta_openapi.subset(), "run python -m tests.sandbox.meta_openapi"


def test_strict_validation_catches_an_extra_field() -> None:
    """The check itself can fail: an undeclared key is refused."""
    strict = meta_openapi.schema_validator("MessageResponsePayload", strict=True)
    good = {"messaging_product": "whatsapp", "contacts": [{"input": "1", "wa_id": "1"}], "messages": [{"id": "wamid.x"}]}
    assert strict.is_valid(good)
    assert not strict.is_valid({**good, "extra": 1})
    assert not strict.is_valid({**good, "messages": [{"id": "wamid.x", "message_status": "maybe"}]})


def test_send_answers_match_message_response_payload(graph: httpx.Client) -> None:
    strict = meta_openapi.schema_validator("MessageResponsePayload", strict=True)
    for payload in (text_message(), buttons_message(), list_message(),
                    template_message("order_update", components=order_update_components())):
        response = graph.post(MESSAGES, json=payload)
        assert response.status_code == 200, response.text
        assert_valid(strict, response.json())


def test_errors_match_graph_api_error(graph: httpx.Client, sandbox: Any) -> None:
    schema = meta_openapi.schema_validator("GraphAPIError")
    answers = [
        graph.post(MESSAGES, json=text_message(body="")),
        graph.post(MESSAGES, json=template_message("missing")),
        graph.get("/999/nothing"),
        httpx.get(f"{sandbox.base_url}/v23.0/{PHONE_ID}"),
    ]
    for response in answers:
        assert response.status_code in (400, 401)
        assert_valid(schema, response.json())


def test_phone_number_info(graph: httpx.Client) -> None:
    default = graph.get(f"/{PHONE_ID}").json()
    assert_valid(meta_openapi.schema_validator("PhoneNumberInfo"), default)
    fields = ("id,display_phone_number,verified_name,quality_rating,code_verification_status,"
              "name_status,messaging_limit_tier,status,account_mode,is_official_business_account")
    full = graph.get(f"/{PHONE_ID}", params={"fields": fields}).json()
    assert_valid(meta_openapi.schema_validator("WhatsAppAccountNumber", strict=True), full)
    assert "messaging_limit_tier" not in full  # deprecated: left out, not refused
    assert default["throughput"] == {"level": "STANDARD"}
    assert default["whatsapp_business_manager_messaging_limit"] == "TIER_2K"
    newer = ("whatsapp_business_manager_messaging_limit,quality_score,health_status,webhook_configuration,"
             "is_pin_enabled,conversational_automation,host_platform,unified_cert_status,country_code")
    answer = graph.get(f"/{PHONE_ID}", params={"fields": newer})
    assert answer.status_code == 200, answer.text
    assert answer.json()["health_status"]["can_send_message"] == "AVAILABLE"
    assert answer.json()["is_pin_enabled"] is True


def test_messaging_limit_tiers_are_metas_new_ones(graph: httpx.Client, control: httpx.Client) -> None:
    for tier in ("TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"):
        assert control.post("/config", json={"messaging_limit": tier}).status_code == 200
        fields = {"fields": "whatsapp_business_manager_messaging_limit"}
        assert graph.get(f"/{PHONE_ID}", params=fields).json()["whatsapp_business_manager_messaging_limit"] == tier
    assert control.post("/config", json={"messaging_limit": "TIER_1K"}).status_code == 400


def test_account_node_fields(graph: httpx.Client) -> None:
    fields = ("id,name,status,ownership_type,primary_business_location,health_status,subscribed_apps,"
              "account_review_status,business_verification_status,country,currency,timezone_id,"
              "is_enabled_for_insights,purchase_order_number")
    answer = graph.get(f"/{WABA_ID}", params={"fields": fields})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ownership_type"] == "SELF_OWNED" and body["status"] == "ACTIVE"
    assert body["subscribed_apps"]["data"][0]["id"]
    del body["status"], body["primary_business_location"], body["health_status"], body["subscribed_apps"]
    assert_valid(meta_openapi.schema_validator("WhatsAppBusinessAccount", strict=True), body)


def test_phone_numbers_and_subscribed_apps_edges(graph: httpx.Client, sandbox: Any) -> None:
    listing = graph.get(f"/{WABA_ID}/phone_numbers")
    assert listing.status_code == 200, listing.text
    assert listing.json()["data"][0]["id"] == PHONE_ID
    chosen = graph.get(f"/{WABA_ID}/phone_numbers", params={"fields": "id,display_phone_number,"
                                                                      "verified_name,quality_rating,status"})
    # The description contradicts itself: the edge's status enum lacks CONNECTED, which the
    # phone number node reports (WhatsAppAccountNumberStatus); the node's word is kept.
    errors = [e for e in meta_openapi.operation_validator("phone_numbers").iter_errors(chosen.json())
              if list(e.path) != ["data", 0, "status"]]
    assert not errors and chosen.json()["data"][0]["status"] == "CONNECTED"
    apps = graph.get(f"/{WABA_ID}/subscribed_apps").json()
    assert_valid(meta_openapi.operation_validator("subscribed_apps_get"), apps)
    assert len(apps["data"]) == 1
    unsubscribed = graph.delete(f"/{WABA_ID}/subscribed_apps")
    assert unsubscribed.json() == {"success": True}
    assert graph.get(f"/{WABA_ID}/subscribed_apps").json() == {"data": []}
    assert not sandbox.runtime.dispatcher.enabled or sandbox.config.webhook_url is None
    resubscribed = graph.post(f"/{WABA_ID}/subscribed_apps")
    assert_valid(meta_openapi.operation_validator("subscribed_apps_post"), resubscribed.json())
    assert len(graph.get(f"/{WABA_ID}/subscribed_apps").json()["data"]) == 1


@pytest.mark.parametrize("name", sorted(meta_openapi.subset()["profile_update_examples"]))
def test_business_profile_get_and_metas_update_examples(graph: httpx.Client, name: str) -> None:
    profile = f"/{PHONE_ID}/whatsapp_business_profile"
    before = graph.get(profile)
    assert_valid(meta_openapi.operation_validator("profile_get"), before.json())
    example = meta_openapi.subset()["profile_update_examples"][name]
    updated = graph.post(profile, json=example)
    assert updated.status_code == 200, updated.text
    assert_valid(meta_openapi.operation_validator("profile_post"), updated.json())
    after = graph.get(profile, params={"fields": "about,description,websites"}).json()["data"][0]["business_profile"]
    assert after["description"] == example["description"]
    too_long = graph.post(profile, json={"messaging_product": "whatsapp", "about": "a" * 140})
    assert too_long.json()["error"]["code"] == 100
    three_sites = graph.post(profile, json={"messaging_product": "whatsapp",
                                            "websites": ["https://a.com", "https://b.com", "https://c.com"]})
    assert three_sites.json()["error"]["code"] == 100


def test_media_upload_lookup_download_and_delete(graph: httpx.Client, sandbox: Any) -> None:
    data = b"%PDF-1.4 invoice"
    uploaded = graph.post(f"/{PHONE_ID}/media", data={"messaging_product": "whatsapp", "type": "application/pdf"},
                          files={"file": ("invoice.pdf", data, "application/pdf")})
    assert uploaded.status_code == 200, uploaded.text
    assert_valid(meta_openapi.operation_validator("media_upload"), uploaded.json())
    media_id = uploaded.json()["id"]
    info = graph.get(f"/{media_id}")
    assert_valid(meta_openapi.validator(meta_openapi.subset()["operations"]["media_get"], strict=True), info.json())
    assert info.json()["mime_type"] == "application/pdf" and info.json()["file_size"] == str(len(data))
    url = info.json()["url"]
    assert httpx.get(url).status_code == 401  # the token is needed
    assert httpx.get(url, headers=AUTH).content == data
    expired = re.sub(r"ext=\d+", "ext=1", url)
    assert httpx.get(expired, headers=AUTH).status_code == 404
    wrong_type = graph.post(f"/{PHONE_ID}/media", data={"messaging_product": "whatsapp"},
                            files={"file": ("a.exe", b"MZ", "application/x-msdownload")})
    assert wrong_type.json()["error"]["code"] == 100
    deleted = graph.delete(f"/{media_id}")
    assert_valid(meta_openapi.operation_validator("media_delete"), deleted.json())
    assert graph.get(f"/{media_id}").json()["error"]["error_subcode"] == 33


def test_template_endpoints(graph: httpx.Client) -> None:
    listing = graph.get(TEMPLATES, params={"limit": 2})
    assert_valid(meta_openapi.operation_validator("templates_list"), listing.json())
    for template in graph.get(TEMPLATES, params={"limit": 50}).json()["data"]:
        assert_valid(meta_openapi.operation_validator("template_get"), graph.get(f"/{template['id']}").json())
    body = {"name": "openapi_check", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your parcel is on its way and arrives tomorrow."}]}
    created = graph.post(TEMPLATES, json=body)
    assert_valid(meta_openapi.operation_validator("templates_create"), created.json())
    wait_until(lambda: graph.get(f"/{created.json()['id']}").json()["status"] == "APPROVED", what="review")
    edited = graph.post(f"/{created.json()['id']}", json={"components": body["components"]})
    assert_valid(meta_openapi.operation_validator("template_edit"), edited.json())
    deleted = graph.delete(TEMPLATES, params={"name": "openapi_check"})
    assert_valid(meta_openapi.operation_validator("templates_delete"), deleted.json())


def test_status_webhooks_match_webhook_payload(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url, batch_max=3, batch_window=0.02)
    with httpx.Client(base_url=srv.base_url, headers=AUTH) as client:
        read = client.post(f"/v23.0{MESSAGES}", json=template_message("hello_world")).json()["messages"][0]["id"]
        failed = client.post(f"/v23.0{MESSAGES}", json=text_message(to="15550001111")).json()["messages"][0]["id"]
    wait_until(lambda: "read" in receiver.status_names(read) and receiver.status_names(failed), what="statuses")
    schema = meta_openapi.schema_validator("WebhookPayload")
    for post in receiver.accepted():
        assert_valid(schema, post)
    assert {s["status"] for s in receiver.statuses()} == {"sent", "delivered", "read", "failed"}


def _shape(node: Any) -> Any:
    """Keys and value types, recursively: the structure of a payload without its values."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_shape(node[0])] if node else []
    return type(node).__name__


def test_inbound_webhooks_have_the_shape_of_metas_examples(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    control = f"{srv.base_url}/_sandbox/inbound"
    with httpx.Client(base_url=srv.base_url, headers=AUTH) as client:
        client.post(control, json={"from": USER, "name": "Ana", "text": "Hello"})

        def send(payload: dict[str, Any]) -> str:
            wamid: str = client.post(f"/v23.0{MESSAGES}", json=payload).json()["messages"][0]["id"]
            return wamid

        client.post(control, json={"from": USER, "button_id": "TRACK_42",
                                   "to": send(template_message("order_update", components=order_update_components()))})
        client.post(control, json={"from": USER, "list_id": "am", "to": send(list_message())})
        client.post(control, json={"from": USER, "button_id": "yes", "to": send(buttons_message())})
    values = wait_until(receiver.values, until=lambda v: sum("messages" in x for x in v) == 4,
                        what="four inbound webhooks")
    inbound = [v for v in values if "messages" in v]
    examples = meta_openapi.subset()["webhook_examples"]
    for value, name in zip(inbound, meta_openapi.WEBHOOK_EXAMPLES, strict=True):
        meta_value = examples[name]["entry"][0]["changes"][0]["value"]
        assert _shape(value) == _shape(meta_value), name
        assert_valid(meta_openapi.schema_validator("Metadata"), value["metadata"])
        assert_valid(meta_openapi.schema_validator("ContactProfile"), value["contacts"][0])
    interactive = [v["messages"][0]["interactive"] for v in inbound[2:]]
    assert_valid(meta_openapi.schema_validator("InteractiveListReplyContent"), interactive[0])
    assert_valid(meta_openapi.schema_validator("InteractiveButtonReplyContent"), interactive[1])


# The templates Meta's send examples address (after _fill), as the sandbox must hold them
# for Meta's examples to be accepted: Graph JSON, keyed by example.
_BODY3 = {"type": "BODY", "text": "Hi {{1}}, your total is {{2}} and it is due {{3}} as agreed.",
          "example": {"body_text": [["Ana", "$10", "May 1"]]}}
_IMAGE_HEADER = {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U=:sandbox"]}}
_TWO_QUICK_REPLIES = {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Yes"},
                                                     {"type": "QUICK_REPLY", "text": "No"}]}
EXAMPLE_TEMPLATES: dict[str, dict[str, Any]] = {
    "Send Catalog Template Message": {"name": "intro_catalog_offer", "category": "MARKETING", "components": [
        _BODY3, {"type": "BUTTONS", "buttons": [{"type": "CATALOG", "text": "View catalog"}]}]},
    "Send Flow Template Message": {"name": "example_template", "category": "MARKETING", "components": [
        {"type": "BODY", "text": "Check out this new offer"},
        {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Open", "flow_id": "1234567890"}]}]},
    "Send Message Template Interactive": {"name": "template-name", "components": [
        _IMAGE_HEADER, _BODY3, _TWO_QUICK_REPLIES]},
    "Send Message Template Media": {"name": "template-name", "components": [_IMAGE_HEADER, _BODY3]},
    "Send Message Template Text": {"name": "template-name", "components": [_BODY3]},
    "Send Sample Shipping Confirmation Template": {"name": "template-name", "components": [_BODY3]},
    "Send Sample Text Message": {"name": "template-name", "components": [_BODY3]},
    "Send Sample Issue Resolution Template": {"name": "sample_issue_resolution", "components": [
        {"type": "BODY", "text": "Hi {{1}}, were we able to solve the issue you faced?",
         "example": {"body_text": [["Ana"]]}}, _TWO_QUICK_REPLIES]},
}
_FILLS = {
    "language-and-locale-code": "en_US",
    "<TEMPLATE_NAME>": "example_template",
    "{{Flow-ID}}": "1234567890",
    "{{Flow-Name}}": "example_flow",
}


def _fill(node: Any, inbound_id: str, media_id: str = "1") -> Any:
    """Meta's example with its placeholders replaced by values a real request would carry."""
    if isinstance(node, dict):
        return {k: (inbound_id if k == "message_id" and "status" in node else _fill(v, inbound_id, media_id))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, inbound_id, media_id) for v in node]
    if isinstance(node, str):
        if re.fullmatch(r"\{\{Recipient-.*\}\}", node):
            return USER
        if re.match(r"^<?http\(s\)://", node):
            return "https://example.com/media"
        if node == "<HEADER_TYPE>":
            return "text"
        if re.fullmatch(r"<MSGID_.*>", node):
            return inbound_id
        if re.fullmatch(r"<[A-Z]+_OBJECT_ID>", node):
            return media_id
        return _FILLS.get(node, node)
    return node


def _upload(graph: httpx.Client) -> str:
    """A media id this sandbox serves, or a made-up one while it has no media edge."""
    response = graph.post(f"/{PHONE_ID}/media", data={"messaging_product": "whatsapp"},
                          files={"file": ("a.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")})
    return str(response.json()["id"]) if response.status_code == 200 else "1"


@pytest.mark.parametrize("name", sorted(meta_openapi.subset()["send_examples"]))
def test_metas_own_send_examples_are_accepted_and_answered_to_schema(
    graph: httpx.Client, control: httpx.Client, name: str
) -> None:
    """Each example of Meta's send operation, placeholders filled (and the template it names
    added), is accepted, and the answer validates against the operation's response schema."""
    inbound = control.post("/inbound", json={"from": USER, "text": "hi"}).json()["id"]
    payload = _fill(meta_openapi.subset()["send_examples"][name], inbound, _upload(graph))
    if name in EXAMPLE_TEMPLATES:
        template = {"language": "en_US", "category": "UTILITY", **EXAMPLE_TEMPLATES[name]}
        assert control.post("/templates", json=template).status_code == 200
    response = graph.post(MESSAGES, json=payload)
    if name in BROKEN_EXAMPLES:
        assert response.json()["error"]["code"] == 100, response.text
        assert_valid(meta_openapi.schema_validator("GraphAPIError"), response.json())
        return
    assert response.status_code == 200, response.text
    receipt = "status" in payload
    assert_valid(meta_openapi.validator(meta_openapi.subset()["operations"]["send"], strict=not receipt),
                 response.json())
    if payload.get("type") == "template":
        assert response.json()["messages"][0]["message_status"] == "accepted"


@pytest.mark.parametrize("name", sorted(meta_openapi.subset()["template_create_examples"]))
def test_metas_own_template_creation_examples_are_created_pending(graph: httpx.Client, name: str) -> None:
    body = _fill(meta_openapi.subset()["template_create_examples"][name], "")
    response = graph.post(TEMPLATES, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "PENDING"
    assert_valid(meta_openapi.validator(meta_openapi.subset()["operations"]["templates_create"], strict=True),
                 response.json())
    node = graph.get(f"/{response.json()['id']}")
    assert_valid(meta_openapi.operation_validator("template_get"), node.json())


@pytest.mark.parametrize("name", sorted(meta_openapi.subset()["template_edit_examples"]))
def test_metas_own_template_edit_example_is_accepted(graph: httpx.Client, control: httpx.Client, name: str) -> None:
    example = meta_openapi.subset()["template_edit_examples"][name]
    added = control.post("/templates", json={
        "name": example["name"], "language": example["language"], "category": "MARKETING", "status": "REJECTED",
        "rejected_reason": "INVALID_FORMAT", "components": [{"type": "BODY", "text": "Our Fall Sale is on!"}]})
    response = graph.post(f"/{added.json()['id']}", json=example)
    assert response.status_code == 200, response.text
    assert_valid(meta_openapi.validator(meta_openapi.subset()["operations"]["template_edit"], strict=True),
                 response.json())
    node = graph.get(f"/{added.json()['id']}", params={"fields": "status,components"}).json()
    assert node["status"] != "REJECTED" and node["components"][1]["text"].startswith("Hi {{1}}")


def _consoles_own_payloads() -> list[tuple[str, dict[str, Any]]]:
    from tests.cloudapi.test_openapi_contract import BUILT_PAYLOADS

    return BUILT_PAYLOADS


@pytest.mark.parametrize(("schema", "payload"), _consoles_own_payloads(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_the_consoles_own_requests_are_answered_to_schema(
    graph: httpx.Client, control: httpx.Client, schema: str, payload: dict[str, Any]
) -> None:
    """What the console's payload builders send, answered as the send operation says."""
    control.post("/templates", json={"name": "greet", "language": "en", "category": "UTILITY",
                                     "parameter_format": "NAMED", "components": [
                                         {"type": "BODY", "text": "Hello {{first_name}}, welcome to easyMO.",
                                          "example": {"body_text_named_params": [
                                              {"param_name": "first_name", "example": "Ana"}]}}]})
    inbound = control.post("/inbound", json={"from": payload.get("to", USER), "text": "hi"}).json()["id"]
    if "status" in payload:
        payload = {**payload, "message_id": inbound}
    response = graph.post(MESSAGES, json=payload)
    assert response.status_code == 200, response.text
    assert_valid(meta_openapi.validator(meta_openapi.subset()["operations"]["send"],
                                        strict="status" not in payload), response.json())


def _fits(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where ``ours`` has a key Meta's example lacks, or a value of another JSON type."""
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            return [f"{path}: not an object"]
        return [p for k, v in ours.items()
                for p in ([f"{path}.{k}: not in Meta's example"] if k not in theirs else _fits(v, theirs[k], f"{path}.{k}"))]
    if isinstance(theirs, list):
        return _fits(ours[0], theirs[0], f"{path}[0]") if isinstance(ours, list) and ours and theirs else []
    number = (int, float)
    same = (isinstance(ours, number) and isinstance(theirs, number)) or type(ours) is type(theirs)
    return [] if same else [f"{path}: {type(ours).__name__} where Meta has {type(theirs).__name__}"]


def test_media_location_reaction_contacts_and_ad_messages_have_metas_shape(
    make_sandbox: MakeSandbox, receiver: Receiver
) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    control = f"{srv.base_url}/_sandbox/inbound"
    with httpx.Client(base_url=srv.base_url, headers=AUTH) as client:
        wamid = client.post(f"/v23.0{MESSAGES}", json=template_message("hello_world")).json()["messages"][0]["id"]
        bodies: dict[str, dict[str, Any]] = {
            "Image Message": {"media": {"type": "image", "caption": "Taj Mahal"}},
            "Location Message": {"location": {"latitude": 37.44, "longitude": -122.16, "name": "Philz Coffee",
                                              "address": "101 Forest Ave", "url": "https://philzcoffee.com/"}},
            "Reaction Message": {"reaction": "👍", "to": wamid},
            "Contact Sharing Message": {"contacts": [{"name": "Lucía Gómez", "phone": "+1 (983) 555-2319"}]},
            "Text Message from Click to WhatsApp Ad": {"text": "Hello!", "entry_point": True},
            "Order Message": {"order": {"items": [{"product_retailer_id": "di9ozbzfi4", "quantity": 2,
                                                   "item_price": 30, "currency": "USD"}]}},
        }
        for body in bodies.values():
            answer = client.post(control, json={"from": USER, "name": "Ana", **body})
            assert answer.status_code == 200, answer.text
        for kind in ("document", "audio", "video"):
            assert client.post(control, json={"from": USER, "media": {"type": kind}}).status_code == 200
        values = wait_until(receiver.values, until=lambda v: sum("messages" in x for x in v) == 9,
                            what="nine inbound webhooks")
        examples = meta_openapi.subset()["webhook_examples"]
        messages = [v["messages"][0] for v in values if "messages" in v]
        for message, name in zip(messages, bodies, strict=False):
            meta = examples[name]["entry"][0]["changes"][0]["value"]["messages"][0]
            assert message["type"] == meta["type"], name
            assert _fits(message, meta) == [], name
        assert messages[2]["reaction"]["message_id"] == wamid
        image = messages[0]["image"]
        url = client.get(f"/v23.0/{image['id']}").json()["url"]
        downloaded = client.get(url).content
        assert base64.b64encode(hashlib.sha256(downloaded).digest()).decode() == image["sha256"]
        assert [m["type"] for m in messages[6:]] == ["document", "audio", "video"]
        assert messages[6]["document"]["filename"] and messages[7]["audio"]["voice"] is True
        assert client.post(control, json={"from": USER, "reaction": "👍", "to": "wamid.nope"}).status_code == 400
