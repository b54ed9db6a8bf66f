"""The templates a fresh sandbox already has, so every screen has something to show.

They come from ``easymo_core.templates.sample_data`` (Graph JSON, shared with the template
tests): approved ones in several languages, a PAUSED one with a RED score, and a PENDING
one that the sandbox's review then rejects. Seeds keep their given status and id.
"""

from __future__ import annotations

from typing import Any

from easymo_core.templates.sample_data import sample_templates


def seed_templates() -> list[dict[str, Any]]:
    """Fresh copies, safe to change."""
    return sample_templates()
