"""The Graph API paths the sandbox plays, under any ``/vNN.N/`` version.

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
  GET    /{v}/{template_id}                     one template
  POST   /{v}/{template_id}                     edit a template (-> PENDING again)
Anything else answers a Graph error: unknown object (100, subcode 33), unknown path
component (100), or 404 for paths without a version.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easymo_core.sandbox import analytics, sending
from easymo_core.sandbox.graph_errors import GraphError, unknown_object, unknown_path
from easymo_core.sandbox.responses import json_response
from easymo_core.sandbox.runtime import SandboxRuntime
from easymo_core.sandbox.state import Template
from easymo_core.sandbox.validation import ReadReceipt, parse_send

ALL_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]
_VERSION_RE = re.compile(r"^v\d+\.\d+$")
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000

TEMPLATE_FIELDS = frozenset({
    "id", "name", "language", "status", "category", "components", "parameter_format",
    "rejected_reason", "quality_score", "previous_category", "sub_category",
    "library_template_name", "correct_category", "cta_url_link_tracking_opted_out",
    "message_send_ttl_seconds",
})
DEFAULT_TEMPLATE_FIELDS = ("name", "parameter_format", "components", "language", "status", "category",
                           "previous_category", "id")
DEFAULT_PHONE_FIELDS = ("verified_name", "code_verification_status", "display_phone_number",
                        "quality_rating", "platform_type", "throughput", "messaging_limit_tier", "id")
DEFAULT_WABA_FIELDS = ("id", "name", "timezone_id", "message_template_namespace")


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
    if not token:
        raise GraphError(190, message="An access token is required to request this resource.")
    if token != rt.config.token:
        raise GraphError(190, message="Invalid OAuth access token - Cannot parse access token")


def _enter(request: Request) -> tuple[SandboxRuntime, str, str]:
    """Version check, then auth: the runtime, object id and method of a Graph request."""
    version = request.path_params["version"]
    if not _VERSION_RE.match(version):
        raise GraphError(100, message=f"Unknown path components: /{version}", status=404)
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
    if method == "GET":
        fields = request.query_params.get("fields")
        if object_id == cfg.phone_number_id:
            phone = _project(_phone_values(rt), fields, DEFAULT_PHONE_FIELDS, "WhatsAppBusinessPhoneNumber")
            return json_response(phone)
        if object_id == cfg.waba_id:
            return json_response(_waba(rt, fields))
        if tpl is not None:
            return json_response(_template_json(tpl, fields))
    elif method == "POST" and tpl is not None:
        rt.templates.edit(tpl, await _json_body(request))
        return json_response({"success": True})
    raise unknown_object(object_id, method)


def _phone_values(rt: SandboxRuntime) -> dict[str, Any]:
    cfg = rt.config
    return {
        "id": cfg.phone_number_id,
        "display_phone_number": cfg.display_phone_number,
        "verified_name": cfg.verified_name,
        "quality_rating": cfg.quality_rating,
        "code_verification_status": "VERIFIED",
        "messaging_limit_tier": cfg.messaging_limit_tier,
        "throughput": {"level": cfg.throughput_level},
        "platform_type": "CLOUD_API",
        "name_status": "APPROVED",
        "status": "CONNECTED",
        "account_mode": "LIVE",
        "is_official_business_account": False,
    }


def _waba(rt: SandboxRuntime, fields: str | None) -> dict[str, Any]:
    cfg = rt.config
    namespace = str(uuid.uuid5(uuid.NAMESPACE_OID, cfg.waba_id)).replace("-", "_")
    values: dict[str, Any] = {
        "id": cfg.waba_id,
        "name": cfg.verified_name,
        "timezone_id": "1",
        "message_template_namespace": namespace,
        "currency": "USD",
        "account_review_status": "APPROVED",
        "business_verification_status": "verified",
        "country": "US",
    }
    if not fields:
        return {k: values[k] for k in DEFAULT_WABA_FIELDS}
    parsed = analytics.parse_fields(fields)
    out: dict[str, Any] = {}
    for name, args in parsed.items():
        if name in analytics.ANALYTICS_FIELDS:
            out[name] = analytics.field_value(name, args, rt.state, rt.config.display_digits)
        elif name in values:
            out[name] = values[name]
        else:
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
    items = rt.state.ordered_templates()
    if q.get("name"):
        items = [t for t in items if q["name"].lower() in t.name.lower()]
    for key in ("status", "category", "language"):
        if q.get(key):
            allowed = {v.strip() for v in analytics.parse_list(q[key])}
            items = [t for t in items if getattr(t, key) in allowed]
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


async def unknown_edge(request: Request) -> Response:
    rt, object_id, method = _enter(request)
    known = {rt.config.phone_number_id, rt.config.waba_id, *rt.state.templates}
    if object_id not in known:
        raise unknown_object(object_id, method)
    raise unknown_path("/" + request.path_params["edge"])


async def not_found(request: Request) -> Response:
    raise GraphError(100, message=f"Unknown path components: {request.url.path}", status=404)


SEND_ROUTE = Route("/{version}/{object_id}/messages", messages, methods=ALL_METHODS)
ROUTES = [
    Route("/{version}/{object_id}/message_templates", message_templates, methods=ALL_METHODS),
    Route("/{version}/{object_id}/template_analytics", template_analytics, methods=ALL_METHODS),
    Route("/{version}/{object_id}", node, methods=ALL_METHODS),
    Route("/{version}/{object_id}/{edge:path}", unknown_edge, methods=ALL_METHODS),
    Route("/{path:path}", not_found, methods=ALL_METHODS),
]
