"""Control endpoints under ``/_sandbox/``: drive and inspect the sandbox from tests and tools.

No token: they exist only on the loopback sandbox. Errors answer 400/404 with
``{"error": {"message", "type": "SandboxControlError", "code": 100}}``.

  GET  /_sandbox/health                 liveness, counters, pending webhook deliveries
  GET  /_sandbox/log                    {"entries": [...]}: Graph requests received (kind
                                        "send" for POST .../messages, "request" else) and
                                        webhook deliveries ("webhook", with attempts);
                                        ?kind=, since=SEQ, limit=N, wamid=ID
  GET  /_sandbox/messages               messages sent and received, with their statuses
  POST /_sandbox/inbound                a simulated user writes: {"from", "name"?, and one of
                                        "text" | "button_id" | "list_id" (+ "to": wamid,
                                        "title"?, "description"?) | "media": {"type": image|
                                        document|audio|video|sticker, "caption"?, "filename"?,
                                        "id"? (an uploaded media), "data_base64"?, "mime_type"?}
                                        | "location": {latitude, longitude, name?, address?}
                                        | "reaction": emoji (+ "to": wamid) | "contacts":
                                        [{"name", "phone"?}] | "order": {"items": [{
                                        "product_retailer_id", "quantity", "item_price",
                                        "currency"?}], "text"?}}; "context": wamid quotes;
                                        "entry_point": true writes from an ad (referral)
  GET|POST /_sandbox/faults             read / arm faults (rates, next_*, when, receiver_down_seconds, clear)
  GET|POST /_sandbox/config             read / change tunable settings
  POST /_sandbox/templates              add a template as Graph JSON in the status it names
                                        (APPROVED when none), skipping creation checks
  POST /_sandbox/templates/{id}/status  {"status"?, "reason"?, "quality"?}
  POST /_sandbox/reset                  back to a fresh sandbox with the same seed;
                                        {"config": true} also restores the starting settings
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from easymo_core.cloudapi import limits
from easymo_core.sandbox.graph_routes import runtime_of
from easymo_core.sandbox.media import SAMPLES, SUPPORTED
from easymo_core.sandbox.responses import json_response
from easymo_core.sandbox.runtime import SandboxRuntime
from easymo_core.sandbox.state import InboundMessage
from easymo_core.sandbox.users import ReplyError

_PHONE_CHARS = str.maketrans("", "", "+ -().")


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def control_error_response(exc: ControlError) -> Response:
    body = {"error": {"message": exc.message, "type": "SandboxControlError", "code": 100}}
    return json_response(body, exc.status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ControlError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


async def health(request: Request) -> Response:
    rt = runtime_of(request)
    return json_response({
        "status": "ok",
        "uptime_seconds": round(time.monotonic() - rt.started, 3),
        "phone_number_id": rt.config.phone_number_id,
        "waba_id": rt.config.waba_id,
        "webhook_url": rt.config.webhook_url,
        "pending_webhooks": rt.dispatcher.in_flight,
        "pending_events": len(rt.lifecycle.timers) + len(rt.templates.timers),
        "templates": len(rt.state.templates),
        "messages_sent": len(rt.state.messages),
        "messages_received": len(rt.state.inbound),
        "counters": rt.state.counters,
    })


async def log(request: Request) -> Response:
    rt = runtime_of(request)
    q = request.query_params
    kind, wamid = q.get("kind"), q.get("wamid")
    since = _int_param(q.get("since"), "since", 0)
    limit = _int_param(q.get("limit"), "limit", 0)
    entries = [
        e for e in rt.state.log
        if e["seq"] > since and (kind is None or e["kind"] == kind) and (wamid is None or _about(e, wamid))
    ]
    if limit:
        entries = entries[:limit]
    last = rt.state.log[-1]["seq"] if rt.state.log else 0
    return json_response({"entries": entries, "last_seq": last, "counters": rt.state.counters})


def _about(entry: dict[str, Any], wamid: str) -> bool:
    return entry.get("wamid") == wamid or any(ev.get("id") == wamid for ev in entry.get("events", ()))


def _int_param(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ControlError(f"{name} must be a non-negative integer")
    return int(raw)


async def messages(request: Request) -> Response:
    rt = runtime_of(request)
    return json_response({
        "sent": [m.summary() for m in rt.state.messages.values()],
        "received": [m.summary() for m in rt.state.inbound.values()],
    })


async def inbound(request: Request) -> Response:
    rt = runtime_of(request)
    body = await _body(request)
    wa_id = _phone(body.get("from"))
    name = body.get("name") or ""
    if not isinstance(name, str):
        raise ControlError("name must be a string")
    given = [k for k in INBOUND_KINDS if body.get(k) not in (None, "")]
    if len(given) != 1:
        raise ControlError(f"give exactly one of {', '.join(INBOUND_KINDS)}")
    kind = given[0]
    if kind in ("media", "location", "reaction", "contacts", "order"):
        message = _other_inbound(rt, wa_id, name, kind, body)
    elif kind == "text":
        text = body["text"]
        if not isinstance(text, str):
            raise ControlError("text must be a string")
        context = body.get("context")
        if context is not None and context not in rt.state.messages:
            raise ControlError(f"context {context!r} is not a message this sandbox sent")
        message = rt.users.receive(wa_id, name, "text", {"body": text}, context,
                                   referral=_referral(body, rt))
    else:
        to = body.get("to")
        if not isinstance(to, str) or not to:
            raise ControlError(f"{kind} needs \"to\": the wamid of the message replied to")
        kinds = {"list"} if kind == "list_id" else {"button", "quick_reply"}
        title = body.get("title")
        try:
            message = rt.users.reply_to(
                wa_id, name, to, str(body[kind]), str(title) if title else None, kinds
            )
        except ReplyError as exc:
            raise ControlError(str(exc)) from None
    user = rt.state.user(wa_id)
    return json_response({
        "id": message.wamid,
        "from": wa_id,
        "type": message.type,
        "context_id": message.context_id,
        "media_id": message.content.get("id") if kind == "media" else None,
        "window_open_until": int(user.window_until),
        "webhook": "posted" if rt.dispatcher.enabled else "disabled",
    })


INBOUND_KINDS = ("text", "button_id", "list_id", "media", "location", "reaction", "contacts", "order")
MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")


def _other_inbound(
    rt: SandboxRuntime, wa_id: str, name: str, kind: str, body: dict[str, Any]
) -> InboundMessage:
    """Media, location, reaction and contacts messages, shaped as Meta's inbound examples."""
    context = body.get("context")
    if context is not None and context not in rt.state.messages:
        raise ControlError(f"context {context!r} is not a message this sandbox sent")
    if kind == "media":
        media_type, content = _inbound_media(rt, body["media"])
        return rt.users.receive(wa_id, name, media_type, content, context)
    if kind == "location":
        return rt.users.receive(wa_id, name, "location", _inbound_location(body["location"]), context)
    if kind == "reaction":
        to = body.get("to")
        if not isinstance(to, str) or to not in rt.state.messages:
            raise ControlError("reaction needs \"to\": the wamid of a message this sandbox sent")
        if not isinstance(body["reaction"], str):
            raise ControlError("reaction must be an emoji")
        return rt.users.receive(wa_id, name, "reaction", {"message_id": to, "emoji": body["reaction"]})
    if kind == "order":
        return rt.users.receive(wa_id, name, "order", _inbound_order(body["order"], rt), context)
    return rt.users.receive(wa_id, name, "contacts", _inbound_contacts(body["contacts"]), context)


def _inbound_order(spec: Any, rt: SandboxRuntime) -> dict[str, Any]:
    """A cart sent from a catalog: ``{"items": [{"product_retailer_id", "quantity",
    "item_price", "currency"?}], "text"?, "catalog_id"?}``."""
    items = spec.get("items") if isinstance(spec, dict) else None
    if not isinstance(items, list) or not items:
        raise ControlError("order needs items: [{product_retailer_id, quantity, item_price}]")
    products = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("product_retailer_id"), str):
            raise ControlError("each order item needs a product_retailer_id")
        quantity, price = item.get("quantity", 1), item.get("item_price")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ControlError("an order item's quantity must be a positive integer")
        if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
            raise ControlError("an order item's item_price must be a number >= 0")
        products.append({"product_retailer_id": item["product_retailer_id"], "quantity": quantity,
                         "item_price": price, "currency": str(item.get("currency") or "USD")})
    catalog_id = str(spec.get("catalog_id") or rt.ids.numeric_id())
    return {"catalog_id": catalog_id, "text": str(spec.get("text") or ""), "product_items": products}


def _inbound_media(rt: SandboxRuntime, spec: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(spec, dict) or spec.get("type") not in MEDIA_KINDS:
        raise ControlError(f"media must be an object with type one of {', '.join(MEDIA_KINDS)}")
    media_type = spec["type"]
    if spec.get("id") is not None:
        stored = rt.media.items.get(str(spec["id"]))
        if stored is None:
            raise ControlError(f"no media {spec['id']} was uploaded to this sandbox")
    else:
        mime, data = SAMPLES[media_type]
        if spec.get("data_base64") is not None:
            try:
                data = base64.b64decode(str(spec["data_base64"]), validate=True)
            except binascii.Error:
                raise ControlError("data_base64 is not base64") from None
            mime = str(spec.get("mime_type") or mime)
        if SUPPORTED.get(mime, ("", 0))[0] != media_type:
            raise ControlError(f"mime_type {mime!r} is not one WhatsApp takes for {media_type}")
        stored = rt.media.add(rt.ids.numeric_id(), mime, data, spec.get("filename"))
    content: dict[str, Any] = {"mime_type": stored.mime_type,
                               "sha256": base64.b64encode(bytes.fromhex(stored.sha256)).decode("ascii"),
                               "id": stored.id}
    caption = spec.get("caption")
    if caption and media_type in ("image", "document", "video"):
        content = {"caption": str(caption), **content}
    if media_type == "document":
        content["filename"] = str(spec.get("filename") or stored.filename or "document.pdf")
    elif media_type == "audio":
        content["voice"] = stored.mime_type == "audio/ogg"
    elif media_type == "sticker":
        content["animated"] = False
    return media_type, content


def _inbound_location(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ControlError("location must be an object with latitude and longitude")
    out: dict[str, Any] = {}
    for key, bound in (("latitude", 90.0), ("longitude", 180.0)):
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            raise ControlError(f"location {key} must be a number between -{bound:g} and {bound:g}")
        out[key] = float(value)
    for key in ("name", "address", "url"):
        if spec.get(key):
            out[key] = str(spec[key])
    return out


def _inbound_contacts(spec: Any) -> list[dict[str, Any]]:
    if not isinstance(spec, list) or not spec:
        raise ControlError("contacts must be a non-empty list of {\"name\", \"phone\"?}")
    out = []
    for item in spec:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ControlError("each contact needs a name")
        first, _, last = item["name"].partition(" ")
        name: dict[str, Any] = {"formatted_name": item["name"], "first_name": first}
        if last:
            name["last_name"] = last
        contact: dict[str, Any] = {"name": name}
        if item.get("phone"):
            phone = str(item["phone"])
            digits = phone.translate(_PHONE_CHARS)
            contact["phones"] = [{"phone": phone, "wa_id": digits, "type": "MOBILE"}]
        out.append(contact)
    return out


def _referral(body: dict[str, Any], rt: SandboxRuntime) -> dict[str, Any] | None:
    """``"entry_point": true``: the user writes from a click-to-WhatsApp ad, whose referral
    object (fields of Meta's inbound message reference) the webhook carries."""
    if body.get("entry_point") in (None, False):
        return None
    if body["entry_point"] is not True:
        raise ControlError("entry_point must be true or false")
    return {
        "source_url": "https://fb.me/sandbox-ad",
        "source_id": rt.ids.numeric_id(),
        "source_type": "ad",
        "headline": "easyMO sandbox ad",
        "body": "Write to us on WhatsApp",
        "media_type": "image",
        "image_url": "https://example.com/ad.jpg",
        "ctwa_clid": rt.ids.conversation_id(),
    }


def _phone(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise ControlError("from is required: the user's phone number")
    digits = raw.translate(_PHONE_CHARS)
    if not (digits.isdigit() and 7 <= len(digits) <= 15):
        raise ControlError(f"from is not a phone number: {raw!r}")
    return digits


async def faults(request: Request) -> Response:
    rt = runtime_of(request)
    if request.method == "POST":
        _apply_faults(rt, await _body(request))
    return json_response(rt.faults.describe(rt.config))


def _apply_faults(rt: SandboxRuntime, body: dict[str, Any]) -> None:
    config_keys = {"error_rate", "error_status", "slow_rate", "slow_seconds", "drop_rate"}
    counters = {"next_errors", "next_slow", "next_drops"}
    unknown = set(body) - config_keys - counters - {"when", "receiver_down_seconds", "clear"}
    if unknown:
        raise ControlError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
    for key in counters:
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ControlError(f"{key} must be a non-negative integer")
    when = body.get("when")
    if when is not None and when not in ("before", "after"):
        raise ControlError("when must be 'before' or 'after'")
    down = body.get("receiver_down_seconds")
    if down is not None and (isinstance(down, bool) or not isinstance(down, int | float) or down < 0):
        raise ControlError("receiver_down_seconds must be a number >= 0")
    changes: dict[str, Any] = {}
    if body.get("clear"):
        changes = dict.fromkeys(("error_rate", "slow_rate", "drop_rate"), 0.0)
    changes.update({k: body[k] for k in config_keys if k in body})
    try:
        rt.config.update(changes)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    if body.get("clear"):
        rt.faults.clear()
    for key in counters:
        if key in body:
            setattr(rt.faults, key, body[key])
    if when is not None:
        rt.faults.after = when == "after"
    if down is not None:
        rt.faults.set_receiver_down(float(down))


async def config(request: Request) -> Response:
    rt = runtime_of(request)
    applied: dict[str, Any] = {}
    if request.method == "POST":
        try:
            applied = rt.config.update(await _body(request))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
    return json_response({"applied": applied, "config": rt.config.tunables()})


async def add_template(request: Request) -> Response:
    rt = runtime_of(request)
    body = await _body(request)
    for key in ("name", "language"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ControlError(f"{key} is required")
    if not isinstance(body.get("components"), list):
        raise ControlError("components must be a list")
    if body.get("status", "APPROVED") not in limits.TEMPLATE_STATUSES:
        raise ControlError(f"status must be one of {', '.join(limits.TEMPLATE_STATUSES)}")
    if rt.state.template_by_name(body["name"], body["language"]) is not None:
        raise ControlError(f"template {body['name']} already exists in {body['language']}")
    try:
        tpl = rt.templates.add_given(body)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return json_response(tpl.graph_fields())


async def template_status(request: Request) -> Response:
    rt = runtime_of(request)
    tpl = rt.state.templates.get(request.path_params["template_id"])
    if tpl is None:
        raise ControlError(f"no template {request.path_params['template_id']}", 404)
    body = await _body(request)
    if not ({"status", "quality"} & body.keys()):
        raise ControlError("give status (and reason) or quality")
    try:
        if "quality" in body:
            rt.templates.set_quality(tpl, body["quality"])
        if "status" in body:
            rt.templates.set_status(tpl, str(body["status"]).upper(), str(body.get("reason", "NONE")).upper())
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return json_response(tpl.graph_fields())


async def reset(request: Request) -> Response:
    rt = runtime_of(request)
    body = await _body(request)
    rt.reset(config=body.get("config") is True)
    return json_response({"success": True, "templates": len(rt.state.templates)})


async def unknown(request: Request) -> Response:
    raise ControlError(f"no control endpoint {request.method} {request.url.path}", 404)


MOUNT = Mount("/_sandbox", routes=[
    Route("/health", health, methods=["GET"]),
    Route("/log", log, methods=["GET"]),
    Route("/messages", messages, methods=["GET"]),
    Route("/inbound", inbound, methods=["POST"]),
    Route("/faults", faults, methods=["GET", "POST"]),
    Route("/config", config, methods=["GET", "POST"]),
    Route("/templates", add_template, methods=["POST"]),
    Route("/templates/{template_id}/status", template_status, methods=["POST"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/{path:path}", unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
])
