"""How the menus that list business phone numbers name them."""

from __future__ import annotations


def number_label(number: str, names: dict[str, str]) -> str:
    """A phone-number id with its profile's name when one has it (ids alone say little)."""
    return f"{names[number]} · {number}" if number in names else number
