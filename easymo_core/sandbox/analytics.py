"""Analytics computed from what this sandbox actually sent, delivered and read.

Graph field expressions on ``GET /{waba_id}?fields=...``:
  ``analytics.start(T).end(T).granularity(HALF_HOUR|DAY|MONTH)[.phone_numbers([..])]``
      -> ``analytics{phone_numbers, granularity, data_points[{start, end, sent, delivered}]}``
  ``conversation_analytics.start(T).end(T).granularity(HALF_HOUR|DAILY|MONTHLY)
      [.dimensions([CONVERSATION_CATEGORY, CONVERSATION_TYPE, COUNTRY, PHONE])]``
      -> ``conversation_analytics{data[{data_points[{start, end, conversation, cost, ...}]}]}``
  ``pricing_analytics`` the same for per-message pricing (``volume``, ``cost``,
      dimensions PRICING_CATEGORY, PRICING_TYPE, COUNTRY, PHONE): every delivered message,
      service ones included, each of the pricing type its webhooks carried (REGULAR,
      FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT); only REGULAR ones cost.
And ``GET /{waba_id}/template_analytics?start&end&granularity=DAILY&metric_types&template_ids``
      -> ``data[{template_id, granularity, data_points[{template_id, start, end, sent,
         delivered, read, clicked[{type, button_content, count}]}]}]``.
Buckets are UTC-aligned. Costs use an illustrative per-message price list (USD), not
Meta's rate card. A message counts as sent once the sandbox emitted ``sent`` (or a later
status) for it, in the bucket of its acceptance.
"""

from __future__ import annotations

import bisect
import calendar
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.sandbox.pricing import REGULAR, pricing_type
from easymo_core.sandbox.state import OutboundMessage, SandboxState

PRICE_USD = {"marketing": 0.025, "utility": 0.004, "authentication": 0.0135, "service": 0.0}
MAX_BUCKETS = 20_000
TEMPLATE_LOOKBACK_SECONDS = 90 * 86400
TEMPLATE_IDS_MAX = 10
_STEP = {"HALF_HOUR": 1800, "DAY": 86400, "DAILY": 86400}
_FIELD_RE = re.compile(r"(\w+)((?:\.\w+\([^()]*\))*)")
_MODIFIER_RE = re.compile(r"\.(\w+)\(([^()]*)\)")
ANALYTICS_FIELDS = frozenset({"analytics", "conversation_analytics", "pricing_analytics"})
_GRANULARITIES = {
    "analytics": ("HALF_HOUR", "DAY", "MONTH"),
    "conversation_analytics": ("HALF_HOUR", "DAILY", "MONTHLY"),
    "pricing_analytics": ("HALF_HOUR", "DAILY", "MONTHLY"),
}
_DIMENSIONS = {
    "conversation_analytics": {"CONVERSATION_CATEGORY", "CONVERSATION_TYPE", "COUNTRY", "PHONE",
                               "CONVERSATION_DIRECTION"},
    "pricing_analytics": {"PRICING_CATEGORY", "PRICING_TYPE", "COUNTRY", "PHONE"},
}
_TEMPLATE_METRICS = ("SENT", "DELIVERED", "READ", "CLICKED")


def parse_fields(expression: str) -> dict[str, dict[str, str]]:
    """``a,b.start(1).end(2)`` -> ``{"a": {}, "b": {"start": "1", "end": "2"}}``."""
    fields: dict[str, dict[str, str]] = {}
    pos = 0

    def unparsable() -> GraphError:
        near = expression[pos : pos + 30]
        return GraphError(100, f"Cannot parse fields near {near!r}", message="(#100) Invalid parameter")

    expression = expression.strip()
    while pos < len(expression):
        match = _FIELD_RE.match(expression, pos)
        if match is None:
            raise unparsable()
        fields[match.group(1)] = dict(_MODIFIER_RE.findall(match.group(2)))
        pos = match.end()
        if pos < len(expression):
            if expression[pos] != ",":
                raise unparsable()
            pos += 1
    return fields


def parse_list(raw: str | None) -> list[str]:
    """``[A,B]``, ``["A","B"]`` or ``A,B`` -> ``["A", "B"]``."""
    if raw is None or not raw.strip():
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
            if isinstance(value, list):
                return [str(v) for v in value]
        except ValueError:
            text = text[1:-1] if text.endswith("]") else text[1:]
    return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]


def _int_arg(args: dict[str, str], key: str, where: str) -> int:
    raw = args.get(key)
    if raw is None or raw == "":
        raise GraphError(
            100, f"{where}: {key} is required", message=f"(#100) The parameter {key} is required."
        )
    try:
        return int(raw)
    except ValueError:
        raise GraphError(100, f"{where}: {key} must be a unix timestamp") from None


def _buckets(start: int, end: int, granularity: str) -> list[tuple[int, int]]:
    if end <= start:
        raise GraphError(100, "end must be after start")
    out: list[tuple[int, int]] = []
    if granularity in ("MONTH", "MONTHLY"):
        day = datetime.fromtimestamp(start, UTC)
        year, month = day.year, day.month
        cursor = calendar.timegm((year, month, 1, 0, 0, 0))
        while cursor < end:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            following = calendar.timegm((year, month, 1, 0, 0, 0))
            out.append((cursor, following))
            cursor = following
    else:
        step = _STEP[granularity]
        cursor = start - start % step
        while cursor < end:
            out.append((cursor, cursor + step))
            cursor += step
            if len(out) > MAX_BUCKETS:
                raise GraphError(100, "Too many data points: use a coarser granularity or a shorter range")
    return out


def _bucket_of(ts: float, buckets: list[tuple[int, int]]) -> int | None:
    i = bisect.bisect_right(buckets, (ts, float("inf"))) - 1
    return i if i >= 0 and buckets[i][0] <= ts < buckets[i][1] else None


def _granularity(args: dict[str, str], name: str) -> str:
    value = args.get("granularity", "").upper()
    allowed = _GRANULARITIES[name]
    if value not in allowed:
        raise GraphError(100, f"{name}: granularity must be one of {', '.join(allowed)}")
    return value


def _was_sent(msg: OutboundMessage) -> bool:
    return msg.status in ("sent", "delivered", "read")


def _was_delivered(msg: OutboundMessage) -> bool:
    return msg.status in ("delivered", "read")


def _country(wa_id: str) -> str:
    """The country of a number, by its calling code (test numbers like 555 ones included)."""
    try:
        number = phonenumbers.parse("+" + wa_id)
    except phonenumbers.NumberParseException:
        return "ZZ"
    region = phonenumbers.region_code_for_number(number)
    return region or phonenumbers.region_code_for_country_code(number.country_code or 0)


def field_value(name: str, args: dict[str, str], state: SandboxState, own_number: str) -> dict[str, Any]:
    """The value of one analytics field of the WABA node."""
    start = _int_arg(args, "start", name)
    end = _int_arg(args, "end", name)
    granularity = _granularity(args, name)
    buckets = _buckets(start, end, granularity)
    if name == "analytics":
        return _message_analytics(args, state, own_number, buckets, granularity)
    dimensions = [d.upper() for d in parse_list(args.get("dimensions"))]
    for dim in dimensions:
        if dim not in _DIMENSIONS[name]:
            raise GraphError(100, f"{name}: unknown dimension {dim}")
    if name == "conversation_analytics":
        rows = ((c["opened_at"], c["category"], c["wa_id"], 1, "regular") for c in state.conversations)
        points = _grouped(rows, buckets, dimensions, own_number, "conversation")
    else:
        # Every delivered message, service ones included, with the pricing type its
        # webhooks carried; only regular ones cost.
        rows = (
            (m.accepted_at, m.category, m.to, 1, pricing_type(m))
            for m in state.messages.values()
            if _was_delivered(m)
        )
        points = _grouped(rows, buckets, dimensions, own_number, "volume")
    return {"data": [{"data_points": points}]}


def _message_analytics(
    args: dict[str, str], state: SandboxState, own_number: str,
    buckets: list[tuple[int, int]], granularity: str,
) -> dict[str, Any]:
    wanted = ["".join(ch for ch in p if ch.isdigit()) for p in parse_list(args.get("phone_numbers"))]
    if wanted and own_number not in wanted:
        points = [{"start": lo, "end": hi, "sent": 0, "delivered": 0} for lo, hi in buckets]
        return {"phone_numbers": wanted, "granularity": granularity, "data_points": points}
    sent = [0] * len(buckets)
    delivered = [0] * len(buckets)
    lo_all, hi_all = buckets[0][0], buckets[-1][1]
    for msg in state.messages.values():
        if lo_all <= msg.accepted_at < hi_all and _was_sent(msg):
            i = _bucket_of(msg.accepted_at, buckets)
            if i is not None:
                sent[i] += 1
                delivered[i] += _was_delivered(msg)
    points = [
        {"start": lo, "end": hi, "sent": sent[i], "delivered": delivered[i]}
        for i, (lo, hi) in enumerate(buckets)
    ]
    return {"phone_numbers": [own_number], "granularity": granularity, "data_points": points}


def _grouped(
    rows: Iterable[tuple[float, str, str, int, str]],
    buckets: list[tuple[int, int]],
    dimensions: list[str],
    own_number: str,
    count_key: str,
) -> list[dict[str, Any]]:
    """Non-empty data points, one per bucket and combination of dimension values."""
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    lo_all, hi_all = buckets[0][0], buckets[-1][1]
    for ts, category, wa_id, n, kind in rows:
        if not lo_all <= ts < hi_all:
            continue
        i = _bucket_of(ts, buckets)
        if i is None:
            continue
        dims: list[tuple[str, str]] = []
        for dim in dimensions:
            if dim in ("CONVERSATION_CATEGORY", "PRICING_CATEGORY"):
                dims.append((dim.lower(), category.upper()))
            elif dim == "CONVERSATION_TYPE":
                dims.append(("conversation_type", "REGULAR"))
            elif dim == "PRICING_TYPE":
                dims.append(("pricing_type", kind.upper()))
            elif dim == "CONVERSATION_DIRECTION":
                direction = "USER_INITIATED" if category == "service" else "BUSINESS_INITIATED"
                dims.append(("conversation_direction", direction))
            elif dim == "COUNTRY":
                dims.append(("country", _country(wa_id)))
            else:
                dims.append(("phone_number", own_number))
        counts[(i, category, kind, tuple(dims))] += n
    points = []
    for (i, category, kind, dims), n in sorted(counts.items()):
        lo, hi = buckets[i]
        cost = round(n * PRICE_USD.get(category, 0.0), 4) if kind == REGULAR else 0.0
        point: dict[str, Any] = {"start": lo, "end": hi, count_key: n, "cost": cost}
        point.update(dict(dims))
        points.append(point)
    return _merge_categories(points, dimensions, count_key)


def _merge_categories(
    points: list[dict[str, Any]], dimensions: list[str], count_key: str
) -> list[dict[str, Any]]:
    """Points differing only by an undisplayed category or pricing type are one point, as
    Graph shows them."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for point in points:
        key = tuple(sorted((k, v) for k, v in point.items() if k not in (count_key, "cost")))
        if key in merged:
            merged[key][count_key] += point[count_key]
            merged[key]["cost"] = round(merged[key]["cost"] + point["cost"], 4)
        else:
            merged[key] = dict(point)
    return list(merged.values())


def template_analytics(params: dict[str, str], state: SandboxState) -> dict[str, Any]:
    """``GET /{waba_id}/template_analytics``."""
    args = {k: params.get(k, "") for k in ("start", "end")}
    start = _int_arg(args, "start", "template_analytics")
    end = _int_arg(args, "end", "template_analytics")
    if start < time.time() - TEMPLATE_LOOKBACK_SECONDS:
        raise GraphError(100, "start must be within the last 90 days")
    granularity = params.get("granularity", "DAILY").upper()
    if granularity != "DAILY":
        raise GraphError(100, "granularity must be DAILY")
    ids = parse_list(params.get("template_ids"))
    if not ids:
        raise GraphError(100, message="(#100) The parameter template_ids is required.")
    if len(ids) > TEMPLATE_IDS_MAX:
        raise GraphError(100, f"At most {TEMPLATE_IDS_MAX} template_ids per request")
    for template_id in ids:
        if template_id not in state.templates:
            raise GraphError(100, f"Unknown template id {template_id}")
    metrics = [m.upper() for m in parse_list(params.get("metric_types"))] or list(_TEMPLATE_METRICS)
    for metric in metrics:
        if metric not in _TEMPLATE_METRICS:
            raise GraphError(100, f"metric_types: unknown metric {metric}")
    buckets = _buckets(start, end, "DAILY")
    by_template: dict[str, list[OutboundMessage]] = defaultdict(list)
    for msg in state.messages.values():
        if msg.template_id in ids:
            by_template[msg.template_id].append(msg)
    data = []
    for template_id in ids:
        points = []
        for lo, hi in buckets:
            in_bucket = [m for m in by_template[template_id] if lo <= m.accepted_at < hi]
            point: dict[str, Any] = {"template_id": template_id, "start": lo, "end": hi}
            if "SENT" in metrics:
                point["sent"] = sum(1 for m in in_bucket if _was_sent(m))
            if "DELIVERED" in metrics:
                point["delivered"] = sum(1 for m in in_bucket if _was_delivered(m))
            if "READ" in metrics:
                point["read"] = sum(1 for m in in_bucket if m.status == "read")
            if "CLICKED" in metrics:
                clicks = Counter(click for m in in_bucket for click in m.clicks)
                point["clicked"] = [
                    {"type": kind, "button_content": title, "count": n}
                    for (kind, title), n in sorted(clicks.items())
                ]
            points.append(point)
        data.append({"template_id": template_id, "granularity": "DAILY", "data_points": points})
    return {"data": data}
