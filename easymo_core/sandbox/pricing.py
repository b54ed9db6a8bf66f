"""How a message is priced, as its status webhooks say and the pricing analytics count it.

Per-message pricing (PMP, Meta's model since mid-2025; ``CLOUDAPI.md`` §4, from a copy of
Meta's status-webhook reference, unverified against the OpenAPI description, whose
``Pricing`` schema lists only ``billable``, ``pricing_model`` and ``category``):
  - ``free_entry_point``: inside the 72-hour window a user opened from an entry point (a
    click-to-WhatsApp ad or a Facebook page button), every message is free;
  - ``free_customer_service``: inside the 24-hour customer service window, service
    messages and utility templates are free;
  - ``regular``: everything else is billed (marketing and authentication templates always,
    utility templates outside the window).
"""

from __future__ import annotations

from easymo_core.sandbox.state import OutboundMessage

REGULAR = "regular"
FREE_CUSTOMER_SERVICE = "free_customer_service"
FREE_ENTRY_POINT = "free_entry_point"
PRICING_TYPES = (REGULAR, FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT)
ENTRY_POINT_WINDOW_SECONDS = 72 * 3600


def pricing_type(msg: OutboundMessage) -> str:
    if msg.in_entry_point_window:
        return FREE_ENTRY_POINT
    if msg.category == "service" or (msg.category == "utility" and msg.in_window):
        return FREE_CUSTOMER_SERVICE
    return REGULAR


def billable(msg: OutboundMessage) -> bool:
    return pricing_type(msg) == REGULAR
