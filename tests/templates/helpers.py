"""Small builders shared by the template tests."""

from __future__ import annotations

from typing import Any

from easymo_core.templates import Body, Button, Footer, Header, TemplateDefinition
from easymo_core.templates.problems import Problem


def definition(**overrides: Any) -> TemplateDefinition:
    """A valid, approvable template; each test changes the one thing it is about."""
    fields: dict[str, Any] = {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "header": Header(format="TEXT", text="Order {{1}}", examples={"1": "#42"}),
        "body": Body(
            text="Hi {{1}}, your order ships on {{2}}. Reply if you need any help.",
            examples={"1": "Ana", "2": "May 1"},
        ),
        "footer": Footer(text="easyMO Shop"),
        "buttons": [
            Button(type="QUICK_REPLY", text="Need help"),
            Button(
                type="URL",
                text="Track",
                url="https://ex.com/o/{{1}}",
                example="https://ex.com/o/42",
            ),
        ],
    }
    fields.update(overrides)
    return TemplateDefinition(**fields)


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def by_code(problems: list[Problem], code: str) -> Problem:
    matching = [p for p in problems if p.code == code]
    assert len(matching) == 1, f"expected one {code}, got {problems}"
    return matching[0]
