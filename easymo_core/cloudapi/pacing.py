"""Send pacing: the phone number's throughput and the per-recipient pair rate.

Meta allows about 80 messages/s per phone number (more after an upgrade) and about one
message every 6 s to the same user, with short bursts tolerated. Going faster earns
130429 / 131056 errors, so every send waits its turn here first.

Both limits are token buckets that hand out *reservations*: taking a token may leave the
bucket negative, and the caller sleeps until its reserved slot. One short lock per
acquire, no lock held while sleeping, so threads share one bucket.

There is no process-wide pacer: whoever builds the clients of a phone number (``Services``)
holds a ``Pacers`` and hands each client its number's pacer, so two runs in one process
(two tests, two profiles) never wait on each other's sends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from easymo_core.cloudapi.limits import (
    DEFAULT_MESSAGES_PER_SECOND,
    MAX_MESSAGES_PER_SECOND,
    PAIR_BURST,
    PAIR_RATE_SECONDS,
)

Clock = Callable[[], float]
# Idle recipients are dropped from the pair table once it holds this many.
_PAIR_TABLE_PRUNE_AT = 4096


class SendPacer(Protocol):
    def acquire(self, recipient: str | None = None) -> float: ...


class TokenBucket:
    """``rate`` tokens per second, holding at most ``capacity``; starts full."""

    __slots__ = ("_clock", "_lock", "_stamp", "_tokens", "capacity", "rate")

    def __init__(self, rate: float, capacity: float, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and a capacity of at least 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; returns how long to wait before using it (0.0: use it now)."""
        with self._lock:
            now = self._clock()
            tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate) - 1.0
            self._tokens = tokens
            self._stamp = now
        return 0.0 if tokens >= 0.0 else -tokens / self.rate

    def configure(self, rate: float, capacity: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and a capacity of at least 1")
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self.rate = rate
            self.capacity = capacity


class PairLimiter:
    """Meta's pair rate, per recipient: one message per ``interval`` s, and a burst of up to
    ``burst`` messages within one ``interval`` that borrows future time.

    A burst of n messages is paid back before the next message: after 20 at once, the 21st
    goes about 20 × 6 s = 2 minutes later (CLOUDAPI.md §5). Each recipient's state is when
    its current burst started, how many messages it holds and when its debt is paid.
    """

    def __init__(
        self,
        interval: float = PAIR_RATE_SECONDS,
        burst: int = PAIR_BURST,
        clock: Clock = time.monotonic,
    ) -> None:
        if interval <= 0 or burst < 1:
            raise ValueError("the pair limit needs a positive interval and a burst of at least 1")
        self.interval = interval
        self.burst = burst
        self._clock = clock
        # recipient -> (burst start, messages in that burst, moment the burst is paid back)
        self._state: dict[str, tuple[float, int, float]] = {}
        self._prune_at = _PAIR_TABLE_PRUNE_AT
        self._lock = threading.Lock()

    def reserve(self, recipient: str) -> float:
        """Reserve the next slot for ``recipient``; returns how long to wait for it."""
        with self._lock:
            now = self._clock()
            start, count, paid = self._state.get(recipient, (now, 0, now))
            if paid <= now:
                start, count, paid = now, 0, now  # no debt: a new burst starts now
            # A reservation queued behind a debt joins the burst that starts when it is paid.
            slot = max(now, start)
            if count >= self.burst or slot - start >= self.interval:
                start = slot = paid
                count = 0
            self._state[recipient] = (start, count + 1, paid + self.interval)
            if len(self._state) >= self._prune_at:
                self._prune(now)
                # Doubling keeps pruning amortised O(1) when most recipients are still busy.
                self._prune_at = max(_PAIR_TABLE_PRUNE_AT, 2 * len(self._state))
        return slot - now

    def __len__(self) -> int:
        return len(self._state)

    def _prune(self, now: float) -> None:
        # A recipient whose debt is paid is indistinguishable from a new one.
        paid = [r for r, (_start, _count, until) in self._state.items() if until <= now]
        for recipient in paid:
            del self._state[recipient]


class Pacer:
    """The throughput bucket of one phone number plus its pair limiter."""

    def __init__(
        self,
        rate: float = DEFAULT_MESSAGES_PER_SECOND,
        burst: float | None = None,
        *,
        pair_interval: float = PAIR_RATE_SECONDS,
        pair_burst: int = PAIR_BURST,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check_rate(rate)
        self._bucket = TokenBucket(rate, default_burst(rate) if burst is None else burst, clock)
        self._pairs = PairLimiter(pair_interval, pair_burst, clock)
        self._sleep = sleep

    @property
    def rate(self) -> float:
        return self._bucket.rate

    @property
    def burst(self) -> float:
        return self._bucket.capacity

    def configure(self, rate: float, burst: float | None = None) -> None:
        _check_rate(rate)
        self._bucket.configure(rate, default_burst(rate) if burst is None else burst)

    def acquire(self, recipient: str | None = None) -> float:
        """Block until a message to ``recipient`` may go; returns the seconds waited.

        Without a recipient only the throughput counts (retries of a refused send).
        """
        waited = self._pairs.reserve(recipient) if recipient else 0.0
        if waited:
            self._sleep(waited)
        # The throughput slot is taken only after the pair wait, so a recipient that must
        # wait 6 s does not hold a slot other recipients could use now.
        wait = self._bucket.reserve()
        if wait:
            self._sleep(wait)
        return waited + wait


class UnlimitedPacer:
    """No pacing at all: for the sandbox in unlimited mode and benchmarks."""

    __slots__ = ()

    def acquire(self, recipient: str | None = None) -> float:
        return 0.0


UNLIMITED = UnlimitedPacer()

class Pacers:
    """The pacer of each phone number, shared by every client one ``Services`` builds for it."""

    def __init__(self) -> None:
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    def for_number(self, phone_number_id: str, rate: float | None = None) -> Pacer:
        """The pacer of ``phone_number_id``; giving ``rate`` (re)configures it, e.g. after the
        profile's messages-per-second changed."""
        with self._lock:
            pacer = self._pacers.get(phone_number_id)
            if pacer is None:
                pacer = self._pacers[phone_number_id] = Pacer(
                    DEFAULT_MESSAGES_PER_SECOND if rate is None else rate
                )
            elif rate is not None and rate != pacer.rate:
                pacer.configure(rate)
            return pacer


def default_burst(rate: float) -> float:
    """A tenth of a second's worth of messages: absorbs scheduling jitter, stays near the rate."""
    return max(1.0, rate / 10.0)


def _check_rate(rate: float) -> None:
    if not 0 < rate <= MAX_MESSAGES_PER_SECOND:
        raise ValueError(f"messages per second must be in (0, {MAX_MESSAGES_PER_SECOND:g}]")
