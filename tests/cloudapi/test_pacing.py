"""Pacing in fake time: exact waits, no wall clock."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from easymo_core.cloudapi.limits import PAIR_BURST, PAIR_RATE_SECONDS
from easymo_core.cloudapi.pacing import (
    UNLIMITED,
    Pacer,
    Pacers,
    PairLimiter,
    TokenBucket,
    default_burst,
)

from .fakes import FakeClock


def paced(clock: FakeClock, rate: float, burst: float | None = None) -> Pacer:
    return Pacer(rate, burst, clock=clock, sleep=clock.sleep)


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


def test_a_burst_of_up_to_45_goes_at_once_and_is_paid_back_before_the_next() -> None:
    clock = FakeClock()
    pacer = paced(clock, 1000.0, burst=1000)
    assert PAIR_BURST == 45
    waits = [pacer.acquire("15551234567") for _ in range(PAIR_BURST)]
    assert waits == [0.0] * PAIR_BURST
    # The 46th waits until the 45 borrowed intervals are paid back (45 × 6 s = 270 s).
    assert pacer.acquire("15551234567") == pytest.approx(PAIR_BURST * PAIR_RATE_SECONDS)
    # another user is not held back by the first one's wait
    assert pacer.acquire("15557654321") == 0.0


def test_after_a_burst_of_20_the_next_message_waits_about_two_minutes() -> None:
    clock = FakeClock()
    pairs = PairLimiter(clock=clock)
    assert [pairs.reserve("u") for _ in range(20)] == [0.0] * 20
    clock.now += PAIR_RATE_SECONDS  # the burst's 6 s are over: the 21st may not join it
    assert pairs.reserve("u") == pytest.approx(20 * PAIR_RATE_SECONDS - PAIR_RATE_SECONDS)


def test_one_message_per_interval_never_waits() -> None:
    clock = FakeClock()
    pairs = PairLimiter(clock=clock)
    for _ in range(100):
        assert pairs.reserve("u") == 0.0
        clock.now += PAIR_RATE_SECONDS


def test_a_burst_lasts_one_interval_and_borrows_for_each_message() -> None:
    clock = FakeClock()
    pairs = PairLimiter(interval=6.0, burst=45, clock=clock)
    assert pairs.reserve("u") == 0.0
    clock.now += 5.0
    assert pairs.reserve("u") == 0.0  # still within the burst's 6 s
    clock.now += 2.0  # 7 s after the burst began: two messages owe 12 s, 5 s remain
    assert pairs.reserve("u") == pytest.approx(5.0)


def test_reservations_queued_behind_a_debt_go_together_once_it_is_paid() -> None:
    clock = FakeClock()  # frozen: every caller reserves at the same moment
    pairs = PairLimiter(interval=6.0, burst=2, clock=clock)
    waits = [pairs.reserve("u") for _ in range(6)]
    # two now, then each pair of two after the previous pair's 12 s are paid
    assert waits == pytest.approx([0.0, 0.0, 12.0, 12.0, 24.0, 24.0])


def test_pair_wait_comes_before_the_throughput_slot() -> None:
    clock = FakeClock()
    pacer = Pacer(1.0, 1, pair_burst=3, clock=clock, sleep=clock.sleep)
    waits = [pacer.acquire("a") for _ in range(4)]
    # 1/s throughput makes the 2nd and 3rd wait 1 s; the 4th waits for the pair slot only
    # (3 × 6 s after the burst began, 16 s from now), by when a throughput token has long
    # refilled (taking it earlier would add a 1 s wait).
    assert waits == pytest.approx([0.0, 1.0, 1.0, 16.0])
    assert clock.sleeps == pytest.approx([1.0, 1.0, 16.0])


def test_without_a_recipient_only_throughput_counts() -> None:
    clock = FakeClock()
    pacer = paced(clock, 1000.0, burst=1000)
    assert all(pacer.acquire(None) == 0.0 for _ in range(50))


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
        clock.now += 0.01  # 100 new users a second: the old ones pay back and are forgotten
    assert len(pairs) < 4096


def test_pair_table_keeps_busy_recipients() -> None:
    clock = FakeClock()
    pairs = PairLimiter(clock=clock)
    for i in range(5000):
        pairs.reserve(f"user{i}")
    assert len(pairs) == 5000  # all still within their 6 s: none may be forgotten
    assert pairs.reserve("user0") == 0.0  # the second message still joins user0's burst


def test_pacers_share_one_pacer_per_number_and_reconfigure() -> None:
    pacers = Pacers()
    first = pacers.for_number("900000000000001")
    assert pacers.for_number("900000000000001") is first and first.rate == 80.0
    assert pacers.for_number("900000000000001", 20.0) is first and first.rate == 20.0
    assert first.burst == 2.0
    assert pacers.for_number("900000000000002") is not first
    # another holder (another Services, another test) starts afresh
    assert Pacers().for_number("900000000000001") is not first


def test_unlimited_never_waits() -> None:
    assert all(UNLIMITED.acquire("x") == 0.0 for _ in range(1000))


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


def test_services_share_a_pacer_only_through_the_pacers_they_are_given(tmp_path: Any) -> None:
    from easymo_core.config import sandbox_profile
    from easymo_core.services import Services
    from easymo_core.storage.engine import Database

    def opened(pacers: Pacers | None) -> Services:
        return Services.open(sandbox_profile(), db=Database(f"sqlite:///{tmp_path / 'x.db'}"),
                             pacers=pacers)

    shared = Pacers()
    first, second, alone = opened(shared), opened(shared), opened(None)
    try:
        assert first.client.pacer is second.client.pacer
        assert alone.client.pacer is not first.client.pacer
    finally:
        for services in (first, second, alone):
            services.close()
