"""A template with its parameters: as Graph send components, as a preview, as plain text.

``send_components`` and ``params_from_components`` are inverses: the processor builds the
``components`` of a template message with the first, and the sandbox reads a received
message back into :class:`TemplateParams` with the second to apply Meta's checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .enums import ButtonType, HeaderFormat, ParameterFormat
from .model import Button, TemplateDefinition
from .params import (
    Currency,
    DateTime,
    HeaderObject,
    Location,
    Media,
    TemplateParams,
    TextValue,
    display_value,
)
from .problems import Problem, TemplateParameterError
from .variables import (
    GRAPH_PARAM_COUNT,
    GRAPH_PARAM_FORMAT,
    check_parameters,
    example_parameters,
    required_parameters,
    substitute,
)

JSON = dict[str, Any]

# Send-side sub_type of each button type, and the key its parameter's value sits under.
_BUTTON_SUB_TYPES = {
    ButtonType.QUICK_REPLY.value: "quick_reply",
    ButtonType.URL.value: "url",
    ButtonType.COPY_CODE.value: "copy_code",
    ButtonType.FLOW.value: "flow",
}
_OBJECT_TYPES = ("image", "video", "document", "location")
GRAPH_INVALID_PARAM = 131009
COPY_CODE_LABEL = "Copy code"  # Meta draws the label of a copy-code button itself


# --- send side --------------------------------------------------------------------------


def _text_param(name: str, value: TextValue, named: bool) -> JSON:
    if isinstance(value, Currency):
        param: JSON = {
            "type": "currency",
            "currency": {
                "fallback_value": value.fallback_value,
                "code": value.code,
                "amount_1000": value.amount_1000,
            },
        }
    elif isinstance(value, DateTime):
        param = {"type": "date_time", "date_time": {"fallback_value": value.fallback_value}}
    else:
        param = {"type": "text", "text": value}
    if named:
        param["parameter_name"] = name
    return param


def _object_param(header_format: str, value: HeaderObject) -> JSON:
    kind = header_format.lower()
    if isinstance(value, Location):
        fields: JSON = {
            "latitude": value.latitude,
            "longitude": value.longitude,
            "name": value.name,
            "address": value.address,
        }
    else:
        # Only documents carry a file name; Meta refuses unknown keys on images and videos.
        fields = {
            "link": value.link,
            "id": value.id,
            "filename": value.filename if kind == "document" else None,
        }
    return {"type": kind, kind: {k: v for k, v in fields.items() if v is not None}}


def _button_param(button_type: str, value: str) -> JSON:
    if button_type == ButtonType.URL:
        return {"type": "text", "text": value}
    if button_type == ButtonType.COPY_CODE:
        return {"type": "coupon_code", "coupon_code": value}
    if button_type == ButtonType.FLOW:
        return {"type": "action", "action": {"flow_token": value}}
    return {"type": "payload", "payload": value}


def send_components(defn: TemplateDefinition, params: TemplateParams) -> list[JSON]:
    """The ``template.components`` of a send (CLOUDAPI.md §2).

    Raises :class:`TemplateParameterError` when ``check_parameters`` finds anything: a payload
    Meta would refuse is never built.
    """
    problems = check_parameters(defn, params)
    if problems:
        raise TemplateParameterError(problems)
    return checked_send_components(defn, params)


def checked_send_components(defn: TemplateDefinition, params: TemplateParams) -> list[JSON]:
    """``send_components`` for ``params`` that ``check_parameters`` has just passed.

    The processor decides with that check (the fallback rules need its verdict) and then
    builds: checking twice was a tenth of a send's CPU at Meta's 1,000 messages/s.
    """
    req = required_parameters(defn)
    named = defn.parameter_format == ParameterFormat.NAMED
    components: list[JSON] = []
    header = [_text_param(n, params.header[n], named) for n in req.header]
    if req.header_object and params.header_object is not None:
        header.append(_object_param(req.header_object, params.header_object))
    if header:
        components.append({"type": "header", "parameters": header})
    if req.body:
        components.append(
            {"type": "body", "parameters": [_text_param(n, params.body[n], named) for n in req.body]}
        )
    for index in sorted(params.buttons):
        button = defn.buttons[index]
        components.append(
            {
                "type": "button",
                "sub_type": _BUTTON_SUB_TYPES[button.type],
                "index": str(index),
                "parameters": [_button_param(button.type, params.buttons[index])],
            }
        )
    return components


# --- receive side (the sandbox) ---------------------------------------------------------


def _value_from_graph(param: Mapping[str, Any]) -> TextValue | None:
    kind = param.get("type")
    try:
        if kind == "text":
            return str(param["text"])
        if kind == "currency":
            c = param["currency"]
            return Currency(str(c["fallback_value"]), str(c["code"]), int(c["amount_1000"]))
        if kind == "date_time":
            return DateTime(str(param["date_time"]["fallback_value"]))
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _object_from_graph(kind: str, data: Any) -> HeaderObject | None:
    if not isinstance(data, Mapping):
        return None
    try:
        if kind == "location":
            return Location(
                float(data["latitude"]), float(data["longitude"]), data.get("name"), data.get("address")
            )
    except (KeyError, TypeError, ValueError):
        return None
    return Media(link=data.get("link"), id=data.get("id"), filename=data.get("filename"))


def _button_value_from_graph(param: Mapping[str, Any]) -> str | None:
    kind = param.get("type")
    if kind == "action":
        action = param.get("action")
        token = action.get("flow_token") if isinstance(action, Mapping) else None
        return None if token is None else str(token)
    if kind in ("text", "payload", "coupon_code") and param.get(kind) is not None:
        return str(param[kind])
    return None


def _invalid(field: str, message: str, code: int = GRAPH_INVALID_PARAM) -> Problem:
    return Problem(field, message, "PARAM_INVALID", graph_code=code)


@dataclass
class _Reader:
    """Collects parameters and the problems of a received ``components`` list."""

    defn: TemplateDefinition
    header: dict[str, TextValue] = field(default_factory=dict)
    body: dict[str, TextValue] = field(default_factory=dict)
    buttons: dict[int, str] = field(default_factory=dict)
    header_object: HeaderObject | None = None
    problems: list[Problem] = field(default_factory=list)

    def text_component(self, kind: str, params: list[Any]) -> None:
        target = self.header if kind == "header" else self.body
        named = self.defn.parameter_format == ParameterFormat.NAMED
        for position, param in enumerate(params, start=1):
            where = f"{kind}.parameters"
            if not isinstance(param, Mapping):
                self.problems.append(_invalid(where, f"{kind} parameter {position} is not an object"))
                continue
            if kind == "header" and param.get("type") in _OBJECT_TYPES:
                kind_name = str(param["type"])
                self.header_object = _object_from_graph(kind_name, param.get(kind_name))
                if self.header_object is None:
                    self.problems.append(_invalid("header.object", f"the header {kind_name} is malformed"))
                continue
            value = _value_from_graph(param)
            if value is None:
                self.problems.append(
                    _invalid(
                        where,
                        f"{kind} parameter {position} of type {param.get('type')!r} "
                        "is malformed or not supported",
                    )
                )
                continue
            name = str(param.get("parameter_name") or "") if named else str(position)
            if not name:
                self.problems.append(
                    _invalid(
                        where,
                        f"{kind} parameter {position} has no parameter_name; "
                        "the template uses named parameters",
                        GRAPH_PARAM_FORMAT,
                    )
                )
            elif name in target:
                self.problems.append(
                    _invalid(where, f"{kind} parameter {{{{{name}}}}} is given twice", GRAPH_PARAM_COUNT)
                )
            else:
                target[name] = value

    def button_component(self, component: Mapping[str, Any]) -> None:
        raw_index = str(component.get("index", ""))
        if not raw_index.isdigit():
            self.problems.append(_invalid("buttons", f"button index {raw_index!r} is not a number"))
            return
        index = int(raw_index)
        where = f"buttons[{index}].parameter"
        button = self.defn.buttons[index] if index < len(self.defn.buttons) else None
        if button is not None and component.get("sub_type") != _BUTTON_SUB_TYPES.get(button.type):
            self.problems.append(
                _invalid(
                    where,
                    f"button {index} is {button.type}; sub_type "
                    f"{component.get('sub_type')!r} does not fit it",
                    GRAPH_PARAM_FORMAT,
                )
            )
            return
        params = component.get("parameters") or []
        value = _button_value_from_graph(params[0]) if params and isinstance(params[0], Mapping) else None
        if value is None:
            self.problems.append(_invalid(where, f"button {index} has no usable parameter"))
        else:
            self.buttons[index] = value


def params_from_components(defn: TemplateDefinition, components: Sequence[Any]) -> TemplateParams:
    """Read a send's ``template.components`` back into parameters of ``defn``.

    Raises :class:`TemplateParameterError` for what cannot be read (unknown component types,
    malformed parameters). Counts are not checked here: pass the result to
    ``check_parameters`` for that, as Meta does.
    """
    reader = _Reader(defn)
    for position, component in enumerate(components):
        kind = str(component.get("type", "")).lower() if isinstance(component, Mapping) else ""
        if kind in ("header", "body"):
            params = component.get("parameters")
            reader.text_component(kind, params if isinstance(params, list) else [])
        elif kind == "button":
            reader.button_component(component)
        else:
            reader.problems.append(_invalid("components", f"component {position} has unknown type {kind!r}"))
    if reader.problems:
        raise TemplateParameterError(reader.problems)
    return TemplateParams(
        header=reader.header, body=reader.body, buttons=reader.buttons, header_object=reader.header_object
    )


# --- previews ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedButton:
    kind: str  # the button type: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, FLOW
    text: str
    target: str | None = None  # the URL (suffix filled in), the phone number, or the code to copy


@dataclass
class RenderedMessage:
    header: str | None  # the header text; None for no header or a media/location header
    header_format: str | None  # TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION, or None
    body: str
    footer: str | None
    buttons: list[RenderedButton] = field(default_factory=list)


def _render_button(index: int, button: Button, params: TemplateParams) -> RenderedButton:
    value = params.buttons.get(index)
    if button.type == ButtonType.URL:
        url = button.url or ""
        target = substitute(url, {"1": value}) if value is not None else url
        return RenderedButton(button.type, button.text or "", target)
    if button.type == ButtonType.PHONE_NUMBER:
        return RenderedButton(button.type, button.text or "", button.phone_number)
    if button.type == ButtonType.COPY_CODE:
        return RenderedButton(button.type, button.text or COPY_CODE_LABEL, value or button.example)
    return RenderedButton(button.type, button.text or "")


def _shown(values: Mapping[str, TextValue]) -> dict[str, str]:
    return {name: display_value(value) for name, value in values.items()}


def render_preview(defn: TemplateDefinition, params: TemplateParams | None = None) -> RenderedMessage:
    """The message as the recipient would see it; variables without a value stay as ``{{n}}``.

    Without ``params``, the template's own examples fill the variables.
    """
    params = example_parameters(defn) if params is None else params
    header = defn.header
    header_text = None
    if header is not None and header.format == HeaderFormat.TEXT:
        header_text = substitute(header.text or "", _shown(params.header))
    return RenderedMessage(
        header=header_text,
        header_format=header.format if header is not None else None,
        body=substitute(defn.body.text, _shown(params.body)),
        footer=defn.footer.text if defn.footer is not None else None,
        buttons=[_render_button(i, b, params) for i, b in enumerate(defn.buttons)],
    )


def render_plain_text(defn: TemplateDefinition, params: TemplateParams | None = None) -> str:
    """The template as one text message, for the fallback inside the 24-hour window.

    Header, body and footer as blocks, WhatsApp formatting kept; a media header becomes its
    link; URL, phone and copy-code buttons become "Text: target" lines and quick replies a
    "[Yes] [No]" line (the user types the reply). Flow buttons cannot work in a text and are
    left out.
    """
    rendered = render_preview(defn, params)
    blocks: list[str] = []
    media = params.header_object if params is not None else None
    if isinstance(media, Media) and media.link:
        blocks.append(media.link)
    for text in (rendered.header, rendered.body, rendered.footer):
        if text:
            blocks.append(text)
    # Quick replies are one block of buttons, so one line, where that block stands.
    replies = " ".join(f"[{b.text}]" for b in rendered.buttons if b.kind == ButtonType.QUICK_REPLY)
    actions: list[str] = []
    for button in rendered.buttons:
        if button.kind == ButtonType.QUICK_REPLY:
            if replies:
                actions.append(replies)
                replies = ""
        elif button.target:
            actions.append(f"{button.text}: {button.target}")
    if actions:
        blocks.append("\n".join(actions))
    return "\n\n".join(blocks)
