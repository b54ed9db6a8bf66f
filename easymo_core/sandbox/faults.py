"""Faults on demand: 5xx answers, slow answers, dropped connections, a receiver that is down.

Rates live in :class:`SandboxConfig` (``error_rate``, ``slow_rate``, ``drop_rate``); the
"next N requests" counters and the receiver outage live here and are set by
``POST /_sandbox/faults``. Faults apply to Graph paths only, never to ``/_sandbox/``.

``when="after"`` makes errors and drops happen after the request was processed: the message
is accepted (and appears in the log with its wamid) but the client never learns it, which
is the case that tests a client's retries for exactly-once delivery.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

from easymo_core.sandbox.config import SandboxConfig

FaultKind = str  # "error", "slow", "drop"


@dataclass
class FaultPlan:
    """What to do to one request."""

    kind: FaultKind
    after: bool = False
    seconds: float = 0.0
    status: int = 500


class Faults:
    """Counters and outage windows set by control calls, plus the seeded dice for rates."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"{seed}:faults")
        self.next_errors = 0
        self.next_slow = 0
        self.next_drops = 0
        self.after = False  # errors and drops after processing instead of before
        self.receiver_down_until = 0.0  # monotonic

    def reset(self) -> None:
        """No fault armed, dice back at the start of the seed's stream."""
        self._rng = random.Random(f"{self._seed}:faults")
        self.clear()

    def any_armed(self, config: SandboxConfig) -> bool:
        """Cheap check that keeps fault handling off the hot path when nothing is set."""
        return bool(
            self.next_errors or self.next_slow or self.next_drops
            or config.error_rate or config.slow_rate or config.drop_rate
        )

    def plan(self, config: SandboxConfig) -> list[FaultPlan]:
        """The faults for the next Graph request (a slow answer may come with an error)."""
        plans: list[FaultPlan] = []
        if self.next_slow > 0 or (config.slow_rate and self._rng.random() < config.slow_rate):
            self.next_slow = max(0, self.next_slow - 1)
            plans.append(FaultPlan("slow", seconds=config.slow_seconds))
        if self.next_drops > 0 or (config.drop_rate and self._rng.random() < config.drop_rate):
            self.next_drops = max(0, self.next_drops - 1)
            plans.append(FaultPlan("drop", after=self.after))
        elif self.next_errors > 0 or (config.error_rate and self._rng.random() < config.error_rate):
            self.next_errors = max(0, self.next_errors - 1)
            plans.append(FaultPlan("error", after=self.after, status=config.error_status))
        return plans

    def receiver_down(self) -> float:
        """Seconds the webhook receiver stays down, 0 when it is up."""
        return max(0.0, self.receiver_down_until - time.monotonic())

    def set_receiver_down(self, seconds: float) -> None:
        self.receiver_down_until = time.monotonic() + seconds if seconds > 0 else 0.0

    def clear(self) -> None:
        self.next_errors = self.next_slow = self.next_drops = 0
        self.after = False
        self.receiver_down_until = 0.0

    def describe(self, config: SandboxConfig) -> dict[str, Any]:
        return {
            "error_rate": config.error_rate,
            "error_status": config.error_status,
            "slow_rate": config.slow_rate,
            "slow_seconds": config.slow_seconds,
            "drop_rate": config.drop_rate,
            "next_errors": self.next_errors,
            "next_slow": self.next_slow,
            "next_drops": self.next_drops,
            "when": "after" if self.after else "before",
            "receiver_down_seconds": round(self.receiver_down(), 3),
        }


async def drop_connection(send: Any) -> bool:
    """Close the client's connection without an answer; False when the server cannot.

    ASGI has no "abort"; uvicorn's ``send`` is a bound method of the request cycle, which
    holds the transport. Closing it and yielding lets uvicorn see the disconnect, so it does
    not try to answer a 500 of its own.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.close()
    for _ in range(3):
        await asyncio.sleep(0)
    return True
