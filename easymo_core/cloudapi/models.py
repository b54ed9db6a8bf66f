"""Typed results of Cloud API calls, read from Graph's JSON.

Readers raise ``KeyError``/``TypeError``/``ValueError``/``IndexError`` on an answer of the
wrong shape; the client turns those into ``MalformedResponseError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

MessageStatus = Literal["accepted", "held_for_quality_assessment"]
_MESSAGE_STATUSES = ("accepted", "held_for_quality_assessment")


@dataclass(frozen=True, slots=True)
class SendResult:
    """Meta accepted the message (delivery is reported later, by status webhooks).

    ``wamid`` is opaque: store and compare it, never parse it. ``message_status`` is set
    for template sends only.
    """

    wamid: str
    wa_id: str | None
    input: str | None
    message_status: MessageStatus | None = None


def read_send_result(data: Mapping[str, Any]) -> SendResult:
    message = data["messages"][0]
    wamid = message["id"]
    if not isinstance(wamid, str) or not wamid:
        raise ValueError("the message id is empty")
    contacts = data.get("contacts") or [{}]
    contact = contacts[0]
    status = message.get("message_status")
    return SendResult(
        wamid=wamid,
        wa_id=contact.get("wa_id"),
        input=contact.get("input"),
        message_status=status if status in _MESSAGE_STATUSES else None,
    )


@dataclass(frozen=True, slots=True)
class PhoneNumberInfo:
    """What Meta says about the sending number: name, quality and limits."""

    id: str
    display_phone_number: str
    verified_name: str | None
    quality_rating: str | None  # GREEN, YELLOW, RED, UNKNOWN / NA
    # Meta's whatsapp_business_manager_messaging_limit (TIER_250, TIER_2K, TIER_10K,
    # TIER_100K, TIER_UNLIMITED, per business portfolio); the deprecated messaging_limit_tier
    # only when Meta sends no new field.
    messaging_limit_tier: str | None
    throughput_level: str | None  # STANDARD, HIGH, NOT_APPLICABLE
    status: str | None = None
    name_status: str | None = None
    code_verification_status: str | None = None
    platform_type: str | None = None
    account_mode: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


PHONE_NUMBER_FIELDS = (
    "id", "display_phone_number", "verified_name", "quality_rating",
    "whatsapp_business_manager_messaging_limit", "throughput", "status", "name_status",
    "code_verification_status", "platform_type", "account_mode",
)


def read_phone_number_info(data: Mapping[str, Any]) -> PhoneNumberInfo:
    throughput = data.get("throughput")
    return PhoneNumberInfo(
        id=str(data["id"]),
        display_phone_number=str(data["display_phone_number"]),
        verified_name=data.get("verified_name"),
        quality_rating=data.get("quality_rating"),
        messaging_limit_tier=(data.get("whatsapp_business_manager_messaging_limit")
                              or data.get("messaging_limit_tier")),
        throughput_level=throughput.get("level") if isinstance(throughput, Mapping) else None,
        status=data.get("status"),
        name_status=data.get("name_status"),
        code_verification_status=data.get("code_verification_status"),
        platform_type=data.get("platform_type"),
        account_mode=data.get("account_mode"),
        raw=dict(data),
    )


@dataclass(frozen=True, slots=True)
class MessagePoint:
    """Messages sent and delivered in [start, end) (unix seconds), from WABA analytics."""

    start: int
    end: int
    sent: int
    delivered: int


def read_message_points(data: Mapping[str, Any]) -> list[MessagePoint]:
    points = data["analytics"].get("data_points", [])
    return [MessagePoint(int(p["start"]), int(p["end"]), int(p.get("sent", 0)),
                         int(p.get("delivered", 0))) for p in points]


@dataclass(frozen=True, slots=True)
class ConversationPoint:
    """Conversations and their cost in [start, end); ``dimensions`` as requested."""

    start: int
    end: int
    conversation: int
    cost: float
    dimensions: Mapping[str, str] = field(default_factory=dict)


_POINT_MEASURES = frozenset({"start", "end", "conversation", "cost"})


@dataclass(frozen=True, slots=True)
class PricingPoint:
    """Messages priced in [start, end) and their cost (per-message pricing); each message is
    in exactly one point for the requested ``dimensions``."""

    start: int
    end: int
    volume: int
    cost: float
    dimensions: Mapping[str, str] = field(default_factory=dict)


_PRICING_MEASURES = frozenset({"start", "end", "volume", "cost"})


def read_pricing_points(data: Mapping[str, Any]) -> list[PricingPoint]:
    out = []
    for group in data["pricing_analytics"].get("data", []):
        for p in group.get("data_points", []):
            out.append(PricingPoint(
                int(p["start"]), int(p["end"]), int(p.get("volume", 0)), float(p.get("cost", 0.0)),
                {k: str(v) for k, v in p.items() if k not in _PRICING_MEASURES},
            ))
    return out


def read_conversation_points(data: Mapping[str, Any]) -> list[ConversationPoint]:
    out = []
    for group in data["conversation_analytics"].get("data", []):
        for p in group.get("data_points", []):
            out.append(ConversationPoint(
                int(p["start"]), int(p["end"]), int(p.get("conversation", 0)),
                float(p.get("cost", 0.0)),
                {k: str(v) for k, v in p.items() if k not in _POINT_MEASURES},
            ))
    return out


@dataclass(frozen=True, slots=True)
class TemplatePoint:
    """One template's figures for one day (UTC)."""

    template_id: str
    start: int
    end: int
    sent: int
    delivered: int
    read: int
    clicked: int


def read_template_points(data: Mapping[str, Any]) -> Iterator[TemplatePoint]:
    # Meta puts template_id on each point; some answers (and CLOUDAPI.md) put it on the group.
    for group in data.get("data", []):
        for p in group.get("data_points", []):
            yield TemplatePoint(
                template_id=str(p.get("template_id", group.get("template_id", ""))),
                start=int(p["start"]),
                end=int(p["end"]),
                sent=int(p.get("sent", 0)),
                delivered=int(p.get("delivered", 0)),
                read=int(p.get("read", 0)),
                clicked=_clicks(p.get("clicked", 0)),
            )


def _clicks(value: Any) -> int:
    # A number, or one {"type", "button_content", "count"} entry per button.
    if isinstance(value, list):
        return sum(int(entry.get("count", 0)) for entry in value)
    return int(value)
