"""Template validation: what Meta refuses at creation, and what its review likely rejects.

Every rule of CLOUDAPI.md §3. Each :class:`Problem` names one field and is either an
``ERROR`` (the create call fails) or a ``REVIEW_RISK`` (Meta creates the template, then its
review rejects it with ``INVALID_FORMAT``). The editor shows both; the client refuses to
submit on errors; the sandbox refuses creation on errors and rejects on review risks.

Meta publishes no figure for "too many variables for the text length". We ask for at least
:data:`MIN_WORDS_PER_VARIABLE` words of fixed text in the body per variable occurrence:
"Hi {{1}}!" (1 word, 1 variable) is a risk, "Your code is {{1}}." (3 words) is not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from easymo_core.cloudapi import limits

from .enums import MEDIA_HEADER_FORMATS, ButtonType, Category, HeaderFormat, ParameterFormat, Severity
from .model import Button, TemplateDefinition
from .problems import Problem
from .variables import PLACEHOLDER_RE, braced, is_named, is_positional, placeholders, variables

NAME_RE = re.compile(r"[a-z0-9_]+")
# The shape of Meta's codes ("en", "en_US", "fil", "zh_CN"), not its list of languages,
# which grows: an unknown but well-formed code is Meta's to refuse.
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
MIN_WORDS_PER_VARIABLE = 2
INVALID_FORMAT = "INVALID_FORMAT"

_WORD_RE = re.compile(r"\w+")
_VARIABLE_CHARS_RE = re.compile(r"[A-Za-z0-9_]+")
_PER_TYPE_LIMITS = {
    ButtonType.QUICK_REPLY: limits.TEMPLATE_QUICK_REPLY_MAX,
    ButtonType.URL: limits.TEMPLATE_URL_BUTTONS_MAX,
    ButtonType.PHONE_NUMBER: limits.TEMPLATE_PHONE_BUTTONS_MAX,
    ButtonType.COPY_CODE: limits.TEMPLATE_COPY_CODE_BUTTONS_MAX,
}
_SINGLE_COMPONENTS = ("HEADER", "BODY", "FOOTER", "BUTTONS")
# Model fields are plain strings; compare them with the enums' values.
_CATEGORIES = frozenset(c.value for c in Category)
_PARAMETER_FORMATS = frozenset(f.value for f in ParameterFormat)
_HEADER_FORMATS = frozenset(f.value for f in HeaderFormat)
_BUTTON_TYPES = frozenset(t.value for t in ButtonType)


def _error(field: str, code: str, message: str) -> Problem:
    return Problem(field, message, code)


def _risk(field: str, code: str, message: str) -> Problem:
    return Problem(field, message, code, Severity.REVIEW_RISK, INVALID_FORMAT)


def _too_long(field: str, code: str, what: str, value: str, limit: int) -> Iterator[Problem]:
    if len(value) > limit:
        yield _error(field, code, f"{what} is {len(value):,} characters; the limit is {limit:,}")


def _check_name(defn: TemplateDefinition) -> Iterator[Problem]:
    if not defn.name:
        yield _error("name", "NAME_REQUIRED", "the template needs a name")
        return
    yield from _too_long("name", "NAME_TOO_LONG", "name", defn.name, limits.TEMPLATE_NAME_MAX)
    if not NAME_RE.fullmatch(defn.name):
        bad = next(c for c in defn.name if not NAME_RE.fullmatch(c))
        yield _error(
            "name",
            "NAME_INVALID",
            f"name contains {bad!r}; use lowercase letters, digits and '_' only",
        )


def _check_language(defn: TemplateDefinition) -> Iterator[Problem]:
    if not defn.language:
        yield _error("language", "LANGUAGE_REQUIRED", "the template needs a language")
    elif not LANGUAGE_RE.fullmatch(defn.language):
        yield _error(
            "language",
            "LANGUAGE_INVALID",
            f"language {defn.language!r} is not a code like 'en' or 'en_US'",
        )


def _check_category(defn: TemplateDefinition) -> Iterator[Problem]:
    allowed = ", ".join(limits.TEMPLATE_CATEGORIES)
    if not defn.category:
        yield _error("category", "CATEGORY_REQUIRED", f"the template needs a category ({allowed})")
    elif defn.category not in _CATEGORIES:
        yield _error("category", "CATEGORY_INVALID", f"category {defn.category!r} is not one of {allowed}")


def _check_parameter_format(defn: TemplateDefinition) -> Iterator[Problem]:
    if defn.parameter_format not in _PARAMETER_FORMATS:
        yield _error(
            "parameter_format",
            "PARAMETER_FORMAT_INVALID",
            f"parameter format {defn.parameter_format!r} is not POSITIONAL or NAMED",
        )


def _check_repeated_components(defn: TemplateDefinition) -> Iterator[Problem]:
    extra = Counter(str(c.get("type", "")).upper() for c in defn.extra_components)
    present = {
        "HEADER": defn.header is not None,
        "BODY": True,
        "FOOTER": defn.footer is not None,
        "BUTTONS": bool(defn.buttons),
    }
    for kind in _SINGLE_COMPONENTS:
        found = extra[kind] + present[kind]
        if found > 1:
            yield _error(
                kind.lower(),
                "COMPONENT_REPEATED",
                f"a template has at most 1 {kind.lower()} component; found {found}",
            )


def _check_header(defn: TemplateDefinition) -> Iterator[Problem]:
    header = defn.header
    if header is None:
        return
    if header.format not in _HEADER_FORMATS:
        allowed = ", ".join(HeaderFormat)
        yield _error(
            "header.format",
            "HEADER_FORMAT_INVALID",
            f"header format {header.format!r} is not one of {allowed}",
        )
    elif header.format == HeaderFormat.TEXT:
        text = header.text or ""
        if not text.strip():
            yield _error("header.text", "HEADER_TEXT_REQUIRED", "a text header needs text")
            return
        yield from _too_long(
            "header.text", "HEADER_TEXT_TOO_LONG", "header", text, limits.TEMPLATE_HEADER_TEXT_MAX
        )
        count = len(placeholders(text))
        if count > limits.TEMPLATE_HEADER_VARS_MAX:
            yield _error(
                "header.text",
                "HEADER_TOO_MANY_VARS",
                f"header has {count} variables; the limit is {limits.TEMPLATE_HEADER_VARS_MAX}",
            )
    else:
        if header.text:
            yield _error("header.text", "HEADER_TEXT_NOT_ALLOWED", f"a {header.format} header has no text")
        if header.format in MEDIA_HEADER_FORMATS and not header.media_handle:
            yield _error(
                "header.media",
                "HEADER_SAMPLE_MISSING",
                f"a {header.format} header needs a sample {header.format.lower()} for review",
            )


def _check_body(defn: TemplateDefinition) -> Iterator[Problem]:
    if not defn.body.text.strip():
        yield _error("body.text", "BODY_REQUIRED", "the template needs a body")
        return
    yield from _too_long("body.text", "BODY_TOO_LONG", "body", defn.body.text, limits.TEMPLATE_BODY_MAX)


def _check_footer(defn: TemplateDefinition) -> Iterator[Problem]:
    if defn.footer is None:
        return
    text = defn.footer.text
    if not text.strip():
        yield _error("footer.text", "FOOTER_EMPTY", "the footer is empty; add text or remove it")
        return
    yield from _too_long("footer.text", "FOOTER_TOO_LONG", "footer", text, limits.TEMPLATE_FOOTER_MAX)
    if placeholders(text):
        yield _error("footer.text", "FOOTER_VARS", "a footer cannot contain variables")


def _variable_syntax(field: str, text: str) -> Iterator[Problem]:
    """Each ``{{...}}`` on its own: well-formed, and of a kind Meta knows."""
    for match in PLACEHOLDER_RE.finditer(text):
        raw, name = match.group(0), match.group(1)
        if raw != "{{" + name + "}}" or not _VARIABLE_CHARS_RE.fullmatch(name):
            yield _risk(
                field,
                "VAR_SPECIAL_CHARS",
                f"{raw} has spaces or special characters inside the braces; "
                "write {{1}} or {{first_name}}",
            )
        elif name.isascii() and name.isdigit() and not is_positional(name):
            yield _error(field, "VAR_MISNUMBERED", f"{raw} is misnumbered; variables count from {{{{1}}}}")
        elif not is_positional(name) and not is_named(name):
            yield _error(
                field, "VAR_NAME_INVALID", f"{raw}: named variables use lowercase letters, digits and '_'"
            )
    rest = PLACEHOLDER_RE.sub("", text)
    if "{{" in rest or "}}" in rest:
        yield _risk(field, "VAR_MALFORMED", "a '{{' or '}}' is not part of a variable")


def _variable_kinds(component: str, text: str, parameter_format: str) -> Iterator[Problem]:
    field = f"{component}.text"
    names = variables(text)
    positional = [n for n in names if is_positional(n)]
    named = [n for n in names if is_named(n)]
    if positional and named:
        yield _error(
            field,
            "VARS_MIXED",
            f"{component} mixes positional ({braced(positional)}) and named ({braced(named)}) variables",
        )
    elif parameter_format == ParameterFormat.POSITIONAL and named:
        yield _error(
            field,
            "VARS_FORMAT_MISMATCH",
            f"{braced(named)} named, but the template's parameter format is POSITIONAL",
        )
    elif parameter_format == ParameterFormat.NAMED and positional:
        yield _error(
            field,
            "VARS_FORMAT_MISMATCH",
            f"{braced(positional)} positional, but the template's parameter format is NAMED",
        )
    numbers = sorted({int(n) for n in positional})
    missing = [str(i) for i in range(1, numbers[-1] + 1) if i not in numbers] if numbers else []
    if missing:
        yield _error(
            field,
            "VARS_NOT_SEQUENTIAL",
            f"{component} uses {braced([str(n) for n in numbers])}; variables are numbered "
            f"from {{{{1}}}} without gaps (missing {braced(missing)})",
        )


def _variable_examples(component: str, text: str, examples: dict[str, str]) -> Iterator[Problem]:
    field = f"{component}.examples"
    names = variables(text)
    for name in names:
        if (is_positional(name) or is_named(name)) and not examples.get(name, "").strip():
            yield _error(
                field,
                "EXAMPLE_MISSING",
                f"{{{{{name}}}}} has no example value; Meta needs one to review the template",
            )
    for name in examples:
        if name not in names:
            yield _error(
                field,
                "EXAMPLE_UNUSED",
                f"the example for {{{{{name}}}}} matches no variable in the {component}",
            )


def _adjacent_variables(field: str, text: str) -> Iterator[Problem]:
    matches = list(PLACEHOLDER_RE.finditer(text))
    for before, after in pairwise(matches):
        if not text[before.end() : after.start()].strip():
            yield _risk(
                field,
                "VAR_ADJACENT",
                f"{before.group(0)} and {after.group(0)} are next to each other; put words between variables",
            )


def _body_layout(text: str) -> Iterator[Problem]:
    matches = list(PLACEHOLDER_RE.finditer(text))
    if not matches:
        return
    if matches[0].start() == len(text) - len(text.lstrip()):
        yield _risk(
            "body.text", "VAR_AT_START", f"the body starts with {matches[0].group(0)}; start it with text"
        )
    if matches[-1].end() == len(text.rstrip()):
        yield _risk("body.text", "VAR_AT_END", f"the body ends with {matches[-1].group(0)}; end it with text")
    words = len(_WORD_RE.findall(PLACEHOLDER_RE.sub(" ", text)))
    if words < MIN_WORDS_PER_VARIABLE * len(matches):
        yield _risk(
            "body.text",
            "VAR_DENSITY",
            f"the body has {len(matches)} variables and {words} words of fixed text; "
            f"review asks for more text (at least {MIN_WORDS_PER_VARIABLE * len(matches)} "
            "words here)",
        )


def _check_variables(defn: TemplateDefinition) -> Iterator[Problem]:
    header = defn.header
    if header is not None and header.format == HeaderFormat.TEXT and header.text:
        yield from _variable_syntax("header.text", header.text)
        yield from _variable_kinds("header", header.text, defn.parameter_format)
        yield from _variable_examples("header", header.text, header.examples)
        yield from _adjacent_variables("header.text", header.text)
    body = defn.body.text
    yield from _variable_syntax("body.text", body)
    yield from _variable_kinds("body", body, defn.parameter_format)
    yield from _variable_examples("body", body, defn.body.examples)
    yield from _adjacent_variables("body.text", body)
    yield from _body_layout(body)


def _check_url(path: str, button: Button) -> Iterator[Problem]:
    url = button.url or ""
    if not url.strip():
        yield _error(f"{path}.url", "URL_REQUIRED", "a URL button needs a url")
        return
    yield from _too_long(f"{path}.url", "URL_TOO_LONG", "url", url, limits.TEMPLATE_URL_MAX)
    if not url.lower().startswith(("https://", "http://")):
        yield _error(f"{path}.url", "URL_INVALID", "the url must start with https:// or http://")
    matches = list(PLACEHOLDER_RE.finditer(url))
    if len(matches) > 1:
        yield _error(f"{path}.url", "URL_TOO_MANY_VARS", f"url has {len(matches)} variables; the limit is 1")
    elif matches:
        if matches[0].end() != len(url):
            yield _error(f"{path}.url", "URL_VAR_NOT_AT_END", "the url's variable must be at its end")
        if matches[0].group(0) != "{{1}}":
            yield _error(
                f"{path}.url",
                "URL_VAR_INVALID",
                f"the url's variable must be {{{{1}}}}, not {matches[0].group(0)}",
            )
        if not (button.example or "").strip():
            yield _error(
                f"{path}.example",
                "EXAMPLE_MISSING",
                "the url has a variable but no example URL; Meta needs one for review",
            )


def _check_button(index: int, button: Button) -> Iterator[Problem]:
    path = f"buttons[{index}]"
    if button.type not in _BUTTON_TYPES:
        yield _error(
            f"{path}.type",
            "BUTTON_TYPE_INVALID",
            f"button type {button.type!r} is not one of {', '.join(ButtonType)}",
        )
        return
    if button.type != ButtonType.COPY_CODE:  # Meta supplies the copy-code label itself
        text = button.text or ""
        if not text.strip():
            yield _error(f"{path}.text", "BUTTON_TEXT_REQUIRED", f"button {index} needs text")
        else:
            yield from _too_long(
                f"{path}.text", "BUTTON_TEXT_TOO_LONG", "button text", text, limits.TEMPLATE_BUTTON_TEXT_MAX
            )
            if placeholders(text):
                yield _error(f"{path}.text", "BUTTON_TEXT_VARS", "button text cannot contain variables")
    if button.type == ButtonType.URL:
        yield from _check_url(path, button)
    elif button.type == ButtonType.PHONE_NUMBER:
        phone = button.phone_number or ""
        if not phone.strip():
            yield _error(f"{path}.phone_number", "PHONE_REQUIRED", "a phone button needs a phone number")
        yield from _too_long(
            f"{path}.phone_number", "PHONE_TOO_LONG", "phone number", phone, limits.TEMPLATE_PHONE_MAX
        )
    elif button.type == ButtonType.COPY_CODE:
        code = button.example or ""
        if not code.strip():
            yield _error(f"{path}.example", "EXAMPLE_MISSING", "a copy-code button needs an example code")
        yield from _too_long(
            f"{path}.example", "COPY_CODE_TOO_LONG", "code", code, limits.TEMPLATE_COPY_CODE_MAX
        )
    elif button.type == ButtonType.FLOW and not (
        button.flow_id or button.extra.get("flow_name") or button.extra.get("flow_json")
    ):
        yield _error(f"{path}.flow_id", "FLOW_REQUIRED", "a flow button needs a flow id")


def _check_buttons(defn: TemplateDefinition) -> Iterator[Problem]:
    buttons = defn.buttons
    if len(buttons) > limits.TEMPLATE_BUTTONS_MAX:
        yield _error(
            "buttons",
            "BUTTONS_TOO_MANY",
            f"the template has {len(buttons)} buttons; the limit is {limits.TEMPLATE_BUTTONS_MAX}",
        )
    counts = Counter(b.type for b in buttons)
    for kind, limit in _PER_TYPE_LIMITS.items():
        if counts[kind] > limit:
            yield _error(
                "buttons",
                f"{kind}_BUTTONS_TOO_MANY",
                f"the template has {counts[kind]} {kind} buttons; the limit is {limit}",
            )
    for index, button in enumerate(buttons):
        yield from _check_button(index, button)
    # Quick replies form one block and call-to-action buttons another: one switch at most.
    is_reply = [b.type == ButtonType.QUICK_REPLY for b in buttons]
    switches = [i for i in range(1, len(buttons)) if is_reply[i] != is_reply[i - 1]]
    if len(switches) > 1:
        yield _error(
            f"buttons[{switches[1]}].type",
            "BUTTONS_INTERLEAVED",
            f"button {switches[1]} splits a group; keep quick replies together and "
            "call-to-action buttons together",
        )


_CHECKS = (
    _check_name,
    _check_language,
    _check_category,
    _check_parameter_format,
    _check_repeated_components,
    _check_header,
    _check_body,
    _check_footer,
    _check_variables,
    _check_buttons,
)


def validate_template(defn: TemplateDefinition | Mapping[str, Any]) -> list[Problem]:
    """Every problem of ``defn``, errors and review risks, in the order of the editor's fields.

    ``defn`` may also be Graph JSON (a create request as the sandbox receives it).
    """
    if not isinstance(defn, TemplateDefinition):
        defn = TemplateDefinition.from_graph(defn)
    return [problem for check in _CHECKS for problem in check(defn)]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def review_risks(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.REVIEW_RISK]


@dataclass(frozen=True)
class ReviewDecision:
    """What Meta's review would decide: ``APPROVED`` with reason ``NONE``, or ``REJECTED``."""

    status: str
    rejected_reason: str
    problems: tuple[Problem, ...] = ()

    @property
    def approved(self) -> bool:
        return self.status == "APPROVED"


def review(defn: TemplateDefinition | Mapping[str, Any]) -> ReviewDecision:
    """The sandbox's review: any problem rejects, with the reason of the first review risk."""
    problems = validate_template(defn)
    if not problems:
        return ReviewDecision("APPROVED", "NONE")
    reason = next((p.rejected_reason for p in problems if p.rejected_reason), INVALID_FORMAT)
    return ReviewDecision("REJECTED", reason, tuple(problems))
