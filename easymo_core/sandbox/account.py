"""The phone number and the WhatsApp Business Account as Graph describes them, and their edges.

Field names and enums come from Meta's OpenAPI description (v23.0: ``WhatsAppAccountNumber``,
``WhatsAppBusinessAccountPhoneNumber``, ``WhatsAppBusinessAccount``,
``WhatsAppBusinessProfile``, ``SubscribedApp``); the fields it does not list
(``whatsapp_business_manager_messaging_limit``, ``quality_score``, ``health_status``,
``webhook_configuration``, ``is_pin_enabled``, ``conversational_automation``,
``primary_business_location``, ...) and their shapes follow Meta's Graph reference pages for
the two nodes: unverified here.

Messaging limits: Meta now counts them per business portfolio and reports them in
``whatsapp_business_manager_messaging_limit`` (TIER_250, TIER_2K, TIER_10K, TIER_100K,
TIER_UNLIMITED); the phone number's ``messaging_limit_tier`` is deprecated and not answered.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.graph_errors import GraphError

APP_ID = "1000000000000001"  # the app a sandbox plays, subscribed to its WABA
APP_NAME = "easyMO Sandbox App"

DEFAULT_PHONE_FIELDS = ("verified_name", "code_verification_status", "display_phone_number",
                        "quality_rating", "platform_type", "throughput",
                        "whatsapp_business_manager_messaging_limit", "id")
# Fields the node has that the sandbox has no value for: left out, as Graph leaves out empty
# fields, instead of refused.
PHONE_EMPTY_FIELDS = frozenset({"messaging_limit_tier", "certificate", "new_certificate", "username",
                                "new_display_phone_number", "new_name_status", "webhook_configuration"})
DEFAULT_WABA_FIELDS = ("id", "name", "timezone_id", "message_template_namespace")
WABA_EMPTY_FIELDS = frozenset({"purchase_order_number", "audiences", "dcc_config", "schedules",
                               "on_behalf_of_business_info"})

# WhatsAppBusinessProfile (OpenAPI v23.0): lengths, counts, the vertical enum.
PROFILE_TEXT_MAX = {"about": 139, "address": 256, "description": 256, "email": 128}
PROFILE_WEBSITES_MAX = 2
PROFILE_WEBSITE_MAX = 256
PROFILE_VERTICALS = frozenset({
    "OTHER", "AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE", "GROCERY", "GOVT",
    "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL", "RESTAURANT", "ALCOHOL",
    "ONLINE_GAMBLING", "PHYSICAL_GAMBLING", "OTC_DRUGS",
})


def default_profile() -> dict[str, Any]:
    return {
        "about": "Hello from the easyMO sandbox",
        "address": "1 Sandbox Way, Menlo Park, CA",
        "description": "A local stand-in for a business on WhatsApp.",
        "email": "sandbox@example.com",
        "messaging_product": "whatsapp",
        "profile_picture_url": "https://example.com/sandbox-profile.jpg",
        "vertical": "OTHER",
        "websites": ["https://example.com"],
    }


def _health(cfg: SandboxConfig) -> dict[str, Any]:
    entities = [("PHONE_NUMBER", cfg.phone_number_id), ("WABA", cfg.waba_id), ("BUSINESS", cfg.waba_id),
                ("APP", APP_ID)]
    return {"can_send_message": "AVAILABLE",
            "entities": [{"entity_type": kind, "id": ident, "can_send_message": "AVAILABLE"}
                         for kind, ident in entities]}


def phone_values(cfg: SandboxConfig) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": cfg.phone_number_id,
        "display_phone_number": cfg.display_phone_number,
        "verified_name": cfg.verified_name,
        "quality_rating": cfg.quality_rating,
        "code_verification_status": "VERIFIED",
        "whatsapp_business_manager_messaging_limit": cfg.messaging_limit,
        "throughput": {"level": cfg.throughput_level},
        "platform_type": "CLOUD_API",
        "host_platform": "CLOUD_API",
        "name_status": "APPROVED",
        "unified_cert_status": "APPROVED",
        "status": "CONNECTED",
        "account_mode": "LIVE",
        "country_code": "US",
        "country_dial_code": "1",
        "is_official_business_account": False,
        "is_on_biz_app": False,
        "is_preverified_number": False,
        "is_pin_enabled": True,
        "quality_score": {"score": cfg.quality_rating, "reasons": []},
        "health_status": _health(cfg),
        "search_visibility": "VISIBLE",
        "conversational_automation": {"enable_welcome_message": False, "prompts": [], "commands": []},
        "eligibility_for_api_business_global_search": "NON_ELIGIBLE_UNDEFINED_COUNTRY",
    }
    if cfg.webhook_url:
        values["webhook_configuration"] = {"application": cfg.webhook_url}
    return values


def waba_values(cfg: SandboxConfig, subscribed: bool) -> dict[str, Any]:
    return {
        "id": cfg.waba_id,
        "name": cfg.verified_name,
        "timezone_id": "1",
        "message_template_namespace": str(uuid.uuid5(uuid.NAMESPACE_OID, cfg.waba_id)).replace("-", "_"),
        "currency": "USD",
        "country": "US",
        "account_review_status": "APPROVED",
        "business_verification_status": "VERIFIED",
        "ownership_type": "SELF_OWNED",
        "status": "ACTIVE",
        "is_enabled_for_insights": True,
        "primary_business_location": "US",
        "health_status": _health(cfg),
        "subscribed_apps": subscribed_apps(subscribed),
        "phone_numbers": {"data": [phone_item(cfg)]},
    }


def phone_item(cfg: SandboxConfig) -> dict[str, Any]:
    """The phone number as ``/{waba_id}/phone_numbers`` lists it by default."""
    values = phone_values(cfg)
    return {k: values[k] for k in ("verified_name", "code_verification_status", "display_phone_number",
                                   "quality_rating", "platform_type", "throughput", "id")}


def subscribed_apps(subscribed: bool) -> dict[str, Any]:
    return {"data": [{"id": APP_ID, "name": APP_NAME}] if subscribed else []}


def update_profile(profile: dict[str, Any], body: Any) -> None:
    """Apply a ``POST /whatsapp_business_profile`` body after checking all of it."""
    if not isinstance(body, dict):
        raise GraphError(100, "The request body must be a JSON object", message="(#100) Invalid parameter")
    if body.get("messaging_product") != "whatsapp":
        raise GraphError(100, message="(#100) The parameter messaging_product is required.")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "messaging_product":
            continue
        if key in PROFILE_TEXT_MAX:
            if not isinstance(value, str) or len(value) > PROFILE_TEXT_MAX[key]:
                raise _bad(key, f"must be text of at most {PROFILE_TEXT_MAX[key]} characters")
            if key == "about" and not value:
                raise _bad(key, "must not be empty")
            if key == "email" and value and "@" not in value:
                raise _bad(key, "must be an email address")
            changes[key] = value
        elif key == "vertical":
            if value not in PROFILE_VERTICALS:
                raise _bad(key, f"must be one of {', '.join(sorted(PROFILE_VERTICALS))}")
            changes[key] = value
        elif key == "websites":
            if not isinstance(value, list) or len(value) > PROFILE_WEBSITES_MAX:
                raise _bad(key, f"must be a list of at most {PROFILE_WEBSITES_MAX} URLs")
            for site in value:
                if not (isinstance(site, str) and site.startswith(("http://", "https://"))
                        and len(site) <= PROFILE_WEBSITE_MAX):
                    raise _bad(key, f"must hold http(s) URLs of at most {PROFILE_WEBSITE_MAX} characters")
            changes[key] = value
        elif key == "profile_picture_handle":
            if not isinstance(value, str) or not value:
                raise _bad(key, "must be an upload handle")
            digest = hashlib.sha1(value.encode()).hexdigest()[:16]
            changes["profile_picture_url"] = f"https://example.com/profile/{digest}.jpg"
        else:
            raise _bad(key, "is not a valid parameter")
    profile.update(changes)


def _bad(key: str, why: str) -> GraphError:
    return GraphError(100, f"Param {key} {why}", message="(#100) Invalid parameter")
