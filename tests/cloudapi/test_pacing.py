"""Pacing in fake time: exact waits, no wall clock."""

from __future__ import annotations

import asyncio
import threading

import pytest

from easymo_core.cloudapi.limits import PAIR_BURST, PAIR_RATE_SECONDS
from easymo_core.cloudapi.pacing import (
    UNLIMITED,
    Pacer,
    PairLimiter,
    TokenBucket,
    default_burst,
    pacer_for,
)

from .fakes import FakeClock


def paced(clock: FakeClock, rate: float, burst: float | None = None) -> Pacer:
    return Pacer(rate, burst, clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep)


def test_bucket_gives_its_burst_then_one_token_per_interval() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10.0, capacity=3, clock=clock)
    waits = [bucket.reserve() for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.2, 0.3])


def test_bucket_refills_while_idle_but_not_beyond_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=2, clock=clock)
    bucket.reserve(), bucket.reserve()
    clock.now += 100.0
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


@pytest.mark.parametrize("rate", [1.0, 50.0, 80.0, 1000.0])
def test_pacer_holds_its_rate_exactly_in_fake_time(rate: float) -> None:
    clock = FakeClock()
    pacer = paced(clock, rate)
    start, n = clock.now, 2000
    for i in range(n):
        pacer.acquire(f"1555{i:07d}")
    # After the initial burst, one message per 1/rate seconds.
    assert clock.now - start == pytest.approx((n - pacer.burst) / rate)


def test_default_burst_is_a_tenth_of_a_second() -> None:
    assert default_burst(80.0) == 8.0 and default_burst(5.0) == 1.0
    assert paced(FakeClock(), 80.0).burst == 8.0


def test_pair_limit_allows_a_burst_then_one_per_interval() -> None:
    clock = FakeClock()
    pacer = paced(clock, 1000.0, burst=1000)
    waits = [pacer.acquire("15551234567") for _ in range(PAIR_BURST + 2)]
    assert waits[:PAIR_BURST] == [0.0] * PAIR_BURST
    assert waits[PAIR_BURST:] == pytest.approx([PAIR_RATE_SECONDS, PAIR_RATE_SECONDS])
    # another user is not held back by the first one's wait
    assert pacer.acquire("15557654321") == 0.0


def test_pair_wait_comes_before_the_throughput_slot() -> None:
    clock = FakeClock()
    pacer = paced(clock, 1.0, burst=1)
    waits = [pacer.acquire("a") for _ in range(PAIR_BURST + 1)]
    # 1/s throughput makes the 2nd and 3rd wait 1 s; the 4th waits for the pair slot only,
    # by when a throughput token has long refilled (taking it earlier would add a 1 s wait).
    assert waits == pytest.approx([0.0, 1.0, 1.0, 4.0])
    assert clock.sleeps == pytest.approx([1.0, 1.0, 4.0])


def test_without_a_recipient_only_throughput_counts() -> None:
    clock = FakeClock()
    pacer = paced(clock, 1000.0, burst=1000)
    assert all(pacer.acquire(None) == 0.0 for _ in range(50))


def test_async_acquire_waits_the_same_slots() -> None:
    clock = FakeClock()
    pacer = paced(clock, 4.0, burst=1)

    async def run() -> list[float]:
        return [await pacer.acquire_async(f"u{i}") for i in range(5)]

    assert asyncio.run(run()) == pytest.approx([0.0, 0.25, 0.25, 0.25, 0.25])
    assert clock.now - 1000.0 == pytest.approx(1.0)


def test_concurrent_reservations_get_distinct_slots() -> None:
    clock = FakeClock()  # frozen: nobody sleeps here, they only reserve
    bucket = TokenBucket(rate=100.0, capacity=5, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = [bucket.reserve() for _ in range(250)]
        with lock:
            waits.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [0.0] * 5 + [k / 100.0 for k in range(1, 2000 - 5 + 1)]
    assert sorted(waits) == pytest.approx(expected)


def test_pair_table_is_pruned_of_idle_recipients() -> None:
    clock = FakeClock()
    pairs = PairLimiter(clock=clock)
    for i in range(10_000):
        pairs.reserve(f"user{i}")
        clock.now += 0.01  # 100 new users a second: the old ones refill and are forgotten
    assert len(pairs) < 4096


def test_pair_table_keeps_busy_recipients() -> None:
    clock = FakeClock()
    pairs = PairLimiter(clock=clock)
    for i in range(5000):
        pairs.reserve(f"user{i}")
    assert len(pairs) == 5000  # all still within their 6 s: none may be forgotten
    assert pairs.reserve("user0") == 0.0  # burst 3: the second message is still free


def test_registry_shares_one_pacer_per_number_and_reconfigures() -> None:
    first = pacer_for("900000000000001")
    assert pacer_for("900000000000001") is first and first.rate == 80.0
    assert pacer_for("900000000000001", 20.0) is first and first.rate == 20.0
    assert first.burst == 2.0
    assert pacer_for("900000000000002") is not first


def test_unlimited_never_waits() -> None:
    assert all(UNLIMITED.acquire("x") == 0.0 for _ in range(1000))
    assert asyncio.run(UNLIMITED.acquire_async("x")) == 0.0


@pytest.mark.parametrize("rate", [0.0, -1.0, 1000.5])
def test_bad_rates_are_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        Pacer(rate)
    with pytest.raises(ValueError):
        Pacer(10.0).configure(rate)


def test_bad_bucket_and_pair_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(1.0, 0.5)
    with pytest.raises(ValueError):
        PairLimiter(interval=0)
