"""The templates a fresh sandbox already has, so every screen has something to show.

They come from ``easymo_core.templates.sample_data`` (Graph JSON, shared with the template
tests): approved ones in several languages, a PAUSED one with a RED score, and a PENDING
one that the sandbox's review then rejects. Seeds keep their given status and id.

One differs from the sample: ``verification_code`` is an authentication template as Meta
stores one (Meta's creation example "authentication template w/ OTP copy code button",
OpenAPI v23.0): texts written by WhatsApp, and an OTP button, which a send addresses as
``sub_type: url`` with the code as its text parameter.
"""

from __future__ import annotations

from typing import Any

from easymo_core.sandbox.template_rules import check_template
from easymo_core.templates.sample_data import sample_templates

_AUTHENTICATION_REQUEST: dict[str, Any] = {
    "name": "verification_code",
    "language": "en_US",
    "category": "AUTHENTICATION",
    "message_send_ttl_seconds": 600,
    "components": [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]},
    ],
}


def seed_templates() -> list[dict[str, Any]]:
    """Fresh copies, safe to change."""
    out = []
    for item in sample_templates():
        if (item["name"], item["language"]) == ("verification_code", "en_US"):
            stored = check_template(_AUTHENTICATION_REQUEST)
            item = {**item, "components": stored.components, **stored.extra}
        out.append(item)
    return out
