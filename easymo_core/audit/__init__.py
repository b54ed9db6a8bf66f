"""The audit log: who (database login, OS user, profile) did what, when.

``record`` writes one row in the caller's transaction; ``since`` reads them back, newest
first; ``record_for_profile`` records a change made to configuration (a profile, a secret)
into that profile's database when it can. The table is append-only (migration 0013).
"""

from __future__ import annotations

from easymo_core.audit.profile_change import record_for_profile, record_profile_removed, record_profile_saved
from easymo_core.audit.read import AuditEntry, load, since
from easymo_core.audit.record import ACTIONS, record

__all__ = [
    "ACTIONS", "AuditEntry", "load", "record", "record_for_profile", "record_profile_removed",
    "record_profile_saved", "since",
]
