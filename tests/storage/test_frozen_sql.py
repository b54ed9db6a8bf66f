"""Migrations run SQL frozen at their revision; the generators describe the newest one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from easymo_core.analytics import freeze_sql, rebuild
from easymo_core.storage import analytics_triggers, frozen_sql, migrate

# Each frozen step, and what today's code generates for it.
GENERATED: dict[str, Callable[[str], list[str]]] = {
    "create_triggers": analytics_triggers.create_statements,
    "drop_triggers": analytics_triggers.drop_statements,
    "rebuild_delivery": lambda dialect: rebuild.delivery_statements(),
    "rebuild_daily": lambda dialect: rebuild.daily_statements(),
    "rebuild_conversations": lambda dialect: rebuild.conversation_statements(":gap_ms"),
}


def _newest_first() -> list[str]:
    script = ScriptDirectory.from_config(migrate._config())
    return [rev.revision for rev in script.walk_revisions()]


def _newest_with(step: str, dialect: str) -> str:
    for revision in _newest_first():
        if frozen_sql.path(revision, step, dialect).exists():
            return revision
    raise AssertionError(f"no revision froze {step}")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("step", sorted(GENERATED))
def test_generator_equals_the_newest_frozen_files(step: str, dialect: str) -> None:
    revision = _newest_with(step, dialect)
    frozen = frozen_sql.statements(revision, step, dialect)
    generated = GENERATED[step](dialect)
    assert generated == frozen, (
        f"{step} ({dialect}) differs from the SQL frozen at {revision}: a schema change is a new "
        "migration with its own frozen files"
    )


def test_every_frozen_file_belongs_to_a_revision_and_parses() -> None:
    revisions = set(_newest_first())
    for folder in sorted(frozen_sql.FROZEN.iterdir()):
        assert folder.name in revisions, f"{folder.name} is no migration"
        for file in folder.glob("*.sql"):
            step, _, rest = file.name.partition(".")
            dialects = ["sqlite", "postgresql"] if rest == "sql" else [rest.removesuffix(".sql")]
            for dialect in dialects:
                assert all(s.strip() for s in frozen_sql.statements(folder.name, step, dialect))


def test_no_migration_imports_the_live_generators() -> None:
    versions = migrate.MIGRATIONS / "versions"
    for file in versions.glob("*.py"):
        source = file.read_text(encoding="utf-8")
        for live in ("import analytics_triggers", "analytics.rebuild import", "storage.models import"):
            assert live not in source, f"{file.name} imports {live}: an old migration must run frozen SQL"


def test_freezing_writes_what_the_test_above_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frozen_sql, "FROZEN", tmp_path)
    freeze_sql.freeze("9999_next")
    for step, generated in GENERATED.items():
        for dialect in ("sqlite", "postgresql"):
            assert frozen_sql.statements("9999_next", step, dialect) == generated(dialect)
