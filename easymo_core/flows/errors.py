"""Errors a flow author or an admin can act on."""

from __future__ import annotations

from dataclasses import dataclass

from easymo_core.errors import EasymoError


@dataclass(frozen=True)
class Problem:
    """One reason a definition is refused, at a 1-based line (0 when the line is unknown)."""

    line: int
    message: str

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: {self.message}" if self.line else f"{source}: {self.message}"


class FlowDefinitionError(EasymoError):
    """A flow definition is invalid; ``problems`` lists every reason with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        first = problems[0].render(source)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{first}{more}", hint=f"fix it and run `easymo flows validate {source}` to see every problem"
        )

    def lines(self) -> list[str]:
        return [p.render(self.source) for p in self.problems]


class FlowNotFound(EasymoError):
    """No stored or built-in flow has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"flow {name!r} not found",
            hint="`easymo flows list` shows the stored ones; `easymo flows import FILE` adds one",
        )


class FlowStartRefused(EasymoError):
    """A flow cannot start for this contact (for example, no open 24-hour window)."""
