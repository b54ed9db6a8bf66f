"""X-Hub-Signature-256: HMAC-SHA256 of the raw request body, keyed with the app secret.

Shared by the receiver (verify) and the sandbox (sign), so both agree byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta would send for ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(app_secret: str, body: bytes, header_value: str | None) -> bool:
    """True when ``header_value`` is the signature of ``body``; constant time."""
    if not header_value or not header_value.startswith(_PREFIX):
        return False
    expected = sign(app_secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header_value.strip().encode("ascii", "replace"))
