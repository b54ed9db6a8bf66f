"""Redaction of secrets and masking of phone numbers in every log line.

Redaction works on the final formatted text, so it covers messages, arguments and
exception tracebacks alike.
"""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None

# Shapes of credentials even when they were never registered (pasted into a message, say).
_PATTERNS = (
    re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"\bEAA[A-Za-z0-9]{20,}"),
    re.compile(
        r"((?:access_token|app_secret|token|secret)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,]+", re.I
    ),
)
# 8 to 15 digits, optionally with a leading '+': WhatsApp ids and E.164 numbers.
_PHONE_RE = re.compile(r"(?<![\w.])\+?\d{4,11}(\d{4})(?![\w])")
REDACTED = "[REDACTED]"


def register_secret(value: str) -> None:
    """Every later log line has ``value`` replaced, however short: a short secret is weak, and
    that is no reason to print it."""
    global _secret_re
    if not value:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_re = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _PATTERNS[0].sub(r"\1" + REDACTED, text)
    text = _PATTERNS[1].sub(REDACTED, text)
    return _PATTERNS[2].sub(r"\1" + REDACTED, text)


def mask_phones(text: str) -> str:
    return _PHONE_RE.sub(lambda m: "…" + m.group(1), text)
