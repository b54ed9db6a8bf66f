"""What the validators report, and the errors raised when a payload cannot be built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from easymo_core.errors import EasymoError

from .enums import Severity


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template or its parameters, attached to one field.

    ``field`` is a stable path the editor maps to a widget: "name", "header.text",
    "body.examples", "buttons[1].url", "body.parameters.first_name" (button indexes are
    0-based, as Meta's send-side ``index``). ``code`` is stable for programs; ``message``
    is for people and names the limit and the actual value.
    """

    field: str
    message: str
    code: str
    severity: Severity = Severity.ERROR
    # The rejected_reason Meta's review gives for this kind of problem (review risks only).
    rejected_reason: str | None = None
    # The Graph error code Meta answers a send with (parameter problems only).
    graph_code: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class TemplateFormatError(EasymoError):
    """Data that cannot be read as a template at all (not a JSON object, say)."""


class TemplateParameterError(EasymoError):
    """Parameters that do not fit the template: no send payload is built from them."""

    hint = "Give one value per template variable, without newlines, tabs or runs of spaces."

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0].message if problems else "invalid template parameters"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)
        self.problems = list(problems)
