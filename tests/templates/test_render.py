from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easymo_core.templates import (
    Body,
    Button,
    Currency,
    DateTime,
    Header,
    Location,
    Media,
    RenderedButton,
    RenderedMessage,
    TemplateDefinition,
    TemplateParameterError,
    TemplateParams,
    check_parameters,
    params_from_components,
    render_plain_text,
    render_preview,
    send_components,
)
from easymo_core.templates.sample_data import sample_template

from .helpers import definition


def _sample(name: str, language: str = "en_US") -> TemplateDefinition:
    return TemplateDefinition.from_graph(sample_template(name, language))


# --- send components ---------------------------------------------------------------------


def test_positional_send_components() -> None:
    params = TemplateParams.of(header=["#42"], body=["Ana", "May 1"], buttons={0: "HELP_42", 1: "o/42"})
    assert send_components(_sample("order_update"), params) == [
        {"type": "header", "parameters": [{"type": "text", "text": "#42"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "May 1"}]},
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "HELP_42"}],
        },
        {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "o/42"}]},
    ]


def test_positional_parameters_go_in_numeric_order() -> None:
    body = Body(text="Order {{2}} for {{1}} ships this week.", examples={"1": "Ana", "2": "#4"})
    defn = definition(header=None, buttons=[], body=body)
    components = send_components(defn, TemplateParams.of(body={"2": "#4", "1": "Ana"}))
    assert components == [
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#4"}]}
    ]


def test_named_send_components_carry_parameter_name() -> None:
    body = {"time": "10:00", "first_name": "Ana", "provider": "Dr. Lee", "date": "May 1"}
    components = send_components(_sample("appointment_reminder"), TemplateParams.of(body=body))
    assert components == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Ana", "parameter_name": "first_name"},
                {"type": "text", "text": "Dr. Lee", "parameter_name": "provider"},
                {"type": "text", "text": "May 1", "parameter_name": "date"},
                {"type": "text", "text": "10:00", "parameter_name": "time"},
            ],
        }
    ]


def test_media_header_currency_date_and_copy_code() -> None:
    params = TemplateParams.of(
        header_object=Media(link="https://x/y.jpg", filename="ignored.jpg"),
        body=[DateTime("May 1"), Currency("$10", "USD", 10000)],
        buttons={1: "SPRING25"},
    )
    assert send_components(_sample("promo_spring"), params) == [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/y.jpg"}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "date_time", "date_time": {"fallback_value": "May 1"}},
                {
                    "type": "currency",
                    "currency": {"fallback_value": "$10", "code": "USD", "amount_1000": 10000},
                },
            ],
        },
        {
            "type": "button",
            "sub_type": "copy_code",
            "index": "1",
            "parameters": [{"type": "coupon_code", "coupon_code": "SPRING25"}],
        },
    ]


def test_document_and_location_headers() -> None:
    doc = definition(header=Header(format="DOCUMENT", media_handle="4::x"), buttons=[])
    params = TemplateParams.of(body=["Ana", "May 1"], header_object=Media(id="77", filename="invoice.pdf"))
    assert send_components(doc, params)[0] == {
        "type": "header",
        "parameters": [{"type": "document", "document": {"id": "77", "filename": "invoice.pdf"}}],
    }
    place = definition(header=Header(format="LOCATION"), buttons=[])
    params = TemplateParams.of(body=["Ana", "May 1"], header_object=Location(38.7, -9.1, "Shop"))
    assert send_components(place, params)[0] == {
        "type": "header",
        "parameters": [
            {"type": "location", "location": {"latitude": 38.7, "longitude": -9.1, "name": "Shop"}}
        ],
    }


def test_flow_button_token() -> None:
    defn = definition(buttons=[Button(type="FLOW", text="Book", flow_id="12")])
    components = send_components(
        defn, TemplateParams.of(header=["#1"], body=["Ana", "May 1"], buttons={0: "tok-1"})
    )
    assert components[-1] == {
        "type": "button",
        "sub_type": "flow",
        "index": "0",
        "parameters": [{"type": "action", "action": {"flow_token": "tok-1"}}],
    }


def test_template_without_variables_has_no_components() -> None:
    assert send_components(_sample("hello_world"), TemplateParams()) == []


def test_bad_parameters_build_nothing() -> None:
    with pytest.raises(TemplateParameterError) as raised:
        send_components(_sample("order_update"), TemplateParams.of(body=["Ana"]))
    assert {p.code for p in raised.value.problems} == {"PARAM_COUNT"}
    assert "(and 2 more)" in raised.value.message


# --- reading components back (the sandbox side) ------------------------------------------


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("order_update", TemplateParams.of(header=["#42"], body=["Ana", "May 1"], buttons={0: "P", 1: "42"})),
        (
            "appointment_reminder",
            TemplateParams.of(body={"first_name": "A", "provider": "B", "date": "C", "time": "D"}),
        ),
        (
            "promo_spring",
            TemplateParams.of(
                header_object=Media(id="9"), body=["Ana", Currency("$1", "USD", 1000)], buttons={1: "CODE"}
            ),
        ),
        ("hello_world", TemplateParams()),
    ],
)
def test_params_from_components_inverts_send_components(name: str, params: TemplateParams) -> None:
    defn = _sample(name)
    assert params_from_components(defn, send_components(defn, params)) == params


def test_received_count_mismatch_is_found_by_check_parameters() -> None:
    defn = _sample("order_update")
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]
    params = params_from_components(defn, components)
    assert {p.graph_code for p in check_parameters(defn, params)} == {132000}


@pytest.mark.parametrize(
    "components",
    [
        [{"type": "footer", "parameters": []}],
        [{"type": "body", "parameters": [{"type": "text"}]}],
        [{"type": "body", "parameters": [{"type": "currency", "currency": {"code": "USD"}}]}],
        [
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "1",
                "parameters": [{"type": "text", "text": "42"}],
            }
        ],
        [{"type": "button", "sub_type": "url", "index": "x", "parameters": []}],
        [{"type": "button", "sub_type": "url", "index": "1", "parameters": []}],
        [{"type": "header", "parameters": [{"type": "location", "location": {"latitude": "north"}}]}],
    ],
)
def test_malformed_received_components_are_refused(components: list[dict]) -> None:
    with pytest.raises(TemplateParameterError):
        params_from_components(_sample("order_update"), components)


def test_named_parameters_need_a_name_and_appear_once() -> None:
    defn = _sample("appointment_reminder")
    unnamed = [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]
    with pytest.raises(TemplateParameterError, match="parameter_name"):
        params_from_components(defn, unnamed)
    twice = [{"type": "body", "parameters": [{"type": "text", "text": "A", "parameter_name": "date"}] * 2}]
    with pytest.raises(TemplateParameterError, match="twice"):
        params_from_components(defn, twice)


# --- previews ----------------------------------------------------------------------------


def test_preview_with_the_template_examples() -> None:
    assert render_preview(_sample("order_update")) == RenderedMessage(
        header="Order #4521",
        header_format="TEXT",
        body="Hi Ana, your order has shipped and should arrive by May 14. Tap below to track it, "
        "or reply if you need help.",
        footer="easyMO Shop",
        buttons=[
            RenderedButton("QUICK_REPLY", "Need help"),
            RenderedButton("URL", "Track order", "https://shop.example.com/orders/4521"),
        ],
    )


def test_preview_keeps_unfilled_variables_visible() -> None:
    rendered = render_preview(_sample("order_update"), TemplateParams.of(body={"1": "Ana"}))
    assert rendered.header == "Order {{1}}"
    assert rendered.body.startswith("Hi Ana, ") and "{{2}}" in rendered.body
    assert rendered.buttons[1].target == "https://shop.example.com/orders/{{1}}"


def test_preview_of_media_phone_and_copy_code() -> None:
    promo = render_preview(_sample("promo_spring"))
    assert (promo.header, promo.header_format) == (None, "IMAGE")
    assert promo.buttons[1] == RenderedButton("COPY_CODE", "Copy code", "SPRING25")
    reminder = render_preview(_sample("appointment_reminder"))
    assert reminder.buttons[2] == RenderedButton("PHONE_NUMBER", "Call the clinic", "+15550100123")
    assert reminder.footer is None


def test_preview_shows_the_fallback_of_currency_values() -> None:
    params = TemplateParams.of(body=["Ana", Currency("25 €", "EUR", 25000)])
    assert "*25 € off*" in render_preview(_sample("promo_spring"), params).body


def test_plain_text_fallback() -> None:
    params = TemplateParams.of(header=["#42"], body=["Ana", "May 1"], buttons={1: "42"})
    assert render_plain_text(_sample("order_update"), params) == (
        "Order #42\n\n"
        "Hi Ana, your order has shipped and should arrive by May 1. Tap below to track it, "
        "or reply if you need help.\n\n"
        "easyMO Shop\n\n"
        "[Need help]\n"
        "Track order: https://shop.example.com/orders/42"
    )


def test_plain_text_keeps_formatting_media_link_and_copy_code() -> None:
    params = TemplateParams.of(
        header_object=Media(link="https://x/y.jpg"), body=["Ana", "25%"], buttons={1: "SPRING25"}
    )
    text = render_plain_text(_sample("promo_spring"), params)
    assert text.startswith("https://x/y.jpg\n\nSpring is here, Ana! Enjoy *25% off* everything")
    assert text.endswith(
        "Reply STOP to opt out\n\nShop now: https://shop.example.com/spring\nCopy code: SPRING25"
    )


def test_plain_text_groups_quick_replies_on_one_line_and_drops_flows() -> None:
    buttons = [
        Button(type="QUICK_REPLY", text="Great"),
        Button(type="QUICK_REPLY", text="Not good"),
        Button(type="FLOW", text="Survey", flow_id="1"),
    ]
    text = render_plain_text(definition(buttons=buttons, footer=None))
    assert text.endswith("May 1. Reply if you need any help.\n\n[Great] [Not good]")


def test_plain_text_of_hello_world() -> None:
    assert render_plain_text(_sample("hello_world")) == (
        "Hello World\n\nWelcome and congratulations!! This message demonstrates your ability to send a "
        "WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the "
        "time to test with us.\n\nWhatsApp Business Platform sample message"
    )


_value = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "" and "{" not in s)


@given(_value, _value)
def test_preview_fills_every_variable_with_its_value(first: str, second: str) -> None:
    defn = _sample("order_update")
    rendered = render_preview(defn, TemplateParams.of(body=[first, second]))
    assert rendered.body == defn.body.text.replace("{{1}}", first).replace("{{2}}", second)
