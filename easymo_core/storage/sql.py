"""Small dialect-neutral SQL helpers (SQLite and PostgreSQL agree on these forms)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_ignore(conn: Connection, table: Table, index_elements: list[str] | None = None) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=index_elements)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=index_elements)


def upsert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT with ``on_conflict_do_update`` available."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class DriverStatement:
    """A hot statement run on the driver's cursor with rows of driver-ready values.

    For executemany over thousands of rows, SQLAlchemy's per-row parameter processing costs
    more than SQLite's own work. The SQL is written once with ``:name`` parameters and
    rendered for the driver (sqlite3 takes ``:name``, psycopg ``%(name)s``);
    values must already be what the column stores (epoch ms, JSON text, 0/1 or bool).
    """

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._rendered: dict[str, str] = {}

    def render(self, conn: Connection) -> str:
        # By driver, not dialect.paramstyle: SQLAlchemy sets sqlite3 to qmark, but sqlite3
        # takes :name with dict rows too.
        driver = conn.dialect.driver
        rendered = self._rendered.get(driver)
        if rendered is None:
            if driver == "pysqlite":
                rendered = self.sql
            elif driver in ("psycopg", "psycopg2"):
                rendered = _NAMED_PARAM.sub(r"%(\1)s", self.sql.replace("%", "%%"))
            else:
                raise ValueError(f"no rendering for the {driver!r} driver")
            self._rendered[driver] = rendered
        return rendered

    def execute(self, conn: Connection, params: dict[str, Any]) -> int:
        """Run once; returns the rows changed (-1 when the driver cannot tell)."""
        return int(conn.exec_driver_sql(self.render(conn), params).rowcount)

    def executemany(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Run once per row; returns the rows changed in all (-1 when the driver cannot tell)."""
        if not rows:
            return 0
        result = conn.exec_driver_sql(self.render(conn), list(rows))
        return int(result.rowcount)
