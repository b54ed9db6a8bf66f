"""SQL frozen at a migration's revision: what an old migration runs, whatever the code is today.

``migrations/sql/<revision>/<step>.<dialect>.sql`` (or ``<step>.sql`` when both dialects run the
same text) holds the statements one step of that migration ran when it was written, each ended
by a line holding only ``;`` (trigger bodies contain semicolons of their own). Leading ``--``
lines are a header. Trigger DDL runs as the driver's text, as it was generated; rebuild
statements run through SQLAlchemy's ``text``, with their integer parameters (``:gap_ms``) written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

FROZEN = Path(__file__).with_name("migrations") / "sql"
_END = "\n;\n"


def path(revision: str, step: str, dialect: str) -> Path:
    """The file of ``step`` at ``revision`` for ``dialect``: its own, or the one both share."""
    own = FROZEN / revision / f"{step}.{dialect}.sql"
    return own if own.exists() else FROZEN / revision / f"{step}.sql"


def render(statements: list[str]) -> str:
    """The body of a frozen file (without its header)."""
    return "".join(s + _END for s in statements)


def body(file_text: str) -> str:
    lines = file_text.splitlines(keepends=True)
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "".join(lines)


def statements(revision: str, step: str, dialect: str) -> list[str]:
    content = body(path(revision, step, dialect).read_text(encoding="utf-8"))
    assert content.endswith(_END), f"{revision}/{step}: a frozen file ends with a ';' line"
    return content[: -len(_END)].split(_END)


def run_ddl(conn: Connection, revision: str, step: str) -> None:
    """Trigger DDL, sent as it was generated (PL/pgSQL's ``:=`` and ``::`` untouched)."""
    for stmt in statements(revision, step, conn.dialect.name):
        conn.exec_driver_sql(stmt)


def run(conn: Connection, revision: str, step: str, params: Mapping[str, int] | None = None) -> None:
    """Rebuild statements, with the integers they name (``:gap_ms``) written in.

    Written in, not bound: PostgreSQL takes no parameters in CREATE TABLE AS, and the text
    is then the one the migration ran when it was written.
    """
    for stmt in statements(revision, step, conn.dialect.name):
        for name, value in (params or {}).items():
            stmt = stmt.replace(f":{name}", str(int(value)))
        conn.execute(text(stmt))
