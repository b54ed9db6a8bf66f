"""A template definition, typed, that round-trips Meta's Graph JSON (CLOUDAPI.md §3).

Meta adds fields, component types and button types over time. Whatever this model does not
know is kept (``extra``, ``example_extra``, ``extra_components``) and written back by
``to_graph``, so syncing a template and saving it never drops data.

Examples are held as one mapping per component, variable name -> example ("1" -> "Ana" or
"first_name" -> "Ana"), which is what the editor shows next to each variable. ``to_graph``
writes them as ``body_text``/``header_text`` when the names are positional and as
``*_named_params`` otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .enums import ButtonType, ParameterFormat
from .problems import TemplateFormatError
from .variables import is_positional, placeholders

JSON = dict[str, Any]

_COMPONENT_KEYS = {
    "HEADER": {"type", "format", "text", "example"},
    "BODY": {"type", "text", "example"},
    "FOOTER": {"type", "text"},
    "BUTTONS": {"type", "buttons"},
}
_BUTTON_KEYS = {"type", "text", "url", "phone_number", "example", "flow_id"}
_TOP_KEYS = {
    "name",
    "language",
    "category",
    "parameter_format",
    "components",
    "id",
    "status",
    "quality_score",
    "rejected_reason",
}


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _rest(data: Mapping[str, Any], known: set[str]) -> JSON:
    return {k: copy.deepcopy(v) for k, v in data.items() if k not in known}


def _first(value: Any) -> str | None:
    """Meta wraps single examples in lists (``["#42"]``, ``[["Ana", "May 1"]]``)."""
    while isinstance(value, list):
        if not value:
            return None
        value = value[0]
    return _str_or_none(value)


def _example_of(component: Mapping[str, Any]) -> Mapping[str, Any]:
    example = component.get("example")
    return example if isinstance(example, Mapping) else {}


def _examples_from_graph(example: Mapping[str, Any], prefix: str) -> tuple[dict[str, str], JSON]:
    """Read ``{prefix}_text`` / ``{prefix}_text_named_params``; return the rest untouched."""
    positional_key, named_key = f"{prefix}_text", f"{prefix}_text_named_params"
    examples: dict[str, str] = {}
    values = example.get(positional_key)
    if isinstance(values, list):
        # body_text is a list of lists (one per sample set; Meta asks for one), header_text flat.
        row = values[0] if values and isinstance(values[0], list) else values
        examples.update({str(i): str(v) for i, v in enumerate(row, start=1)})
    for item in example.get(named_key) or []:
        if isinstance(item, Mapping) and "param_name" in item:
            examples[str(item["param_name"])] = str(item.get("example", ""))
    return examples, _rest(example, {positional_key, named_key})


def _examples_to_graph(examples: Mapping[str, str], prefix: str, nested: bool) -> JSON:
    if not examples:
        return {}
    if all(is_positional(name) for name in examples):
        row = [examples.get(str(i), "") for i in range(1, max(int(n) for n in examples) + 1)]
        return {f"{prefix}_text": [row] if nested else row}
    return {
        f"{prefix}_text_named_params": [
            {"param_name": name, "example": value} for name, value in examples.items()
        ]
    }


@dataclass(kw_only=True)
class Header:
    format: str = "TEXT"
    text: str | None = None
    examples: dict[str, str] = field(default_factory=dict)
    # The sample a media header is reviewed with: ``example.header_handle[0]``, an upload handle.
    media_handle: str | None = None
    extra: JSON = field(default_factory=dict)
    example_extra: JSON = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> Header:
        example = _example_of(data)
        examples, example_extra = _examples_from_graph(example, "header")
        media_handle = _first(example_extra.pop("header_handle", None))
        return cls(
            format=str(data.get("format", "TEXT")),
            text=_str_or_none(data.get("text")),
            examples=examples,
            media_handle=media_handle,
            extra=_rest(data, _COMPONENT_KEYS["HEADER"]),
            example_extra=example_extra,
        )

    def to_graph(self) -> JSON:
        out: JSON = {**copy.deepcopy(self.extra), "type": "HEADER", "format": self.format}
        if self.text is not None:
            out["text"] = self.text
        example = {**copy.deepcopy(self.example_extra), **_examples_to_graph(self.examples, "header", False)}
        if self.media_handle is not None:
            example["header_handle"] = [self.media_handle]
        if example:
            out["example"] = example
        return out


@dataclass(kw_only=True)
class Body:
    text: str = ""
    examples: dict[str, str] = field(default_factory=dict)
    extra: JSON = field(default_factory=dict)
    example_extra: JSON = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> Body:
        example = _example_of(data)
        examples, example_extra = _examples_from_graph(example, "body")
        return cls(
            text=str(data.get("text", "")),
            examples=examples,
            extra=_rest(data, _COMPONENT_KEYS["BODY"]),
            example_extra=example_extra,
        )

    def to_graph(self) -> JSON:
        out: JSON = {**copy.deepcopy(self.extra), "type": "BODY", "text": self.text}
        example = {**copy.deepcopy(self.example_extra), **_examples_to_graph(self.examples, "body", True)}
        if example:
            out["example"] = example
        return out


@dataclass(kw_only=True)
class Footer:
    text: str = ""
    extra: JSON = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> Footer:
        return cls(text=str(data.get("text", "")), extra=_rest(data, _COMPONENT_KEYS["FOOTER"]))

    def to_graph(self) -> JSON:
        return {**copy.deepcopy(self.extra), "type": "FOOTER", "text": self.text}


@dataclass(kw_only=True)
class Button:
    """One button. Which fields apply depends on ``type``:

    QUICK_REPLY: text. URL: text, url (may end in ``{{1}}``), example (the full example URL).
    PHONE_NUMBER: text, phone_number. COPY_CODE: example (the code; Meta supplies the label).
    FLOW: text, flow_id (flow_action, navigate_screen, ... stay in ``extra``).
    """

    type: str
    text: str | None = None
    url: str | None = None
    phone_number: str | None = None
    example: str | None = None
    flow_id: str | None = None
    extra: JSON = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> Button:
        return cls(
            type=str(data.get("type", "")),
            text=_str_or_none(data.get("text")),
            url=_str_or_none(data.get("url")),
            phone_number=_str_or_none(data.get("phone_number")),
            example=_first(data.get("example")),
            flow_id=_str_or_none(data.get("flow_id")),
            extra=_rest(data, _BUTTON_KEYS),
        )

    def to_graph(self) -> JSON:
        out: JSON = {**copy.deepcopy(self.extra), "type": self.type}
        for key in ("text", "url", "phone_number", "flow_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.example is not None:
            # URL examples are a list of URLs in Graph JSON; a COPY_CODE example is the code itself.
            out["example"] = [self.example] if self.type == ButtonType.URL else self.example
        return out


@dataclass(kw_only=True)
class Quality:
    score: str = "UNKNOWN"  # GREEN | YELLOW | RED | UNKNOWN
    date: int | None = None  # unix seconds
    extra: JSON = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> Quality:
        raw = data.get("date")
        date = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
        # A date in a shape we do not read stays in ``extra`` and goes back as it came.
        known = {"score", "date"} if date is not None else {"score"}
        return cls(score=str(data.get("score", "UNKNOWN")), date=date, extra=_rest(data, known))

    def to_graph(self) -> JSON:
        out: JSON = {**copy.deepcopy(self.extra), "score": self.score}
        if self.date is not None:
            out["date"] = self.date
        return out


def _infer_format(header: Header | None, body: Body) -> str:
    """Meta's list call only returns ``parameter_format`` when asked; the text tells."""
    texts = [body.text, header.text if header else None]
    names = [name for text in texts for name in placeholders(text)]
    if any(not name.isdigit() for name in names):
        return ParameterFormat.NAMED.value
    return ParameterFormat.POSITIONAL.value


@dataclass(kw_only=True)
class TemplateDefinition:
    name: str = ""
    language: str = ""
    category: str = ""
    parameter_format: str = "POSITIONAL"
    header: Header | None = None
    body: Body = field(default_factory=Body)
    footer: Footer | None = None
    buttons: list[Button] = field(default_factory=list)
    # Known once synced with Meta (or the sandbox).
    id: str | None = None
    status: str | None = None
    quality: Quality | None = None
    rejected_reason: str | None = None
    # Unknown top-level fields, unknown or repeated components, unknown keys of BUTTONS.
    extra: JSON = field(default_factory=dict)
    extra_components: list[JSON] = field(default_factory=list)
    buttons_extra: JSON = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> TemplateDefinition:
        if not isinstance(data, Mapping):
            raise TemplateFormatError(f"a template must be a JSON object, not {type(data).__name__}")
        components = data.get("components") or []
        if not isinstance(components, list) or not all(isinstance(c, Mapping) for c in components):
            raise TemplateFormatError(f"template {data.get('name')!r}: components must be a list of objects")

        header: Header | None = None
        body: Body | None = None
        footer: Footer | None = None
        buttons: list[Button] = []
        buttons_extra: JSON = {}
        extra_components: list[JSON] = []
        seen: set[str] = set()
        for component in components:
            kind = str(component.get("type", "")).upper()
            if kind not in _COMPONENT_KEYS or kind in seen:
                # A repeated HEADER is kept, not dropped, so the validator can report it.
                extra_components.append(copy.deepcopy(dict(component)))
                continue
            seen.add(kind)
            if kind == "HEADER":
                header = Header.from_graph(component)
            elif kind == "BODY":
                body = Body.from_graph(component)
            elif kind == "FOOTER":
                footer = Footer.from_graph(component)
            else:
                raw = component.get("buttons") or []
                buttons = [Button.from_graph(b) for b in raw if isinstance(b, Mapping)]
                buttons_extra = _rest(component, _COMPONENT_KEYS["BUTTONS"])

        body = body or Body()
        quality = data.get("quality_score")
        return cls(
            name=str(data.get("name", "")),
            language=str(data.get("language", "")),
            category=str(data.get("category", "")),
            parameter_format=str(data.get("parameter_format") or _infer_format(header, body)),
            header=header,
            body=body,
            footer=footer,
            buttons=buttons,
            id=_str_or_none(data.get("id")),
            status=_str_or_none(data.get("status")),
            quality=Quality.from_graph(quality) if isinstance(quality, Mapping) else None,
            rejected_reason=_str_or_none(data.get("rejected_reason")),
            extra=_rest(data, _TOP_KEYS),
            extra_components=extra_components,
            buttons_extra=buttons_extra,
        )

    def components_to_graph(self) -> list[JSON]:
        components: list[JSON] = []
        if self.header is not None:
            components.append(self.header.to_graph())
        components.append(self.body.to_graph())
        if self.footer is not None:
            components.append(self.footer.to_graph())
        if self.buttons or self.buttons_extra:
            components.append(
                {
                    **copy.deepcopy(self.buttons_extra),
                    "type": "BUTTONS",
                    "buttons": [b.to_graph() for b in self.buttons],
                }
            )
        # Unknown components go last: Meta orders by type, not by position in the list.
        components.extend(copy.deepcopy(self.extra_components))
        return components

    def to_graph(self) -> JSON:
        """The full Graph JSON, as a list/get call returns it (read-only fields included)."""
        out: JSON = {**copy.deepcopy(self.extra), **self.to_create_payload()}
        if self.id is not None:
            out["id"] = self.id
        if self.status is not None:
            out["status"] = self.status
        if self.quality is not None:
            out["quality_score"] = self.quality.to_graph()
        if self.rejected_reason is not None:
            out["rejected_reason"] = self.rejected_reason
        return out

    def to_create_payload(self) -> JSON:
        """The body of ``POST /{WABA_ID}/message_templates``: no id, status or quality."""
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "parameter_format": self.parameter_format,
            "components": self.components_to_graph(),
        }
