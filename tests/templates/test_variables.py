from __future__ import annotations

import pytest

from easymo_core.templates import (
    Body,
    Button,
    Currency,
    DateTime,
    Header,
    Location,
    Media,
    TemplateDefinition,
    TemplateParams,
    check_parameters,
    example_parameters,
    placeholders,
    required_parameters,
    substitute,
)
from easymo_core.templates.sample_data import sample_template
from easymo_core.templates.variables import variables

from .helpers import by_code, codes, definition


def test_placeholders_keep_order_and_repeats() -> None:
    assert placeholders("{{2}} and {{1}} and {{2}}") == ["2", "1", "2"]
    assert placeholders("Hi {{ first_name }}!") == ["first_name"]
    assert placeholders(None) == [] and placeholders("") == []


def test_variables_are_distinct_in_send_order() -> None:
    assert variables("{{2}} then {{1}} then {{2}}") == ("1", "2")
    assert variables("{{10}} {{9}} {{1}}") == ("1", "9", "10")
    assert variables("{{b}} {{a}} {{b}}") == ("b", "a")


def test_required_parameters_per_component() -> None:
    req = required_parameters(TemplateDefinition.from_graph(sample_template("order_update")))
    assert req.header == ("1",)
    assert req.header_object is None
    assert req.body == ("1", "2")
    assert dict(req.buttons) == {1: "URL"}
    assert req.count == 4


def test_required_parameters_of_named_media_and_copy_code_templates() -> None:
    named = required_parameters(TemplateDefinition.from_graph(sample_template("appointment_reminder")))
    assert named.body == ("first_name", "provider", "date", "time")
    assert named.header == () and dict(named.buttons) == {}
    promo = required_parameters(TemplateDefinition.from_graph(sample_template("promo_spring")))
    assert promo.header_object == "IMAGE"
    assert dict(promo.buttons) == {1: "COPY_CODE"}  # the static URL button takes nothing


def test_hello_world_needs_nothing() -> None:
    req = required_parameters(TemplateDefinition.from_graph(sample_template("hello_world")))
    assert req.count == 0


def test_substitute_fills_known_values_and_keeps_the_rest() -> None:
    assert substitute("Hi {{1}}, order {{2}}", {"1": "Ana"}) == "Hi Ana, order {{2}}"
    assert substitute("Hi {{ name }}", {"name": "Ana"}) == "Hi Ana"


def test_substitute_does_not_substitute_values_again() -> None:
    assert substitute("{{1}} / {{2}}", {"1": "{{2}}", "2": "x"}) == "{{2}} / x"


def test_example_parameters_come_from_the_template() -> None:
    params = example_parameters(TemplateDefinition.from_graph(sample_template("order_update")))
    assert params == TemplateParams(
        header={"1": "#4521"}, body={"1": "Ana", "2": "May 14"}, buttons={1: "4521"}
    )


def test_example_url_suffix_when_only_the_suffix_was_given() -> None:
    defn = definition(buttons=[Button(type="URL", text="Go", url="https://ex.com/o/{{1}}", example="77")])
    assert example_parameters(defn).buttons == {0: "77"}


def test_example_parameters_leave_out_what_has_no_example() -> None:
    defn = definition(body=Body(text="Hi {{1}} and {{2}} at the shop", examples={"1": "Ana"}))
    assert example_parameters(defn).body == {"1": "Ana"}


def test_examples_pass_the_parameter_check_for_every_text_sample() -> None:
    for name, language in [
        ("order_update", "en_US"),
        ("order_update", "fr"),
        ("appointment_reminder", "en_US"),
        ("verification_code", "en_US"),
    ]:
        defn = TemplateDefinition.from_graph(sample_template(name, language))
        assert check_parameters(defn, example_parameters(defn)) == []


# --- check_parameters --------------------------------------------------------------------


def _order() -> TemplateDefinition:
    return TemplateDefinition.from_graph(sample_template("order_update"))


def _good() -> TemplateParams:
    return TemplateParams.of(header=["#1"], body=["Ana", "May 1"], buttons={1: "42"})


def test_exact_parameters_pass() -> None:
    assert check_parameters(_order(), _good()) == []


def test_missing_body_parameter_is_132000() -> None:
    params = TemplateParams.of(header=["#1"], body=["Ana"], buttons={1: "42"})
    problem = by_code(check_parameters(_order(), params), "PARAM_COUNT")
    assert (problem.field, problem.graph_code) == ("body.parameters", 132000)
    assert problem.message == "body needs 2 parameters ({{1}}, {{2}}); got 1 — missing {{2}}"


def test_extra_body_parameter_is_132000() -> None:
    params = TemplateParams.of(header=["#1"], body=["Ana", "May 1", "extra"], buttons={1: "42"})
    problem = by_code(check_parameters(_order(), params), "PARAM_COUNT")
    assert "unexpected {{3}}" in problem.message


def test_parameters_for_a_template_without_variables_are_refused() -> None:
    hello = TemplateDefinition.from_graph(sample_template("hello_world"))
    problems = check_parameters(hello, TemplateParams.of(body=["x"]))
    assert by_code(problems, "PARAM_COUNT").message == "body needs 0 parameters; got 1 — unexpected {{1}}"


def test_named_parameters_are_matched_by_name() -> None:
    defn = TemplateDefinition.from_graph(sample_template("appointment_reminder"))
    good = {"first_name": "Ana", "provider": "Dr. Lee", "date": "May 1", "time": "10:00"}
    assert check_parameters(defn, TemplateParams.of(body=good)) == []
    wrong = {**good, "firstname": "Ana"}
    del wrong["first_name"]
    problem = by_code(check_parameters(defn, TemplateParams.of(body=wrong)), "PARAM_COUNT")
    assert "missing {{first_name}}" in problem.message and "unexpected {{firstname}}" in problem.message


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "PARAM_EMPTY"),
        ("   ", "PARAM_EMPTY"),
        ("a\nb", "PARAM_NEWLINE"),
        ("a\tb", "PARAM_NEWLINE"),
        ("a     b", "PARAM_SPACES"),
    ],
)
def test_text_parameter_rules(value: str, code: str) -> None:
    params = TemplateParams.of(header=["#1"], body=["Ana", value], buttons={1: "42"})
    problem = by_code(check_parameters(_order(), params), code)
    assert problem.field == "body.parameters.2"
    assert problem.graph_code is not None


def test_four_spaces_in_a_row_are_allowed() -> None:
    params = TemplateParams.of(header=["#1"], body=["Ana", "a    b"], buttons={1: "42"})
    assert check_parameters(_order(), params) == []


def test_url_suffix_follows_the_text_rules() -> None:
    params = TemplateParams.of(header=["#1"], body=["Ana", "May 1"], buttons={1: "a\nb"})
    assert by_code(check_parameters(_order(), params), "PARAM_NEWLINE").field == "buttons[1].parameter"


def test_button_parameters() -> None:
    missing = TemplateParams.of(header=["#1"], body=["Ana", "May 1"])
    assert by_code(check_parameters(_order(), missing), "PARAM_COUNT").field == "buttons[1].parameter"
    payload = TemplateParams.of(header=["#1"], body=["Ana", "May 1"], buttons={0: "HELP", 1: "42"})
    assert check_parameters(_order(), payload) == []  # quick-reply payloads are optional
    ghost = TemplateParams.of(header=["#1"], body=["Ana", "May 1"], buttons={1: "42", 7: "x"})
    assert by_code(check_parameters(_order(), ghost), "PARAM_UNEXPECTED").field == "buttons[7].parameter"


def test_static_url_and_phone_buttons_take_no_parameter() -> None:
    defn = TemplateDefinition.from_graph(sample_template("appointment_reminder"))
    body = {"first_name": "Ana", "provider": "Dr. Lee", "date": "May 1", "time": "10:00"}
    problems = check_parameters(defn, TemplateParams.of(body=body, buttons={2: "x"}))
    assert codes(problems) == ["PARAM_UNEXPECTED"]


def test_copy_code_parameter_is_required_and_short() -> None:
    defn = TemplateDefinition.from_graph(sample_template("verification_code"))
    assert codes(check_parameters(defn, TemplateParams.of(body=["123456"]))) == ["PARAM_COUNT"]
    too_long = TemplateParams.of(body=["123456"], buttons={0: "X" * 16})
    assert codes(check_parameters(defn, too_long)) == ["PARAM_TOO_LONG"]


def test_media_header_needs_media_of_the_right_kind() -> None:
    defn = TemplateDefinition.from_graph(sample_template("promo_spring"))
    base = {"body": ["Ana", "25%"], "buttons": {1: "SPRING25"}}
    assert (
        check_parameters(defn, TemplateParams.of(**base, header_object=Media(link="https://x/y.jpg"))) == []
    )
    assert codes(check_parameters(defn, TemplateParams.of(**base))) == ["PARAM_COUNT"]
    assert codes(check_parameters(defn, TemplateParams.of(**base, header_object=Media()))) == ["PARAM_EMPTY"]
    wrong = TemplateParams.of(**base, header_object=Location(1.0, 2.0))
    assert by_code(check_parameters(defn, wrong), "PARAM_TYPE").graph_code == 132012


def test_location_header() -> None:
    defn = definition(header=Header(format="LOCATION"))
    params = TemplateParams.of(body=["Ana", "May 1"], buttons={1: "42"}, header_object=Location(1.0, 2.0))
    assert check_parameters(defn, params) == []
    media = TemplateParams.of(body=["Ana", "May 1"], buttons={1: "42"}, header_object=Media(id="9"))
    assert codes(check_parameters(defn, media)) == ["PARAM_TYPE"]


def test_a_media_object_for_a_text_header_is_unexpected() -> None:
    params = TemplateParams.of(
        header=["#1"], body=["Ana", "May 1"], buttons={1: "42"}, header_object=Media(id="9")
    )
    assert by_code(check_parameters(_order(), params), "PARAM_UNEXPECTED").field == "header.object"


def test_currency_and_date_time_are_body_only() -> None:
    money = Currency("$10", "USD", 10000)
    body_ok = TemplateParams.of(header=["#1"], body=[money, DateTime("May 1")], buttons={1: "42"})
    assert check_parameters(_order(), body_ok) == []
    header_money = TemplateParams.of(header=[money], body=["Ana", "May 1"], buttons={1: "42"})
    assert by_code(check_parameters(_order(), header_money), "PARAM_TYPE").field == "header.parameters.1"
    empty = TemplateParams.of(header=["#1"], body=["Ana", DateTime(" ")], buttons={1: "42"})
    assert codes(check_parameters(_order(), empty)) == ["PARAM_EMPTY"]


def test_params_of_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        TemplateParams.of(body="Ana")
