"""What the console's Flows page shows, as one query object: the same figures as
`easymo flows list|show` (FlowLibrary) and `easymo stats` (the analytics' funnel and
satisfaction), so the page and the CLI never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import desc, select

from easymo_core.analytics import engagement, funnel
from easymo_core.analytics.figures import FlowFunnel, Satisfaction
from easymo_core.analytics.period import Period
from easymo_core.flows.definition import FlowDefinition
from easymo_core.flows.errors import FlowDefinitionError, Problem
from easymo_core.flows.library import FlowLibrary, FlowSummary, flows_t, states_t
from easymo_core.flows.parse import parse_flow
from easymo_core.storage.engine import Database


@dataclass(frozen=True)
class FlowContact:
    """One contact's run through a flow."""

    state_id: int
    contact: str
    status: str  # active | completed | abandoned
    step: str | None
    started_at: datetime
    last_activity: datetime
    # The run's account: one person can be in a flow with two accounts, as two contacts.
    waba_id: str = ""


@dataclass(frozen=True)
class FlowDetail:
    name: str
    version: int | None  # None: built-in, not stored yet
    source: str
    definition: FlowDefinition


@dataclass(frozen=True)
class FlowFigures:
    """A flow's funnel for the period (started → steps → completed/abandoned) and the
    period's satisfaction ratings (kept per contact, across flows, as `easymo stats`)."""

    funnel: FlowFunnel
    satisfaction: Satisfaction


@dataclass(frozen=True)
class Validation:
    definition: FlowDefinition | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.problems


class FlowOverview:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.library = FlowLibrary(db)

    def summaries(self) -> list[FlowSummary]:
        return self.library.summaries()

    def detail(self, name: str) -> FlowDetail:
        source, _raw, version = self.library.source_of(name)
        where = f"flow {name} version {version}" if version is not None else f"built-in {name}"
        return FlowDetail(name, version, source, parse_flow(source, source=where))

    def figures(self, name: str, period: Period) -> FlowFigures:
        with self.db.engine.connect() as conn:
            states = [r for r in conn.execute(funnel.STATES_SQL,
                                              {"start": period.start_ms, "end": period.end_ms})
                      if r.name == name]
            _eng, sat = engagement.engagement_and_satisfaction(conn, period)
        return FlowFigures(funnel.funnel(name, states), sat)

    def contacts(self, name: str, limit: int = 200) -> list[FlowContact]:
        """The latest runs of ``name``, the most recent activity first."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(states_t)
                .join(flows_t, flows_t.c.id == states_t.c.flow_id)
                .where(flows_t.c.name == name)
                .order_by(desc(states_t.c.updated_at), desc(states_t.c.id))
                .limit(limit)
            ).all()
        return [FlowContact(r.id, r.contact_wa_id, r.status, r.current_step, r.started_at,
                            r.updated_at, r.waba_id) for r in rows]

    @staticmethod
    def validate(text: str, *, source: str = "<flow>") -> Validation:
        """Every problem of a YAML/JSON definition with its line, or the parsed flow."""
        try:
            return Validation(parse_flow(text, source=source))
        except FlowDefinitionError as exc:
            return Validation(None, list(exc.problems))

    def import_text(self, text: str, *, source: str) -> tuple[int, str]:
        """Store a valid definition (a new version when it changed): (version, action)."""
        stored, action = self.library.import_text(text, source_name=source)
        return stored.version, action
