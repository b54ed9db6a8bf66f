"""Property tests: anything within Meta's limits builds; anything over a limit is refused,
with an error naming that field, its length and the limit."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easymo_core.cloudapi import limits
from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.payloads import (
    ListRow,
    ListSection,
    button_message,
    list_message,
    template_message,
    text_message,
)

TO = "15551234567"
PROPERTY = settings(max_examples=60, deadline=None)


def text(max_size: int, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=max_size)


def clean_id(max_size: int) -> st.SearchStrategy[str]:
    return text(max_size).filter(lambda s: s == s.strip())


def assert_too_long(error: PayloadError, field: str, length: int, limit: int) -> None:
    assert error.field == field
    assert (error.value_length, error.limit) == (length, limit)
    assert error.message == f"{field} is {length} characters; the limit is {limit}"


# -- text ----------------------------------------------------------------------------------


@PROPERTY
@given(body=text(limits.TEXT_BODY_MAX))
def test_any_text_within_the_limit_builds(body: str) -> None:
    assert text_message(TO, body)["text"]["body"] == body


@PROPERTY
@given(extra=st.integers(1, 500))
def test_any_text_over_the_limit_is_refused(extra: int) -> None:
    with pytest.raises(PayloadError) as caught:
        text_message(TO, "x" * (limits.TEXT_BODY_MAX + extra))
    assert_too_long(caught.value, "text body", limits.TEXT_BODY_MAX + extra, limits.TEXT_BODY_MAX)


# -- reply buttons ---------------------------------------------------------------------------

buttons_within = st.lists(
    st.tuples(clean_id(limits.BUTTON_ID_MAX), text(limits.BUTTON_TITLE_MAX)),
    min_size=limits.BUTTONS_MIN, max_size=limits.BUTTONS_MAX,
    unique_by=(lambda b: b[0], lambda b: b[1]),
)


@PROPERTY
@given(
    buttons=buttons_within,
    body=text(limits.INTERACTIVE_BODY_MAX),
    footer=st.none() | text(limits.INTERACTIVE_FOOTER_MAX),
    header=st.none() | text(limits.INTERACTIVE_HEADER_TEXT_MAX),
)
def test_any_buttons_within_the_limits_build(
    buttons: list[tuple[str, str]], body: str, footer: str | None, header: str | None
) -> None:
    interactive = button_message(TO, body, buttons, footer=footer, header=header)["interactive"]
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]] == (
        buttons)


BUTTON_FIELDS = {
    "title": limits.BUTTON_TITLE_MAX,
    "id": limits.BUTTON_ID_MAX,
    "body": limits.INTERACTIVE_BODY_MAX,
    "footer": limits.INTERACTIVE_FOOTER_MAX,
    "header text": limits.INTERACTIVE_HEADER_TEXT_MAX,
}


@PROPERTY
@given(buttons=buttons_within, field=st.sampled_from(sorted(BUTTON_FIELDS)),
       extra=st.integers(1, 300), data=st.data())
def test_any_button_field_over_its_limit_is_refused_by_name(
    buttons: list[tuple[str, str]], field: str, extra: int, data: st.DataObject
) -> None:
    limit = BUTTON_FIELDS[field]
    long = "é" * (limit + extra)
    kwargs: dict[str, Any] = {"body": "Pick"}
    expected = field
    if field in ("title", "id"):
        number = data.draw(st.integers(1, len(buttons)))
        button_id, title = buttons[number - 1]
        buttons[number - 1] = (long, title) if field == "id" else (button_id, long)
        expected = f"button {number} {field}"
    elif field == "header text":
        kwargs["header"] = long
    else:
        kwargs[field] = long
    with pytest.raises(PayloadError) as caught:
        button_message(TO, kwargs.pop("body"), buttons, **kwargs)
    assert_too_long(caught.value, expected, limit + extra, limit)


@PROPERTY
@given(count=st.integers(limits.BUTTONS_MAX + 1, 12))
def test_too_many_buttons_are_counted(count: int) -> None:
    with pytest.raises(PayloadError) as caught:
        button_message(TO, "b", [(f"id{i}", f"t{i}") for i in range(count)])
    assert (caught.value.count, caught.value.limit) == (count, limits.BUTTONS_MAX)
    assert f"{count} buttons; the limit is {limits.BUTTONS_MAX}" in caught.value.message


# -- lists -----------------------------------------------------------------------------------


@st.composite
def list_sections(draw: st.DrawFn) -> list[ListSection]:
    total = draw(st.integers(1, limits.LIST_ROWS_TOTAL_MAX))
    n_sections = draw(st.integers(1, min(total, limits.LIST_SECTIONS_MAX)))
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=n_sections - 1,
                                max_size=n_sections - 1, unique=True))) if n_sections > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    ids = draw(st.lists(text(limits.LIST_ROW_ID_MAX), min_size=total, max_size=total,
                        unique=True))
    sections, taken = [], 0
    for size in sizes:
        rows = [ListRow(ids[taken + i], draw(text(limits.LIST_ROW_TITLE_MAX)),
                        draw(st.none() | text(limits.LIST_ROW_DESCRIPTION_MAX)))
                for i in range(size)]
        taken += size
        title = draw(text(limits.LIST_SECTION_TITLE_MAX)) if n_sections > 1 else None
        sections.append(ListSection(rows, title))
    return sections


@PROPERTY
@given(sections=list_sections(), button=text(limits.LIST_BUTTON_TEXT_MAX),
       body=text(limits.LIST_BODY_MAX))
def test_any_list_within_the_limits_builds(
    sections: list[ListSection], button: str, body: str
) -> None:
    action = list_message(TO, body, button, sections)["interactive"]["action"]
    assert sum(len(s["rows"]) for s in action["sections"]) == sum(len(s.rows) for s in sections)


ROW_FIELDS = {
    "id": limits.LIST_ROW_ID_MAX,
    "title": limits.LIST_ROW_TITLE_MAX,
    "description": limits.LIST_ROW_DESCRIPTION_MAX,
}


@PROPERTY
@given(sections=list_sections(), field=st.sampled_from(sorted(ROW_FIELDS)),
       extra=st.integers(1, 100), data=st.data())
def test_any_row_field_over_its_limit_is_refused_by_name(
    sections: list[ListSection], field: str, extra: int, data: st.DataObject
) -> None:
    limit = ROW_FIELDS[field]
    s_index = data.draw(st.integers(0, len(sections) - 1))
    rows = list(sections[s_index].rows)
    r_index = data.draw(st.integers(0, len(rows) - 1))
    row = rows[r_index]
    long = "ß" * (limit + extra)
    rows[r_index] = dataclasses.replace(row, **{field: long})
    sections[s_index] = ListSection(rows, sections[s_index].title)
    with pytest.raises(PayloadError) as caught:
        list_message(TO, "b", "Open", sections)
    assert_too_long(caught.value, f"section {s_index + 1} row {r_index + 1} {field}",
                    limit + extra, limit)


@PROPERTY
@given(sections=list_sections(), extra=st.integers(1, 50))
def test_list_button_and_section_titles_over_their_limits(
    sections: list[ListSection], extra: int
) -> None:
    with pytest.raises(PayloadError) as caught:
        list_message(TO, "b", "B" * (limits.LIST_BUTTON_TEXT_MAX + extra), sections)
    assert_too_long(caught.value, "list button text", limits.LIST_BUTTON_TEXT_MAX + extra,
                    limits.LIST_BUTTON_TEXT_MAX)
    sections[-1] = ListSection(sections[-1].rows, "T" * (limits.LIST_SECTION_TITLE_MAX + extra))
    with pytest.raises(PayloadError) as caught:
        list_message(TO, "b", "Open", sections)
    assert_too_long(caught.value, f"section {len(sections)} title",
                    limits.LIST_SECTION_TITLE_MAX + extra, limits.LIST_SECTION_TITLE_MAX)


@PROPERTY
@given(extra_rows=st.integers(1, 10), n_sections=st.integers(1, limits.LIST_SECTIONS_MAX))
def test_too_many_rows_in_total_are_counted(extra_rows: int, n_sections: int) -> None:
    total = limits.LIST_ROWS_TOTAL_MAX + extra_rows
    sections = [ListSection([ListRow(f"r{s}.{i}", "t") for i in range(s, total, n_sections)],
                            f"S{s}") for s in range(n_sections)]
    with pytest.raises(PayloadError) as caught:
        list_message(TO, "b", "Open", [s for s in sections if s.rows])
    assert caught.value.limit == limits.LIST_ROWS_TOTAL_MAX
    assert caught.value.count is not None and caught.value.count > limits.LIST_ROWS_TOTAL_MAX


# -- template text parameters ----------------------------------------------------------------

param_text = text(200).filter(
    lambda s: not any(c in s for c in "\n\r\t")
    and " " * (limits.TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES + 1) not in s
)


@PROPERTY
@given(values=st.lists(param_text, min_size=1, max_size=8))
def test_any_clean_text_parameters_build(values: list[str]) -> None:
    body = template_message(TO, "t", "en", body=values)["template"]["components"][0]
    assert [p["text"] for p in body["parameters"]] == values


@PROPERTY
@given(values=st.lists(param_text, min_size=1, max_size=8),
       bad=st.sampled_from(["\n", "\t", "\r", " " * 5]), data=st.data())
def test_a_dirty_text_parameter_is_refused_by_position(
    values: list[str], bad: str, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(values) - 1))
    values[index] = values[index] + bad + "x"
    with pytest.raises(PayloadError) as caught:
        template_message(TO, "t", "en", body=values)
    assert caught.value.field == f"body parameter {index + 1}"
