"""CSV cells a spreadsheet cannot run: OWASP's rule against CSV (formula) injection.

Anyone can send a WhatsApp text such as ``=HYPERLINK("http://x","y")``; written as it is into an
export, Excel, LibreOffice or Google Sheets would make it a live formula. A text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so
spreadsheets show it as text. Numbers stay numbers: ``-3`` written from an int is data, and
``csv`` writes ints and floats as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it should be written to a CSV cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
