"""Meta's own analytics beside the local figures.

``pull_meta_analytics`` (the scheduler calls it hourly on real profiles) stores Meta's
message analytics (per phone number and day), conversation analytics (per category and
day), pricing analytics (per pricing category, pricing type and day: the per-message bill,
each message once) and template analytics (per template id and day) in meta_analytics, all times in
epoch ms. ``meta_section`` compares them with the local rollups over the same UTC days
(a phone number's with that number's messages, a template's with all numbers'): a row
disagrees when the two differ by more than 2 messages and 5 %.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from easymo_core.analytics.figures import MetaRow, MetaSection
from easymo_core.analytics.period import DAY_MS, Period
from easymo_core.errors import EasymoError
from easymo_core.storage.models import MetaAnalytics, table_of
from easymo_core.storage.sql import upsert
from easymo_core.storage.types import to_ms, utcnow

log = logging.getLogger(__name__)
meta_t = table_of(MetaAnalytics)
TOLERANCE_ABS = 2
TOLERANCE_REL = 0.05
NUMBER_TOTALS_SQL = text(
    "SELECT COALESCE(SUM(sent), 0), COALESCE(SUM(delivered), 0) FROM delivery_rollups "
    "WHERE hour_start >= :s AND hour_start < :e AND phone_number_id = :phone"
)


@dataclass
class PullResult:
    stored: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"stored": self.stored, "errors": self.errors}


def pull_meta_analytics(services: Any, since: datetime, until: datetime) -> PullResult:
    """Pull Meta's figures for [since, until) into meta_analytics; each part on its own.

    A part Meta refuses (template analytics not enabled on the WABA, a permission) is
    reported in ``errors`` and the others are still stored.
    """
    client, db, profile = services.client, services.db, services.profile
    result = PullResult()
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def part(name: str, fetch: Any) -> None:
        try:
            got = fetch()
        except EasymoError as exc:
            log.warning("meta analytics %s: %s", name, exc.one_line())
            result.errors[name] = exc.one_line()
            return
        rows.extend(got)
        result.stored[name] = len(got)

    def messages() -> list[dict[str, Any]]:
        return [
            _row(
                "messages",
                profile.phone_number_id,
                p.start,
                p.end,
                {"sent": p.sent, "delivered": p.delivered},
                now,
            )
            for p in client.analytics(since, until, "DAY")
        ]

    def conversations() -> list[dict[str, Any]]:
        points = client.conversation_analytics(since, until, "DAILY", dimensions=["CONVERSATION_CATEGORY"])
        return [
            _row(
                "conversations",
                ",".join(f"{k}={v}" for k, v in sorted(p.dimensions.items())) or "all",
                p.start,
                p.end,
                {"conversation": p.conversation, "cost": p.cost},
                now,
            )
            for p in points
        ]

    def pricing() -> list[dict[str, Any]]:
        points = client.pricing_analytics(since, until, "DAILY",
                                          dimensions=["PRICING_CATEGORY", "PRICING_TYPE"])
        return [
            _row(
                "pricing",
                ",".join(f"{k}={v}" for k, v in sorted(p.dimensions.items())) or "all",
                p.start,
                p.end,
                {"volume": p.volume, "cost": p.cost},
                now,
            )
            for p in points
        ]

    def templates() -> list[dict[str, Any]]:
        with db.engine.connect() as conn:
            ids = [
                str(i)
                for i in conn.execute(
                    text("SELECT meta_id FROM templates WHERE meta_id IS NOT NULL AND is_draft = :no"),
                    {"no": False},
                ).scalars()
            ]
        return [
            _row(
                "template",
                p.template_id,
                p.start,
                p.end,
                {"sent": p.sent, "delivered": p.delivered, "read": p.read, "clicked": p.clicked},
                now,
            )
            for p in client.template_analytics(since, until, ids)
        ]

    part("messages", messages)
    part("conversations", conversations)
    part("pricing", pricing)
    part("templates", templates)
    if rows:
        # Meta answers for the profile's account (its WABA; the messages part, its number).
        for row in rows:
            row["waba_id"] = profile.waba_id or ""
        with db.engine.begin() as conn:
            stmt = upsert(conn, meta_t)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["waba_id", "kind", "key", "start"],
                    set_={
                        "end": stmt.excluded.end,
                        "values": stmt.excluded["values"],
                        "pulled_at": stmt.excluded.pulled_at,
                    },
                ),
                rows,
            )
    return result


def _row(kind: str, key: str, start: int, end: int, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    # Meta speaks unix seconds; the database speaks epoch ms everywhere.
    return {
        "kind": kind,
        "key": key[:128],
        "start": int(start) * 1000,
        "end": int(end) * 1000,
        "values": values,
        "pulled_at": now,
    }


def disagree(local: int, meta: int) -> bool:
    diff = abs(local - meta)
    return diff > TOLERANCE_ABS and diff > TOLERANCE_REL * max(local, meta)


def meta_section(conn: Connection, period: Period) -> MetaSection | None:
    """Meta's figures over the whole UTC days inside the period, beside the local ones."""
    start = period.start_ms + (-period.start_ms) % DAY_MS
    end = period.end_ms - period.end_ms % DAY_MS
    if end <= start:
        return None
    c = meta_t.c
    rows = conn.execute(
        select(c.kind, c.key, c["values"], c.pulled_at).where(c.start >= start, c.end <= end)
    ).all()
    if not rows:
        return None
    sums: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        acc = sums.setdefault((r.kind, r.key), {})
        for k, v in (r[2] or {}).items():
            if isinstance(v, int | float):
                acc[k] = acc.get(k, 0) + v
    section = MetaSection(pulled_at_ms=max(to_ms(r.pulled_at) for r in rows), rows=[])
    conversation_cost = pricing_cost = 0.0
    priced = False
    for (kind, key), acc in sorted(sums.items()):
        if kind == "messages":
            # Meta counts per phone number; other profiles' numbers may share the database.
            local_total = conn.execute(NUMBER_TOTALS_SQL, {"s": start, "e": end, "phone": key}).one()
            for metric, local in (("sent", local_total[0]), ("delivered", local_total[1])):
                meta = int(acc.get(metric, 0))
                section.rows.append(
                    MetaRow(kind, key, f"phone {key}", metric, int(local), meta, disagree(int(local), meta))
                )
        elif kind == "conversations":
            section.conversations += int(acc.get("conversation", 0))
            conversation_cost += float(acc.get("cost", 0.0))
        elif kind == "pricing":
            # One row per (category, pricing type) and day: each message is in one row.
            section.priced_messages += int(acc.get("volume", 0))
            pricing_cost += float(acc.get("cost", 0.0))
            priced = True
    # Meta bills per message since mid-2025: its pricing analytics are the bill; the
    # per-conversation cost is the older model's, kept for data pulled before.
    section.cost = round(pricing_cost if priced else conversation_cost, 4)
    section.rows += _template_rows(conn, sums, start, end)
    section.note = "whole UTC days in the period; a row disagrees beyond 2 messages and 5 %"
    return section


def _template_rows(
    conn: Connection, sums: dict[tuple[str, str], dict[str, float]], start: int, end: int
) -> list[MetaRow]:
    wanted = [key for kind, key in sums if kind == "template"]
    if not wanted:
        return []
    names = {
        r.meta_id: (r.name, r.language)
        for r in conn.execute(text("SELECT meta_id, name, language FROM templates WHERE meta_id IS NOT NULL"))
    }
    local = {
        (r.template_name, r.template_language): r
        for r in conn.execute(
            text(
                "SELECT template_name, template_language, SUM(sent) AS sent, SUM(delivered) AS delivered, "
                "SUM(read) AS rd, SUM(clicks) AS clicks FROM delivery_rollups "
                "WHERE hour_start >= :s AND hour_start < :e GROUP BY template_name, template_language"
            ),
            {"s": start, "e": end},
        )
    }
    out = []
    for key in sorted(wanted):
        acc = sums[("template", key)]
        name_lang = names.get(key)
        label = f"{name_lang[0]} ({name_lang[1]})" if name_lang else f"template {key}"
        mine = local.get(name_lang) if name_lang else None
        pairs = (("sent", "sent"), ("delivered", "delivered"), ("read", "rd"), ("clicked", "clicks"))
        for metric, col in pairs:
            here = int(getattr(mine, col) or 0) if mine is not None else 0
            there = int(acc.get(metric, 0))
            out.append(MetaRow("template", key, label, metric, here, there, disagree(here, there)))
    return out
