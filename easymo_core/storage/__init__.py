"""SQLAlchemy models, engine set-up and Alembic migrations (SQLite and PostgreSQL)."""

from easymo_core.storage.engine import Database
from easymo_core.storage.open import open_database

__all__ = ["Database", "open_database"]
