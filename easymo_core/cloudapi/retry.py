"""Retries with exponential backoff and full jitter, bounded in attempts and in total time.

What may be retried is decided where the error is made (its ``retryable`` flag): a send
whose request may have reached Meta becomes a non-retryable ``SendOutcomeUnknown`` before
it gets here. This module only decides *when*, and gives up in time.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

from easymo_core.cloudapi.errors import CloudAPIError

T = TypeVar("T")
log = logging.getLogger("easymo.cloudapi")


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try; no retry starts after ``max_total_seconds``.

    ``sleep``, ``clock`` and ``random`` are injectable so tests run in
    fake time.
    """

    max_attempts: int = 4
    max_total_seconds: float = 30.0
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_seconds < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays and time budget must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(retry_number-1))]."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return self.random() * ceiling

    def delay_before_retry(self, retry_number: int, error: CloudAPIError) -> float:
        """The wait before retry ``retry_number`` (1 for the first retry) after ``error``.

        A server's Retry-After (or a code's known minimum wait) is a floor: retrying
        sooner is refused anyway and only burns an attempt.
        """
        floor = getattr(error, "retry_after", None) or 0.0
        return max(self.backoff(retry_number), floor)


NO_RETRY = RetryPolicy(max_attempts=1, max_total_seconds=0.0)


class _Budget:
    """The attempts and time left for one call."""

    __slots__ = ("deadline", "policy")

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.deadline = policy.clock() + policy.max_total_seconds

    def next_delay(self, attempt: int, error: CloudAPIError) -> float | None:
        """The wait before the next attempt, or None to give up with ``error``."""
        policy = self.policy
        if not error.retryable or attempt >= policy.max_attempts:
            return None
        delay = policy.delay_before_retry(attempt, error)
        if policy.clock() + delay > self.deadline:
            return None
        log.info("retrying in %.2f s after attempt %d: %s", delay, attempt, error.message)
        return delay


def call_with_retry(policy: RetryPolicy, attempt: Callable[[int], T]) -> T:
    """``attempt(n)`` for n = 1, 2, ... until it returns or raises a final error."""
    budget = _Budget(policy)
    number = 1
    while True:
        try:
            return attempt(number)
        except CloudAPIError as error:
            delay = budget.next_delay(number, error)
            if delay is None:
                raise
        policy.sleep(delay)
        number += 1


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds == float("inf"):  # NaN or infinity: ignore the header
        return None
    return max(0.0, seconds)
