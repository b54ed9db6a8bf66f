"""Template variables: ``{{1}}`` (positional) and ``{{first_name}}`` (named).

The syntax helpers, what a template needs from a sender, and the checks Meta applies to
what a sender gives (CLOUDAPI.md §2: the 132000 count rule and the text-parameter rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from easymo_core.cloudapi.limits import (
    TEMPLATE_COPY_CODE_MAX,
    TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES,
)

from .enums import MEDIA_HEADER_FORMATS, OBJECT_HEADER_FORMATS, ButtonType, HeaderFormat
from .params import Currency, DateTime, HeaderObject, Location, Media, TemplateParams, TextValue
from .problems import Problem

if TYPE_CHECKING:
    from .model import Button, TemplateDefinition

# Anything between double braces, so malformed names can be reported rather than ignored.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_POSITIONAL_RE = re.compile(r"[1-9][0-9]*")
_NAMED_RE = re.compile(r"[a-z0-9_]+")
_TOO_MANY_SPACES_RE = re.compile(" {" + str(TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES + 1) + ",}")

# Graph error codes a send gets for each kind of parameter problem (CLOUDAPI.md §5).
GRAPH_PARAM_COUNT = 132000
GRAPH_PARAM_VALUE = 132008
GRAPH_PARAM_FORMAT = 132012

# Button types whose send-side parameter is optional: Meta falls back to the template's own.
_OPTIONAL_BUTTON_PARAMS = frozenset({ButtonType.QUICK_REPLY, ButtonType.FLOW})


def placeholders(text: str | None) -> list[str]:
    """The variable names in ``text`` in order of appearance (repeats kept)."""
    if not text:
        return []
    return PLACEHOLDER_RE.findall(text)


def _digits(name: str) -> bool:
    # str.isdigit() alone accepts "²", which int() refuses.
    return name.isascii() and name.isdigit()


def is_positional(name: str) -> bool:
    """``1``, ``2``, ... (``0`` and ``01`` are misnumbered, not positional)."""
    return _POSITIONAL_RE.fullmatch(name) is not None


def is_named(name: str) -> bool:
    """Lowercase letters, digits and ``_``, not all digits (that would be positional)."""
    return _NAMED_RE.fullmatch(name) is not None and not _digits(name)


@lru_cache(maxsize=4096)
def variables(text: str | None) -> tuple[str, ...]:
    """The distinct variables of ``text`` in the order a sender gives their values.

    Positional values are matched by position, so they come in numeric order whatever the
    order in the text; named values are matched by name and keep the order of appearance.
    """
    names = list(dict.fromkeys(placeholders(text)))
    if names and all(_digits(n) for n in names):
        names.sort(key=int)
    return tuple(names)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each variable replaced by its value; variables without one stay as typed.

    One pass, so a value that itself looks like ``{{2}}`` is not substituted again.
    """
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def url_variable(url: str | None) -> re.Match[str] | None:
    """The (first) variable of a URL button's url, if it has one."""
    return PLACEHOLDER_RE.search(url) if url else None


def url_example_suffix(button: Button) -> str | None:
    """The URL suffix the button's example stands for.

    Meta's example is the whole URL ("https://ex.com/o/42" for "https://ex.com/o/{{1}}");
    some people give just the suffix, which is taken as it is.
    """
    match = url_variable(button.url)
    if match is None or not button.example or button.url is None:
        return None
    prefix = button.url[: match.start()]
    if prefix and button.example.startswith(prefix):
        return button.example[len(prefix) :]
    return button.example


@dataclass(frozen=True)
class RequiredParams:
    """What a send of one template must carry, per component."""

    header: tuple[str, ...] = ()
    # The header format whose send needs an object parameter (IMAGE, VIDEO, DOCUMENT, LOCATION).
    header_object: str | None = None
    body: tuple[str, ...] = ()
    # Button index -> button type, for the buttons whose parameter is required (URL, COPY_CODE).
    buttons: Mapping[int, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.header) + (1 if self.header_object else 0) + len(self.body) + len(self.buttons)


def required_parameters(defn: TemplateDefinition) -> RequiredParams:
    header: tuple[str, ...] = ()
    header_object = None
    if defn.header is not None:
        if defn.header.format == HeaderFormat.TEXT:
            header = variables(defn.header.text)
        elif defn.header.format in OBJECT_HEADER_FORMATS:
            header_object = defn.header.format
    buttons: dict[int, str] = {}
    for index, button in enumerate(defn.buttons):
        if button.type == ButtonType.URL and url_variable(button.url):
            buttons[index] = ButtonType.URL.value
        elif button.type == ButtonType.COPY_CODE:
            buttons[index] = ButtonType.COPY_CODE.value
    return RequiredParams(
        header=header, header_object=header_object, body=variables(defn.body.text), buttons=buttons
    )


def example_parameters(defn: TemplateDefinition) -> TemplateParams:
    """The template's own example values as parameters, for previews and the composer's prefill.

    Variables without an example are left out (a preview then shows them as ``{{n}}``). A
    media header has no example link (Meta's example is an upload handle), so it is left out.
    """
    req = required_parameters(defn)
    header: dict[str, TextValue] = {}
    if defn.header is not None:
        header = {n: defn.header.examples[n] for n in req.header if n in defn.header.examples}
    body: dict[str, TextValue] = {n: defn.body.examples[n] for n in req.body if n in defn.body.examples}
    buttons: dict[int, str] = {}
    for index in req.buttons:
        button = defn.buttons[index]
        value = url_example_suffix(button) if button.type == ButtonType.URL else button.example
        if value:
            buttons[index] = value
    return TemplateParams(header=header, body=body, buttons=buttons)


def text_value_problems(value: str, field_path: str, label: str) -> list[Problem]:
    """Meta's rules for a text parameter: not empty, no newline or tab, at most 4 spaces in a row."""
    if not value.strip():
        return [Problem(field_path, f"{label} is empty", "PARAM_EMPTY", graph_code=GRAPH_PARAM_VALUE)]
    problems = []
    if any(c in value for c in "\n\r\t"):
        problems.append(
            Problem(
                field_path,
                f"{label} contains a newline or tab; template parameters cannot",
                "PARAM_NEWLINE",
                graph_code=GRAPH_PARAM_VALUE,
            )
        )
    run = _TOO_MANY_SPACES_RE.search(value)
    if run:
        problems.append(
            Problem(
                field_path,
                f"{label} has {len(run.group(0))} spaces in a row; the limit is "
                f"{TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES}",
                "PARAM_SPACES",
                graph_code=GRAPH_PARAM_VALUE,
            )
        )
    return problems


def braced(names: Iterable[str]) -> str:
    """``{{1}}, {{2}}``: variable names as the user wrote them, for messages."""
    return ", ".join("{{" + name + "}}" for name in names)


def _count_problem(component: str, names: tuple[str, ...], given: Mapping[str, object]) -> list[Problem]:
    missing = [n for n in names if n not in given]
    unexpected = [n for n in given if n not in names]
    if not missing and not unexpected:
        return []
    needs = f"{component} needs {len(names)} parameter{'s' if len(names) != 1 else ''}"
    if names:
        needs += f" ({braced(names)})"
    details = []
    if missing:
        details.append(f"missing {braced(missing)}")
    if unexpected:
        details.append(f"unexpected {braced(unexpected)}")
    return [
        Problem(
            f"{component}.parameters",
            f"{needs}; got {len(given)} — {', '.join(details)}",
            "PARAM_COUNT",
            graph_code=GRAPH_PARAM_COUNT,
        )
    ]


def _value_problems(component: str, name: str, value: object, *, text_only: bool) -> list[Problem]:
    path = f"{component}.parameters.{name}"
    label = f"{component} parameter {{{{{name}}}}}"
    if isinstance(value, str):
        return text_value_problems(value, path, label)
    if isinstance(value, Currency | DateTime) and not text_only:
        if not value.fallback_value.strip():
            return [
                Problem(
                    path, f"{label} has an empty fallback value", "PARAM_EMPTY", graph_code=GRAPH_PARAM_VALUE
                )
            ]
        return []
    kind = type(value).__name__
    allowed = "text" if text_only else "text, currency or date_time"
    return [
        Problem(path, f"{label} is {kind}; it must be {allowed}", "PARAM_TYPE", graph_code=GRAPH_PARAM_FORMAT)
    ]


def _header_object_problems(needed: str | None, given: HeaderObject | None) -> list[Problem]:
    path = "header.object"
    if needed is None:
        if given is None:
            return []
        return [
            Problem(
                path,
                "the header takes no media or location",
                "PARAM_UNEXPECTED",
                graph_code=GRAPH_PARAM_COUNT,
            )
        ]
    what = needed.lower()
    if given is None:
        return [
            Problem(path, f"the {what} header needs a {what}", "PARAM_COUNT", graph_code=GRAPH_PARAM_COUNT)
        ]
    if needed in MEDIA_HEADER_FORMATS and not isinstance(given, Media):
        return [
            Problem(
                path,
                f"the {what} header needs a {what}, not a location",
                "PARAM_TYPE",
                graph_code=GRAPH_PARAM_FORMAT,
            )
        ]
    if needed == HeaderFormat.LOCATION and not isinstance(given, Location):
        return [
            Problem(
                path,
                "the location header needs a location, not media",
                "PARAM_TYPE",
                graph_code=GRAPH_PARAM_FORMAT,
            )
        ]
    if isinstance(given, Media) and not (given.link or given.id):
        return [
            Problem(
                path, f"the {what} needs a link or a media id", "PARAM_EMPTY", graph_code=GRAPH_PARAM_VALUE
            )
        ]
    return []


def _button_problems(
    defn: TemplateDefinition, req: RequiredParams, given: Mapping[int, str]
) -> list[Problem]:
    problems = []
    for index, value in given.items():
        path = f"buttons[{index}].parameter"
        if not 0 <= index < len(defn.buttons):
            problems.append(
                Problem(
                    path,
                    f"the template has no button {index} (it has {len(defn.buttons)})",
                    "PARAM_UNEXPECTED",
                    graph_code=GRAPH_PARAM_COUNT,
                )
            )
            continue
        button = defn.buttons[index]
        if index not in req.buttons and button.type not in _OPTIONAL_BUTTON_PARAMS:
            problems.append(
                Problem(
                    path,
                    f"button {index} ({button.type}) takes no parameter",
                    "PARAM_UNEXPECTED",
                    graph_code=GRAPH_PARAM_COUNT,
                )
            )
        elif req.buttons.get(index) == ButtonType.URL:
            problems.extend(text_value_problems(value, path, f"the URL suffix of button {index}"))
        elif not value.strip():
            problems.append(
                Problem(
                    path,
                    f"the parameter of button {index} is empty",
                    "PARAM_EMPTY",
                    graph_code=GRAPH_PARAM_VALUE,
                )
            )
        elif req.buttons.get(index) == ButtonType.COPY_CODE and len(value) > TEMPLATE_COPY_CODE_MAX:
            problems.append(
                Problem(
                    path,
                    f"the code of button {index} is {len(value):,} characters; the limit "
                    f"is {TEMPLATE_COPY_CODE_MAX:,}",
                    "PARAM_TOO_LONG",
                    graph_code=GRAPH_PARAM_VALUE,
                )
            )
    for index, kind in req.buttons.items():
        if index not in given:
            what = "a URL suffix" if kind == ButtonType.URL else "a code to copy"
            problems.append(
                Problem(
                    f"buttons[{index}].parameter",
                    f"button {index} ({kind}) needs {what}",
                    "PARAM_COUNT",
                    graph_code=GRAPH_PARAM_COUNT,
                )
            )
    return problems


def check_parameters(defn: TemplateDefinition, params: TemplateParams) -> list[Problem]:
    """Every reason Meta would refuse a send of ``defn`` with ``params``; empty when it fits.

    Counts must match exactly per component (Meta's 132000); each text value must be
    non-empty, without newlines or tabs and with at most 4 spaces in a row.
    """
    req = required_parameters(defn)
    problems = _count_problem("header", req.header, params.header)
    problems += [
        p
        for name in req.header
        if name in params.header
        for p in _value_problems("header", name, params.header[name], text_only=True)
    ]
    problems += _header_object_problems(req.header_object, params.header_object)
    problems += _count_problem("body", req.body, params.body)
    problems += [
        p
        for name in req.body
        if name in params.body
        for p in _value_problems("body", name, params.body[name], text_only=False)
    ]
    problems += _button_problems(defn, req, params.buttons)
    return problems
