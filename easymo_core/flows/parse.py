"""Reading and validating flow definitions (YAML or JSON), with the line of every problem.

The format, by example::

    name: order_check            # lower-case letters, digits and _
    title: Order check           # optional, shown in lists
    start: ask                   # optional; the first step otherwise
    timeout: 30m                 # default wait for a reply: seconds, or 30s / 10m / 2h / 1d
    max_retries: 2               # default retry prompts before giving up on a step
    retry: Please use the buttons.   # default retry prompt
    triggers: [order, status]    # optional: an inbound text equal to one starts the flow
    steps:
      ask:                       # the step id
        buttons:                 # one of: text, template, buttons, list
          body: Did your order arrive?
          options:               # 1-3 reply buttons
            - {id: ok, title: Arrived, next: thanks}
            - {id: missing, title: Not yet, next: details}
        timeout: 10m             # per-step overrides: timeout, retry, max_retries
        on_fail: human           # after max_retries: a step to go to (default: abandon)
      details:
        text: What went wrong? Please give your order number.
        expect:                  # typed replies: the whole (trimmed) reply must match
          - pattern: '#?\\d{4,}'
            next: thanks
        store: order_number      # keep the reply under this name in the history
      thanks:
        text: Thank you!
        end: true                # sends its message and completes the flow

``list`` takes ``body``, ``button`` (the list's button text) and either ``rows`` or
``sections: [{title, rows}]``; rows and options take ``id``, ``title``, optional
``description`` (rows), ``next`` and ``value``; the step's ``next`` is the default target
of every option. ``template`` takes ``name``, ``language`` and ``params`` (a list, or a
mapping for named parameters); a template or text step with ``next`` and no ``expect``
accepts any reply; ``expect`` may also hold ``{id: PAYLOAD, next}`` for template quick
replies. A step storing ``satisfaction`` must yield an integer 1-5 (give options a
``value``): it becomes the contact's session satisfaction.

Refused, with the line: unknown keys, duplicate keys, unknown step targets, steps that are
unreachable or can never reach an end, a flow with no end, bad regular expressions,
duplicate option ids or titles, and Meta's limits on buttons and lists
(easymo_core.cloudapi.limits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from easymo_core.cloudapi import limits
from easymo_core.flows.definition import (
    SATISFACTION,
    SATISFACTION_RANGE,
    Expect,
    FlowDefinition,
    Message,
    Option,
    Step,
)
from easymo_core.flows.errors import FlowDefinitionError, Problem

Path_ = tuple[str | int, ...]

NAME_RE = re.compile(r"^[a-z0-9_]{1,128}$")
STEP_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
DEFAULT_TIMEOUT_S = 3600
DEFAULT_RETRY = "Sorry, I did not understand. Please answer with one of the options."
DEFAULT_MAX_RETRIES = 2
MAX_RETRIES_LIMIT = 10
TEXT_MAX = limits.TEXT_BODY_MAX

_TOP_KEYS = {"name", "title", "start", "timeout", "max_retries", "retry", "triggers", "steps", "version"}
_STEP_KEYS = {
    "text",
    "template",
    "buttons",
    "list",
    "expect",
    "next",
    "end",
    "timeout",
    "retry",
    "max_retries",
    "on_fail",
    "store",
}
_KINDS = ("text", "template", "buttons", "list")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


# -- loading ------------------------------------------------------------------------------
def load_flow_file(path: str | Path) -> FlowDefinition:
    """Parse and validate a definition file; FlowDefinitionError lists every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowDefinitionError(str(path), [Problem(0, f"cannot read it: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise FlowDefinitionError(str(path), [Problem(0, "it is not UTF-8 text")]) from None
    return parse_flow(text, source=str(path))


def parse_flow(text: str, *, source: str = "<flow>") -> FlowDefinition:
    """Parse YAML (JSON is YAML too) and validate; lines come from the YAML node marks."""
    data, lines, problems = _compose(text, source)
    return _Validator(data, lines, source, problems).run()


def flow_from_json(data: dict[str, Any], *, source: str = "<stored flow>") -> FlowDefinition:
    """Validate an already-parsed definition (as stored in the database); no line numbers."""
    return _Validator(data, {}, source, []).run()


def _compose(text: str, source: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise FlowDefinitionError(source, [Problem(line, f"not valid YAML/JSON: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        # PyYAML reads YAML 1.1; a JSON file it cannot read gets a second chance as JSON.
        try:
            return json.loads(text), {}, []
        except json.JSONDecodeError as jexc:
            raise FlowDefinitionError(source, [Problem(jexc.lineno, f"not valid YAML/JSON: {exc}")]) from None
    if node is None:
        raise FlowDefinitionError(source, [Problem(1, "the file is empty")])
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    _map_lines(node, (), lines, problems)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # composed but not constructible (e.g. a bad tag)
        raise FlowDefinitionError(source, [Problem(0, f"not valid YAML/JSON: {exc}")]) from None
    return data, lines, problems


def _map_lines(node: Node, path: Path_, lines: dict[Path_, int], problems: list[Problem]) -> None:
    """Record the line of every key and item; report duplicate keys (YAML keeps the last)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else repr(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(line, f"duplicate key {key!r} (first on line {seen[key]})"))
                continue
            seen[key] = line
            lines[(*path, key)] = line
            _map_lines(value_node, (*path, key), lines, problems)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _map_lines(item, (*path, i), lines, problems)


def parse_duration(value: Any) -> int | None:
    """Seconds from ``90``, ``"90s"``, ``"10m"``, ``"2h"`` or ``"1d"``; None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m and int(m.group(1)) > 0:
            return int(m.group(1)) * _UNITS[m.group(2)]
    return None


# -- validation ---------------------------------------------------------------------------
class _Validator:
    def __init__(self, data: Any, lines: dict[Path_, int], source: str, problems: list[Problem]) -> None:
        self.data = data
        self.lines = lines
        self.source = source
        self.problems = problems

    def line(self, path: Path_) -> int:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 0)

    def err(self, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.line(path), message))

    def fail(self) -> FlowDefinitionError:
        ordered = sorted(self.problems, key=lambda p: p.line)
        return FlowDefinitionError(self.source, ordered)

    def run(self) -> FlowDefinition:
        data = self.data
        if not isinstance(data, dict):
            self.err((), "a flow definition is a mapping with at least `name` and `steps`")
            raise self.fail()
        self._unknown_keys(data, (), _TOP_KEYS, "flow")
        name = data.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.err(("name",), "`name` is required: lower-case letters, digits and _ (at most 128)")
            name = str(name or "")
        title = self._opt_str(data, (), "title", 256)
        defaults = {
            "timeout": self._duration(data, (), DEFAULT_TIMEOUT_S),
            "retry": self._opt_str(data, (), "retry", TEXT_MAX) or DEFAULT_RETRY,
            "max_retries": self._retries(data, (), DEFAULT_MAX_RETRIES),
        }
        triggers = self._triggers(data.get("triggers"))
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, dict) or not raw_steps:
            self.err(("steps",), "`steps` must be a mapping of step ids to steps, with at least one step")
            raise self.fail()
        steps: dict[str, Step] = {}
        for step_id, raw in raw_steps.items():
            sid = str(step_id)
            if not STEP_ID_RE.match(sid):
                self.err(("steps", step_id), f"step id {sid!r} may hold only letters, digits, _ . and -")
            step = self._step(sid, raw, ("steps", step_id), defaults)
            if step is not None:
                steps[sid] = step
        start = data.get("start", next(iter(raw_steps)))
        if not isinstance(start, str) or start not in raw_steps:
            self.err(("start",), f"`start` names unknown step {start!r}")
            start = str(next(iter(raw_steps)))
        self._graph(steps, start)
        if self.problems:
            raise self.fail()
        return FlowDefinition(name=name, steps=steps, start=start, title=title, triggers=triggers, raw=data)

    # -- one step --------------------------------------------------------------------------
    def _step(self, sid: str, raw: Any, path: Path_, defaults: dict[str, Any]) -> Step | None:
        if not isinstance(raw, dict):
            self.err(path, f"step {sid!r} must be a mapping (with text, template, buttons or list)")
            return None
        self._unknown_keys(raw, path, _STEP_KEYS, f"step {sid!r}")
        kinds = [k for k in _KINDS if k in raw]
        if len(kinds) != 1:
            found = f"it has {', '.join(kinds)}" if kinds else "it has none"
            self.err(path, f"step {sid!r} needs exactly one of text, template, buttons, list ({found})")
            return None
        message = self._message(kinds[0], raw[kinds[0]], (*path, kinds[0]), sid)
        if message is None:
            return None
        end = raw.get("end", False)
        if not isinstance(end, bool):
            self.err((*path, "end"), "`end` is true or false")
            end = False
        nxt = raw.get("next")
        if nxt is not None and not isinstance(nxt, str):
            self.err((*path, "next"), "`next` names a step")
            nxt = None
        on_fail = raw.get("on_fail")
        if on_fail is not None and not isinstance(on_fail, str):
            self.err((*path, "on_fail"), "`on_fail` is `abandon` or a step id")
            on_fail = None
        if on_fail == "abandon":
            on_fail = None
        store = raw.get("store")
        if store is not None and (
            not isinstance(store, str) or not re.match(r"^[a-z_][a-z0-9_]{0,63}$", store)
        ):
            self.err((*path, "store"), "`store` is a variable name: lower-case letters, digits and _")
            store = None
        expects = self._expects(raw.get("expect"), (*path, "expect"), sid, nxt)
        step = Step(
            id=sid,
            message=message,
            expects=expects,
            next=nxt,
            end=end,
            timeout_s=self._duration(raw, path, defaults["timeout"]),
            retry=self._opt_str(raw, path, "retry", TEXT_MAX) or defaults["retry"],
            max_retries=self._retries(raw, path, defaults["max_retries"]),
            on_fail=on_fail,
            store=store,
            line=self.line(path),
        )
        self._step_shape(step, raw, path)
        return step

    def _step_shape(self, step: Step, raw: dict[str, Any], path: Path_) -> None:
        sid = step.id
        if step.end:
            for key in ("next", "expect", "on_fail", "retry", "max_retries", "timeout", "store"):
                if key in raw:
                    self.err((*path, key), f"end step {sid!r} completes the flow: `{key}` has no use there")
            if step.message.interactive:
                self.err(path, f"end step {sid!r} completes the flow: it cannot offer {step.message.kind}")
            return
        if step.message.interactive:
            if step.expects:
                self.err(
                    (*path, "expect"), f"step {sid!r}: with {step.message.kind}, put `next` on the options"
                )
            missing = [o.id for o in step.message.options if not (o.next or step.next)]
            if missing:
                self.err(
                    path,
                    f"step {sid!r}: options {missing} lead nowhere (give them `next` or the step `next`)",
                )
        elif not step.expects and not step.next:
            self.err(path, f"step {sid!r} has no way forward: add `next`, `expect`, or `end: true`")
        if step.store == SATISFACTION:
            self._satisfaction_values(step, path)

    def _satisfaction_values(self, step: Step, path: Path_) -> None:
        for i, opt in enumerate(step.message.options):
            value = opt.id if opt.value is None else opt.value
            if not _is_rating(value):
                where = (*path, step.message.kind, "options" if step.message.kind == "buttons" else "rows", i)
                self.err(where, f"step {step.id!r} stores satisfaction: option {opt.id!r} needs `value` 1-5")

    # -- messages --------------------------------------------------------------------------
    def _message(self, kind: str, raw: Any, path: Path_, sid: str) -> Message | None:
        if kind == "text":
            if not isinstance(raw, str) or not raw.strip():
                self.err(path, f"step {sid!r}: `text` is the message body, a non-empty string")
                return None
            self._max(path, raw, TEXT_MAX, "text")
            return Message(kind="text", body=raw)
        if not isinstance(raw, dict):
            self.err(path, f"step {sid!r}: `{kind}` must be a mapping")
            return None
        if kind == "template":
            return self._template(raw, path, sid)
        if kind == "buttons":
            return self._buttons(raw, path, sid)
        return self._list(raw, path, sid)

    def _template(self, raw: dict[str, Any], path: Path_, sid: str) -> Message | None:
        self._unknown_keys(raw, path, {"name", "language", "params"}, f"step {sid!r} template")
        name, language = raw.get("name"), raw.get("language")
        if not isinstance(name, str) or not name:
            self.err((*path, "name"), f"step {sid!r}: the template needs a `name`")
        if not isinstance(language, str) or not language:
            self.err((*path, "language"), f"step {sid!r}: the template needs a `language`, e.g. en_US")
        params = raw.get("params", [])
        out: tuple[str, ...] | dict[str, str]
        if isinstance(params, list) and all(isinstance(p, str | int | float) for p in params):
            out = tuple(str(p) for p in params)
        elif isinstance(params, dict):
            out = {str(k): str(v) for k, v in params.items()}
        else:
            self.err((*path, "params"), f"step {sid!r}: `params` is a list of values or a mapping of names")
            out = ()
        if not isinstance(name, str) or not isinstance(language, str):
            return None
        return Message(kind="template", template=name, language=language, params=out)

    def _buttons(self, raw: dict[str, Any], path: Path_, sid: str) -> Message | None:
        self._unknown_keys(raw, path, {"body", "header", "footer", "options"}, f"step {sid!r} buttons")
        body = self._body(raw, path, sid, limits.INTERACTIVE_BODY_MAX)
        header = self._opt_str(raw, path, "header", limits.INTERACTIVE_HEADER_TEXT_MAX)
        footer = self._opt_str(raw, path, "footer", limits.INTERACTIVE_FOOTER_MAX)
        items = raw.get("options")
        if not isinstance(items, list) or not items:
            self.err(
                (*path, "options"),
                f"step {sid!r}: `options` lists the reply buttons (1-{limits.BUTTONS_MAX})",
            )
            return None
        if len(items) > limits.BUTTONS_MAX:
            self.err(
                (*path, "options", limits.BUTTONS_MAX),
                f"step {sid!r}: {len(items)} buttons; WhatsApp allows at most {limits.BUTTONS_MAX}"
                " (use a list)",
            )
        options = self._options(
            items, (*path, "options"), sid, None, limits.BUTTON_ID_MAX, limits.BUTTON_TITLE_MAX, False
        )
        self._unique(options, (*path, "options"), sid)
        return Message(kind="buttons", body=body, header=header, footer=footer, options=tuple(options))

    def _list(self, raw: dict[str, Any], path: Path_, sid: str) -> Message | None:
        self._unknown_keys(
            raw, path, {"body", "header", "footer", "button", "rows", "sections"}, f"step {sid!r} list"
        )
        body = self._body(raw, path, sid, limits.LIST_BODY_MAX)
        header = self._opt_str(raw, path, "header", limits.INTERACTIVE_HEADER_TEXT_MAX)
        footer = self._opt_str(raw, path, "footer", limits.INTERACTIVE_FOOTER_MAX)
        button = raw.get("button")
        if not isinstance(button, str) or not button.strip():
            self.err((*path, "button"), f"step {sid!r}: a list needs `button`, the text that opens it")
            button = "Options"
        self._max((*path, "button"), button, limits.LIST_BUTTON_TEXT_MAX, "list button text")
        if ("rows" in raw) == ("sections" in raw):
            self.err(path, f"step {sid!r}: a list takes either `rows` or `sections`")
            return None
        options: list[Option] = []
        if "rows" in raw:
            options = self._rows(raw["rows"], (*path, "rows"), sid, None)
            rows_path: Path_ = (*path, "rows")
        else:
            sections = raw["sections"]
            rows_path = (*path, "sections")
            if not isinstance(sections, list) or not sections:
                self.err(rows_path, f"step {sid!r}: `sections` is a list of {{title, rows}}")
                return None
            if len(sections) > limits.LIST_SECTIONS_MAX:
                self.err(
                    rows_path, f"step {sid!r}: {len(sections)} sections; at most {limits.LIST_SECTIONS_MAX}"
                )
            for i, sec in enumerate(sections):
                spath = (*rows_path, i)
                if not isinstance(sec, dict):
                    self.err(spath, f"step {sid!r}: a section is a mapping with `title` and `rows`")
                    continue
                self._unknown_keys(sec, spath, {"title", "rows"}, f"step {sid!r} section")
                title = sec.get("title")
                if title is None and len(sections) > 1:
                    self.err(spath, f"step {sid!r}: with several sections each needs a `title`")
                if title is not None:
                    self._max((*spath, "title"), str(title), limits.LIST_SECTION_TITLE_MAX, "section title")
                options += self._rows(
                    sec.get("rows"), (*spath, "rows"), sid, None if title is None else str(title)
                )
        if len(options) > limits.LIST_ROWS_TOTAL_MAX:
            self.err(
                rows_path,
                f"step {sid!r}: {len(options)} list rows; WhatsApp allows at most"
                f" {limits.LIST_ROWS_TOTAL_MAX} in all",
            )
        self._unique(options, rows_path, sid, titles=False)
        return Message(
            kind="list", body=body, header=header, footer=footer, button=button, options=tuple(options)
        )

    def _rows(self, items: Any, path: Path_, sid: str, section: str | None) -> list[Option]:
        if not isinstance(items, list) or not items:
            self.err(path, f"step {sid!r}: `rows` is a non-empty list of {{id, title}}")
            return []
        return self._options(
            items, path, sid, section, limits.LIST_ROW_ID_MAX, limits.LIST_ROW_TITLE_MAX, True
        )

    def _options(
        self,
        items: list[Any],
        path: Path_,
        sid: str,
        section: str | None,
        id_max: int,
        title_max: int,
        rows: bool,
    ) -> list[Option]:
        allowed = {"id", "title", "next", "value"} | ({"description"} if rows else set())
        what = "row" if rows else "button"
        out: list[Option] = []
        for i, item in enumerate(items):
            ipath = (*path, i)
            if not isinstance(item, dict):
                self.err(ipath, f"step {sid!r}: a {what} is a mapping with `id` and `title`")
                continue
            self._unknown_keys(item, ipath, allowed, f"step {sid!r} {what}")
            oid, title = item.get("id"), item.get("title")
            if isinstance(oid, bool) or isinstance(title, bool):
                # YAML 1.1 reads yes/no/on/off as booleans: the author meant the word.
                self.err(
                    ipath,
                    f"step {sid!r}: quote yes/no/on/off in a {what} ('yes'), YAML reads them as true/false",
                )
                continue
            if isinstance(oid, int | float) and not isinstance(oid, bool):
                oid = str(oid)
            if not isinstance(oid, str) or not oid.strip():
                self.err((*ipath, "id"), f"step {sid!r}: every {what} needs an `id`")
                continue
            if not isinstance(title, str | int) or not str(title).strip():
                self.err((*ipath, "title"), f"step {sid!r}: {what} {oid!r} needs a `title`")
                continue
            self._max((*ipath, "id"), oid, id_max, f"{what} id")
            self._max((*ipath, "title"), str(title), title_max, f"{what} title")
            description = item.get("description")
            if description is not None:
                self._max(
                    (*ipath, "description"),
                    str(description),
                    limits.LIST_ROW_DESCRIPTION_MAX,
                    "row description",
                )
            nxt = item.get("next")
            if nxt is not None and not isinstance(nxt, str):
                self.err((*ipath, "next"), "`next` names a step")
                nxt = None
            out.append(
                Option(
                    id=oid,
                    title=str(title),
                    description=None if description is None else str(description),
                    next=nxt,
                    value=item.get("value"),
                    section=section,
                )
            )
        return out

    def _unique(self, options: list[Option], path: Path_, sid: str, *, titles: bool = True) -> None:
        ids: set[str] = set()
        seen_titles: set[str] = set()
        for i, opt in enumerate(options):
            if opt.id in ids:
                self.err((*path, i), f"step {sid!r}: id {opt.id!r} is used twice")
            ids.add(opt.id)
            if titles:
                if opt.title in seen_titles:
                    self.err((*path, i), f"step {sid!r}: button title {opt.title!r} is used twice")
                seen_titles.add(opt.title)

    def _expects(self, raw: Any, path: Path_, sid: str, default_next: str | None) -> tuple[Expect, ...]:
        if raw is None:
            return ()
        items = raw if isinstance(raw, list) else [raw]
        out: list[Expect] = []
        for i, item in enumerate(items):
            ipath = (*path, i) if isinstance(raw, list) else path
            if not isinstance(item, dict):
                self.err(ipath, f"step {sid!r}: an expected reply is {{pattern, next}} or {{id, next}}")
                continue
            self._unknown_keys(item, ipath, {"pattern", "id", "next"}, f"step {sid!r} expect")
            nxt = item.get("next", default_next)
            if not isinstance(nxt, str):
                self.err(ipath, f"step {sid!r}: an expected reply needs `next`")
                continue
            if ("pattern" in item) == ("id" in item):
                self.err(ipath, f"step {sid!r}: an expected reply has either `pattern` or `id`")
                continue
            if "id" in item:
                out.append(Expect(kind="id", next=nxt, value=str(item["id"])))
                continue
            source = item["pattern"]
            if not isinstance(source, str):
                self.err((*ipath, "pattern"), f"step {sid!r}: `pattern` is a regular expression string")
                continue
            try:
                compiled = re.compile(source)
            except re.error as exc:
                self.err((*ipath, "pattern"), f"step {sid!r}: bad regular expression {source!r}: {exc}")
                # Kept without a pattern so the step graph checks do not pile up echoes of it.
                out.append(Expect(kind="pattern", next=nxt, value=source))
                continue
            out.append(Expect(kind="pattern", next=nxt, value=source, pattern=compiled))
        return tuple(out)

    # -- the step graph --------------------------------------------------------------------
    def _graph(self, steps: dict[str, Step], start: str) -> None:
        raw_steps = self.data.get("steps", {})
        unknown = 0
        for step in steps.values():
            for target in step.targets():
                if target not in raw_steps:
                    unknown += 1
                    self.err(("steps", step.id), f"step {step.id!r} goes to unknown step {target!r}")
        if unknown:
            return  # reachability over a broken graph would only echo the same mistake
        ends = {sid for sid, s in steps.items() if s.end}
        if not ends and steps:
            self.err(("steps",), "the flow has no end: mark its last step with `end: true`")
            return
        reachable = _walk([start], lambda s: steps[s].targets() if s in steps else [])
        for sid in steps:
            if sid not in reachable:
                self.err(("steps", sid), f"step {sid!r} is unreachable from {start!r}")
        incoming: dict[str, list[str]] = {}
        for step in steps.values():
            for target in step.targets():
                incoming.setdefault(target, []).append(step.id)
        finishing = _walk(ends, lambda s: incoming.get(s, []))
        for sid in steps:
            if sid in reachable and sid not in finishing:
                self.err(("steps", sid), f"step {sid!r} can never reach an end step")

    # -- small checks ----------------------------------------------------------------------
    def _unknown_keys(self, raw: dict[str, Any], path: Path_, allowed: set[str], what: str) -> None:
        for key in raw:
            if str(key) not in allowed:
                self.err((*path, key), f"{what}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    def _opt_str(self, raw: dict[str, Any], path: Path_, key: str, maximum: int) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.err((*path, key), f"`{key}` is text")
            return None
        self._max((*path, key), str(value), maximum, key)
        return str(value)

    def _body(self, raw: dict[str, Any], path: Path_, sid: str, maximum: int) -> str:
        body = raw.get("body")
        if not isinstance(body, str) or not body.strip():
            self.err((*path, "body"), f"step {sid!r}: `body` is required")
            return ""
        self._max((*path, "body"), body, maximum, "body")
        return body

    def _max(self, path: Path_, value: str, maximum: int, what: str) -> None:
        if len(value) > maximum:
            self.err(path, f"{what} has {len(value)} characters; WhatsApp allows {maximum}")

    def _duration(self, raw: dict[str, Any], path: Path_, default: int) -> int:
        if "timeout" not in raw:
            return default
        seconds = parse_duration(raw["timeout"])
        if seconds is None:
            self.err(
                (*path, "timeout"),
                f"`timeout` {raw['timeout']!r} is not a duration (e.g. 90, 30s, 10m, 2h, 1d)",
            )
            return default
        return seconds

    def _retries(self, raw: dict[str, Any], path: Path_, default: int) -> int:
        if "max_retries" not in raw:
            return default
        value = raw["max_retries"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRIES_LIMIT:
            self.err((*path, "max_retries"), f"`max_retries` is a whole number from 0 to {MAX_RETRIES_LIMIT}")
            return default
        return value

    def _triggers(self, raw: Any) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
            self.err(("triggers",), "`triggers` is a list of words or phrases")
            return ()
        return tuple(t.strip().casefold() for t in raw)


def _walk(starts: Iterable[str], nexts: Any) -> set[str]:
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        todo.extend(nexts(cur))
    return seen


def _is_rating(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and int(value) in SATISFACTION_RANGE and float(value) == int(value)
    except (TypeError, ValueError):
        return False


def rating_of(value: Any) -> int | None:
    """The 1-5 rating in ``value`` (an int, or a string like "4"), or None."""
    return int(value) if _is_rating(value) else None
