"""Template messages (send side): parameters, components, and the checks Meta would apply.

Positional templates take a list of values per component; named templates take a mapping
from variable name to value, which adds ``parameter_name`` to each parameter. A value is
a plain string (a text parameter) or a parameter object built by the ``*_param`` helpers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.limits import (
    TEMPLATE_BUTTON_INDEX_MAX,
    TEMPLATE_COPY_CODE_MAX,
    TEMPLATE_HEADER_VARS_MAX,
    TEMPLATE_NAME_MAX,
    TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES,
)
from easymo_core.cloudapi.payload_rules import (
    MEDIA_KINDS,
    check_count,
    check_media,
    require_list,
    require_mapping,
    require_text,
)

ParamValue = str | Mapping[str, Any]
ComponentParams = Sequence[ParamValue] | Mapping[str, ParamValue]

_NAME_RE = re.compile(r"[a-z0-9_]+")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
_PARAM_NAME_RE = re.compile(r"[a-z0-9_]+")
_CURRENCY_CODE_RE = re.compile(r"[A-Z]{3}")
_TOO_MANY_SPACES = " " * (TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES + 1)

_HEADER_TYPES = ("text", *MEDIA_KINDS, "location")
_BODY_TYPES = ("text", "currency", "date_time")
# The parameter type each button sub_type takes.
_BUTTON_PARAM_TYPES = {
    "quick_reply": ("payload",),
    "url": ("text",),
    "copy_code": ("coupon_code",),
    "flow": ("action",),
    "catalog": ("action",),
}


def text_param(text: str, name: str | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"type": "text", "text": text}
    if name is not None:
        param["parameter_name"] = name
    return param


def currency_param(
    fallback_value: str, code: str, amount_1000: int, name: str | None = None
) -> dict[str, Any]:
    """An amount: ``amount_1000`` is the amount times 1000 (``10000`` is 10.00)."""
    param: dict[str, Any] = {
        "type": "currency",
        "currency": {"fallback_value": fallback_value, "code": code, "amount_1000": amount_1000},
    }
    if name is not None:
        param["parameter_name"] = name
    return param


def date_time_param(fallback_value: str, name: str | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"type": "date_time", "date_time": {"fallback_value": fallback_value}}
    if name is not None:
        param["parameter_name"] = name
    return param


def media_param(
    kind: str, *, link: str | None = None, media_id: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """A header image, video or document, by public ``link`` or uploaded ``media_id``."""
    media: dict[str, Any] = {"link": link} if link is not None else {"id": media_id}
    if filename is not None:
        media["filename"] = filename
    return {"type": kind, kind: media}


def location_param(
    latitude: float, longitude: float, name: str | None = None, address: str | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name is not None:
        location["name"] = name
    if address is not None:
        location["address"] = address
    return {"type": "location", "location": location}


def quick_reply_button(index: int, payload: str) -> dict[str, Any]:
    return _button("quick_reply", index, {"type": "payload", "payload": payload})


def url_button(index: int, url_suffix: str) -> dict[str, Any]:
    """The variable end of a URL button's link (the template holds the fixed start)."""
    return _button("url", index, {"type": "text", "text": url_suffix})


def copy_code_button(index: int, code: str) -> dict[str, Any]:
    return _button("copy_code", index, {"type": "coupon_code", "coupon_code": code})


def flow_button(
    index: int, flow_token: str, action_data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    action: dict[str, Any] = {"flow_token": flow_token}
    if action_data is not None:
        action["flow_action_data"] = dict(action_data)
    return _button("flow", index, {"type": "action", "action": action})


def _button(sub_type: str, index: int, param: dict[str, Any]) -> dict[str, Any]:
    return {"type": "button", "sub_type": sub_type, "index": str(index), "parameters": [param]}


def template_object(
    name: str,
    language: str,
    *,
    header: ComponentParams | None = None,
    body: ComponentParams | None = None,
    buttons: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The checked ``template`` object of a template message."""
    components: list[dict[str, Any]] = []
    if header:
        components.append({"type": "header", "parameters": _params(header)})
    if body:
        components.append({"type": "body", "parameters": _params(body)})
    components.extend(dict(button) for button in buttons)
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    check_template(template)
    return template


def _params(values: ComponentParams) -> list[dict[str, Any]]:
    if isinstance(values, Mapping):
        return [_named(name, value) for name, value in values.items()]
    return [text_param(v) if isinstance(v, str) else dict(v) for v in values]


def _named(name: str, value: ParamValue) -> dict[str, Any]:
    if isinstance(value, str):
        return text_param(value, name)
    return {**value, "parameter_name": name}


def check_template(template: Mapping[str, Any]) -> None:
    """Everything the client can know about a template send without the template itself."""
    name = require_text("template name", template.get("name"), TEMPLATE_NAME_MAX)
    if not _NAME_RE.fullmatch(name):
        raise PayloadError(
            f"template name {name!r} may hold only lowercase letters, digits and '_'",
            field="template name",
        )
    language = require_mapping("template language", template.get("language"))
    code = require_text("language code", language.get("code"))
    if not _LANGUAGE_RE.fullmatch(code):
        raise PayloadError(
            f"language code {code!r} is not like en or en_US", field="language code"
        )
    components = require_list("template components", template.get("components", []))
    seen: set[str] = set()
    button_indexes: set[int] = set()
    for component in components:
        component = require_mapping("template component", component)
        kind = component.get("type")
        if kind in ("header", "body"):
            if kind in seen:
                raise PayloadError(f"the template has more than one {kind}", field=kind)
            seen.add(kind)
            _check_params(kind, component, _HEADER_TYPES if kind == "header" else _BODY_TYPES)
        elif kind == "button":
            index = _check_button(component)
            if index in button_indexes:
                raise PayloadError(
                    f"{_button_field(index)} appears twice", field=_button_field(index)
                )
            button_indexes.add(index)
        else:
            raise PayloadError(
                f"template component type {kind!r} is not header, body or button (lower case)",
                field="template component",
            )


def _check_params(kind: str, component: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    params = require_list(f"{kind} parameters", component.get("parameters"))
    if kind == "header":
        check_count("header", "parameters", len(params), 1, TEMPLATE_HEADER_VARS_MAX)
    names: list[str | None] = []
    for number, param in enumerate(params, 1):
        field = f"{kind} parameter {number}"
        param = require_mapping(field, param)
        _check_param(field, param, allowed)
        names.append(param.get("parameter_name"))
    named = [n for n in names if n is not None]
    if named and len(named) != len(names):
        raise PayloadError(
            f"{kind} mixes named and positional parameters; a template uses one or the other",
            field=f"{kind} parameters",
        )
    if len(set(named)) != len(named):
        raise PayloadError(f"{kind} names a parameter twice", field=f"{kind} parameters")


def _check_button(component: Mapping[str, Any]) -> int:
    raw_index = component.get("index")
    try:
        index = int(raw_index)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PayloadError(
            f"button index {raw_index!r} is not a number", field="button index"
        ) from None
    button = _button_field(index)
    if not 0 <= index <= TEMPLATE_BUTTON_INDEX_MAX:
        raise PayloadError(
            f"button index {index} is outside 0..{TEMPLATE_BUTTON_INDEX_MAX}",
            field="button index", limit=TEMPLATE_BUTTON_INDEX_MAX,
        )
    sub_type = component.get("sub_type")
    allowed = _BUTTON_PARAM_TYPES.get(sub_type) if isinstance(sub_type, str) else None
    if allowed is None:
        raise PayloadError(
            f"{button} sub_type {sub_type!r} is not one of {', '.join(_BUTTON_PARAM_TYPES)}",
            field=button,
        )
    params = require_list(f"{button} parameters", component.get("parameters"))
    check_count(button, "parameters", len(params), 1, 1)
    field = f"{button} parameter"
    _check_param(field, require_mapping(field, params[0]), allowed)
    return index


def _button_field(index: int) -> str:
    # Template buttons are named by Meta's 0-based index, not by position.
    return f"button at index {index}"


def _check_param(field: str, param: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    kind = param.get("type")
    if kind not in allowed:
        raise PayloadError(
            f"{field} has type {kind!r}; allowed here: {', '.join(allowed)}", field=field
        )
    name = param.get("parameter_name")
    if name is not None and not (isinstance(name, str) and _PARAM_NAME_RE.fullmatch(name)):
        raise PayloadError(
            f"{field} name {name!r} may hold only lowercase letters, digits and '_'",
            field=field,
        )
    if kind == "text":
        check_text_param(field, param.get("text"))
    elif kind == "currency":
        currency = require_mapping(f"{field} currency", param.get("currency"))
        require_text(f"{field} fallback value", currency.get("fallback_value"))
        code = currency.get("code")
        if not (isinstance(code, str) and _CURRENCY_CODE_RE.fullmatch(code)):
            raise PayloadError(f"{field} currency code {code!r} is not like USD", field=field)
        amount = currency.get("amount_1000")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise PayloadError(f"{field} amount_1000 must be a whole number", field=field)
    elif kind == "date_time":
        date_time = require_mapping(f"{field} date_time", param.get("date_time"))
        require_text(f"{field} fallback value", date_time.get("fallback_value"))
    elif kind in MEDIA_KINDS:
        check_media(f"{field} {kind}", param.get(kind))
    elif kind == "location":
        location = require_mapping(f"{field} location", param.get("location"))
        for axis, bound in (("latitude", 90), ("longitude", 180)):
            value = location.get(axis)
            # `not <=` also refuses NaN, which JSON cannot carry.
            if not isinstance(value, int | float) or isinstance(value, bool) or not (
                abs(value) <= bound
            ):
                raise PayloadError(f"{field} {axis} {value!r} is not a valid {axis}", field=field)
    elif kind == "payload":
        require_text(f"{field} payload", param.get("payload"))
    elif kind == "coupon_code":
        require_text(f"{field} coupon code", param.get("coupon_code"), TEMPLATE_COPY_CODE_MAX)
    elif kind == "action":
        require_mapping(f"{field} action", param.get("action"))


def check_text_param(field: str, text: Any) -> None:
    """Meta refuses text parameters with newlines, tabs or more than 4 spaces in a row."""
    text = require_text(field, text)
    for char, label in (("\n", "a newline"), ("\r", "a carriage return"), ("\t", "a tab")):
        if char in text:
            raise PayloadError(f"{field} contains {label}; template parameters cannot", field=field)
    if _TOO_MANY_SPACES in text:
        raise PayloadError(
            f"{field} has more than {TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES} spaces in a row",
            field=field, limit=TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES,
        )
