"""Checks of a send payload, with Meta's codes: what the Cloud API refuses, we refuse.

Mapping of problems to codes (details always name the field, Graph style ``text['body']``):
  - a required field is absent or empty               -> 131008
  - a field has a value the API does not accept
    (length, count, range, format, duplicates)        -> 131009
  - an unknown key, or a value of the wrong JSON type -> 100
Limits come from ``easymo_core.cloudapi.limits`` so the client and the sandbox agree.

The result is a :class:`SendRequest`; template sends are further checked against the
stored template by ``template_send``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from easymo_core.cloudapi import limits
from easymo_core.sandbox.graph_errors import GraphError, bad_param, invalid, missing

MESSAGE_TYPES = frozenset(
    {"text", "image", "audio", "video", "document", "sticker", "location", "contacts",
     "interactive", "template", "reaction"}
)
_TOP_KEYS = MESSAGE_TYPES | {
    "messaging_product", "recipient_type", "to", "type", "context", "biz_opaque_callback_data",
}
_MEDIA_KEYS = {
    "image": {"id", "link", "caption"},
    "video": {"id", "link", "caption"},
    "document": {"id", "link", "caption", "filename"},
    "audio": {"id", "link", "voice"},
    "sticker": {"id", "link"},
}
_TEMPLATE_PARAM_TYPES = frozenset(
    {"text", "currency", "date_time", "image", "video", "document", "location", "payload",
     "coupon_code", "action"}
)
_TEMPLATE_COMPONENT_TYPES = frozenset({"header", "body", "button"})
_BUTTON_SUB_TYPES = frozenset({"quick_reply", "url", "copy_code", "flow", "catalog", "mpm"})
# Commerce, payment and calling types are accepted with the common checks only.
_INTERACTIVE_TYPES = frozenset({
    "button", "list", "cta_url", "flow", "location_request_message", "catalog_message", "product",
    "product_list", "order_details", "order_status", "address_message", "call_permission_request",
})
_PHONE_STRIP = str.maketrans("", "", "+ -().")


# What a user can tap in a message: (kind, id, title, description).
Options = list[tuple[str, str, str, str]] | None


@dataclass(slots=True)
class SendRequest:
    """A send payload that passed the shape checks."""

    to: str  # wa_id: digits only
    input: str  # ``to`` as the caller wrote it
    type: str
    content: Any  # the type-keyed object (a list for contacts)
    context_id: str | None
    biz_opaque_callback_data: str | None
    reply_options: Options = None


@dataclass(slots=True)
class ReadReceipt:
    message_id: str


def parse_send(body: Any, own_number: str) -> SendRequest | ReadReceipt:
    """Validate the JSON body of ``POST /{phone_number_id}/messages``."""
    if not isinstance(body, dict):
        raise bad_param("body", "must be a JSON object")
    product = body.get("messaging_product")
    if product is None:
        raise missing("messaging_product")
    if product != "whatsapp":
        raise invalid("messaging_product", "must be 'whatsapp'")
    if "status" in body:
        return _parse_read_receipt(body)
    kind = body.get("type") or _implied_type(body)
    if not isinstance(kind, str):
        raise bad_param("type", "must be a string")
    if kind not in MESSAGE_TYPES:
        raise GraphError(131051, f"Message type {kind!r} is not supported")
    for key in body:
        if key not in _TOP_KEYS:
            raise bad_param(key, "is not a valid parameter")
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise invalid("recipient_type", "must be 'individual'")
    raw_to = body.get("to")
    if raw_to is None or raw_to == "":
        raise missing("to")
    if not isinstance(raw_to, str):
        raise bad_param("to", "must be a string")
    wa_id = raw_to.translate(_PHONE_STRIP)
    if not (wa_id.isdigit() and 7 <= len(wa_id) <= 15):
        raise invalid("to", f"is not a valid phone number: {raw_to!r}")
    if wa_id == own_number:
        raise GraphError(131021, "Recipient phone number is the sender's phone number")
    content = body.get(kind)
    if content is None:
        raise missing(kind)
    options: Options = None
    if kind == "contacts":
        _check_contacts(content)
    elif not isinstance(content, dict):
        raise bad_param(kind, "must be a JSON object")
    else:
        options = _CHECKS[kind](content, kind)
    return SendRequest(
        to=wa_id,
        input=raw_to,
        type=kind,
        content=content,
        context_id=_context_id(body.get("context")),
        biz_opaque_callback_data=_opaque(body.get("biz_opaque_callback_data")),
        reply_options=options,
    )


def _implied_type(body: dict[str, Any]) -> str:
    """Without ``type``: the one message object present (as in Meta's own examples), else text."""
    present = [key for key in body if key in MESSAGE_TYPES]
    return present[0] if len(present) == 1 else "text"


def _parse_read_receipt(body: dict[str, Any]) -> ReadReceipt:
    for key in body:
        if key not in {"messaging_product", "status", "message_id", "typing_indicator"}:
            raise bad_param(key, "is not a valid parameter")
    if body["status"] != "read":
        raise invalid("status", "must be 'read'")
    message_id = body.get("message_id")
    if not message_id:
        raise missing("message_id")
    if not isinstance(message_id, str):
        raise bad_param("message_id", "must be a string")
    indicator = body.get("typing_indicator")
    if indicator is not None and (not isinstance(indicator, dict) or indicator.get("type") != "text"):
        raise invalid("typing_indicator", "must be {\"type\": \"text\"}")
    return ReadReceipt(message_id=message_id)


def _context_id(context: Any) -> str | None:
    if context is None:
        return None
    if not isinstance(context, dict):
        raise bad_param("context", "must be a JSON object")
    message_id = context.get("message_id")
    if not message_id:
        raise missing("context['message_id']")
    if not isinstance(message_id, str):
        raise bad_param("context['message_id']", "must be a string")
    return message_id


def _opaque(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_param("biz_opaque_callback_data", "must be a string")
    if len(value) > 512:
        raise invalid("biz_opaque_callback_data", "must be at most 512 characters")
    return value


# Field helpers ------------------------------------------------------------------------

def _path(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}['{key}']"


def _only_keys(obj: dict[str, Any], allowed: set[str] | frozenset[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise bad_param(_path(where, key), "is not a valid parameter")


def _obj(parent: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any] | None:
    value = parent.get(key)
    path = _path(where, key)
    if value is None:
        if required:
            raise missing(path)
        return None
    if not isinstance(value, dict):
        raise bad_param(path, "must be a JSON object")
    return value


def _text(
    parent: dict[str, Any], key: str, where: str, max_len: int, *, required: bool = True
) -> str | None:
    value = parent.get(key)
    path = _path(where, key)
    if value is None or value == "":
        if required:
            raise missing(path)
        return None
    if not isinstance(value, str):
        raise bad_param(path, "must be a string")
    if len(value) > max_len:
        raise invalid(path, f"must be at most {max_len} characters long")
    return value


def _list(parent: dict[str, Any], key: str, where: str, lo: int, hi: int) -> list[Any]:
    value = parent.get(key)
    path = _path(where, key)
    if value is None or value == []:
        raise missing(path)
    if not isinstance(value, list):
        raise bad_param(path, "must be an array")
    if not lo <= len(value) <= hi:
        raise invalid(path, f"must have between {lo} and {hi} elements")
    return value


def _link(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise bad_param(path, "must be a string")
    if not value.startswith(("http://", "https://")):
        raise invalid(path, "must be an http(s) URL")


# Per-type checks: each returns the reply options a user could tap, or None -------------


def _check_text(content: dict[str, Any], where: str) -> Options:
    _only_keys(content, {"body", "preview_url"}, where)
    _text(content, "body", where, limits.TEXT_BODY_MAX)
    if "preview_url" in content and not isinstance(content["preview_url"], bool):
        raise bad_param(_path(where, "preview_url"), "must be a boolean")
    return None


def _check_media(content: dict[str, Any], where: str) -> Options:
    _only_keys(content, _MEDIA_KEYS[where], where)
    has_id, has_link = bool(content.get("id")), bool(content.get("link"))
    if not (has_id or has_link):
        raise missing(f"{where}['id'] or {where}['link']")
    if has_id and has_link:
        raise invalid(where, "must have either id or link, not both")
    if has_id and not isinstance(content["id"], str):
        raise bad_param(_path(where, "id"), "must be a string")
    if has_link:
        _link(content["link"], _path(where, "link"))
    _text(content, "caption", where, limits.CAPTION_MAX, required=False)
    _text(content, "filename", where, 240, required=False)
    return None


def _coordinate(content: dict[str, Any], key: str, bound: float) -> None:
    path = _path("location", key)
    value = content.get(key)
    if value is None or value == "":
        raise missing(path)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad_param(path, "must be a number") from None
    if not -bound <= number <= bound:
        raise invalid(path, f"must be between -{bound:g} and {bound:g}")


def _check_location(content: dict[str, Any], where: str) -> Options:
    _only_keys(content, {"latitude", "longitude", "name", "address"}, where)
    _coordinate(content, "latitude", 90)
    _coordinate(content, "longitude", 180)
    _text(content, "name", where, 1000, required=False)
    _text(content, "address", where, 1000, required=False)
    return None


def _check_contacts(contacts: Any) -> None:
    if not isinstance(contacts, list):
        raise bad_param("contacts", "must be an array")
    if not contacts:
        raise missing("contacts")
    for i, contact in enumerate(contacts):
        where = _path("contacts", i)
        if not isinstance(contact, dict):
            raise bad_param(where, "must be a JSON object")
        name = _obj(contact, "name", where)
        assert name is not None
        _text(name, "formatted_name", _path(where, "name"), 1000)


def _check_reaction(content: dict[str, Any], where: str) -> Options:
    _only_keys(content, {"message_id", "emoji"}, where)
    _text(content, "message_id", where, 1000)
    if "emoji" not in content:
        raise missing(_path(where, "emoji"))
    if not isinstance(content["emoji"], str):
        raise bad_param(_path(where, "emoji"), "must be a string")
    return None


def _check_interactive(content: dict[str, Any], where: str) -> Options:
    _only_keys(content, {"type", "header", "body", "footer", "action"}, where)
    kind = content.get("type")
    if not kind:
        raise missing(_path(where, "type"))
    if kind not in _INTERACTIVE_TYPES:
        raise invalid(_path(where, "type"), f"must be one of {sorted(_INTERACTIVE_TYPES)}")
    action = _obj(content, "action", where)
    assert action is not None
    body_max = limits.LIST_BODY_MAX if kind == "list" else limits.INTERACTIVE_BODY_MAX
    body = _obj(content, "body", where, required=kind != "product")
    if body is not None:
        _only_keys(body, {"text"}, _path(where, "body"))
        _text(body, "text", _path(where, "body"), body_max)
    footer = _obj(content, "footer", where, required=False)
    if footer is not None:
        _only_keys(footer, {"text"}, _path(where, "footer"))
        _text(footer, "text", _path(where, "footer"), limits.INTERACTIVE_FOOTER_MAX)
    header = _obj(content, "header", where, required=False)
    if header is not None:
        _check_interactive_header(header, text_only=kind in ("list", "product_list"))
    action_where = _path(where, "action")
    if kind == "button":
        return _check_reply_buttons(action, action_where)
    if kind == "list":
        return _check_list(action, action_where)
    if kind == "cta_url":
        if not action.get("name"):
            raise missing(_path(action_where, "name"))
        if action["name"] != "cta_url":
            raise invalid(_path(action_where, "name"), "must be 'cta_url'")
        params = _obj(action, "parameters", action_where)
        assert params is not None
        params_where = _path(action_where, "parameters")
        _text(params, "display_text", params_where, limits.BUTTON_TITLE_MAX)
        _link(params.get("url"), _path(params_where, "url"))
    elif kind == "flow":
        if action.get("name") != "flow":
            raise invalid(_path(action_where, "name"), "must be 'flow'")
        params = _obj(action, "parameters", action_where)
        assert params is not None
        _check_flow_parameters(params, _path(action_where, "parameters"))
    elif kind == "location_request_message" and action.get("name") != "send_location":
        raise invalid(_path(action_where, "name"), "must be 'send_location'")
    return None


# Meta's ActionObject for flows (OpenAPI v23.0): required flow_message_version ("3") and
# flow_cta (at most 30 characters), exactly one of flow_id and flow_name, and enums for
# mode and flow_action.
_FLOW_ENUMS = {"flow_message_version": ("3",), "mode": ("draft", "published"),
               "flow_action": ("navigate", "data_exchange")}
FLOW_CTA_MAX = 30


def _check_flow_parameters(params: dict[str, Any], where: str) -> None:
    _only_keys(params, {"flow_message_version", "flow_id", "flow_name", "flow_cta", "mode", "flow_token",
                        "flow_action", "flow_action_payload"}, where)
    for key in ("flow_message_version", "flow_cta"):
        _text(params, key, where, 1000)
    _text(params, "flow_cta", where, FLOW_CTA_MAX)
    given = [key for key in ("flow_id", "flow_name") if params.get(key)]
    if not given:
        raise missing(f"{where}['flow_id'] or {where}['flow_name']")
    if len(given) == 2:
        raise invalid(where, "must have either flow_id or flow_name, not both")
    for key in given:
        _text(params, key, where, 1000)
    for key, allowed in _FLOW_ENUMS.items():
        if key in params and params[key] not in allowed:
            raise invalid(_path(where, key), f"must be one of {', '.join(allowed)}")
    payload = _obj(params, "flow_action_payload", where, required=False)
    data = payload.get("data", {"": ""}) if payload is not None else {"": ""}
    if not isinstance(data, dict) or not data:
        raise invalid(_path(_path(where, "flow_action_payload"), "data"), "must be a non-empty object")


def _check_interactive_header(header: dict[str, Any], *, text_only: bool) -> None:
    where = "interactive['header']"
    kind = header.get("type")
    if not kind:
        raise missing(_path(where, "type"))
    allowed = {"text"} if text_only else {"text", "image", "video", "document"}
    if kind not in allowed:
        raise invalid(_path(where, "type"), f"must be one of {sorted(allowed)}")
    if kind == "text":
        _text(header, "text", where, limits.INTERACTIVE_HEADER_TEXT_MAX)
    else:
        media = _obj(header, kind, where)
        assert media is not None
        _check_media(media, kind)


def _check_reply_buttons(action: dict[str, Any], where: str) -> Options:
    _only_keys(action, {"buttons"}, where)
    buttons = _list(action, "buttons", where, limits.BUTTONS_MIN, limits.BUTTONS_MAX)
    options: list[tuple[str, str, str, str]] = []
    for i, button in enumerate(buttons):
        b_where = _path(_path(where, "buttons"), i)
        if not isinstance(button, dict):
            raise bad_param(b_where, "must be a JSON object")
        if button.get("type") != "reply":
            raise invalid(_path(b_where, "type"), "must be 'reply'")
        reply = _obj(button, "reply", b_where)
        assert reply is not None
        r_where = _path(b_where, "reply")
        button_id = _text(reply, "id", r_where, limits.BUTTON_ID_MAX)
        title = _text(reply, "title", r_where, limits.BUTTON_TITLE_MAX)
        assert button_id is not None and title is not None
        options.append(("button", button_id, title, ""))
    _unique([o[1] for o in options], f"{where}['buttons'] ids")
    _unique([o[2] for o in options], f"{where}['buttons'] titles")
    return options


def _check_list(action: dict[str, Any], where: str) -> Options:
    _only_keys(action, {"button", "sections"}, where)
    _text(action, "button", where, limits.LIST_BUTTON_TEXT_MAX)
    sections = _list(action, "sections", where, 1, limits.LIST_SECTIONS_MAX)
    options: list[tuple[str, str, str, str]] = []
    for i, section in enumerate(sections):
        s_where = _path(_path(where, "sections"), i)
        if not isinstance(section, dict):
            raise bad_param(s_where, "must be a JSON object")
        _only_keys(section, {"title", "rows"}, s_where)
        _text(section, "title", s_where, limits.LIST_SECTION_TITLE_MAX, required=len(sections) > 1)
        rows = _list(section, "rows", s_where, 1, limits.LIST_ROWS_TOTAL_MAX)
        for j, row in enumerate(rows):
            r_where = _path(_path(s_where, "rows"), j)
            if not isinstance(row, dict):
                raise bad_param(r_where, "must be a JSON object")
            _only_keys(row, {"id", "title", "description"}, r_where)
            row_id = _text(row, "id", r_where, limits.LIST_ROW_ID_MAX)
            title = _text(row, "title", r_where, limits.LIST_ROW_TITLE_MAX)
            desc = _text(row, "description", r_where, limits.LIST_ROW_DESCRIPTION_MAX, required=False)
            assert row_id is not None and title is not None
            options.append(("list", row_id, title, desc or ""))
    if len(options) > limits.LIST_ROWS_TOTAL_MAX:
        raise invalid(f"{where}['sections']", f"must have at most {limits.LIST_ROWS_TOTAL_MAX} rows in total")
    _unique([o[1] for o in options], f"{where}['sections'] row ids")
    return options


def _unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise invalid(what, "must be unique")


def _check_template(content: dict[str, Any], where: str) -> Options:
    _only_keys(content, {"name", "language", "components", "namespace"}, where)
    _text(content, "name", where, limits.TEMPLATE_NAME_MAX)
    language = _obj(content, "language", where)
    assert language is not None
    _only_keys(language, {"code", "policy"}, _path(where, "language"))
    _text(language, "code", _path(where, "language"), 100)  # an unknown code is 132001, not a format error
    components = content.get("components", [])
    if not isinstance(components, list):
        raise bad_param(_path(where, "components"), "must be an array")
    for i, comp in enumerate(components):
        c_where = _path(_path(where, "components"), i)
        if not isinstance(comp, dict):
            raise bad_param(c_where, "must be a JSON object")
        _only_keys(comp, {"type", "sub_type", "index", "parameters"}, c_where)
        kind = comp.get("type")
        if not kind:
            raise missing(_path(c_where, "type"))
        if not isinstance(kind, str) or kind.lower() not in _TEMPLATE_COMPONENT_TYPES:
            raise invalid(_path(c_where, "type"), "must be one of header, body, button")
        if kind.lower() == "button":
            sub_type = comp.get("sub_type")
            if not sub_type:
                raise missing(_path(c_where, "sub_type"))
            if not isinstance(sub_type, str) or sub_type.lower() not in _BUTTON_SUB_TYPES:
                raise invalid(_path(c_where, "sub_type"), f"must be one of {sorted(_BUTTON_SUB_TYPES)}")
            index = comp.get("index")
            if index is None or index == "":
                raise missing(_path(c_where, "index"))
            if not str(index).isdigit():
                raise invalid(_path(c_where, "index"), "must be a non-negative integer")
        params = comp.get("parameters", [])
        if not isinstance(params, list):
            raise bad_param(_path(c_where, "parameters"), "must be an array")
        for j, param in enumerate(params):
            _check_template_param(param, _path(_path(c_where, "parameters"), j))
    return None


def _check_template_param(param: Any, where: str) -> None:
    if not isinstance(param, dict):
        raise bad_param(where, "must be a JSON object")
    kind = param.get("type")
    if not kind:
        raise missing(_path(where, "type"))
    if kind not in _TEMPLATE_PARAM_TYPES:
        raise invalid(_path(where, "type"), f"must be one of {sorted(_TEMPLATE_PARAM_TYPES)}")
    if kind not in param:
        raise missing(_path(where, kind))
    value = param[kind]
    if kind in {"text", "payload", "coupon_code"}:
        if not isinstance(value, str):
            raise bad_param(_path(where, kind), "must be a string")
        if value == "":
            raise missing(_path(where, kind))
    elif kind in {"image", "video", "document"}:
        if not isinstance(value, dict):
            raise bad_param(_path(where, kind), "must be a JSON object")
        _check_media(value, kind)
    elif kind in {"currency", "date_time"}:
        if not isinstance(value, dict):
            raise bad_param(_path(where, kind), "must be a JSON object")
        _text(value, "fallback_value", _path(where, kind), 1024)
        if kind == "currency":
            for key in ("code", "amount_1000"):
                if key not in value:
                    raise missing(_path(_path(where, kind), key))
    elif not isinstance(value, dict):
        raise bad_param(_path(where, kind), "must be a JSON object")
    name = param.get("parameter_name")
    if name is not None and not isinstance(name, str):
        raise bad_param(_path(where, "parameter_name"), "must be a string")


_CHECKS = {
    "text": _check_text,
    "image": _check_media,
    "video": _check_media,
    "document": _check_media,
    "audio": _check_media,
    "sticker": _check_media,
    "location": _check_location,
    "interactive": _check_interactive,
    "template": _check_template,
    "reaction": _check_reaction,
}
