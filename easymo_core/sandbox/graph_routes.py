"""The Graph API paths the sandbox plays, under the Graph versions Meta still serves.

  POST   /{v}/{phone_number_id}/messages        send, or mark a received message read
  GET    /{v}/{phone_number_id}                 phone number info (``fields``)
  GET    /{v}/{waba_id}                         account info and analytics fields
  GET    /{v}/{waba_id}/message_templates       list, newest first: fields, limit (25, at most
                                                1000), after/before cursors, ``next`` only when
                                                more; filters name (substring), status,
                                                category, language (comma lists)
  POST   /{v}/{waba_id}/message_templates       create -> PENDING, reviewed later
  DELETE /{v}/{waba_id}/message_templates       by name, or name + hsm_id
  GET    /{v}/{waba_id}/template_analytics      per-template daily metrics
  GET    /{v}/{waba_id}/phone_numbers           the phone number (fields)
  GET|POST|DELETE /{v}/{waba_id}/subscribed_apps   the app's webhook subscription
  GET|POST /{v}/{phone_number_id}/whatsapp_business_profile
  POST   /{v}/{phone_number_id}/media           upload; GET|DELETE /{v}/{media_id} (media.py)
  GET    /{v}/{template_id}                     one template
  POST   /{v}/{template_id}                     edit a template (-> PENDING again)
Anything else answers a Graph error: unknown object (100, subcode 33), unknown path
component (2500), or 404 for paths without a version. Node fields and edges: ``account``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easymo_core.sandbox import account, analytics, sending
from easymo_core.sandbox.config import AVAILABLE_VERSIONS
from easymo_core.sandbox.graph_errors import GraphError, unknown_object, unknown_path
from easymo_core.sandbox.media import DOWNLOAD_PATH, parse_upload
from easymo_core.sandbox.responses import json_response
from easymo_core.sandbox.runtime import SandboxRuntime
from easymo_core.sandbox.state import Template
from easymo_core.sandbox.validation import ReadReceipt, parse_send

ALL_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]
_VERSION_RE = re.compile(r"^v\d+\.\d+$")
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000

# Every field of the template node (Meta's Graph reference for WhatsApp Business HSM; the
# OpenAPI description lists only a few): one without a value is left out, as Graph does.
TEMPLATE_FIELDS = frozenset({
    "id", "name", "language", "status", "category", "components", "parameter_format",
    "rejected_reason", "quality_score", "previous_category", "sub_category",
    "library_template_name", "correct_category", "cta_url_link_tracking_opted_out",
    "message_send_ttl_seconds", "degrees_of_freedom_spec",
})
# summary= on the message_templates edge (Graph reference; unverified: not in the OpenAPI
# description). 250 templates is Meta's limit for a WABA of a business not yet verified.
SUMMARY_FIELDS = ("total_count", "message_template_count", "message_template_limit",
                  "are_translations_complete")
MESSAGE_TEMPLATE_LIMIT = 250
QUALITY_SCORES = frozenset({"GREEN", "YELLOW", "RED", "UNKNOWN"})
DEFAULT_TEMPLATE_FIELDS = ("name", "parameter_format", "components", "language", "status", "category",
                           "previous_category", "id")


def runtime_of(request: Request) -> SandboxRuntime:
    rt: SandboxRuntime = request.app.state.runtime
    return rt


def authorize(request: Request, rt: SandboxRuntime) -> None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        # "OAuth <token>" is how Meta's Resumable Upload examples send it.
        token = token.strip() if scheme.lower() in ("bearer", "oauth") else ""
    else:
        token = request.query_params.get("access_token", "")
    if header is None and not token:
        raise GraphError(104, message="An access token is required to request this resource")
    if token != rt.config.token:
        raise GraphError(190, message="Invalid OAuth access token - Cannot parse access token")


def _enter(request: Request) -> tuple[SandboxRuntime, str, str]:
    """Version check, then auth: the runtime, object id and method of a Graph request."""
    version = request.path_params["version"]
    if not _VERSION_RE.match(version):
        raise GraphError(100, message=f"Unknown path components: /{version}", status=404)
    if version not in AVAILABLE_VERSIONS:
        raise unknown_path(request.url.path)
    rt = runtime_of(request)
    authorize(request, rt)
    return rt, request.path_params["object_id"], request.method


# Messages ------------------------------------------------------------------------------

async def messages(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    if object_id != rt.config.phone_number_id:
        if object_id == rt.config.waba_id or object_id in rt.state.templates:
            raise unknown_path("/messages")
        raise unknown_object(object_id, method)
    if method != "POST":
        raise unknown_object(object_id, method)
    raw = await request.body()
    entry: dict[str, Any] = request.scope.get("sandbox.entry", {})
    entry["body_sha1"] = hashlib.sha1(raw).hexdigest()
    key = request.headers.get("idempotency-key") or request.headers.get("x-idempotency-key")
    if key:
        entry["idempotency_key"] = key
    try:
        body = json.loads(raw)
    except ValueError:
        raise _not_json() from None
    try:
        parsed = parse_send(body, rt.config.display_digits)
        if isinstance(parsed, ReadReceipt):
            return json_response(sending.mark_read(rt, parsed, entry))
        return json_response(sending.send(rt, parsed, entry))
    except GraphError:
        rt.state.counters["sends_rejected"] += 1
        raise


# Nodes: phone number, WABA, template ---------------------------------------------------

async def node(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    cfg = rt.config
    tpl = rt.state.templates.get(object_id)
    media = rt.media.items.get(object_id)
    if method == "GET":
        fields = request.query_params.get("fields")
        if object_id == cfg.phone_number_id:
            values = account.phone_values(cfg)
            phone = _project(values, fields, account.DEFAULT_PHONE_FIELDS, "WhatsAppBusinessPhoneNumber",
                             frozenset(values) | account.PHONE_EMPTY_FIELDS)
            return json_response(phone)
        if object_id == cfg.waba_id:
            return json_response(_waba(rt, fields))
        if tpl is not None:
            return json_response(_template_json(tpl, fields))
        if media is not None:
            return json_response(rt.media.describe(media, str(request.base_url).rstrip("/"), time.time()))
    elif method == "POST" and tpl is not None:
        rt.templates.edit(tpl, await _json_body(request))
        return json_response({"success": True})
    elif method == "DELETE" and media is not None:
        del rt.media.items[object_id]
        return json_response({"success": True})
    raise unknown_object(object_id, method)


def _waba(rt: SandboxRuntime, fields: str | None) -> dict[str, Any]:
    cfg = rt.config
    values = account.waba_values(cfg, rt.state.subscribed)
    if not fields:
        return {k: values[k] for k in account.DEFAULT_WABA_FIELDS}
    parsed = analytics.parse_fields(fields)
    out: dict[str, Any] = {}
    for name, args in parsed.items():
        if name in analytics.ANALYTICS_FIELDS:
            out[name] = analytics.field_value(name, args, rt.state, rt.config.display_digits)
        elif name in values:
            out[name] = values[name]
        elif name not in account.WABA_EMPTY_FIELDS:
            raise _no_field(name, "WhatsAppBusinessAccount")
    out["id"] = cfg.waba_id
    return out


def _project(
    values: dict[str, Any],
    fields: str | None,
    default: tuple[str, ...],
    node: str,
    known: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The requested ``fields`` of ``values`` (``id`` always), Graph's default set when none.

    A field in ``known`` without a value is left out, as Graph leaves out empty fields; a
    field not in ``known`` (default: the keys of ``values``) is an error.
    """
    names = [f.strip() for f in fields.split(",") if f.strip()] if fields else list(default)
    known_names = known if known is not None else frozenset(values)
    out: dict[str, Any] = {}
    for name in names:
        if name in values:
            out[name] = values[name]
        elif name not in known_names:
            raise _no_field(name, node)
    out["id"] = values["id"]
    return out


def _template_json(tpl: Template, fields: str | None) -> dict[str, Any]:
    values = tpl.graph_fields()
    return _project(values, fields, DEFAULT_TEMPLATE_FIELDS, "WhatsAppBusinessHSM", TEMPLATE_FIELDS)


def _not_json() -> GraphError:
    return GraphError(100, "The request body is not valid JSON", message="(#100) Invalid parameter")


def _no_field(name: str, node: str) -> GraphError:
    return GraphError(100, message=f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})")


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise _not_json() from None


# Templates -----------------------------------------------------------------------------

async def message_templates(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    if object_id != rt.config.waba_id:
        if object_id == rt.config.phone_number_id:
            raise unknown_path("/message_templates")
        raise unknown_object(object_id, method)
    if method == "GET":
        return json_response(_list_templates(request, rt))
    if method == "POST":
        tpl = rt.templates.create(await _json_body(request))
        return json_response({"id": tpl.id, "status": tpl.status, "category": tpl.category})
    if method == "DELETE":
        name = request.query_params.get("name")
        if not name:
            raise GraphError(100, message="(#100) The parameter name is required.")
        rt.templates.delete(name, request.query_params.get("hsm_id"))
        return json_response({"success": True})
    raise unknown_object(object_id, method)


def _list_templates(request: Request, rt: SandboxRuntime) -> dict[str, Any]:
    q = request.query_params
    fields = q.get("fields")
    limit = _limit(q.get("limit"))
    everything = rt.state.ordered_templates()
    items = everything
    if q.get("name"):
        items = [t for t in items if q["name"].lower() in t.name.lower()]
    if q.get("content"):
        items = [t for t in items if q["content"].lower() in _content(t)]
    if q.get("name_or_content"):
        wanted = q["name_or_content"].lower()
        items = [t for t in items if wanted in t.name.lower() or wanted in _content(t)]
    for key in ("status", "category", "language", "quality_score"):
        if q.get(key):
            allowed = {v.strip() for v in analytics.parse_list(q[key])}
            if key == "quality_score" and not allowed <= QUALITY_SCORES:
                raise GraphError(100, f"quality_score must be among {', '.join(sorted(QUALITY_SCORES))}",
                                 message="(#100) Invalid parameter")
            items = [t for t in items if getattr(t, key) in allowed]
    summary = _summary(q.get("summary"), items, everything)
    keys = [_sort_key(t) for t in items]  # descending
    if q.get("after"):
        cursor = _decode_cursor(q["after"])
        start = next((i for i, k in enumerate(keys) if k < cursor), len(items))
    elif q.get("before"):
        cursor = _decode_cursor(q["before"])
        end = next((i for i, k in enumerate(keys) if k <= cursor), len(items))
        start = max(0, end - limit)
    else:
        start = 0
    page = items[start : start + limit]
    result: dict[str, Any] = {"data": [_template_json(t, fields) for t in page]}
    if summary:
        result["summary"] = summary
    if not page:
        return result
    paging: dict[str, Any] = {
        "cursors": {"before": _encode_cursor(page[0]), "after": _encode_cursor(page[-1])}
    }
    if start + limit < len(items):
        paging["next"] = str(request.url.remove_query_params("before").include_query_params(
            after=paging["cursors"]["after"]))
    if start > 0:
        paging["previous"] = str(request.url.remove_query_params("after").include_query_params(
            before=paging["cursors"]["before"]))
    result["paging"] = paging
    return result


def _content(tpl: Template) -> str:
    """The texts of a template, for the content filters."""
    return " ".join(str(c.get("text", "")) for c in tpl.components).lower()


def _summary(raw: str | None, matching: list[Template], everything: list[Template]) -> dict[str, Any]:
    if not raw:
        return {}
    names = list(SUMMARY_FIELDS[:1]) if raw == "true" else analytics.parse_list(raw)
    languages = {t.language for t in everything}
    by_name: dict[str, set[str]] = {}
    for tpl in everything:
        by_name.setdefault(tpl.name, set()).add(tpl.language)
    values = {
        "total_count": len(matching),
        "message_template_count": len(everything),
        "message_template_limit": MESSAGE_TEMPLATE_LIMIT,
        "are_translations_complete": all(langs == languages for langs in by_name.values()),
    }
    for name in names:
        if name not in values:
            raise GraphError(100, f"summary: unknown field {name}", message="(#100) Invalid parameter")
    return {name: values[name] for name in names}


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise GraphError(100, "limit must be a positive integer", message="(#100) Invalid parameter")
    return min(int(raw), MAX_LIMIT)


def _sort_key(tpl: Template) -> tuple[float, str]:
    return (tpl.created_at, tpl.id)


def _encode_cursor(tpl: Template) -> str:
    raw = f"{tpl.created_at!r}:{tpl.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        created, _, template_id = raw.partition(":")
        return (float(created), template_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphError(100, f"Invalid cursor {cursor!r}", message="(#100) Invalid parameter") from None


async def template_analytics(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    if object_id == rt.config.phone_number_id:
        raise unknown_path("/template_analytics")
    if object_id != rt.config.waba_id or method != "GET":
        raise unknown_object(object_id, method)
    return json_response(analytics.template_analytics(dict(request.query_params), rt.state))


# Account edges and media ------------------------------------------------------------------

async def phone_numbers(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    if object_id == rt.config.phone_number_id:
        raise unknown_path("/phone_numbers")
    if object_id != rt.config.waba_id or method != "GET":
        raise unknown_object(object_id, method)
    fields = request.query_params.get("fields")
    values = account.phone_values(rt.config)
    known = frozenset(values) | account.PHONE_EMPTY_FIELDS
    item = (_project(values, fields, (), "WhatsAppBusinessPhoneNumber", known) if fields
            else account.phone_item(rt.config))
    cursor = base64.urlsafe_b64encode(rt.config.phone_number_id.encode()).decode("ascii").rstrip("=")
    return json_response({"data": [item], "paging": {"cursors": {"before": cursor, "after": cursor}}})


async def subscribed_apps(request: Request) -> Response:
    """The app's subscription to the WABA's webhooks: while unsubscribed, none are posted.
    POST may set ``override_callback_uri`` (with ``verify_token``), as Meta allows."""
    rt, object_id, method = _enter(request)
    if object_id == rt.config.phone_number_id:
        raise unknown_path("/subscribed_apps")
    if object_id != rt.config.waba_id:
        raise unknown_object(object_id, method)
    if method == "GET":
        return json_response(account.subscribed_apps(rt.state.subscribed))
    if method == "POST":
        body = await _json_body(request) if await request.body() else {}
        override = body.get("override_callback_uri") if isinstance(body, dict) else None
        if override is not None:
            if not (isinstance(override, str) and override.startswith("https://")):
                raise GraphError(100, "override_callback_uri must be an https URL",
                                 message="(#100) Invalid parameter")
            if not body.get("verify_token"):
                raise GraphError(100, message="(#100) The parameter verify_token is required.")
            rt.config.webhook_url = override
        rt.state.subscribed = True
        return json_response({"success": True})
    if method == "DELETE":
        rt.state.subscribed = False
        return json_response({"success": True})
    raise unknown_object(object_id, method)


async def business_profile(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    if object_id == rt.config.waba_id:
        raise unknown_path("/whatsapp_business_profile")
    if object_id != rt.config.phone_number_id:
        raise unknown_object(object_id, method)
    if method == "GET":
        fields = request.query_params.get("fields")
        profile = rt.state.business_profile
        if fields:
            wanted = [f.strip() for f in fields.split(",") if f.strip()]
            for name in wanted:
                if name not in profile:
                    raise _no_field(name, "WhatsAppBusinessProfile")
            profile = {k: v for k, v in profile.items() if k in wanted or k == "messaging_product"}
        return json_response({"data": [{"business_profile": profile}]})
    if method == "POST":
        account.update_profile(rt.state.business_profile, await _json_body(request))
        return json_response({"success": True})
    raise unknown_object(object_id, method)


async def upload_media(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    if object_id == rt.config.waba_id:
        raise unknown_path("/media")
    if object_id != rt.config.phone_number_id or method != "POST":
        raise unknown_object(object_id, method)
    mime, data, filename = parse_upload(request.headers.get("content-type", ""), await request.body())
    media = rt.media.add(rt.ids.numeric_id(), mime, data, filename)
    return json_response({"id": media.id})


async def download_media(request: Request) -> Response:
    """The bytes behind a media URL: the access token is needed, and the URL expires."""
    rt = runtime_of(request)
    authorize(request, rt)
    q = request.query_params
    media = rt.media.download(q.get("mid", ""), q.get("ext", ""), q.get("hash", ""), time.time())
    if media is None:
        return Response(b"", 404)
    return Response(media.data, 200, media_type=media.mime_type)


async def unknown_edge(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    known = {rt.config.phone_number_id, rt.config.waba_id, *rt.state.templates, *rt.media.items}
    if object_id not in known:
        raise unknown_object(object_id, method)
    raise unknown_path("/" + request.path_params["edge"])


async def not_found(request: Request) -> Response:
    raise GraphError(100, message=f"Unknown path components: {request.url.path}", status=404)


SEND_ROUTE = Route("/{version}/{object_id}/messages", messages, methods=ALL_METHODS)
ROUTES = [
    Route("/{version}/{object_id}/message_templates", message_templates, methods=ALL_METHODS),
    Route("/{version}/{object_id}/template_analytics", template_analytics, methods=ALL_METHODS),
    Route("/{version}/{object_id}/phone_numbers", phone_numbers, methods=ALL_METHODS),
    Route("/{version}/{object_id}/subscribed_apps", subscribed_apps, methods=ALL_METHODS),
    Route("/{version}/{object_id}/whatsapp_business_profile", business_profile, methods=ALL_METHODS),
    Route("/{version}/{object_id}/media", upload_media, methods=ALL_METHODS),
    Route(DOWNLOAD_PATH, download_media, methods=["GET"]),
    Route("/{version}/{object_id}", node, methods=ALL_METHODS),
    Route("/{version}/{object_id}/{edge:path}", unknown_edge, methods=ALL_METHODS),
    Route("/{path:path}", not_found, methods=ALL_METHODS),
]
