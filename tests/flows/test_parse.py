"""Flow definitions: what authors write is refused with the line and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from easymo_core.flows.errors import FlowDefinitionError
from easymo_core.flows.library import builtin_sources
from easymo_core.flows.parse import load_flow_file, parse_duration, parse_flow
from tests.flows.helpers import ORDER_FLOW


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(FlowDefinitionError) as info:
        parse_flow(text, source="f.yaml")
    return [(p.line, p.message) for p in info.value.problems]


def only(text: str) -> tuple[int, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


BASE = """\
name: demo
steps:
  ask:
    buttons:
      body: Pick one
      options:
        - {id: a, title: A, next: done}
        - {id: b, title: B, next: done}
  done:
    text: Bye
    end: true
"""


def test_the_sample_and_the_builtin_flows_are_valid() -> None:
    flow = parse_flow(ORDER_FLOW)
    assert flow.start == "ask" and [s for s in flow.steps if flow.steps[s].end] == ["human", "done"]
    assert flow.steps["details"].on_fail == "human" and flow.steps["details"].max_retries == 1
    assert flow.steps["details"].timeout_s == 600
    survey = parse_flow(builtin_sources()["satisfaction_survey"])
    assert survey.name == "satisfaction_survey" and survey.steps["rate"].store == "satisfaction"
    assert [o.value for o in survey.steps["rate"].message.options] == [5, 4, 3, 2, 1]
    assert survey.triggers == ("survey", "feedback")


def test_unknown_step_target_names_the_line_of_the_step() -> None:
    line, msg = only(BASE.replace("next: done}\n        - {id: b", "next: dnoe}\n        - {id: b"))
    assert line == 3 and "unknown step 'dnoe'" in msg


def test_unreachable_step() -> None:
    text = BASE + "  orphan:\n    text: Nobody comes here\n    end: true\n"
    assert only(text) == (12, "step 'orphan' is unreachable from 'ask'")


def test_no_end() -> None:
    text = BASE.replace("    end: true\n", "    next: ask\n")
    assert only(text) == (2, "the flow has no end: mark its last step with `end: true`")


def test_a_loop_that_never_ends() -> None:
    text = BASE.replace("next: done}\n        - {id: b, title: B, next: done}", "next: loop}\n        - {id: b, title: B, next: loop}")
    text += "  loop:\n    text: Again?\n    next: loop\n"
    found = problems(text)
    assert (3, "step 'ask' can never reach an end step") in found
    assert (12, "step 'loop' can never reach an end step") in found
    assert any("'done' is unreachable" in m for _, m in found)


def test_bad_regex_line_and_reason() -> None:
    text = BASE.replace("  done:\n", "  q:\n    text: Number?\n    expect:\n      - pattern: '[0-9+'\n        next: done\n  done:\n")
    text = text.replace("next: done}\n        - {id: b, title: B, next: done}", "next: q}\n        - {id: b, title: B, next: done}")
    line, msg = only(text)
    assert line == 12 and "bad regular expression '[0-9+'" in msg and "unterminated character set" in msg


def test_duplicate_button_ids_and_titles() -> None:
    found = problems(BASE.replace("{id: b, title: B", "{id: a, title: A"))
    assert found == [(8, "step 'ask': id 'a' is used twice"), (8, "step 'ask': button title 'A' is used twice")]


def test_too_many_buttons_uses_the_cloud_api_limit() -> None:
    extra = "".join(f"        - {{id: x{i}, title: X{i}, next: done}}\n" for i in range(2))
    line, msg = only(BASE.replace("  done:\n", extra + "  done:\n", 1))
    assert line == 10 and "4 buttons; WhatsApp allows at most 3" in msg  # the first one too many


def test_too_many_list_rows_across_sections() -> None:
    rows = lambda n, p: "".join(f"            - {{id: {p}{i}, title: Row {p}{i}}}\n" for i in range(n))  # noqa: E731
    text = (
        "name: big\nsteps:\n  pick:\n    list:\n      body: Choose\n      button: Open\n      sections:\n"
        "        - title: One\n          rows:\n" + rows(6, "a")
        + "        - title: Two\n          rows:\n" + rows(5, "b")
        + "    next: done\n  done:\n    text: ok\n    end: true\n"
    )
    assert only(text) == (7, "step 'pick': 11 list rows; WhatsApp allows at most 10 in all")


def test_field_limits_unknown_and_duplicate_keys() -> None:
    text = (
        "name: demo\nsteps:\n  ask:\n    buttons:\n      body: Pick\n      optoins: []\n      options:\n"
        "        - {id: a, title: A title that is far too long, next: done}\n"
        "    timeout: soon\n  done:\n    text: Bye\n    end: true\n    end: true\n"
    )
    found = problems(text)
    assert (6, "step 'ask' buttons: unknown key 'optoins' (allowed: body, footer, header, options)") in found
    assert (8, "button title has 28 characters; WhatsApp allows 20") in found
    assert any(line == 9 and "`timeout` 'soon' is not a duration" in m for line, m in found)
    assert (13, "duplicate key 'end' (first on line 12)") in found


def test_yes_no_read_as_booleans_get_a_clear_message() -> None:
    line, msg = only(BASE.replace("{id: b, title: B", "{id: b, title: Yes"))
    assert line == 8 and "quote yes/no" in msg


def test_shape_errors() -> None:
    assert only("- just\n- a list\n") == (1, "a flow definition is a mapping with at least `name` and `steps`")
    line, msg = only("name: x\nsteps:\n  s:\n    text: hi\n    buttons: {body: b, options: [{id: a, title: A}]}\n    end: true\n")
    assert line == 3 and "exactly one of text, template, buttons, list" in msg
    assert problems("name: x\nsteps:\n  s:\n    text: hi\n") == [
        (2, "the flow has no end: mark its last step with `end: true`"),
        (3, "step 's' has no way forward: add `next`, `expect`, or `end: true`"),
    ]
    assert problems("name: x\nsteps: [\n")[0][0] == 3  # the YAML error's own line
    line, msg = only("name: Bad Name\nsteps:\n  s:\n    text: hi\n    end: true\n")
    assert line == 1 and "`name` is required" in msg


def test_satisfaction_options_need_ratings() -> None:
    text = BASE.replace("  ask:\n", "  ask:\n    store: satisfaction\n")
    found = problems(text)
    assert found == [(8, "step 'ask' stores satisfaction: option 'a' needs `value` 1-5"),
                     (9, "step 'ask' stores satisfaction: option 'b' needs `value` 1-5")]


def test_all_problems_are_reported_in_line_order() -> None:
    text = BASE.replace("next: done}", "next: nowhere}").replace("body: Pick one", "body: ''")
    found = problems(text)
    assert [line for line, _ in found] == sorted(line for line, _ in found)
    assert len(found) >= 3


def test_json_files_are_accepted(tmp_path: Path) -> None:
    data = {"name": "j", "steps": {"a": {"text": "Hi?", "next": "b"}, "b": {"text": "Bye", "end": True}}}
    path = tmp_path / "f.json"
    path.write_text(json.dumps(data, indent=2))
    flow = load_flow_file(path)
    assert flow.steps["a"].next == "b" and flow.steps["b"].end
    data["steps"]["a"]["next"] = "zz"  # type: ignore[index]
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(FlowDefinitionError) as info:
        load_flow_file(path)
    assert info.value.lines() == [f"{path}:4: step 'a' goes to unknown step 'zz'"]


def test_durations() -> None:
    assert [parse_duration(v) for v in (90, "90", "30s", "10m", "2h", "1d")] == [90, 90, 30, 600, 7200, 86400]
    assert [parse_duration(v) for v in (0, -5, "10x", True, None, "")] == [None] * 6
