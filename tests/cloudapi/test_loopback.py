"""Real sockets on 127.0.0.1: refused connections, timeouts, dropped connections, pooling.

Timeouts are short but nothing asserts on elapsed time; retries sleep in fake time.
"""

from __future__ import annotations

import httpx
import pytest

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.errors import NetworkError, RequestTimeout, SendOutcomeUnknown
from easymo_core.cloudapi.pacing import UNLIMITED
from easymo_core.cloudapi.retry import RetryPolicy

from .fakes import PHONE_ID, TO, TOKEN, WABA_ID, FakeClock, assert_no_token
from .loopback import DROP, HANG, closed_port, loopback

SHORT = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)


def client(base_url: str, retry: RetryPolicy) -> CloudAPIClient:
    return CloudAPIClient(access_token=TOKEN, phone_number_id=PHONE_ID, waba_id=WABA_ID,
                          base_url=base_url, timeout=SHORT, retry=retry, pacer=UNLIMITED)


def test_a_refused_connection_is_retried_then_named(retry: RetryPolicy, clock: FakeClock) -> None:
    port = closed_port()
    with client(f"http://127.0.0.1:{port}", retry) as c, pytest.raises(NetworkError) as caught:
        c.send_text(TO, "hi")
    error = caught.value
    assert not error.request_sent and error.retryable
    assert f"127.0.0.1:{port}" in error.message
    assert "network" in error.explanation and "Graph URL" in error.explanation
    assert_no_token(error, error.one_line())
    assert len(clock.sleeps) == 3  # four attempts: refused means it never left, so retried


def test_a_send_whose_answer_times_out_is_unknown_and_sent_once(retry: RetryPolicy) -> None:
    with loopback(HANG) as server, client(server.base_url, retry) as c:
        with pytest.raises(SendOutcomeUnknown) as caught:
            c.send_text(TO, "hi", idempotency_key="k1")
        assert server.wait_for(1) == 1
        assert isinstance(caught.value.cause, RequestTimeout)
        assert caught.value.cause.phase == "read"
        assert caught.value.context.idempotency_key == "k1"
        # the client is still usable afterwards, on a fresh connection
        assert c.send_text(TO, "again").wamid == "wamid.LOOP2"
        assert server.wait_for(2) == 2


def test_a_send_whose_connection_drops_is_unknown_and_sent_once(retry: RetryPolicy) -> None:
    with loopback(DROP) as server, client(server.base_url, retry) as c:
        with pytest.raises(SendOutcomeUnknown) as caught:
            c.send_text(TO, "hi")
        assert server.wait_for(1) == 1
        assert isinstance(caught.value.cause, NetworkError)
        assert caught.value.cause.request_sent
        assert_no_token(caught.value, caught.value.cause)


def test_reads_retry_through_timeouts_and_drops(retry: RetryPolicy) -> None:
    with loopback(HANG, DROP) as server, client(server.base_url, retry) as c:
        assert c.phone_number_info().display_phone_number == "+1 555 010 0001"
        assert server.wait_for(3) == 3


def test_reads_give_up_after_the_attempt_limit(retry: RetryPolicy) -> None:
    with loopback(HANG, HANG, HANG, HANG) as server, client(server.base_url, retry) as c:
        with pytest.raises(RequestTimeout):
            c.phone_number_info()
        assert server.wait_for(4) == 4


def test_sends_reuse_one_pooled_connection(retry: RetryPolicy) -> None:
    with loopback() as server, client(server.base_url, retry) as c:
        wamids = [c.send_text(TO, f"m{i}").wamid for i in range(25)]
        assert len(set(wamids)) == 25
        assert server.connections == 1
