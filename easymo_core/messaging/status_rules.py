"""How a message's status moves: never backwards, whatever order Meta's events arrive in.

The final state is a function of the *set* of events seen, so duplicates and permutations
give the same result:
- status is the highest-ranked one seen: queued < accepted < sent < failed < delivered < read.
  ``failed`` beats ``sent`` (it is final) but loses to a later report of delivery or read.
- each timestamp is the earliest Meta timestamp reported for that status.
- a read receipt implies delivery: when Meta skips ``delivered`` (a message read at once),
  ``delivered_at`` is the read time until an earlier ``delivered`` event shows up.
"""

from __future__ import annotations

RANK: dict[str, int] = {
    "queued": 0,
    "accepted": 1,
    "sent": 2,
    "failed": 3,
    "delivered": 4,
    "read": 5,
}
META_STATUSES = ("sent", "delivered", "read", "failed")
# Meta also reports 'played' for voice messages and may add more; they are kept raw only.


def rank(status: str) -> int:
    return RANK.get(status, -1)


def rank_sql(column: str) -> str:
    """The RANK table as a SQL CASE over ``column``."""
    whens = " ".join(f"WHEN '{s}' THEN {r}" for s, r in RANK.items())
    return f"(CASE {column} {whens} ELSE -1 END)"
