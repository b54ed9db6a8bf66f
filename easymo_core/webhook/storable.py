"""Making a decoded webhook storable where its meaning survives.

JSON can carry what the databases cannot hold: a NUL in a text (PostgreSQL refuses it in
text and jsonb), a lone UTF-16 surrogate such as ``\\ud800`` (not encodable as UTF-8, so
SQLite's driver refuses it), NaN or Infinity (jsonb refuses them). Meta is not known to
send any of these, but one such POST must not become a dead letter over a character: the
raw body is kept byte for byte in ``webhook_events``, and the decoded copy is cleaned here.
Integers too large for a column (a 20-digit error code) are the parser's business: it
stores NULL there and the raw payload keeps the number.
"""

from __future__ import annotations

import math
import re
from typing import Any

REPLACEMENT = "\ufffd"
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# The escapes and words that decode to the values above. A body without any of them (nearly
# every real one) is returned as decoded, without a walk.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|NaN|Infinity")


def needs_cleaning(body: bytes) -> bool:
    return _SUSPECT.search(body) is not None


def clean_text(value: str) -> str:
    return _BAD_TEXT.sub(REPLACEMENT, value)


def storable(data: Any) -> Any:
    """``data`` with NUL and lone surrogates replaced by U+FFFD, in keys too, and NaN or
    infinite numbers as null. A valid surrogate pair never reaches here: the JSON decoder
    joins it into one character."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_text(k) if isinstance(k, str) else k: storable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [storable(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def decode(body: bytes, loads: Any) -> Any:
    """The body decoded by ``loads`` (json.loads), cleaned when it needs it."""
    data = loads(body)
    return storable(data) if needs_cleaning(body) else data
