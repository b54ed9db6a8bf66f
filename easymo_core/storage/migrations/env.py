"""Alembic environment: always run with a connection handed over by easymo_core.storage.migrate."""

from __future__ import annotations

from alembic import context

from easymo_core.storage.models import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `easymo db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
