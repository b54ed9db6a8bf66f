"""Retry rules: reads retry on anything transient; a send never repeats once it may have
reached Meta."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.errors import (
    CloudAPIError,
    NetworkError,
    RateLimitError,
    RequestTimeout,
    SendOutcomeUnknown,
    ServerError,
)
from easymo_core.cloudapi.limits import PAIR_RATE_SECONDS
from easymo_core.cloudapi.retry import NO_RETRY, RetryPolicy, call_with_retry, parse_retry_after

from .fakes import TO, FakeClock, Script, assert_no_token, graph_error, sent_ok

MakeClient = Callable[..., CloudAPIClient]
PHONE = {"id": "1", "display_phone_number": "+1"}

NOT_SENT = [httpx.ConnectError("[Errno 111] Connection refused"),
            httpx.ConnectTimeout("timed out"), httpx.PoolTimeout("pool")]
MAYBE_SENT = [httpx.ReadTimeout("timed out"), httpx.WriteTimeout("timed out"),
              httpx.ReadError("[Errno 104] Connection reset by peer"),
              httpx.RemoteProtocolError("Server disconnected without sending a response."),
              httpx.WriteError("broken pipe")]


@pytest.mark.parametrize("failure", NOT_SENT, ids=lambda e: type(e).__name__)
def test_a_send_that_never_left_is_retried(make_client: MakeClient, failure: Exception) -> None:
    script = Script(failure, sent_ok("wamid.OK"))
    assert make_client(script).send_text(TO, "hi").wamid == "wamid.OK"
    assert len(script.requests) == 2
    assert script.bodies[0] == script.bodies[1]


@pytest.mark.parametrize("failure", MAYBE_SENT, ids=lambda e: type(e).__name__)
def test_a_send_that_may_have_left_is_never_retried(
    make_client: MakeClient, failure: Exception
) -> None:
    script = Script(failure, sent_ok())
    with pytest.raises(SendOutcomeUnknown) as caught:
        make_client(script).send_text(TO, "hi", biz_opaque_callback_data="outbox-1",
                                      idempotency_key="key-1")
    assert len(script.requests) == 1
    error = caught.value
    assert not error.retryable and error.attempts == 1
    assert (error.context.to, error.context.message_type) == (TO, "text")
    assert error.context.idempotency_key == "key-1"
    assert error.context.biz_opaque_callback_data == "outbox-1"
    assert isinstance(error.cause, NetworkError | RequestTimeout)
    assert error.cause.request_sent
    assert_no_token(error, error.cause)


def test_unknown_after_a_refused_first_attempt_counts_attempts(make_client: MakeClient) -> None:
    script = Script(graph_error(130429, 429), httpx.ReadTimeout("timed out"))
    with pytest.raises(SendOutcomeUnknown) as caught:
        make_client(script).send_text(TO, "hi")
    assert caught.value.attempts == 2 and len(script.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_failure_without_envelope_on_a_send_is_unknown(
    make_client: MakeClient, status: int
) -> None:
    script = Script(httpx.Response(status, content=b"<html>upstream error</html>"), sent_ok())
    with pytest.raises(SendOutcomeUnknown) as caught:
        make_client(script).send_text(TO, "hi")
    assert isinstance(caught.value.cause, ServerError)
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "refusal",
    [graph_error(130429, 429), graph_error(131016, 503), graph_error(131000, 500),
     graph_error(80007, 429), graph_error(4, 400), httpx.Response(429, content=b"slow down")],
)
def test_a_send_refused_with_a_retryable_answer_is_retried(
    make_client: MakeClient, refusal: httpx.Response
) -> None:
    script = Script(refusal, sent_ok("wamid.2"))
    assert make_client(script).send_text(TO, "hi").wamid == "wamid.2"
    assert len(script.requests) == 2


@pytest.mark.parametrize("code", [131047, 131026, 131048, 131049, 132001, 190, 368])
def test_a_final_refusal_is_not_retried(make_client: MakeClient, code: int) -> None:
    script = Script(graph_error(code, 401 if code == 190 else 400), sent_ok())
    with pytest.raises(CloudAPIError) as caught:
        make_client(script).send_text(TO, "hi")
    assert not caught.value.retryable and len(script.requests) == 1


def test_backoff_grows_with_full_jitter_up_to_the_attempt_limit(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(graph_error(131016, 503))
    with pytest.raises(ServerError):
        make_client(script).send_text(TO, "hi")
    assert len(script.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]  # the fixture's jitter always draws its maximum


def test_jitter_spans_zero_to_the_ceiling() -> None:
    low = RetryPolicy(random=lambda: 0.0)
    high = RetryPolicy(random=lambda: 0.999, base_delay=1.0, max_delay=5.0)
    assert [low.backoff(n) for n in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert [round(high.backoff(n), 3) for n in (1, 2, 3, 4, 5)] == [0.999, 1.998, 3.996, 4.995,
                                                                    4.995]


def test_retry_after_is_a_floor(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(graph_error(130429, 429, headers={"Retry-After": "7"}), sent_ok())
    make_client(script).send_text(TO, "hi")
    assert clock.sleeps == [7.0]


def test_the_pair_limit_waits_its_interval(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(graph_error(131056, 429), sent_ok())
    make_client(script).send_text(TO, "hi")
    assert clock.sleeps == [PAIR_RATE_SECONDS]


def test_the_time_budget_stops_retries(clock: FakeClock, make_client: MakeClient) -> None:
    policy = RetryPolicy(max_attempts=10, max_total_seconds=3.0, base_delay=1.0, max_delay=8.0,
                         sleep=clock.sleep, clock=clock, random=lambda: 1.0)
    script = Script(graph_error(2, 500))
    with pytest.raises(ServerError):
        make_client(script, retry=policy).phone_number_info()
    # waits 1 + 2 = 3 s; the next wait (4 s) would cross the budget
    assert clock.sleeps == [1.0, 2.0] and len(script.requests) == 3


def test_a_retry_after_beyond_the_budget_gives_up_at_once(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(graph_error(80007, 429, headers={"Retry-After": "3600"}), sent_ok())
    with pytest.raises(RateLimitError) as caught:
        make_client(script).send_text(TO, "hi")
    assert caught.value.retry_after == 3600.0
    assert clock.sleeps == [] and len(script.requests) == 1


def test_no_retry_policy_makes_one_attempt(make_client: MakeClient) -> None:
    script = Script(graph_error(131016, 503), sent_ok())
    with pytest.raises(ServerError):
        make_client(script, retry=NO_RETRY).send_text(TO, "hi")
    assert len(script.requests) == 1


@pytest.mark.parametrize("failure", NOT_SENT + MAYBE_SENT, ids=lambda e: type(e).__name__)
def test_reads_retry_on_every_transport_failure(
    make_client: MakeClient, failure: Exception
) -> None:
    script = Script(failure, httpx.Response(200, json=PHONE))
    assert make_client(script).phone_number_info().id == "1"
    assert len(script.requests) == 2


@pytest.mark.parametrize("answer", [httpx.Response(502, content=b"bad gateway"),
                                    graph_error(1, 500), graph_error(131000, 500)])
def test_reads_retry_on_server_failures(make_client: MakeClient, answer: httpx.Response) -> None:
    script = Script(answer, httpx.Response(200, json={"success": True}))
    assert make_client(script).delete_template("t") is True
    assert len(script.requests) == 2
    assert script.requests[0].url == script.requests[1].url


def test_reads_give_up_with_the_last_error(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    with pytest.raises(RequestTimeout) as caught:
        make_client(script).phone_number_info()
    assert caught.value.phase == "read" and len(script.requests) == 4


def test_template_creation_is_not_repeated_once_it_may_have_arrived(
    make_client: MakeClient,
) -> None:
    definition = {"name": "t", "language": "en", "category": "UTILITY", "components": [{}]}
    for answer in (httpx.ReadTimeout("timed out"), httpx.Response(502, content=b"bad gateway")):
        script = Script(answer, httpx.Response(200, json={"id": "1"}))
        with pytest.raises(CloudAPIError) as caught:
            make_client(script).create_template(definition)
        assert not caught.value.retryable and len(script.requests) == 1
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json={"id": "1"}))
    assert make_client(script).create_template(definition)["id"] == "1"


class RecordingPacer:
    def __init__(self) -> None:
        self.calls: list[str | None] = []

    def acquire(self, recipient: str | None = None) -> float:
        self.calls.append(recipient)
        return 0.0


def test_every_attempt_is_paced_and_only_the_first_counts_for_the_pair(
    make_client: MakeClient,
) -> None:
    pacer = RecordingPacer()
    script = Script(graph_error(130429, 429), graph_error(130429, 429), sent_ok())
    make_client(script, pacer=pacer).send_text(TO, "hi")
    assert pacer.calls == [TO, None, None]


def test_call_with_retry_passes_attempt_numbers(clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=3, sleep=clock.sleep, clock=clock, random=lambda: 0.5)
    seen: list[int] = []

    def attempt(number: int) -> str:
        seen.append(number)
        if number < 3:
            raise NetworkError("h", "down", request_sent=False, retryable=True)
        return "done"

    assert call_with_retry(policy, attempt) == "done" and seen == [1, 2, 3]


def test_a_bad_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("5", 5.0), (" 2.5 ", 2.5), ("-3", 0.0), ("soon", None),
     ("nan", None), ("inf", None),
     ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert parse_retry_after(header, now=now) == expected


def test_the_request_body_is_identical_on_every_attempt(make_client: MakeClient) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.ConnectError("refused"), sent_ok())
    make_client(script).send_template(TO, "t", "en", body=["Ana"])
    bodies = {json.dumps(b, sort_keys=True) for b in script.bodies}
    assert len(script.requests) == 3 and len(bodies) == 1
