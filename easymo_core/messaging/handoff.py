"""The hand-off record: a message is marked as possibly sent just before its request is
written to the transport, and not a moment earlier.

A ``queued`` row whose ``handed_at`` is empty never reached the transport (the process died
while it waited for its turn at the pacer, or the batch stopped first): sending it later
cannot double it. One with ``handed_at`` may have reached Meta; only Meta's answer or its
status webhooks (the echoed key) can tell.

The mark must be durable before the bytes leave, so it costs a commit; sends in flight at
once share one (group commit): the first caller to find no commit running writes every
row waiting, the others wait for that commit. At sixteen sends in flight that is one
commit for several messages instead of one each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, select, update

from easymo_core.errors import EasymoError
from easymo_core.messaging.outbox import messages_t
from easymo_core.storage.engine import Database
from easymo_core.storage.types import utcnow


class NotSent(EasymoError):
    """The send stopped before its request was written: it certainly did not leave."""


class HandOff:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock
        self._cond = threading.Condition()
        self._waiting: list[int] = []
        self._next = 0  # the number of the commit that will carry the rows now waiting
        self._done = 0  # commits finished (their numbers are below this)
        self._running = False
        self._errors: dict[int, BaseException] = {}
        # Rows a commit found gone (another caller of the same key took it back as never
        # sent): their send must not go now.
        self._gone: set[int] = set()

    def mark(self, row_id: int) -> None:
        """Record that message ``row_id`` is about to be written; returns once durable.

        Raises NotSent when the record cannot be written: the caller must not send then.
        """
        with self._cond:
            self._waiting.append(row_id)
            ticket = self._next
            while self._done <= ticket:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                rows, self._waiting = self._waiting, []
                number = self._next
                self._next += 1
                self._cond.release()
                try:
                    self._write(rows)
                except Exception as exc:  # every waiter of this commit is told
                    failure: BaseException | None = exc
                else:
                    failure = None
                finally:
                    self._cond.acquire()
                self._running = False
                if failure is not None:
                    self._errors[number] = failure
                self._done = number + 1
                self._cond.notify_all()
            error = self._errors.get(ticket)
            gone = row_id in self._gone
            self._gone.discard(row_id)
            # Forget a failed commit's error once no one can still ask for it.
            for old in [n for n in self._errors if n < ticket - 64]:
                del self._errors[old]
        if gone:
            raise NotSent(f"not sent: message {row_id} was withdrawn before it left",
                          hint="another send with the same idempotency key took its place")
        if error is not None:
            raise NotSent(
                f"not sent: could not record that the message was leaving ({error})",
                hint="check the database, then send again; nothing left",
            ) from error

    def _write(self, rows: list[int]) -> None:
        now = self.clock()

        def write(conn: Connection) -> set[int]:
            # One statement for the group; the rows' presence is looked up only when the
            # count says one is missing (a send taken back as never sent: rare).
            changed = conn.execute(
                update(messages_t).where(messages_t.c.id.in_(rows)).values(handed_at=now)).rowcount
            if changed == len(rows):
                return set()
            found = set(conn.execute(select(messages_t.c.id).where(messages_t.c.id.in_(rows))).scalars())
            return set(rows) - found

        gone = self.db.transaction(write)
        if gone:
            with self._cond:
                self._gone |= gone


__all__ = ["HandOff", "NotSent"]
