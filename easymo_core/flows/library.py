"""Where flow definitions live: the conversation_flows table, plus the built-in ones.

A built-in flow (a YAML resource of this package, like the satisfaction survey) is usable
by name before anyone imports it: the first use stores it, because flow_states need a
conversation_flows row to point at. Importing a file with a name already stored replaces
the definition and bumps its version when it changed; running states keep their step ids,
and a state whose step disappeared is abandoned by the engine rather than guessed at.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from easymo_core.flows.definition import FlowDefinition
from easymo_core.flows.errors import FlowNotFound
from easymo_core.flows.parse import flow_from_json, parse_flow
from easymo_core.storage.engine import Database
from easymo_core.storage.models import ConversationFlow, FlowState, table_of
from easymo_core.storage.sql import insert_ignore
from easymo_core.storage.types import utcnow

flows_t = table_of(ConversationFlow)
states_t = table_of(FlowState)
BUILTIN_PACKAGE = "easymo_core.flows.builtin"


@dataclass(frozen=True)
class StoredFlow:
    id: int
    version: int
    definition: FlowDefinition


@dataclass(frozen=True)
class FlowSummary:
    name: str
    title: str | None
    version: int | None  # None: built-in, not stored yet
    steps: int
    origin: str  # "stored" | "built-in"
    active: int = 0
    completed: int = 0
    abandoned: int = 0


def builtin_sources() -> dict[str, str]:
    """Built-in definitions by name (the file stem), as YAML text."""
    out: dict[str, str] = {}
    for entry in resources.files(BUILTIN_PACKAGE).iterdir():
        if entry.name.endswith((".yaml", ".yml")):
            out[entry.name.rsplit(".", 1)[0]] = entry.read_text(encoding="utf-8")
    return out


class FlowLibrary:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        # Parsed definitions by (row id, version): the engine looks one up per inbound message.
        self._cache: dict[tuple[int, int], FlowDefinition] = {}

    # -- reading -------------------------------------------------------------------------
    def get(self, name: str) -> StoredFlow:
        """The stored flow ``name``, storing the built-in of that name on first use."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(flows_t).where(flows_t.c.name == name)).first()
        if row is None:
            source = builtin_sources().get(name)
            if source is None:
                raise FlowNotFound(name)
            self.import_text(source, source_name=f"built-in {name}", only_if_missing=True)
            with self.db.engine.connect() as conn:
                row = conn.execute(select(flows_t).where(flows_t.c.name == name)).one()
        return StoredFlow(row.id, row.version, self._parsed(row))

    def by_id(self, flow_id: int) -> StoredFlow | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(flows_t).where(flows_t.c.id == flow_id)).first()
        return None if row is None else StoredFlow(row.id, row.version, self._parsed(row))

    def triggers(self) -> dict[str, str]:
        """Trigger phrase (case-folded) -> flow name, over stored and built-in flows."""
        out: dict[str, str] = {}
        stored: set[str] = set()
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(flows_t)).all()
        for row in rows:
            stored.add(row.name)
            for word in self._parsed(row).triggers:
                out.setdefault(word, row.name)
        for name, source in builtin_sources().items():
            if name not in stored:
                for word in parse_flow(source, source=f"built-in {name}").triggers:
                    out.setdefault(word, name)
        return out

    def summaries(self) -> list[FlowSummary]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(flows_t).order_by(flows_t.c.name)).all()
            counts: dict[tuple[int, str], int] = {
                (r.flow_id, r.status): int(r.n)
                for r in conn.execute(
                    select(states_t.c.flow_id, states_t.c.status, func.count().label("n")).group_by(
                        states_t.c.flow_id, states_t.c.status
                    )
                )
            }
        out = []
        for row in rows:
            d = self._parsed(row)
            out.append(
                FlowSummary(
                    row.name,
                    row.title,
                    row.version,
                    len(d.steps),
                    "stored",
                    counts.get((row.id, "active"), 0),
                    counts.get((row.id, "completed"), 0),
                    counts.get((row.id, "abandoned"), 0),
                )
            )
        stored = {r.name for r in rows}
        for name, source in sorted(builtin_sources().items()):
            if name not in stored:
                d = parse_flow(source, source=f"built-in {name}")
                out.append(FlowSummary(d.name, d.title, None, len(d.steps), "built-in"))
        return sorted(out, key=lambda s: s.name)

    def source_of(self, name: str) -> tuple[str, dict[str, Any], int | None]:
        """(YAML or JSON text, definition as JSON, stored version or None) of ``name``."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(flows_t).where(flows_t.c.name == name)).first()
        if row is not None:
            return row.source or json.dumps(row.definition, indent=2), dict(row.definition), int(row.version)
        source = builtin_sources().get(name)
        if source is None:
            raise FlowNotFound(name)
        return source, parse_flow(source, source=f"built-in {name}").raw, None

    # -- writing -------------------------------------------------------------------------
    def import_text(
        self, text: str, *, source_name: str = "<flow>", only_if_missing: bool = False
    ) -> tuple[StoredFlow, str]:
        """Validate and store a definition; returns the stored flow and created|updated|unchanged."""
        definition = parse_flow(text, source=source_name)
        # YAML may hold dates and other non-JSON scalars: the column stores JSON.
        as_json = json.loads(json.dumps(definition.raw, default=str))
        now = utcnow()
        with self.db.engine.begin() as conn:
            # RETURNING tells reliably on both dialects whether the row was new.
            inserted = conn.execute(
                insert_ignore(conn, flows_t, ["name"])
                .returning(flows_t.c.id)
                .values(
                    name=definition.name,
                    version=1,
                    title=definition.title,
                    definition=as_json,
                    source=text,
                    created_at=now,
                    updated_at=now,
                )
            ).first()
            row = conn.execute(select(flows_t).where(flows_t.c.name == definition.name)).one()
            action = "created" if inserted is not None else "unchanged"
            if inserted is None and not only_if_missing and row.definition != as_json:
                self._update(conn, row.id, definition.title, as_json, text)
                row = conn.execute(select(flows_t).where(flows_t.c.id == row.id)).one()
                action = "updated"
        return StoredFlow(row.id, row.version, self._parsed(row)), action

    def _update(
        self, conn: Connection, flow_id: int, title: str | None, data: dict[str, Any], text: str
    ) -> None:
        # version + 1 in SQL: two admins importing at once still get distinct versions.
        conn.execute(
            update(flows_t)
            .where(flows_t.c.id == flow_id)
            .values(
                version=flows_t.c.version + 1, title=title, definition=data, source=text, updated_at=utcnow()
            )
        )

    def _parsed(self, row: Any) -> FlowDefinition:
        key = (int(row.id), int(row.version))
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            where = f"stored flow {row.name}"
            found = (
                parse_flow(row.source, source=where)
                if row.source
                else flow_from_json(row.definition, source=where)
            )
            with self._lock:
                self._cache[key] = found
        return found
