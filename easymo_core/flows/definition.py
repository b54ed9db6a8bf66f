"""A conversation flow as the engine runs it: steps, their message, and where replies lead.

Built by :func:`easymo_core.flows.parse.parse_flow` from what an author wrote (see that
module for the file format); everything here is already validated and immutable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

MessageKind = Literal["text", "template", "buttons", "list"]
ExpectKind = Literal["id", "pattern", "any"]

# The variable name whose value (an integer 1-5) feeds the session's satisfaction.
SATISFACTION = "satisfaction"
SATISFACTION_RANGE = range(1, 6)


@dataclass(frozen=True)
class Option:
    """A reply button or a list row; ``next`` (or the step's ``next``) is where a tap leads."""

    id: str
    title: str
    description: str | None = None
    next: str | None = None
    value: Any = None
    section: str | None = None


@dataclass(frozen=True)
class Message:
    kind: MessageKind
    body: str = ""
    header: str | None = None
    footer: str | None = None
    button: str | None = None  # a list's button text
    options: tuple[Option, ...] = ()
    template: str | None = None
    language: str | None = None
    params: tuple[str, ...] | dict[str, str] = ()

    @property
    def interactive(self) -> bool:
        return self.kind in ("buttons", "list")

    def sections(self) -> list[dict[str, Any]]:
        """List rows grouped by section, in order, as the processor's send_list takes them."""
        out: list[dict[str, Any]] = []
        for opt in self.options:
            if not out or out[-1]["title"] != opt.section:
                out.append({"title": opt.section, "rows": []})
            row: dict[str, Any] = {"id": opt.id, "title": opt.title}
            if opt.description:
                row["description"] = opt.description
            out[-1]["rows"].append(row)
        return out


@dataclass(frozen=True)
class Expect:
    """An expected typed reply (or template quick-reply payload) and where it leads."""

    kind: ExpectKind
    next: str
    value: str | None = None  # the payload id, or the pattern's source
    pattern: re.Pattern[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Step:
    id: str
    message: Message
    expects: tuple[Expect, ...] = ()
    next: str | None = None
    end: bool = False
    timeout_s: int = 3600
    retry: str = ""
    max_retries: int = 2
    on_fail: str | None = None  # a step id; None abandons the flow
    store: str | None = None
    line: int = 0

    def targets(self) -> list[str]:
        """Every step this one can lead to, fallback included."""
        out = [o.next or self.next for o in self.message.options]
        out += [e.next for e in self.expects]
        if self.next and not self.message.options:
            out.append(self.next)
        if self.on_fail:
            out.append(self.on_fail)
        return [t for t in out if t]


@dataclass(frozen=True)
class FlowDefinition:
    name: str
    steps: dict[str, Step]
    start: str
    title: str | None = None
    triggers: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def ordered_steps(self) -> list[str]:
        return list(self.steps)
