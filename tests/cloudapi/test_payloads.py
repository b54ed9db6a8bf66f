from __future__ import annotations

from typing import Any

import pytest

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.payloads import (
    ListRow,
    ListSection,
    ReplyButton,
    button_message,
    copy_code_button,
    currency_param,
    date_time_param,
    flow_button,
    list_message,
    location_param,
    mark_read_payload,
    media_param,
    quick_reply_button,
    template_message,
    text_message,
    text_param,
    url_button,
    validate_message,
)

TO = "+1 555 123 4567"
ENVELOPE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "15551234567"}


def refused(match: str) -> Any:
    return pytest.raises(PayloadError, match=match)


# -- text ----------------------------------------------------------------------------------


def test_text_message_shape() -> None:
    assert text_message(TO, "Hello") == {
        **ENVELOPE, "type": "text", "text": {"body": "Hello", "preview_url": False},
    }


def test_text_message_options() -> None:
    payload = text_message(TO, "see https://x.y", preview_url=True, reply_to="wamid.Q",
                           biz_opaque_callback_data="outbox-42")
    assert payload["text"]["preview_url"] is True
    assert payload["context"] == {"message_id": "wamid.Q"}
    assert payload["biz_opaque_callback_data"] == "outbox-42"


def test_text_body_limits() -> None:
    assert text_message(TO, "x" * 4096)["text"]["body"] == "x" * 4096
    with refused("text body is 4097 characters") as caught:
        text_message(TO, "x" * 4097)
    assert caught.value.message == "text body is 4097 characters; the limit is 4096"
    assert (caught.value.field, caught.value.value_length, caught.value.limit) == (
        "text body", 4097, 4096)
    with refused("text body is empty"):
        text_message(TO, "")


def test_envelope_checks() -> None:
    with refused("biz_opaque_callback_data is 513 characters; the limit is 512"):
        text_message(TO, "x", biz_opaque_callback_data="o" * 513)
    with refused("reply-to message id is empty"):
        text_message(TO, "x", reply_to="")
    with refused("^phone number 'nope'"):
        text_message("nope", "x")


# -- templates -------------------------------------------------------------------------------


def test_template_matches_the_reference_example() -> None:
    payload = template_message(
        TO, "order_update", "en_US",
        header=[media_param("image", link="https://x/y.jpg")],
        body=["Ana", currency_param("$10", "USD", 10000), date_time_param("May 1, 2025")],
        buttons=[quick_reply_button(0, "OK_42"), url_button(1, "o/42")],
    )
    assert payload == {**ENVELOPE, "type": "template", "template": {
        "name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/y.jpg"}}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "Ana"},
                {"type": "currency", "currency": {"fallback_value": "$10", "code": "USD",
                                                  "amount_1000": 10000}},
                {"type": "date_time", "date_time": {"fallback_value": "May 1, 2025"}}]},
            {"type": "button", "sub_type": "quick_reply", "index": "0",
             "parameters": [{"type": "payload", "payload": "OK_42"}]},
            {"type": "button", "sub_type": "url", "index": "1",
             "parameters": [{"type": "text", "text": "o/42"}]},
        ]}}


def test_template_without_variables_has_no_components() -> None:
    assert template_message(TO, "hello_world", "en")["template"] == {
        "name": "hello_world", "language": {"code": "en"}}


def test_named_parameters_carry_their_names() -> None:
    payload = template_message(TO, "greet", "en", header={"order": "#42"},
                               body={"first_name": "Ana", "total": currency_param("$1", "USD", 1000)})
    header, body = payload["template"]["components"]
    assert header["parameters"] == [{"type": "text", "text": "#42", "parameter_name": "order"}]
    assert body["parameters"][0] == {"type": "text", "text": "Ana", "parameter_name": "first_name"}
    assert body["parameters"][1]["parameter_name"] == "total"


def test_other_button_kinds_and_params() -> None:
    payload = template_message(
        TO, "t", "pt_BR", header=[location_param(-1.9, 30.06, "Kigali", "KN 1")],
        buttons=[copy_code_button(0, "SAVE10"), flow_button(1, "tok", {"a": 1})])
    components = payload["template"]["components"]
    assert components[1]["parameters"] == [{"type": "coupon_code", "coupon_code": "SAVE10"}]
    assert components[2]["parameters"][0]["action"] == {"flow_token": "tok",
                                                        "flow_action_data": {"a": 1}}
    assert components[0]["parameters"][0]["location"]["name"] == "Kigali"


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("two\nlines", "body parameter 1 contains a newline"),
        ("a\ttab", "body parameter 1 contains a tab"),
        ("five     spaces", "body parameter 1 has more than 4 spaces in a row"),
        ("", "body parameter 1 is empty"),
    ],
)
def test_text_parameter_rules(value: str, match: str) -> None:
    with refused(match):
        template_message(TO, "t", "en", body=[value])


def test_four_spaces_are_allowed() -> None:
    assert template_message(TO, "t", "en", body=["four    spaces"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "Order_Update"}, "template name 'Order_Update' may hold only"),
        ({"name": "x" * 513}, "template name is 513 characters; the limit is 512"),
        ({"language": "en-US"}, "language code 'en-US' is not like en or en_US"),
        ({"header": ["a", "b"]}, "header has 2 parameters; the limit is 1"),
        ({"header": [currency_param("$1", "USD", 1)]}, "header parameter 1 has type 'currency'"),
        ({"body": [media_param("image", link="https://x")]}, "body parameter 1 has type 'image'"),
        ({"body": [text_param("a", "x"), "b"]}, "body mixes named and positional"),
        ({"body": {"First": "a"}}, "body parameter 1 name 'First'"),
        ({"body": [currency_param("$1", "usd", 1)]}, "currency code 'usd'"),
        ({"body": [currency_param("$1", "USD", 1.5)]}, "amount_1000 must be a whole number"),  # type: ignore[arg-type]
        ({"header": [media_param("image")]}, "needs either a link or a media id"),
        ({"header": [media_param("video", link="ftp://x")]}, "must start with https://"),
        ({"header": [location_param(91, 0)]}, "latitude 91"),
        ({"header": [location_param(float("nan"), 0)]}, "latitude nan"),
        ({"buttons": [quick_reply_button(0, "a"), quick_reply_button(0, "b")]},
         "button at index 0 appears twice"),
        ({"buttons": [quick_reply_button(10, "a")]}, "button index 10 is outside 0..9"),
        ({"buttons": [{**url_button(0, "x"), "sub_type": "URL"}]}, "sub_type 'URL' is not one of"),
        ({"buttons": [{**url_button(0, "x"), "parameters": [{"type": "payload", "payload": "p"}]}]},
         "button at index 0 parameter has type 'payload'"),
        ({"buttons": [url_button(1, "a\nb")]}, "button at index 1 parameter contains a newline"),
        ({"buttons": [copy_code_button(0, "C" * 16)]}, "coupon code is 16 characters; the limit is 15"),
    ],
)
def test_template_refusals(kwargs: dict[str, Any], match: str) -> None:
    args = {"name": "t", "language": "en", **kwargs}
    with refused(match):
        template_message(TO, args.pop("name"), args.pop("language"), **args)


# -- reply buttons ---------------------------------------------------------------------------


def test_button_message_shape() -> None:
    payload = button_message(TO, "Pick one", [("yes", "Yes"), ReplyButton("no", "No")],
                             header="Question", footer="Thanks")
    assert payload == {**ENVELOPE, "type": "interactive", "interactive": {
        "type": "button",
        "header": {"type": "text", "text": "Question"},
        "body": {"text": "Pick one"},
        "footer": {"text": "Thanks"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                               {"type": "reply", "reply": {"id": "no", "title": "No"}}]},
    }}


def test_button_message_media_header() -> None:
    header = {"type": "image", "image": {"id": "123"}}
    assert button_message(TO, "b", [("a", "A")], header=header)["interactive"]["header"] == header


@pytest.mark.parametrize(
    ("buttons", "kwargs", "match"),
    [
        ([], {}, "the message has 0 buttons; at least 1 required"),
        ([(str(i), str(i)) for i in range(4)], {}, "the message has 4 buttons; the limit is 3"),
        ([("a", "A"), ("b", "x" * 23)], {}, "^button 2 title is 23 characters; the limit is 20 "),
        ([("a", "")], {}, "button 1 title is empty"),
        ([("a", "Same"), ("b", "Same")], {}, "button 2 title 'Same' repeats button 1's"),
        ([("a", "A"), ("a", "B")], {}, "button 2 id 'a' repeats button 1's"),
        ([("i" * 257, "A")], {}, "button 1 id is 257 characters; the limit is 256"),
        ([(" a", "A")], {}, "button 1 id ' a' starts or ends with spaces"),
        ([("a", "A")], {"body": "b" * 1025}, "body is 1025 characters; the limit is 1024"),
        ([("a", "A")], {"body": ""}, "body is empty"),
        ([("a", "A")], {"footer": "f" * 61}, "footer is 61 characters; the limit is 60"),
        ([("a", "A")], {"header": "h" * 61}, "header text is 61 characters; the limit is 60"),
        ([("a", "A")], {"header": {"type": "sticker"}}, "header type 'sticker' is not text, image"),
    ],
)
def test_button_refusals(buttons: list[tuple[str, str]], kwargs: dict[str, Any],
                         match: str) -> None:
    body = kwargs.pop("body", "Pick")
    with refused(match):
        button_message(TO, body, buttons, **kwargs)


# -- lists -----------------------------------------------------------------------------------


def rows(n: int, prefix: str = "r") -> list[ListRow]:
    return [ListRow(f"{prefix}{i}", f"Row {i}") for i in range(n)]


def test_list_message_shape() -> None:
    payload = list_message(TO, "Choose", "Options",
                           [ListSection([ListRow("r1", "Row", "desc")], "S1")],
                           header="Menu", footer="f")
    assert payload["interactive"] == {
        "type": "list",
        "header": {"type": "text", "text": "Menu"},
        "body": {"text": "Choose"},
        "footer": {"text": "f"},
        "action": {"button": "Options", "sections": [
            {"title": "S1", "rows": [{"id": "r1", "title": "Row", "description": "desc"}]}]},
    }


def test_a_single_section_needs_no_title() -> None:
    payload = list_message(TO, "b", "Open", [ListSection(rows(10))])
    assert "title" not in payload["interactive"]["action"]["sections"][0]


@pytest.mark.parametrize(
    ("button", "sections", "match"),
    [
        ("x" * 21, [ListSection(rows(1))], "list button text is 21 characters; the limit is 20"),
        ("Open", [], "the list has 0 sections; at least 1 required"),
        ("Open", [ListSection(rows(1, f"s{i}"), f"S{i}") for i in range(11)],
         "the list has 11 sections; the limit is 10"),
        ("Open", [ListSection(rows(6, "a"), "A"), ListSection(rows(5, "b"), "B")],
         "the list has 11 rows; the limit is 10"),
        ("Open", [ListSection(rows(11))], "section 1 has 11 rows; the limit is 10"),
        ("Open", [ListSection(rows(1, "a"), "A"), ListSection(rows(1, "b"))],
         "section 2 title is missing or not text|section 2 title must be text"),
        ("Open", [ListSection(rows(1), "t" * 25)], "section 1 title is 25 characters; the limit is 24"),
        ("Open", [ListSection([])], "section 1 has 0 rows; at least 1 required"),
        ("Open", [ListSection([ListRow("r", "t" * 25)])],
         "section 1 row 1 title is 25 characters; the limit is 24"),
        ("Open", [ListSection([ListRow("r", "t", "d" * 73)])],
         "section 1 row 1 description is 73 characters; the limit is 72"),
        ("Open", [ListSection([ListRow("i" * 201, "t")])],
         "section 1 row 1 id is 201 characters; the limit is 200"),
        ("Open", [ListSection(rows(1), "A"), ListSection(rows(1), "B")],
         "row 2 id 'r0' repeats row 1's"),
    ],
)
def test_list_refusals(button: str, sections: list[ListSection], match: str) -> None:
    with refused(match):
        list_message(TO, "Choose", button, sections)


def test_list_header_is_text_only() -> None:
    interactive = list_message(TO, "b", "Open", [ListSection(rows(1))])["interactive"]
    interactive["header"] = {"type": "image", "image": {"id": "1"}}
    with refused("header type 'image' is not text"):
        validate_message({**ENVELOPE, "type": "interactive", "interactive": interactive})


# -- mark read and raw payloads ----------------------------------------------------------------


def test_mark_read_payload() -> None:
    assert mark_read_payload("wamid.A") == {
        "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.A"}
    assert mark_read_payload("wamid.A", typing_indicator=True)["typing_indicator"] == {
        "type": "text"}
    with refused("message id is empty"):
        mark_read_payload("")


def test_validate_accepts_every_builder_payload_and_normalises_to() -> None:
    built = [
        text_message(TO, "hi"),
        template_message(TO, "t", "en", body=["a"], buttons=[quick_reply_button(0, "p")]),
        button_message(TO, "b", [("a", "A")]),
        list_message(TO, "b", "Open", [ListSection(rows(2))]),
    ]
    for payload in built:
        raw = {**payload, "to": "+1 (555) 123-4567"}
        assert validate_message(raw) == payload
    media = {**ENVELOPE, "to": "+15551234567", "type": "image",
             "image": {"link": "https://x/y.png", "caption": "c"}}
    assert validate_message(media)["to"] == "15551234567"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"messaging_product": "sms"}, "messaging_product must be"),
        ({"recipient_type": "group"}, "recipient_type must be"),
        ({"to": None}, "to is missing"),
        ({"type": "image"}, "type 'image' needs an object"),
        ({"type": "poll", "poll": {}}, "message type 'poll' is not supported"),
        ({"text": {"body": "x" * 4097}}, "text body is 4097 characters"),
        ({"context": {"message_id": ""}}, "reply-to message id is empty"),
    ],
)
def test_validate_refusals(change: dict[str, Any], match: str) -> None:
    payload = {**text_message(TO, "hi"), **change}
    with refused(match):
        validate_message(payload)


def test_validate_checks_media_captions() -> None:
    payload = {**ENVELOPE, "type": "video", "video": {"id": "1", "caption": "c" * 1025}}
    with refused("video caption is 1025 characters; the limit is 1024"):
        validate_message(payload)
