"""Which WhatsApp Business Account a phone number belongs to (table ``phone_numbers``).

The ingest learns (entry.id, metadata.phone_number_id) pairs from Meta's webhooks, the
processor its profile's pair; an inbound message or status whose envelope names no account
takes the account of its number from here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from easymo_core.storage.models import PhoneNumber, table_of
from easymo_core.storage.sql import upsert

log = logging.getLogger(__name__)
phone_numbers_t = table_of(PhoneNumber)


def remember(
    conn: Connection, pairs: Mapping[str, tuple[str, str | None]], now: datetime
) -> None:
    """Upsert ``{phone_number_id: (waba_id, display_phone_number)}``; pairs naming no number
    or no account are skipped. The account given wins (Meta's envelope, a profile's setting:
    a number moved to another account is then followed); a display number is kept once known."""
    rows = [
        {"phone_number_id": pnid, "waba_id": waba, "display_phone_number": display, "first_seen_at": now}
        for pnid, (waba, display) in sorted(pairs.items())
        if pnid and waba
    ]
    if not rows:
        return
    ins = upsert(conn, phone_numbers_t)
    stmt = (
        ins.on_conflict_do_update(
            index_elements=["phone_number_id"],
            set_={
                "waba_id": ins.excluded.waba_id,
                "display_phone_number": func.coalesce(
                    ins.excluded.display_phone_number, phone_numbers_t.c.display_phone_number),
            },
            # Nothing written (no row lock, no WAL) for a pair already known as it is.
            where=(phone_numbers_t.c.waba_id != ins.excluded.waba_id)
            | (phone_numbers_t.c.display_phone_number.is_(None)
               & ins.excluded.display_phone_number.is_not(None)),
        )
    )
    if conn.dialect.name != "postgresql":
        conn.execute(stmt, rows)
        return
    # Under row-level security a login may not see (so not update) a number another account
    # claimed: that must not fail the send or the webhook POST this rides on (a POST failing
    # again and again would end as a dead letter). A savepoint keeps the transaction usable.
    try:
        with conn.begin_nested():
            conn.execute(stmt, rows)
    except DBAPIError as exc:
        log.warning("phone_numbers not updated for %s: %s", ", ".join(sorted(pairs)),
                    str(exc.orig).splitlines()[0] if exc.orig else exc)


def accounts_of(conn: Connection, phone_number_ids: Iterable[str]) -> dict[str, str]:
    """``{phone_number_id: waba_id}`` of the numbers whose account is known."""
    wanted = sorted({p for p in phone_number_ids if p})
    if not wanted:
        return {}
    rows = conn.execute(
        select(phone_numbers_t.c.phone_number_id, phone_numbers_t.c.waba_id)
        .where(phone_numbers_t.c.phone_number_id.in_(wanted))
    )
    return {r.phone_number_id: r.waba_id for r in rows}
