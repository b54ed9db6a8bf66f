"""Flow funnels from flow_states (the flows' step history; format in easymo_core/flows/history.py).

Per flow, for states started in the period: started, completed, abandoned, still active,
completion rate and median duration of completed runs (the nearest rank, as every
percentile: docs/analytics.md). Per step: states that entered it,
those that moved on from it (an expected ``reply`` on it, or ``completed`` there) and those
abandoned on it; drop-off = abandoned / entered. Steps are listed by how many entered them,
which for a funnel is its order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from easymo_core.analytics.figures import FlowFunnel, FlowStep, rate
from easymo_core.analytics.histogram import nearest_rank
from easymo_core.analytics.period import Period

STATES_SQL = text(
    "SELECT f.name, s.status, s.started_at, s.completed_at, s.history FROM flow_states s "
    "JOIN conversation_flows f ON f.id = s.flow_id "
    "WHERE s.started_at >= :start AND s.started_at < :end ORDER BY s.id"
)


def _history(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):  # a driver that hands JSON back as text
        raw = json.loads(raw)
    return [e for e in raw or [] if isinstance(e, dict) and isinstance(e.get("step"), str)]


def funnels(conn: Connection, period: Period) -> list[FlowFunnel]:
    by_flow: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(STATES_SQL, {"start": period.start_ms, "end": period.end_ms}):
        by_flow[r.name].append(r)
    return [funnel(name, states) for name, states in sorted(by_flow.items())]


def funnel(name: str, states: list[Any]) -> FlowFunnel:
    entered: dict[str, set[int]] = defaultdict(set)
    advanced: dict[str, set[int]] = defaultdict(set)
    abandoned: dict[str, set[int]] = defaultdict(set)
    first_seen: dict[str, int] = {}
    durations = []
    for i, s in enumerate(states):
        for e in _history(s.history):
            step, kind = e["step"], e.get("event")
            first_seen.setdefault(step, len(first_seen))
            if kind == "entered":
                entered[step].add(i)
            elif kind in ("reply", "completed"):
                advanced[step].add(i)
            elif kind == "abandoned":
                abandoned[step].add(i)
        if s.status == "completed" and s.completed_at is not None:
            durations.append(int(s.completed_at) - int(s.started_at))
    steps = sorted(first_seen, key=lambda st: (-len(entered[st]), first_seen[st]))
    counts = {k: sum(1 for s in states if s.status == k) for k in ("completed", "abandoned", "active")}
    return FlowFunnel(
        flow=name,
        started=len(states),
        completed=counts["completed"],
        abandoned=counts["abandoned"],
        active=counts["active"],
        completion_rate=rate(counts["completed"], len(states)),
        median_duration_ms=_median(durations),
        steps=[
            FlowStep(
                step=st,
                entered=len(entered[st]),
                advanced=len(advanced[st]),
                abandoned=len(abandoned[st]),
                drop_off=rate(len(abandoned[st]), len(entered[st])),
            )
            for st in steps
        ],
    )


def _median(values: list[int]) -> float | None:
    return float(sorted(values)[nearest_rank(0.5, len(values)) - 1]) if values else None
