"""Property: every figure of `easymo stats --json` equals a plain recomputation from the raw rows.

The recomputation below is written from the definitions (docs/analytics.md, the docstrings of
analytics_triggers and figures), from the rows of messages, conversation_sessions and
flow_states alone: no production SQL, rollup or helper. Traffic has Meta's whole-second
status timestamps with many ties, statuses late, duplicated and out of order, failures,
refusals, replies and button taps, survey ratings and flow runs; the period cuts the traffic
at hour bounds. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text

from easymo_core.cli.main import main
from easymo_core.messaging.webhook_payload import StatusRecord
from easymo_core.storage.engine import Database
from easymo_core.storage.models import ConversationFlow, FlowState, table_of
from easymo_core.storage.types import from_ms
from tests.analytics.reference import BIN_STARTS_S, HOUR, WEEK, rows
from tests.analytics.test_trigger_properties import (
    ERRORS,
    T0,
    Chooser,
    History,
    coin,
    dt,
    ints,
    play,
    reset,
    sampled,
    status_record,
)

flows_t, states_t = table_of(ConversationFlow), table_of(FlowState)
# Latencies in whole seconds, with ties (1 s again and again), both sides of a minute and
# of the wider bins, and long reads.
LATENCY_S = (0, 1, 1, 1, 2, 2, 3, 59, 60, 61, 75, 119, 130, 4_000, 90_000, 700_000)


class WholeSecondHistory(History):
    """The property tests' traffic with Meta's whole-second status timestamps."""

    def statuses_for(self, wamid: str, key: str) -> list[StatusRecord]:
        sent = (self.t // 1000 + self.draw(ints(0, 5))) * 1000
        out = []
        if self.draw(coin()):
            out.append(status_record(wamid, "sent", sent, key, None))
        fate = self.draw(sampled(["delivered", "read", "read", "read_only", "failed", "failed_then_read"]))
        delivered = sent + 1000 * self.draw(sampled(LATENCY_S))
        read = delivered + 1000 * self.draw(sampled(LATENCY_S))
        if fate in ("delivered", "read"):
            out.append(status_record(wamid, "delivered", delivered, key, None))
        if fate in ("read", "read_only", "failed_then_read"):
            out.append(status_record(wamid, "read", read, key, None))
        if fate in ("failed", "failed_then_read"):
            out.append(status_record(wamid, "failed", delivered, key, self.draw(sampled(ERRORS))))
        if out and self.draw(coin()):
            out.append(out[0])
        return out


def nearest_rank(values: list[int], q: float) -> int:
    """The k-th smallest, k = ceil(q N), q written as a percentage to stay exact."""
    k = max(1, math.ceil(round(q * 100) * len(values) / 100))
    return sorted(values)[k - 1]


def shown_percentile(value: int) -> tuple[float, str]:
    """What the histogram can say of the latency ``value`` (ms): itself below a minute (one-second
    bins), the end of its bin above ("≤"), the start of the open last bin ("≥")."""
    start = max(s for s in BIN_STARTS_S if s * 1000 <= value)
    later = [s for s in BIN_STARTS_S if s > start]
    if not later:
        return float(start * 1000), "≥"
    if later[0] - start == 1:
        return float(start * 1000), ""
    return float(later[0] * 1000), "≤"


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def avg(values: list[int]) -> float | None:
    return None if not values else sum(values) / len(values)


def decile(score: float) -> int:
    return min(9, int(score // 10))


def engagement_score(n_in: int, n_out: int, replies: int, last_in: int | None, last_out: int | None) -> float:
    recency = 0.0 if last_in is None else 1 / (1 + max(0, (last_out or 0) - last_in) / WEEK)
    response = 0.0 if n_out == 0 else min(1.0, replies / n_out)
    return 100 * (0.4 * recency + 0.3 * n_in / (n_in + 5) + 0.3 * response)


def recompute(conn: Any, start: int, end: int, gap_ms: int) -> dict[str, Any]:
    """Every figure of the stats JSON for [start, end), from the raw rows."""
    msgs = rows(conn, "SELECT * FROM messages ORDER BY id")
    inside = [m for m in msgs if start <= m["created_at"] < end]
    out = [m for m in inside if m["direction"] == "out"]
    # A quote counts for the quoted message of the same account only.
    quotes: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for m in msgs:
        if m["direction"] == "in" and m["context_wamid"]:
            quotes[(m["waba_id"], m["context_wamid"])].append(m)

    def figures(group: list[dict[str, Any]]) -> dict[str, int]:
        return {
            "sent": len(group),
            "delivered": sum(m["delivered_at"] is not None for m in group),
            "read": sum(m["read_at"] is not None for m in group),
            "failed": sum(m["status"] == "failed" for m in group),
            "replied": sum(bool(m["wamid"] and quotes.get((m["waba_id"], m["wamid"]))) for m in group),
            "clicks": sum(sum(q["reply_id"] is not None for q in quotes.get((m["waba_id"], m["wamid"]), []))
                          for m in group
                          if m["wamid"]),
        }

    totals: dict[str, Any] = figures(out)
    for name, part in (("delivery_rate", "delivered"), ("read_rate", "read"), ("reply_rate", "replied"),
                       ("failure_rate", "failed")):
        totals[name] = rate(totals[part], totals["sent"])

    dl = [m["delivered_at"] - m["sent_at"] for m in out if m["delivered_at"] and m["sent_at"]]
    rd = [m["read_at"] - m["delivered_at"] for m in out if m["read_at"] and m["delivered_at"]]
    latency: dict[str, Any] = {"delivery_count": len(dl), "delivery_avg_ms": avg(dl),
                               "read_count": len(rd), "read_avg_ms": avg(rd), "estimates": {}}
    for kind, values in (("delivery", dl), ("read", rd)):
        for q in (50, 95):
            name = f"{kind}_p{q}_ms"
            latency[name] = None
            if values:
                latency[name], bound = shown_percentile(nearest_rank(values, q / 100))
                if bound:
                    latency["estimates"][name] = bound

    failed = [m for m in out if m["status"] == "failed"]
    by_code: dict[int | None, int] = defaultdict(int)
    for m in failed:
        by_code[m["error_code"]] += 1
    errors = sorted(((c, n, rate(n, len(failed))) for c, n in by_code.items()),
                    key=lambda e: (-e[1], -1 if e[0] is None else e[0]))

    by_template: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for m in out:
        by_template[(m["template_name"] or "", m["template_language"] or "")].append(m)
    templates = []
    for (name, lang), group in sorted(by_template.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        f = figures(group)
        pct = {f"{k}_pct": round(100 * f[k] / f["sent"], 2) for k in ("delivered", "read", "replied")}
        templates.append({"name": name, "language": lang, **f, **pct, "quality": None, "status": None})

    # Conversations: messages that joined (inbound, or outbound with a wamid), per contact (a
    # person in one account) in time order; a reply is a message after one the other way, a
    # session ends after the gap.
    joined = [m for m in msgs if m["direction"] == "in" or m["wamid"] is not None]
    threads: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for m in joined:
        threads[(m["waba_id"], m["contact_wa_id"])].append(m)
    eng: dict[str, int] = defaultdict(int)
    user_ms: list[int] = []
    biz_ms: list[int] = []
    active: set[tuple[str, str]] = set()
    scores: list[float] = []
    for contact, thread in threads.items():
        thread.sort(key=lambda m: (m["created_at"], m["id"]))
        sessions: list[list[dict[str, Any]]] = []
        replies = 0
        for i, m in enumerate(thread):
            prev = thread[i - 1] if i else None
            resp = m["created_at"] - prev["created_at"] if prev and prev["direction"] != m["direction"] else None
            if prev is None or m["created_at"] - prev["created_at"] > gap_ms:
                sessions.append([])
            sessions[-1].append(m)
            replies += m["direction"] == "in" and resp is not None
            if start <= m["created_at"] < end:
                eng[f"messages_{m['direction']}"] += 1
                if resp is not None:
                    (user_ms if m["direction"] == "in" else biz_ms).append(resp)
        for session in sessions:
            if start <= session[0]["created_at"] < end:
                eng["sessions_started"] += 1
                if any(m["direction"] == "in" for m in session):
                    active.add(contact)
        ins = [m["created_at"] for m in thread if m["direction"] == "in"]
        outs = [m["created_at"] for m in thread if m["direction"] == "out"]
        if max(ins + outs) >= start:
            scores.append(engagement_score(len(ins), len(outs), replies, max(ins, default=None),
                                           max(outs, default=None)))
    distribution = [0] * 10
    for s in scores:
        distribution[decile(s)] += 1
    engagement = {
        "active_users": len(active), "messages_in": eng["messages_in"], "messages_out": eng["messages_out"],
        "sessions_started": eng["sessions_started"], "user_responses": len(user_ms),
        "response_rate": rate(len(user_ms), eng["messages_out"]),
        "avg_user_response_ms": avg(user_ms), "avg_business_response_ms": avg(biz_ms),
        "score_average": None if not scores else round(sum(scores) / len(scores), 2),
        "score_distribution": distribution,
    }

    ratings = [s["satisfaction"] for s in rows(conn, "SELECT * FROM conversation_sessions")
               if start <= s["started_at"] < end and s["satisfaction"] is not None]
    satisfaction = {"ratings": len(ratings), "average": avg(ratings),
                    "distribution": {str(i): ratings.count(i) for i in range(1, 6)}}

    flows = []
    states = rows(conn, "SELECT f.name, s.* FROM flow_states s JOIN conversation_flows f ON f.id = s.flow_id "
                        "ORDER BY s.id")
    by_flow: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for state in states:
        if start <= state["started_at"] < end:
            by_flow[state["name"]].append(state)
    for name, runs in sorted(by_flow.items()):
        done = [r["completed_at"] - r["started_at"] for r in runs
                if r["status"] == "completed" and r["completed_at"] is not None]
        steps: dict[str, dict[str, set[int]]] = {}
        for i, run in enumerate(runs):
            history = json.loads(run["history"]) if isinstance(run["history"], str) else run["history"]
            for e in history:
                kinds = steps.setdefault(e["step"], {"entered": set(), "advanced": set(), "abandoned": set()})
                kind = {"entered": "entered", "reply": "advanced", "completed": "advanced",
                        "abandoned": "abandoned"}[e["event"]]
                kinds[kind].add(i)
        order = list(steps)
        flows.append({
            "flow": name, "started": len(runs),
            **{k: sum(r["status"] == k for r in runs) for k in ("completed", "abandoned", "active")},
            "completion_rate": rate(sum(r["status"] == "completed" for r in runs), len(runs)),
            "median_duration_ms": None if not done else float(nearest_rank(done, 0.5)),
            "steps": [{"step": st, "entered": len(k["entered"]), "advanced": len(k["advanced"]),
                       "abandoned": len(k["abandoned"]), "drop_off": rate(len(k["abandoned"]), len(k["entered"]))}
                      for st, k in sorted(steps.items(), key=lambda kv: (-len(kv[1]["entered"]),
                                                                         order.index(kv[0])))],
        })

    series = []
    for t in range(start, end, HOUR):
        in_hour = figures([m for m in out if t <= m["created_at"] < t + HOUR])
        inbound = sum(1 for m in joined if m["direction"] == "in" and t <= m["created_at"] < t + HOUR)
        series.append({"start_ms": t, **{k: in_hour[k] for k in ("sent", "delivered", "read", "failed", "replied")},
                       "messages_in": inbound})
    return {"totals": totals, "latency": latency, "errors": errors, "templates": templates,
            "engagement": engagement, "satisfaction": satisfaction, "flows": flows, "series": series}


FLOW_STEPS = ("ask", "rate", "thanks")


def add_flow_runs(h: History, n: int) -> None:
    """``n`` runs of two flows, each entering steps in order and ending one way or another."""
    with h.db.engine.begin() as conn:
        for name in ("survey", "order"):
            conn.execute(insert(flows_t), {"name": name, "version": 1, "definition": {}, "created_at": dt(0),
                                           "updated_at": dt(0)})
        ids: dict[str, int] = {r.name: r.id for r in conn.execute(text("SELECT name, id FROM conversation_flows"))}
        for i in range(n):
            started = T0 + h.draw(ints(0, 30)) * 600_000
            reached = h.draw(ints(1, len(FLOW_STEPS)))
            status = h.draw(sampled(["completed", "abandoned", "active"]))
            history: list[dict[str, Any]] = []
            for step in FLOW_STEPS[:reached]:
                history.append({"step": step, "event": "entered"})
                if step != FLOW_STEPS[reached - 1]:
                    history.append({"step": step, "event": "reply"})
            last = FLOW_STEPS[reached - 1]
            if status != "active":
                history.append({"step": last, "event": status})
            done = started + 1000 * h.draw(sampled([5, 5, 60, 3_000])) if status == "completed" else None
            conn.execute(insert(states_t), {
                "flow_id": ids[h.draw(sampled(["survey", "order"]))], "contact_wa_id": f"1555000{i:04d}",
                "status": status, "current_step": last, "retries": 0, "history": history,
                "started_at": dt(started), "updated_at": dt(started),
                "completed_at": None if done is None else dt(done)})


def stats_json(db_url: str, start: int, end: int, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["--db-url", db_url, "stats", "--from", from_ms(start).isoformat(),
              "--to", from_ms(end).isoformat(), "--json"])
    out, err = capsys.readouterr()
    assert exit_.value.code in (0, None), err
    return dict(json.loads(out))


def comparable(got: dict[str, Any]) -> dict[str, Any]:
    """The stats JSON's figures in the recomputation's shape."""
    latency = {k: v for k, v in got["latency"].items() if not k.endswith("_histogram")}
    return {
        "totals": got["totals"],
        "latency": latency,
        "errors": [(e["code"], e["failures"], e["share"]) for e in got["errors"]],
        "templates": got["templates"],
        "engagement": got["engagement"],
        "satisfaction": got["satisfaction"],
        "flows": got["flows"],
        "series": got["series"],
    }


# No shrinking: each example plays a history through the ingest, and shrinking one took minutes;
# a failure still prints its example and the section that differs.
@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_every_stats_figure_equals_a_recomputation_from_the_rows(
    db_url: str, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    db = Database(db_url)
    try:
        gap = data.draw(sampled([60_000, 1_800_000]), label="gap")
        reset(db, gap)
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM conversation_flows"))
        h = WholeSecondHistory(db, Chooser(data=data))
        play(h, data.draw(ints(5, 30), label="steps"))
        add_flow_runs(h, data.draw(ints(0, 6), label="flow runs"))
        first = T0 - T0 % HOUR
        start = first + HOUR * data.draw(ints(0, 2), label="start hour")
        end = max(start + HOUR, h.t - h.t % HOUR + HOUR * data.draw(ints(0, 2), label="end hour"))
        with db.engine.connect() as conn:
            want = recompute(conn, start, end, gap)
    finally:
        db.dispose()
    event(f"latency bounds: {sorted(set(want['latency']['estimates'].values()))}")
    event(f"flows: {bool(want['flows'])}, replies: {want['totals']['replied'] > 0}")
    got = comparable(stats_json(db_url, start, end, capsys))
    for section, figures in want.items():
        assert got[section] == figures, f"{section}: {got[section]} != {figures}"
