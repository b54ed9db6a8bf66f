from __future__ import annotations

import itertools
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easymo_core.templates import (
    Body,
    Button,
    Footer,
    Header,
    Severity,
    TemplateDefinition,
    errors,
    review,
    review_risks,
    validate_template,
)

from .helpers import by_code, codes, definition


def test_the_baseline_definition_is_clean() -> None:
    assert validate_template(definition()) == []


# --- name, language, category, parameter format ------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "NAME_REQUIRED"),
        ("Order_Update", "NAME_INVALID"),
        ("order-update", "NAME_INVALID"),
        ("order update", "NAME_INVALID"),
        ("x" * 513, "NAME_TOO_LONG"),
    ],
)
def test_bad_names(name: str, code: str) -> None:
    problem = by_code(validate_template(definition(name=name)), code)
    assert problem.field == "name" and problem.severity is Severity.ERROR


@pytest.mark.parametrize("name", ["a", "order_update_2", "x" * 512, "_9"])
def test_good_names(name: str) -> None:
    assert validate_template(definition(name=name)) == []


def test_name_messages_name_the_limit_and_the_culprit() -> None:
    assert by_code(validate_template(definition(name="x" * 530)), "NAME_TOO_LONG").message == (
        "name is 530 characters; the limit is 512"
    )
    assert "'-'" in by_code(validate_template(definition(name="a-b")), "NAME_INVALID").message


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("", "LANGUAGE_REQUIRED"),
        ("english", "LANGUAGE_INVALID"),
        ("en-US", "LANGUAGE_INVALID"),
        ("en_us", "LANGUAGE_INVALID"),
    ],
)
def test_bad_languages(language: str, code: str) -> None:
    assert by_code(validate_template(definition(language=language)), code).field == "language"


@pytest.mark.parametrize("language", ["en", "en_US", "pt_BR", "fil", "zh_CN"])
def test_good_languages(language: str) -> None:
    assert validate_template(definition(language=language)) == []


@pytest.mark.parametrize(
    ("category", "code"),
    [("", "CATEGORY_REQUIRED"), ("PROMO", "CATEGORY_INVALID"), ("utility", "CATEGORY_INVALID")],
)
def test_bad_categories(category: str, code: str) -> None:
    assert by_code(validate_template(definition(category=category)), code).field == "category"


@pytest.mark.parametrize("category", ["MARKETING", "UTILITY", "AUTHENTICATION"])
def test_good_categories(category: str) -> None:
    assert validate_template(definition(category=category)) == []


def test_unknown_parameter_format() -> None:
    problems = validate_template(definition(parameter_format="ORDERED"))
    assert by_code(problems, "PARAMETER_FORMAT_INVALID").field == "parameter_format"


# --- components --------------------------------------------------------------------------


def test_a_second_header_is_an_error() -> None:
    defn = definition(extra_components=[{"type": "HEADER", "format": "TEXT", "text": "Again"}])
    problem = by_code(validate_template(defn), "COMPONENT_REPEATED")
    assert problem.field == "header"
    assert problem.message == "a template has at most 1 header component; found 2"


def test_an_unknown_component_is_not_a_repetition() -> None:
    assert validate_template(definition(extra_components=[{"type": "CAROUSEL"}])) == []


def test_header_text_limits() -> None:
    long_header = Header(format="TEXT", text="x" * 61)
    problem = by_code(validate_template(definition(header=long_header)), "HEADER_TEXT_TOO_LONG")
    assert (problem.field, problem.message) == ("header.text", "header is 61 characters; the limit is 60")
    assert validate_template(definition(header=Header(format="TEXT", text="x" * 60))) == []


def test_header_with_two_variables() -> None:
    header = Header(format="TEXT", text="{{1}} / {{2}} order", examples={"1": "a", "2": "b"})
    problem = by_code(validate_template(definition(header=header)), "HEADER_TOO_MANY_VARS")
    assert problem.message == "header has 2 variables; the limit is 1"


def test_empty_text_header() -> None:
    assert (
        by_code(
            validate_template(definition(header=Header(format="TEXT", text=" "))), "HEADER_TEXT_REQUIRED"
        ).field
        == "header.text"
    )


def test_unknown_header_format() -> None:
    problem = by_code(validate_template(definition(header=Header(format="GIF"))), "HEADER_FORMAT_INVALID")
    assert problem.field == "header.format"


@pytest.mark.parametrize("fmt", ["IMAGE", "VIDEO", "DOCUMENT"])
def test_media_headers_need_a_sample(fmt: str) -> None:
    problem = by_code(validate_template(definition(header=Header(format=fmt))), "HEADER_SAMPLE_MISSING")
    assert problem.field == "header.media"
    assert validate_template(definition(header=Header(format=fmt, media_handle="4::x"))) == []


def test_location_header_needs_no_sample_and_takes_no_text() -> None:
    assert validate_template(definition(header=Header(format="LOCATION"))) == []
    problems = validate_template(definition(header=Header(format="LOCATION", text="Here")))
    assert by_code(problems, "HEADER_TEXT_NOT_ALLOWED").field == "header.text"


def test_body_is_required() -> None:
    problem = by_code(validate_template(definition(body=Body(text="  "))), "BODY_REQUIRED")
    assert problem.field == "body.text"


def test_body_length_message_uses_thousands_separators() -> None:
    problem = by_code(validate_template(definition(body=Body(text="word " * 206 + "x"))), "BODY_TOO_LONG")
    assert problem.message == "body is 1,031 characters; the limit is 1,024"


def test_footer_rules() -> None:
    assert (
        by_code(validate_template(definition(footer=Footer(text="x" * 61))), "FOOTER_TOO_LONG").field
        == "footer.text"
    )
    assert (
        by_code(validate_template(definition(footer=Footer(text="Bye {{1}}"))), "FOOTER_VARS").field
        == "footer.text"
    )
    assert by_code(validate_template(definition(footer=Footer(text=""))), "FOOTER_EMPTY")
    assert validate_template(definition(footer=None)) == []


# --- variables ---------------------------------------------------------------------------


def _body(text: str, **examples: str) -> Body:
    return Body(text=text, examples=examples)


def test_positional_variables_must_be_sequential() -> None:
    body = Body(text="Hi {{1}}, your order {{3}} is ready for pickup.", examples={"1": "a", "3": "b"})
    problem = by_code(validate_template(definition(body=body)), "VARS_NOT_SEQUENTIAL")
    assert problem.field == "body.text"
    assert "missing {{2}}" in problem.message


def test_numbering_is_per_component() -> None:
    # header {{1}} and body {{1}}, {{2}}: each component counts from 1.
    assert validate_template(definition()) == []


def test_order_of_appearance_does_not_matter() -> None:
    body = Body(text="Your order {{2}} for {{1}} ships this week.", examples={"1": "a", "2": "b"})
    assert validate_template(definition(body=body)) == []


def test_zero_and_leading_zeros_are_misnumbered() -> None:
    for text in ("Hi {{0}} and welcome to the shop.", "Hi {{01}} and welcome to the shop."):
        problem = by_code(validate_template(definition(body=Body(text=text))), "VAR_MISNUMBERED")
        assert problem.severity is Severity.ERROR


def test_named_variables_use_lowercase() -> None:
    defn = definition(
        parameter_format="NAMED",
        header=None,
        buttons=[],
        body=Body(text="Hello {{First_Name}}, welcome to our shop.", examples={"First_Name": "Ana"}),
    )
    problem = by_code(validate_template(defn), "VAR_NAME_INVALID")
    assert problem.field == "body.text"


def test_good_named_template() -> None:
    defn = definition(
        parameter_format="NAMED",
        header=Header(format="TEXT", text="For {{who}}", examples={"who": "Ana"}),
        body=Body(
            text="Hello {{first_name}}, your table for {{party_2}} is ready.",
            examples={"first_name": "Ana", "party_2": "two"},
        ),
    )
    assert validate_template(defn) == []


def test_positional_and_named_are_not_mixed_in_one_component() -> None:
    body = Body(text="Hi {{1}}, your order {{order_id}} is ready.", examples={"1": "a", "order_id": "b"})
    problem = by_code(validate_template(definition(body=body)), "VARS_MIXED")
    assert problem.field == "body.text"


def test_positional_and_named_are_not_mixed_across_components() -> None:
    body = Body(text="Hi {{name}}, your order ships on Monday morning.", examples={"name": "Ana"})
    problem = by_code(validate_template(definition(body=body)), "VARS_FORMAT_MISMATCH")
    assert problem.field == "body.text"
    assert "POSITIONAL" in problem.message


def test_variables_must_match_the_parameter_format() -> None:
    problems = validate_template(definition(parameter_format="NAMED"))
    assert [p.field for p in problems if p.code == "VARS_FORMAT_MISMATCH"] == ["header.text", "body.text"]


def test_every_variable_needs_an_example() -> None:
    body = Body(text="Hi {{1}}, your order ships on {{2}}. Reply for help.", examples={"1": "Ana"})
    problem = by_code(validate_template(definition(body=body)), "EXAMPLE_MISSING")
    assert problem.field == "body.examples"
    assert "{{2}}" in problem.message
    header = Header(format="TEXT", text="Order {{1}}", examples={"1": " "})
    assert by_code(validate_template(definition(header=header)), "EXAMPLE_MISSING").field == "header.examples"


def test_stale_examples_are_reported() -> None:
    body = Body(text="Hi {{1}}, your order ships soon. Reply for help.", examples={"1": "a", "2": "b"})
    problem = by_code(validate_template(definition(body=body)), "EXAMPLE_UNUSED")
    assert problem.field == "body.examples"


# --- review risks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello {{1}}{{2}} and thanks for ordering with us today.", "VAR_ADJACENT"),
        ("Hello {{1}} {{2}} and thanks for ordering with us today.", "VAR_ADJACENT"),
        ("{{1}}, thanks for ordering with us today, {{2}}!", "VAR_AT_START"),
        ("  {{1}}, thanks for ordering with us today, {{2}}!", "VAR_AT_START"),
        ("Thanks for ordering with us today, {{1}} and {{2}}", "VAR_AT_END"),
        ("Thanks for ordering with us today, {{1}} and {{2}}\n", "VAR_AT_END"),
        ("Hi {{1}}, see {{2}}.", "VAR_DENSITY"),
        ("Hi {{ 1 }}, thanks for ordering with us, see you {{2}}.", "VAR_SPECIAL_CHARS"),
        ("Hi {{1}}, thanks for ordering {{#2}} with us today.", "VAR_SPECIAL_CHARS"),
        ("Hi {{1}}, thanks for ordering with us {{2} today.", "VAR_MALFORMED"),
    ],
)
def test_review_risks(text: str, code: str) -> None:
    defn = definition(body=Body(text=text, examples={"1": "Ana", "2": "May 1"}))
    problem = by_code(validate_template(defn), code)
    assert problem.severity is Severity.REVIEW_RISK
    assert problem.rejected_reason == "INVALID_FORMAT"
    assert problem.field == "body.text"


def test_punctuation_after_the_last_variable_is_enough() -> None:
    body = Body(text="Your verification code is {{1}}.", examples={"1": "123"})
    assert validate_template(definition(body=body)) == []


def test_variable_density_threshold_is_two_words_per_variable() -> None:
    two_words = Body(text="Hi there {{1}}.", examples={"1": "Ana"})
    one_word = Body(text="Hi {{1}}.", examples={"1": "Ana"})
    assert validate_template(definition(body=two_words)) == []
    problem = by_code(validate_template(definition(body=one_word)), "VAR_DENSITY")
    assert "1 variables and 1 words" in problem.message


# --- buttons -----------------------------------------------------------------------------


def _qr(text: str = "Yes") -> Button:
    return Button(type="QUICK_REPLY", text=text)


def _url(url: str = "https://ex.com/o/{{1}}", example: str | None = "https://ex.com/o/42") -> Button:
    return Button(type="URL", text="Open", url=url, example=example)


def test_at_most_ten_buttons() -> None:
    problems = validate_template(definition(buttons=[_qr()] * 11))
    assert by_code(problems, "BUTTONS_TOO_MANY").message == "the template has 11 buttons; the limit is 10"
    assert by_code(problems, "QUICK_REPLY_BUTTONS_TOO_MANY").field == "buttons"
    assert validate_template(definition(buttons=[_qr()] * 10)) == []


@pytest.mark.parametrize(
    ("buttons", "code"),
    [
        ([_url(), _url(), _url()], "URL_BUTTONS_TOO_MANY"),
        (
            [Button(type="PHONE_NUMBER", text="Call", phone_number="+1555")] * 2,
            "PHONE_NUMBER_BUTTONS_TOO_MANY",
        ),
        ([Button(type="COPY_CODE", example="A")] * 2, "COPY_CODE_BUTTONS_TOO_MANY"),
    ],
)
def test_per_type_button_limits(buttons: list[Button], code: str) -> None:
    assert by_code(validate_template(definition(buttons=buttons)), code).field == "buttons"
    assert code not in codes(validate_template(definition(buttons=buttons[:-1])))


def test_button_text_rules() -> None:
    problems = validate_template(definition(buttons=[_qr("x" * 26), _qr(""), _qr("Hi {{1}}")]))
    assert by_code(problems, "BUTTON_TEXT_TOO_LONG").field == "buttons[0].text"
    assert by_code(problems, "BUTTON_TEXT_REQUIRED").field == "buttons[1].text"
    assert by_code(problems, "BUTTON_TEXT_VARS").field == "buttons[2].text"
    assert validate_template(definition(buttons=[_qr("x" * 25)])) == []


def test_copy_code_buttons_need_no_text_but_a_short_code() -> None:
    assert validate_template(definition(buttons=[Button(type="COPY_CODE", example="SPRING25")])) == []
    problems = validate_template(definition(buttons=[Button(type="COPY_CODE", example="X" * 16)]))
    assert by_code(problems, "COPY_CODE_TOO_LONG").field == "buttons[0].example"
    problems = validate_template(definition(buttons=[Button(type="COPY_CODE")]))
    assert by_code(problems, "EXAMPLE_MISSING").field == "buttons[0].example"


def test_phone_buttons() -> None:
    problems = validate_template(definition(buttons=[Button(type="PHONE_NUMBER", text="Call")]))
    assert by_code(problems, "PHONE_REQUIRED").field == "buttons[0].phone_number"
    long_phone = Button(type="PHONE_NUMBER", text="Call", phone_number="+1" + "5" * 19)
    assert by_code(validate_template(definition(buttons=[long_phone])), "PHONE_TOO_LONG")


def test_flow_buttons_need_a_flow() -> None:
    assert (
        by_code(
            validate_template(definition(buttons=[Button(type="FLOW", text="Book")])), "FLOW_REQUIRED"
        ).field
        == "buttons[0].flow_id"
    )
    assert validate_template(definition(buttons=[Button(type="FLOW", text="Book", flow_id="12")])) == []
    by_name = Button(type="FLOW", text="Book", extra={"flow_name": "booking"})
    assert validate_template(definition(buttons=[by_name])) == []


def test_unknown_button_type() -> None:
    problems = validate_template(definition(buttons=[Button(type="OTP", text="Copy")]))
    assert by_code(problems, "BUTTON_TYPE_INVALID").field == "buttons[0].type"


@pytest.mark.parametrize(
    ("button", "code", "field"),
    [
        (_url(url=""), "URL_REQUIRED", "buttons[0].url"),
        (_url(url="ftp://ex.com/{{1}}"), "URL_INVALID", "buttons[0].url"),
        (_url(url="https://ex.com/{{1}}/{{2}}"), "URL_TOO_MANY_VARS", "buttons[0].url"),
        (_url(url="https://ex.com/{{1}}/track"), "URL_VAR_NOT_AT_END", "buttons[0].url"),
        (_url(url="https://ex.com/{{id}}"), "URL_VAR_INVALID", "buttons[0].url"),
        (_url(example=None), "EXAMPLE_MISSING", "buttons[0].example"),
        (_url(url="https://ex.com/" + "a" * 1990 + "{{1}}"), "URL_TOO_LONG", "buttons[0].url"),
    ],
)
def test_url_buttons(button: Button, code: str, field: str) -> None:
    assert by_code(validate_template(definition(buttons=[button])), code).field == field


def test_static_url_needs_no_example() -> None:
    assert validate_template(definition(buttons=[_url(url="https://ex.com/spring", example=None)])) == []


@pytest.mark.parametrize(
    ("kinds", "ok"),
    [("QQU", True), ("UQQ", True), ("UPQQ", True), ("QUQ", False), ("UQU", False), ("QQUPQ", False)],
)
def test_quick_replies_are_grouped(kinds: str, ok: bool) -> None:
    make = {
        "Q": _qr(),
        "U": _url(url="https://ex.com/spring", example=None),
        "P": Button(type="PHONE_NUMBER", text="Call", phone_number="+1555"),
    }
    problems = validate_template(definition(buttons=[make[k] for k in kinds]))
    assert ("BUTTONS_INTERLEAVED" not in codes(problems)) is ok


def test_interleaving_points_at_the_button_that_breaks_the_group() -> None:
    problems = validate_template(definition(buttons=[_qr(), _url(), _qr()]))
    assert by_code(problems, "BUTTONS_INTERLEAVED").field == "buttons[2].type"


# --- severity split and review decision --------------------------------------------------


def test_errors_and_review_risks_are_split() -> None:
    defn = definition(
        name="Bad Name", body=Body(text="{{1}} thanks for ordering with us today.", examples={"1": "Ana"})
    )
    problems = validate_template(defn)
    assert codes(errors(problems)) == ["NAME_INVALID"]
    assert codes(review_risks(problems)) == ["VAR_AT_START"]


def test_review_approves_clean_templates_and_rejects_risky_ones() -> None:
    assert review(definition()).status == "APPROVED"
    assert review(definition()).rejected_reason == "NONE"
    risky = review(definition(body=Body(text="{{1}}{{2}}", examples={"1": "a", "2": "b"})))
    assert (risky.status, risky.rejected_reason, risky.approved) == ("REJECTED", "INVALID_FORMAT", False)
    assert {"VAR_ADJACENT", "VAR_AT_START", "VAR_AT_END", "VAR_DENSITY"} <= set(codes(list(risky.problems)))


def test_problems_follow_the_editor_field_order() -> None:
    defn = TemplateDefinition(buttons=[_qr("")])
    fields = [p.field for p in validate_template(defn)]
    assert fields == ["name", "language", "category", "body.text", "buttons[0].text"]


# --- property tests of the limits --------------------------------------------------------

_plain_text = st.text(alphabet=string.ascii_letters + " ", min_size=1).filter(lambda s: s.strip() != "")


@given(st.integers(min_value=1, max_value=1500))
def test_body_limit_property(extra: int) -> None:
    text = ("Thanks for your order " * 80)[: extra - 1] + "."
    problems = validate_template(definition(body=Body(text=text)))
    assert ("BODY_TOO_LONG" in codes(problems)) is (len(text) > 1024)


@given(_plain_text.map(lambda s: s[:120]))
def test_header_limit_property(text: str) -> None:
    problems = validate_template(definition(header=Header(format="TEXT", text=text)))
    assert ("HEADER_TEXT_TOO_LONG" in codes(problems)) is (len(text) > 60)


@given(_plain_text.map(lambda s: s[:120]))
def test_footer_limit_property(text: str) -> None:
    problems = validate_template(definition(footer=Footer(text=text)))
    assert ("FOOTER_TOO_LONG" in codes(problems)) is (len(text) > 60)


@given(_plain_text.map(lambda s: s[:50]))
def test_button_text_limit_property(text: str) -> None:
    problems = validate_template(definition(buttons=[_qr(text)]))
    assert ("BUTTON_TEXT_TOO_LONG" in codes(problems)) is (len(text) > 25)


@given(st.text(alphabet="abcxyz019_-A .", min_size=1, max_size=600))
def test_name_rule_property(name: str) -> None:
    problems = validate_template(definition(name=name))
    valid = len(name) <= 512 and all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in name)
    assert (problems == []) is valid


@given(st.lists(st.sampled_from(["Q", "U", "P", "C"]), max_size=14))
def test_button_count_properties(kinds: list[str]) -> None:
    make = {
        "Q": _qr(),
        "U": _url(url="https://ex.com/spring", example=None),
        "P": Button(type="PHONE_NUMBER", text="Call", phone_number="+1555"),
        "C": Button(type="COPY_CODE", example="SAVE"),
    }
    found = set(codes(validate_template(definition(buttons=[make[k] for k in kinds]))))
    assert ("BUTTONS_TOO_MANY" in found) is (len(kinds) > 10)
    assert ("URL_BUTTONS_TOO_MANY" in found) is (kinds.count("U") > 2)
    assert ("PHONE_NUMBER_BUTTONS_TOO_MANY" in found) is (kinds.count("P") > 1)
    assert ("COPY_CODE_BUTTONS_TOO_MANY" in found) is (kinds.count("C") > 1)
    is_reply = [k == "Q" for k in kinds]
    switches = sum(1 for a, b in itertools.pairwise(is_reply) if a != b)
    assert ("BUTTONS_INTERLEAVED" in found) is (switches > 1)


@given(st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=6))
def test_sequential_numbering_property(numbers: list[int]) -> None:
    text = "Dear customer, " + ", then ".join(f"value {{{{{n}}}}} here" for n in numbers) + ". Thanks."
    body = Body(text=text, examples={str(n): "x" for n in numbers})
    found = codes(validate_template(definition(body=body)))
    assert ("VARS_NOT_SEQUENTIAL" in found) is (set(numbers) != set(range(1, max(numbers) + 1)))


def test_graph_json_is_accepted_as_well() -> None:
    """The sandbox validates create requests as they arrive, before building a model."""
    graph = definition(body=Body(text="{{1}} is here.", examples={"1": "Ana"})).to_create_payload()
    assert codes(validate_template(graph)) == codes(validate_template(TemplateDefinition.from_graph(graph)))
    assert review(graph).rejected_reason == "INVALID_FORMAT"
