from __future__ import annotations

import copy
import json

import pytest

from easymo_core.templates import Button, Header, TemplateDefinition, TemplateFormatError
from easymo_core.templates.sample_data import sample_templates

# The create example of CLOUDAPI.md §3, as Meta documents it.
CLOUDAPI_EXAMPLE = {
    "name": "order_update",
    "language": "en_US",
    "category": "UTILITY",
    "parameter_format": "POSITIONAL",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#42"]}},
        {"type": "BODY", "text": "Hi {{1}}, ships {{2}}.", "example": {"body_text": [["Ana", "May 1"]]}},
        {"type": "FOOTER", "text": "Thanks"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Track"},
                {
                    "type": "URL",
                    "text": "Open",
                    "url": "https://ex.com/o/{{1}}",
                    "example": ["https://ex.com/o/42"],
                },
            ],
        },
    ],
}


@pytest.mark.parametrize("data", sample_templates(), ids=lambda d: f"{d['name']}-{d['language']}")
def test_every_sample_round_trips_exactly(data: dict) -> None:
    assert TemplateDefinition.from_graph(data).to_graph() == data


def test_cloudapi_example_reads_into_typed_fields_and_round_trips() -> None:
    defn = TemplateDefinition.from_graph(CLOUDAPI_EXAMPLE)
    assert defn.header is not None
    assert (defn.header.format, defn.header.text, defn.header.examples) == (
        "TEXT",
        "Order {{1}}",
        {"1": "#42"},
    )
    assert defn.body.examples == {"1": "Ana", "2": "May 1"}
    assert defn.footer is not None and defn.footer.text == "Thanks"
    assert defn.buttons[1] == Button(
        type="URL", text="Open", url="https://ex.com/o/{{1}}", example="https://ex.com/o/42"
    )
    assert defn.id is None and defn.status is None
    assert defn.to_graph() == CLOUDAPI_EXAMPLE
    assert defn.to_create_payload() == CLOUDAPI_EXAMPLE


def test_create_payload_leaves_out_read_only_fields() -> None:
    data = sample_templates()[0]
    payload = TemplateDefinition.from_graph(data).to_create_payload()
    assert set(payload) == {"name", "language", "category", "parameter_format", "components"}


def test_named_examples_round_trip_in_body_and_header() -> None:
    data = {
        "name": "n",
        "language": "en",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "For {{who}}",
                "example": {"header_text_named_params": [{"param_name": "who", "example": "Ana"}]},
            },
            {
                "type": "BODY",
                "text": "Dear {{first_name}}, see you on {{day}} at the shop.",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "first_name", "example": "Ana"},
                        {"param_name": "day", "example": "Monday"},
                    ]
                },
            },
        ],
    }
    defn = TemplateDefinition.from_graph(data)
    assert defn.body.examples == {"first_name": "Ana", "day": "Monday"}
    assert defn.header is not None and defn.header.examples == {"who": "Ana"}
    assert defn.to_graph() == data


def test_unknown_fields_are_kept_at_every_level() -> None:
    data = copy.deepcopy(CLOUDAPI_EXAMPLE)
    data.update(id="42", status="APPROVED", sub_category="ORDER_DETAILS", previous_category="MARKETING")
    data["quality_score"] = {"score": "GREEN", "date": 1714550005, "reasons": ["x"]}
    header, body, _footer, buttons = data["components"]
    header["new_header_flag"] = True
    header["example"]["header_future"] = [1]
    body["add_security_recommendation"] = True
    buttons["buttons"][0]["payload_hint"] = "TRACK"
    buttons["buttons_layout"] = "grid"
    buttons["buttons"].append({"type": "FLOW", "text": "Book", "flow_id": "991", "flow_action": "navigate"})
    data["components"].append({"type": "CAROUSEL", "cards": [{"components": []}]})

    defn = TemplateDefinition.from_graph(data)

    assert defn.extra == {"sub_category": "ORDER_DETAILS", "previous_category": "MARKETING"}
    assert defn.buttons[2].extra == {"flow_action": "navigate"}
    assert defn.extra_components == [{"type": "CAROUSEL", "cards": [{"components": []}]}]
    assert defn.to_graph() == data


def test_unknown_button_types_are_kept() -> None:
    data = copy.deepcopy(CLOUDAPI_EXAMPLE)
    otp = {"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}
    data["components"][3]["buttons"] = [otp]
    defn = TemplateDefinition.from_graph(data)
    assert defn.buttons[0].type == "OTP"
    assert defn.to_graph()["components"][3]["buttons"] == [otp]


def test_a_repeated_component_is_kept_for_the_validator_not_dropped() -> None:
    data = copy.deepcopy(CLOUDAPI_EXAMPLE)
    second = {"type": "HEADER", "format": "TEXT", "text": "Again"}
    data["components"].insert(1, second)
    defn = TemplateDefinition.from_graph(data)
    assert defn.header is not None and defn.header.text == "Order {{1}}"
    assert defn.extra_components == [second]


def test_media_header_sample_handle_is_read_and_written() -> None:
    header = {"type": "HEADER", "format": "VIDEO", "example": {"header_handle": ["4::abc"]}}
    parsed = Header.from_graph(header)
    assert parsed.media_handle == "4::abc"
    assert parsed.example_extra == {}
    assert parsed.to_graph() == header


def test_copy_code_example_is_a_string_and_url_example_a_list() -> None:
    copy_code = Button(type="COPY_CODE", example="SAVE10").to_graph()
    url = Button(type="URL", text="Go", url="https://x.com/{{1}}", example="https://x.com/1").to_graph()
    assert copy_code == {"type": "COPY_CODE", "example": "SAVE10"}
    assert url["example"] == ["https://x.com/1"]


def test_missing_parameter_format_is_inferred_from_the_text() -> None:
    """Meta's list call returns parameter_format only when asked for it."""
    named = {"name": "a", "components": [{"type": "BODY", "text": "Hi {{first_name}}, welcome here."}]}
    positional = {"name": "b", "components": [{"type": "BODY", "text": "Hi {{1}}, welcome here."}]}
    plain = {"name": "c", "components": [{"type": "BODY", "text": "Hello there."}]}
    assert TemplateDefinition.from_graph(named).parameter_format == "NAMED"
    assert TemplateDefinition.from_graph(positional).parameter_format == "POSITIONAL"
    assert TemplateDefinition.from_graph(plain).parameter_format == "POSITIONAL"


def test_missing_fields_give_an_empty_draft_not_a_crash() -> None:
    defn = TemplateDefinition.from_graph({})
    assert (defn.name, defn.language, defn.category, defn.body.text) == ("", "", "", "")
    assert defn.header is None and defn.footer is None and defn.buttons == []


def test_an_unreadable_quality_date_goes_back_as_it_came() -> None:
    data = {"name": "a", "components": [], "quality_score": {"score": "RED", "date": "yesterday"}}
    defn = TemplateDefinition.from_graph(data)
    assert defn.quality is not None and defn.quality.date is None
    assert defn.to_graph()["quality_score"] == {"score": "RED", "date": "yesterday"}


@pytest.mark.parametrize("bad", [[], "template", 3])
def test_non_objects_are_refused(bad: object) -> None:
    with pytest.raises(TemplateFormatError):
        TemplateDefinition.from_graph(bad)  # type: ignore[arg-type]


def test_components_that_are_not_a_list_of_objects_are_refused() -> None:
    with pytest.raises(TemplateFormatError, match="components"):
        TemplateDefinition.from_graph({"name": "a", "components": ["BODY"]})


def test_from_graph_does_not_share_state_with_the_input() -> None:
    data = copy.deepcopy(CLOUDAPI_EXAMPLE)
    data["mystery"] = {"nested": [1]}
    defn = TemplateDefinition.from_graph(data)
    data["mystery"]["nested"].append(2)
    out = defn.to_graph()
    out["mystery"]["nested"].append(3)
    assert defn.extra == {"mystery": {"nested": [1]}}


def test_graph_json_is_json_serialisable() -> None:
    for data in sample_templates():
        text = json.dumps(TemplateDefinition.from_graph(data).to_graph())
        assert json.loads(text) == data
