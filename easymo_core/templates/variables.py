"""Template variables: ``{{1}}`` (positional) and ``{{first_name}}`` (named)."""

from __future__ import annotations

import re

# Anything between double braces, so malformed names can be reported rather than ignored.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def placeholders(text: str | None) -> list[str]:
    """The variable names in ``text`` in order of appearance (repeats kept)."""
    if not text:
        return []
    return PLACEHOLDER_RE.findall(text)
