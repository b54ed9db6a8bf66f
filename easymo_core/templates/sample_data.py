"""Realistic templates as Meta's list call returns them: the sandbox's seed and the tests' data.

``hello_world`` is Meta's own sample, word for word. ``welcome_back`` is deliberately bad
(its body starts with a variable): it is PENDING, and the sandbox's review rejects it with
``INVALID_FORMAT``. ``feedback_survey`` is PAUSED with a RED quality score, for the
processor's fallback paths. Everything else passes ``validate_template`` cleanly.
"""

from __future__ import annotations

import copy
from typing import Any

from .model import TemplateDefinition

_ORDER_URL = "https://shop.example.com/orders/{{1}}"
_ORDER_EXAMPLE = ["https://shop.example.com/orders/4521"]


def _order_update(
    id_: str, language: str, header: str, body: str, help_text: str, track_text: str, quality: str
) -> dict[str, Any]:
    return {
        "id": id_,
        "name": "order_update",
        "language": language,
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "status": "APPROVED",
        "quality_score": {"score": quality, "date": 1714550005},
        "rejected_reason": "NONE",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": header, "example": {"header_text": ["#4521"]}},
            {"type": "BODY", "text": body, "example": {"body_text": [["Ana", "May 14"]]}},
            {"type": "FOOTER", "text": "easyMO Shop"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": help_text},
                    {"type": "URL", "text": track_text, "url": _ORDER_URL, "example": list(_ORDER_EXAMPLE)},
                ],
            },
        ],
    }


# Read-only by convention: take copies through sample_templates().
SAMPLE_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": "1017412386178651",
        "name": "hello_world",
        "language": "en_US",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "status": "APPROVED",
        "quality_score": {"score": "GREEN", "date": 1714550005},
        "rejected_reason": "NONE",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {
                "type": "BODY",
                "text": (
                    "Welcome and congratulations!! This message demonstrates your ability to send a "
                    "WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for "
                    "taking the time to test with us."
                ),
            },
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
        ],
    },
    _order_update(
        "1203958471620034",
        "en_US",
        "Order {{1}}",
        "Hi {{1}}, your order has shipped and should arrive by {{2}}. Tap below to track it, "
        "or reply if you need help.",
        "Need help",
        "Track order",
        "GREEN",
    ),
    _order_update(
        "1203958471620035",
        "es",
        "Pedido {{1}}",
        "Hola {{1}}, tu pedido ya fue enviado y debería llegar el {{2}}. Toca abajo para "
        "seguirlo o responde si necesitas ayuda.",
        "Necesito ayuda",
        "Seguir pedido",
        "YELLOW",
    ),
    _order_update(
        "1203958471620036",
        "fr",
        "Commande {{1}}",
        "Bonjour {{1}}, votre commande a été expédiée et devrait arriver le {{2}}. Touchez "
        "ci-dessous pour la suivre ou répondez si vous avez besoin d'aide.",
        "Besoin d'aide",
        "Suivre la commande",
        "UNKNOWN",
    ),
    {
        "id": "884512736650921",
        "name": "appointment_reminder",
        "language": "en_US",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "status": "APPROVED",
        "quality_score": {"score": "GREEN", "date": 1714636400},
        "rejected_reason": "NONE",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Appointment reminder"},
            {
                "type": "BODY",
                "text": "Hello {{first_name}}, this is a reminder of your appointment with "
                "{{provider}} on {{date}} at {{time}}. Reply *Confirm* to keep it, or call "
                "us to reschedule.",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "first_name", "example": "Ana"},
                        {"param_name": "provider", "example": "Dr. López"},
                        {"param_name": "date", "example": "May 14"},
                        {"param_name": "time", "example": "10:30 AM"},
                    ]
                },
            },
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Confirm"},
                    {"type": "QUICK_REPLY", "text": "Reschedule"},
                    {"type": "PHONE_NUMBER", "text": "Call the clinic", "phone_number": "+15550100123"},
                ],
            },
        ],
    },
    {
        "id": "962204187733105",
        "name": "promo_spring",
        "language": "en_US",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "status": "APPROVED",
        "quality_score": {"score": "YELLOW", "date": 1714722800},
        "rejected_reason": "NONE",
        "components": [
            {
                "type": "HEADER",
                "format": "IMAGE",
                "example": {"header_handle": ["4::aW1hZ2UvanBlZw==:ARb3xQmV9sample_handle"]},
            },
            {
                "type": "BODY",
                "text": "Spring is here, {{1}}! Enjoy *{{2}} off* everything in store and online "
                "until Sunday. Tap below to shop, or copy your code for checkout.",
                "example": {"body_text": [["Ana", "25%"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Shop now", "url": "https://shop.example.com/spring"},
                    {"type": "COPY_CODE", "example": "SPRING25"},
                ],
            },
        ],
    },
    {
        "id": "771093358240617",
        "name": "verification_code",
        "language": "en_US",
        "category": "AUTHENTICATION",
        "parameter_format": "POSITIONAL",
        "status": "APPROVED",
        "quality_score": {"score": "GREEN", "date": 1714550005},
        "rejected_reason": "NONE",
        "components": [
            {
                "type": "BODY",
                "text": "Your easyMO verification code is *{{1}}*. For your security, do not share "
                "this code.",
                "example": {"body_text": [["482913"]]},
            },
            {"type": "FOOTER", "text": "This code expires in 10 minutes."},
            {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "482913"}]},
        ],
    },
    {
        "id": "650381924471288",
        "name": "feedback_survey",
        "language": "en_US",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "status": "PAUSED",
        "quality_score": {"score": "RED", "date": 1714809200},
        "rejected_reason": "NONE",
        "components": [
            {
                "type": "BODY",
                "text": "How was your delivery today, {{1}}? Tap a button below to rate your experience.",
                "example": {"body_text": [["Ana"]]},
            },
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Great"},
                    {"type": "QUICK_REPLY", "text": "Okay"},
                    {"type": "QUICK_REPLY", "text": "Not good"},
                ],
            },
        ],
    },
    {
        "id": "590027713964402",
        "name": "welcome_back",
        "language": "en_US",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "status": "PENDING",
        "quality_score": {"score": "UNKNOWN"},
        "rejected_reason": "NONE",
        "components": [
            {
                "type": "BODY",
                "text": "{{1}}, welcome back! We saved your cart so you can pick up where you left off.",
                "example": {"body_text": [["Ana"]]},
            },
        ],
    },
)


def sample_templates() -> list[dict[str, Any]]:
    """Fresh copies of the sample Graph JSON (callers may change them freely)."""
    return copy.deepcopy(list(SAMPLE_TEMPLATES))


def sample_definitions() -> list[TemplateDefinition]:
    return [TemplateDefinition.from_graph(data) for data in SAMPLE_TEMPLATES]


def sample_template(name: str, language: str = "en_US") -> dict[str, Any]:
    """One sample by name and language; ``KeyError`` if there is none."""
    for data in SAMPLE_TEMPLATES:
        if data["name"] == name and data["language"] == language:
            return copy.deepcopy(data)
    raise KeyError(f"no sample template {name!r} in {language!r}")
