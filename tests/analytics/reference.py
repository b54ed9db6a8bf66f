"""Every trigger-maintained figure, recomputed in plain Python from the raw tables.

Written from the definitions in easymo_core/storage/analytics_triggers.py, without its SQL,
so a trigger bug cannot hide in a shared expression.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

HOUR = 3_600_000
DAY = 86_400_000
WEEK = 7 * DAY

# Where each latency bin starts, in seconds (docs/analytics.md): every second below a
# minute; 10 s to 2 min; a minute to 10 min; 10 min to an hour; an hour to 6 h; 6 h to a
# day; a day to a week; a week and more.
BIN_STARTS_S = [
    *range(60), *range(60, 120, 10), *range(120, 600, 60), *range(600, 3600, 600),
    *range(3600, 6 * 3600, 3600), *range(6 * 3600, 86400, 6 * 3600), *range(86400, 7 * 86400, 86400),
    7 * 86400,
]
# Migrations 0002 to 0007: 12 buckets, upper bounds in ms, the last open.
OLD_BOUNDS_MS = [250, 500, 1000, 2000, 5000, 10000, 30000, 60000, 300000, 900000, 3600000]


def bin_column(kind: str, ms: int, old: bool) -> str:
    """The histogram column a latency of ``ms`` counts in (``kind`` "dl" or "rd")."""
    if old:
        return f"{kind}_h{next((i for i, b in enumerate(OLD_BOUNDS_MS) if ms < b), 11):02d}"
    start = max((s for s in BIN_STARTS_S if s * 1000 <= ms), default=0)
    return f"{kind}_from_{start}s"


def has_accounts(conn: Connection) -> bool:
    """Whether the schema keys rows by account (migration 0011); before, every row is ''."""
    return "waba_id" in {c["name"] for c in inspect(conn).get_columns("contacts")}


def account(row: dict[str, Any]) -> str:
    return str(row.get("waba_id", ""))


def old_buckets(conn: Connection) -> bool:
    """Whether the schema has the histogram of migrations 0002 to 0007."""
    return "dl_h00" in {c["name"] for c in inspect(conn).get_columns("delivery_rollups")}


def score(n_in: int, n_out: int, replies: int, last_in: int | None, last_out: int | None) -> float:
    recency = 0.0
    if last_in is not None:
        weeks = max(0, (last_out or 0) - last_in) / WEEK
        recency = 1 / (1 + weeks)
    frequency = n_in / (n_in + 5)
    response = 0.0 if n_out == 0 else min(1.0, replies / n_out)
    return 100 * (0.4 * recency + 0.3 * frequency + 0.3 * response)


@dataclass
class Expected:
    latencies: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    # (hour, account, phone number, template, language); without_numbers() drops the number;
    # the account is '' for every row before migration 0011
    delivery: dict[tuple[Any, ...], dict[str, int]] = field(default_factory=dict)
    # (hour, account, phone number, template, language, error code); likewise
    errors: dict[tuple[Any, ...], int] = field(default_factory=dict)
    response_ms: dict[int, int | None] = field(default_factory=dict)
    # session as a frozenset of message ids -> its figures
    sessions: dict[frozenset[int], dict[str, int]] = field(default_factory=dict)
    # (account, wa_id): a person writing to two accounts is two contacts
    contacts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # (hour, account)
    activity: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)


def rows(conn: Connection, sql: str) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(text(sql))]


def recompute(conn: Connection, gap_ms: int) -> Expected:
    exp = Expected()
    old = old_buckets(conn)
    msgs = rows(conn, "SELECT * FROM messages ORDER BY id")
    # A quote counts for the quoted message of its own account only (as the triggers).
    quotes: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for m in msgs:
        if m["direction"] == "in" and m["context_wamid"]:
            quotes[(account(m), m["context_wamid"])].append(m)

    def drow(key: tuple[Any, ...]) -> dict[str, int]:
        return exp.delivery.setdefault(key, defaultdict(int))

    for m in msgs:
        if m["direction"] != "out":
            continue
        dl = m["delivered_at"] - m["sent_at"] if m["delivered_at"] and m["sent_at"] else None
        rd = m["read_at"] - m["delivered_at"] if m["read_at"] and m["delivered_at"] else None
        exp.latencies[m["id"]] = (dl, rd)
        key = (m["created_at"] // HOUR * HOUR, account(m), m["phone_number_id"] or "",
               m["template_name"] or "", m["template_language"] or "")
        r = drow(key)
        r["sent"] += 1
        r["delivered"] += m["delivered_at"] is not None
        r["read"] += m["read_at"] is not None
        r["failed"] += m["status"] == "failed"
        if dl is not None:
            r["delivery_latency_sum_ms"] += dl
            r["delivery_latency_count"] += 1
            r[bin_column("dl", dl, old)] += 1
        if rd is not None:
            r["read_latency_sum_ms"] += rd
            r["read_latency_count"] += 1
            r[bin_column("rd", rd, old)] += 1
        q = quotes.get((account(m), m["wamid"]), []) if m["wamid"] else []
        r["replied"] += bool(q)
        r["clicks"] += sum(1 for x in q if x["reply_id"] is not None)
        if m["status"] == "failed":
            ek = (*key, m["error_code"] if m["error_code"] is not None else -1)
            exp.errors[ek] = exp.errors.get(ek, 0) + 1

    counted = [m for m in msgs if m["direction"] == "in" or m["wamid"] is not None]
    by_contact: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for m in counted:
        by_contact[(account(m), m["contact_wa_id"])].append(m)
    for (waba, wa_id), thread in by_contact.items():
        thread.sort(key=lambda m: (m["created_at"], m["id"]))
        c = {"messages_in": 0, "messages_out": 0, "replies": 0, "last_in": None, "last_out": None,
             "first": thread[0]["created_at"]}
        prev: dict[str, Any] | None = None
        current: list[dict[str, Any]] = []
        sessions: list[list[dict[str, Any]]] = []
        for m in thread:
            resp = m["created_at"] - prev["created_at"] if prev and prev["direction"] != m["direction"] else None
            exp.response_ms[m["id"]] = resp
            new_session = prev is None or m["created_at"] - prev["created_at"] > gap_ms
            if new_session:
                current = []
                sessions.append(current)
            current.append({**m, "resp": resp})
            a = exp.activity.setdefault((m["created_at"] // HOUR * HOUR, waba), defaultdict(int))
            a["sessions_started"] += new_session
            if m["direction"] == "in":
                c["messages_in"] += 1
                c["last_in"] = m["created_at"]
                a["messages_in"] += 1
                if resp is not None:
                    c["replies"] += 1
                    a["user_responses"] += 1
                    a["user_response_ms_sum"] += resp
            else:
                c["messages_out"] += 1
                c["last_out"] = m["created_at"]
                a["messages_out"] += 1
                if resp is not None:
                    a["business_responses"] += 1
                    a["business_response_ms_sum"] += resp
            prev = m
        c["score"] = score(c["messages_in"], c["messages_out"], c["replies"], c["last_in"], c["last_out"])
        exp.contacts[(waba, wa_id)] = c
        for s in sessions:
            ins = [m for m in s if m["direction"] == "in"]
            outs = [m for m in s if m["direction"] == "out"]
            exp.sessions[frozenset(m["id"] for m in s)] = {
                "contact_wa_id": wa_id,  # type: ignore[dict-item]
                "waba_id": waba,  # type: ignore[dict-item]
                "started_at": s[0]["created_at"],
                "last_message_at": s[-1]["created_at"],
                "messages_in": len(ins),
                "messages_out": len(outs),
                "duration_ms": s[-1]["created_at"] - s[0]["created_at"],
                "user_response_ms_sum": sum(m["resp"] or 0 for m in ins),
                "user_response_count": sum(m["resp"] is not None for m in ins),
                "business_response_ms_sum": sum(m["resp"] or 0 for m in outs),
                "business_response_count": sum(m["resp"] is not None for m in outs),
            }
    for rated in rows(conn, "SELECT * FROM conversation_sessions"):
        if rated["satisfaction"] is None:
            continue
        a = exp.activity.setdefault((rated["started_at"] // HOUR * HOUR, account(rated)), defaultdict(int))
        a["satisfaction_count"] += 1
        a["satisfaction_sum"] += rated["satisfaction"]
        a[f"sat_{rated['satisfaction']}"] += 1
    return exp


def without_numbers(exp: Expected) -> Expected:
    """The figures keyed as before migration 0004: all phone numbers summed."""
    delivery: dict[tuple[Any, ...], dict[str, int]] = {}
    for (hour, waba, _number, *rest), figures in exp.delivery.items():
        row = delivery.setdefault((hour, waba, *rest), defaultdict(int))
        for k, v in figures.items():
            row[k] += v
    errors: dict[tuple[Any, ...], int] = defaultdict(int)
    for (hour, waba, _number, *rest), n in exp.errors.items():
        errors[(hour, waba, *rest)] += n
    return Expected(exp.latencies, delivery, dict(errors), exp.response_ms, exp.sessions, exp.contacts,
                    exp.activity)


def _expected(conn: Connection, gap_ms: int, by_number: bool) -> Expected:
    exp = recompute(conn, gap_ms)
    return exp if by_number else without_numbers(exp)


def _number_key(by_number: bool) -> tuple[str, ...]:
    return ("phone_number_id",) if by_number else ()


def _get(row: dict[str, Any], column: str) -> Any:
    """A key column of a stored row; waba_id is '' before migration 0011 (no such column)."""
    return account(row) if column == "waba_id" else row[column]


def nonzero(d: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in d.items() if v}


def compare(conn: Connection, gap_ms: int, *, by_number: bool = True) -> None:
    """Assert every trigger-kept figure equals its recomputation (messages name the culprit).

    ``by_number``: the rollups are keyed by phone number (False: the tables before 0004).
    """
    exp = _expected(conn, gap_ms, by_number)
    msgs = {m["id"]: m for m in rows(conn, "SELECT * FROM messages")}
    for mid, (dl, rd) in exp.latencies.items():
        assert (msgs[mid]["delivery_latency_ms"], msgs[mid]["read_latency_ms"]) == (dl, rd), f"latency of {mid}"
    for mid, m in msgs.items():
        assert m["response_ms"] == exp.response_ms.get(mid), f"response_ms of message {mid}"

    keys = ("hour_start", "waba_id", *_number_key(by_number), "template_name", "template_language")
    got_delivery = {
        tuple(_get(r, k) for k in keys): nonzero({k: v for k, v in r.items() if k not in keys})
        for r in rows(conn, "SELECT * FROM delivery_rollups")
    }
    got_delivery = {k: v for k, v in got_delivery.items() if v}
    want_delivery = {k: nonzero(v) for k, v in exp.delivery.items()}
    assert got_delivery == want_delivery, "delivery_rollups"

    got_errors = {
        tuple(_get(r, k) for k in (*keys, "error_code")): r["failures"]
        for r in rows(conn, "SELECT * FROM error_rollups") if r["failures"]
    }
    assert got_errors == exp.errors, "error_rollups"

    members: dict[int, set[int]] = defaultdict(set)
    for mid, m in msgs.items():
        if m["session_id"] is not None:
            members[m["session_id"]].add(mid)
    got_sessions = {}
    for s in rows(conn, "SELECT * FROM conversation_sessions"):
        figures = {k: _get(s, k) for k in next(iter(exp.sessions.values()))} if exp.sessions else {}
        got_sessions[frozenset(members.get(s["id"], set()))] = figures
    assert got_sessions == exp.sessions, "conversation_sessions"

    for c in rows(conn, "SELECT * FROM contacts"):
        want = exp.contacts.get((account(c), c["wa_id"]))
        assert want is not None, f"contact {c['wa_id']} of account {account(c)!r} has no counted message"
        got = (c["messages_in"], c["messages_out"], c["replies"], c["last_inbound_at"],
               c["last_outbound_at"], c["first_seen_at"])
        assert got == (want["messages_in"], want["messages_out"], want["replies"], want["last_in"],
                       want["last_out"], want["first"]), f"contact {c['wa_id']} of {account(c)!r}"
        assert abs(c["engagement_score"] - want["score"]) < 1e-6, f"engagement of {c['wa_id']}"
    assert {(account(c), c["wa_id"]) for c in rows(conn, "SELECT * FROM contacts")} == set(exp.contacts)

    got_activity = {
        (r["hour_start"], account(r)): nonzero({k: v for k, v in r.items() if k not in ("hour_start", "waba_id")})
        for r in rows(conn, "SELECT * FROM activity_rollups")
    }
    got_activity = {k: v for k, v in got_activity.items() if v}
    want_activity = {k: nonzero(v) for k, v in exp.activity.items()}
    want_activity = {k: v for k, v in want_activity.items() if v}
    assert got_activity == want_activity, "activity_rollups"


def compare_daily(conn: Connection, gap_ms: int, *, by_number: bool = True) -> None:
    """The daily rollups and the score histogram (migration 0003) against the recomputation."""
    exp = _expected(conn, gap_ms, by_number)
    want_days: dict[tuple[Any, ...], dict[str, int]] = {}
    for (hour, *rest), figures in exp.delivery.items():
        day = want_days.setdefault((hour // DAY * DAY, *rest), defaultdict(int))
        for k, v in figures.items():
            day[k] += v
    want = {k: nonzero(v) for k, v in want_days.items()}
    want = {k: v for k, v in want.items() if v}
    keys = ("day_start", "waba_id", *_number_key(by_number), "template_name", "template_language")
    got = {
        tuple(_get(r, k) for k in keys): nonzero({k: v for k, v in r.items() if k not in keys})
        for r in rows(conn, "SELECT * FROM delivery_rollups_daily")
    }
    got = {k: v for k, v in got.items() if v}
    assert got == want, "delivery_rollups_daily"

    # Per day, account, number (if keyed by it) and code: the hourly key without template/language.
    want_errors: dict[tuple[Any, ...], int] = defaultdict(int)
    for (hour, *rest), n in exp.errors.items():
        want_errors[(hour // DAY * DAY, *rest[:-3], rest[-1])] += n
    error_keys = ("day_start", "waba_id", *_number_key(by_number), "error_code")
    got_errors = {
        tuple(_get(r, k) for k in error_keys): r["failures"]
        for r in rows(conn, "SELECT * FROM error_rollups_daily") if r["failures"]
    }
    assert got_errors == {k: v for k, v in want_errors.items() if v}, "error_rollups_daily"

    # Every contact with a message, under the hour of its latest one and the decile of its
    # stored score (compare() checks that score; a recomputed one may fall on the other side
    # of a decile bound by rounding: PostgreSQL computes it in numeric).
    stored = {(account(c), c["wa_id"]): c["engagement_score"] for c in rows(conn, "SELECT * FROM contacts")}
    want_scores: dict[tuple[int, str, int], list[float]] = defaultdict(list)
    for (waba, wa_id), c in exp.contacts.items():
        latest = max(t for t in (c["last_in"], c["last_out"]) if t is not None)
        score_now = stored[(waba, wa_id)]
        want_scores[(latest // HOUR * HOUR, waba, min(9, int(score_now // 10)))].append(score_now)
    got_scores = {
        (r["hour_start"], account(r), r["decile"]): (r["contacts"], r["score_sum"])
        for r in rows(conn, "SELECT * FROM score_rollups") if r["contacts"]
    }
    assert set(got_scores) == set(want_scores), "score_rollups keys"
    for key, scores in want_scores.items():
        n, total = got_scores[key]
        assert n == len(scores), f"score_rollups contacts at {key}"
        assert abs(total - sum(scores)) < 1e-6, f"score_rollups score_sum at {key}"


@dataclass
class NumberFigures:
    """The dashboard's message figures of one phone number, summed over all its hours."""

    totals: dict[str, int]
    templates: dict[tuple[str, str], dict[str, int]]
    errors: dict[int | None, int]  # None: Meta gave no code


def number_figures(exp: Expected, phone: str) -> NumberFigures:
    totals: dict[str, int] = defaultdict(int)
    templates: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (_hour, _waba, number, name, lang), figures in exp.delivery.items():
        if number == phone:
            for k, v in figures.items():
                totals[k] += v
                templates[(name, lang)][k] += v
    errors: dict[int | None, int] = defaultdict(int)
    for (_hour, _waba, number, _name, _lang, code), n in exp.errors.items():
        if number == phone:
            errors[None if code == -1 else code] += n
    return NumberFigures(dict(totals), {k: dict(v) for k, v in templates.items()}, dict(errors))
