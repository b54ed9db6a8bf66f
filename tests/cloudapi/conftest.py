"""Fixtures of the Cloud API client tests: fake time and a client factory on a MockTransport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.pacing import UNLIMITED
from easymo_core.cloudapi.retry import RetryPolicy

from .fakes import BASE, PHONE_ID, TOKEN, WABA_ID, FakeClock, Script


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def retry(clock: FakeClock) -> RetryPolicy:
    """Four attempts, 30 s budget, in fake time; the jitter draws its maximum."""
    return RetryPolicy(max_attempts=4, max_total_seconds=30.0, base_delay=0.5, max_delay=8.0,
                       sleep=clock.sleep, clock=clock,
                       random=lambda: 1.0)


@pytest.fixture
def make_client(retry: RetryPolicy) -> Iterator[Callable[..., CloudAPIClient]]:
    clients: list[CloudAPIClient] = []

    def make(script: Script, **overrides: Any) -> CloudAPIClient:
        options: dict[str, Any] = dict(
            access_token=TOKEN, phone_number_id=PHONE_ID, waba_id=WABA_ID, base_url=BASE,
            graph_version="v23.0", retry=retry, pacer=UNLIMITED, transport=script.transport(),
        )
        options.update(overrides)
        client = CloudAPIClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
