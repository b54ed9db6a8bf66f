"""Token-shaped test values, built at run time.

A literal that looks like a Graph access token (``EAA`` and 20+ characters) in the
repository is indistinguishable from a leaked one to a secret scanner, and a habit worth
not having; tests build theirs from a label instead.
"""

from __future__ import annotations


def fake_token(label: str) -> str:
    """An access-token-shaped value that was never issued by Meta: ``EAA`` + label, padded."""
    return "EAA" + label + "0" * max(0, 24 - len(label))
