"""A template send checked against the stored template, the way Meta checks it.

  - no template of that name in that exact language, or not APPROVED  -> 132001
  - PAUSED -> 132015, DISABLED -> 132016
  - parameters per component differ from what the template needs -> 132000: one per
    distinct variable of the header and the body (NAMED templates match ``parameter_name``),
    one object for a media or location header, one for each URL button with a variable,
    each OTP and each COPY_CODE button, at most one payload per quick reply, an action for
    MPM (at most one for CATALOG and FLOW), none for other buttons
  - a parameter of the wrong kind for its slot -> 132012
  - a text value that is blank, holds a newline or a tab, or runs more than 4 spaces -> 132008
  - a button component whose index or sub_type does not match the template -> 131009
What a template needs, and the text rules, come from ``easymo_core.templates.variables``,
shared with the client, so the two cannot disagree.
"""

from __future__ import annotations

from typing import Any

from easymo_core.sandbox.graph_errors import GraphError, invalid, missing
from easymo_core.sandbox.state import SandboxState, Template
from easymo_core.templates.variables import (
    GRAPH_PARAM_COUNT,
    GRAPH_PARAM_FORMAT,
    GRAPH_PARAM_VALUE,
    text_value_problems,
)

_BODY_KINDS = frozenset({"text", "currency", "date_time"})
# Template button type -> the send-side sub_type that addresses it.
_SUB_TYPE_OF = {"QUICK_REPLY": "quick_reply", "URL": "url", "OTP": "url", "COPY_CODE": "copy_code",
                "FLOW": "flow", "CATALOG": "catalog", "MPM": "mpm"}
# The parameter type each required button takes.
_BUTTON_PARAM = {"URL": "text", "OTP": "text", "COPY_CODE": "coupon_code"}
# Buttons taking an ``action`` parameter (Meta's send examples, OpenAPI v23.0): (at least, at
# most). A catalog's thumbnail and a flow's token are optional; a multi-product message
# needs its sections.
_ACTION_BUTTONS = {"CATALOG": (0, 1), "FLOW": (0, 1), "MPM": (1, 1)}

ReplyOptions = list[tuple[str, str, str, str]]


def check_template_send(content: dict[str, Any], state: SandboxState) -> tuple[Template, ReplyOptions]:
    """The approved template ``content`` addresses, and the quick replies a user may tap."""
    name, code = content["name"], content["language"]["code"]
    tpl = state.template_by_name(name, code)
    if tpl is None or tpl.status not in {"APPROVED", "PAUSED", "DISABLED"}:
        raise GraphError(132001, f"template name ({name}) does not exist in {code}")
    if tpl.status == "PAUSED":
        raise GraphError(132015, f"Template {name} is paused because of low quality")
    if tpl.status == "DISABLED":
        raise GraphError(132016, f"Template {name} has been disabled because of low quality")

    header: list[Any] = []
    body: list[Any] = []
    buttons: dict[int, dict[str, Any]] = {}
    for comp in content.get("components", []):
        kind = comp["type"].lower()
        params = comp.get("parameters", [])
        if kind == "button":
            index = int(comp["index"])
            if index in buttons:
                raise invalid(f"button index {index}", "appears more than once")
            buttons[index] = comp
        elif kind == "header":
            header.extend(params)
        else:
            body.extend(params)

    named = tpl.parameter_format == "NAMED"
    if tpl.required.header_object:
        _expect_count("header", header, 1)
        wanted = tpl.required.header_object.lower()
        received = header[0]["type"]
        if received != wanted:
            raise GraphError(GRAPH_PARAM_FORMAT, f"header: expected a {wanted} parameter, got {received}")
    else:
        _check_text_params("header", header, tpl.required.header, {"text"}, named)
    _check_text_params("body", body, tpl.required.body, _BODY_KINDS, named)
    return tpl, _check_buttons(tpl, buttons)


def _check_text_params(
    where: str, params: list[Any], names: tuple[str, ...], kinds: frozenset[str] | set[str], named: bool
) -> None:
    _expect_count(where, params, len(names))
    for i, param in enumerate(params, start=1):
        kind = param["type"]
        if kind not in kinds:
            allowed = " or ".join(sorted(kinds))
            raise GraphError(GRAPH_PARAM_FORMAT, f"{where}: parameter {i} is of type {kind}, not {allowed}")
        if kind == "text":
            _check_text_value(param["text"], f"{where} parameter {i}")
    if named:
        given = [p.get("parameter_name") for p in params]
        if any(n is None for n in given):
            raise missing(f"{where} parameter_name (the template uses NAMED parameters)")
        if sorted(given) != sorted(names):
            mismatch = f"{where}: parameter names {sorted(given)} do not match {sorted(names)}"
            raise GraphError(GRAPH_PARAM_COUNT, mismatch)


def _check_text_value(value: str, label: str) -> None:
    problems = text_value_problems(value, label, label)
    if problems:
        raise GraphError(problems[0].graph_code or GRAPH_PARAM_VALUE, problems[0].message)


def _expect_count(where: str, params: list[Any], expected: int) -> None:
    if len(params) != expected:
        raise GraphError(
            GRAPH_PARAM_COUNT,
            f"{where}: number of localizable_params ({len(params)}) does not match the "
            f"expected number of params ({expected})",
        )


def _check_buttons(tpl: Template, given: dict[int, dict[str, Any]]) -> ReplyOptions:
    template_buttons = tpl.definition.buttons
    for index in given:
        if index >= len(template_buttons):
            count = len(template_buttons)
            raise invalid(f"button index {index}", f"is out of range: the template has {count} buttons")
    options: ReplyOptions = []
    for index, button in enumerate(template_buttons):
        kind = button.type.upper()
        comp = given.get(index)
        params = comp.get("parameters", []) if comp else []
        where = f"button at index {index}"
        if comp is not None and comp["sub_type"].lower() != _SUB_TYPE_OF.get(kind):
            raise invalid(f"{where} sub_type", f"must be {_SUB_TYPE_OF.get(kind)!r} for a {kind} button")
        if kind == "QUICK_REPLY":
            if len(params) > 1:
                _expect_count(where, params, 1)
            text = button.text or ""
            options.append(("quick_reply", str(params[0]["payload"]) if params else text, text, ""))
        elif index in tpl.required.buttons or kind == "OTP":
            _expect_count(where, params, 1)
            wanted = _BUTTON_PARAM[kind]
            if params[0]["type"] != wanted:
                raise GraphError(GRAPH_PARAM_FORMAT, f"{where}: a {kind} button takes a {wanted} parameter")
            if wanted == "text":
                _check_text_value(params[0]["text"], f"{where} parameter")
        elif kind in _ACTION_BUTTONS:
            low, high = _ACTION_BUTTONS[kind]
            if not low <= len(params) <= high:
                _expect_count(where, params, high)
            if params and params[0]["type"] != "action":
                raise GraphError(GRAPH_PARAM_FORMAT, f"{where}: a {kind} button takes an action parameter")
        else:
            _expect_count(where, params, 0)
    return options
