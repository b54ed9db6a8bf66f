from __future__ import annotations

import json

import pytest

from easymo_core.cloudapi.error_codes import CODES, ErrorFamily, explain
from easymo_core.cloudapi.errors import (
    AuthenticationError,
    CloudAPIError,
    GraphAPIError,
    MalformedResponseError,
    MediaError,
    NetworkError,
    ParameterError,
    PayloadError,
    PermissionDeniedError,
    PolicyError,
    RateLimitError,
    RecipientError,
    RequestTimeout,
    SendContext,
    SendOutcomeUnknown,
    ServerError,
    TemplateError,
    error_from_payload,
    error_from_response,
)
from easymo_core.cloudapi.limits import PAIR_RATE_SECONDS
from easymo_core.errors import EasymoError

from .fakes import TOKEN, assert_no_token

# Every code of CLOUDAPI.md §5, with the family and retry flag easymo gives it.
SECTION_5 = {
    0: (AuthenticationError, False),
    3: (PermissionDeniedError, False),
    10: (PermissionDeniedError, False),
    200: (PermissionDeniedError, False),
    250: (PermissionDeniedError, False),
    299: (PermissionDeniedError, False),
    190: (AuthenticationError, False),
    4: (RateLimitError, True),
    80007: (RateLimitError, True),
    130429: (RateLimitError, True),
    131048: (RateLimitError, False),
    131056: (RateLimitError, True),
    368: (PolicyError, False),
    131000: (ServerError, True),
    131005: (PermissionDeniedError, False),
    131008: (ParameterError, False),
    131009: (ParameterError, False),
    131016: (ServerError, True),
    131021: (RecipientError, False),
    131026: (RecipientError, False),
    131030: (RecipientError, False),
    131031: (PolicyError, False),
    131042: (PolicyError, False),
    131047: (RecipientError, False),
    131049: (RateLimitError, False),
    131051: (ParameterError, False),
    131052: (MediaError, False),
    131053: (MediaError, False),
    132000: (TemplateError, False),
    132001: (TemplateError, False),
    132005: (TemplateError, False),
    132007: (PolicyError, False),
    132008: (TemplateError, False),
    132012: (TemplateError, False),
    132015: (TemplateError, False),
    132016: (TemplateError, False),
    133010: (PermissionDeniedError, False),
    135000: (ParameterError, False),
    # not in §5, but Graph-wide
    1: (ServerError, True),
    2: (ServerError, True),
    100: (ParameterError, False),
}


def envelope(code: int, **fields: object) -> dict[str, object]:
    error: dict[str, object] = {"message": f"(#{code}) something", "type": "OAuthException",
                                "code": code, "fbtrace_id": "A1b2"}
    error.update(fields)
    return {"error": error}


@pytest.mark.parametrize("code", sorted(SECTION_5))
@pytest.mark.parametrize("status", [400, 500])
def test_every_section_5_code_maps_to_its_family(code: int, status: int) -> None:
    family, retryable = SECTION_5[code]
    body = json.dumps(envelope(code, error_subcode=2494010,
                               error_data={"details": "the details"})).encode()
    error = error_from_response(status, body)
    assert type(error) is family
    assert isinstance(error, GraphAPIError) and isinstance(error, EasymoError)
    assert error.retryable is retryable
    assert error.explanation and "\n" not in error.explanation
    assert error.explanation == explain(code) == error.hint
    assert (error.code, error.subcode, error.http_status) == (code, 2494010, status)
    assert (error.details, error.fbtrace_id, error.error_type) == (
        "the details", "A1b2", "OAuthException")
    assert f"code {code}/2494010, HTTP {status}" in error.message
    assert "the details" in error.message and error.explanation in error.one_line()


def test_table_entries_are_one_line_each_with_a_family_class() -> None:
    for code, info in CODES.items():
        assert info.explanation.strip() and "\n" not in info.explanation, code
        error = error_from_payload({"code": code, "message": "m"}, http_status=400)
        assert error.family is info.family


def test_unknown_codes_fall_back_on_the_http_status() -> None:
    assert type(error_from_response(500, envelope(999999))) is ServerError
    assert error_from_response(500, envelope(999999)).retryable
    assert type(error_from_response(429, envelope(999999))) is RateLimitError
    assert type(error_from_response(401, envelope(999999))) is AuthenticationError
    assert type(error_from_response(403, envelope(999999))) is PermissionDeniedError
    other = error_from_response(400, envelope(999999))
    assert type(other) is GraphAPIError and other.family is ErrorFamily.OTHER
    assert not other.retryable
    assert "999999" in explain(999999) and other.explanation == explain(999999)


def test_meta_transient_flag_makes_an_unknown_code_retryable() -> None:
    assert error_from_response(400, envelope(999999, is_transient=True)).retryable
    assert not error_from_response(400, envelope(999999, is_transient=False)).retryable


def test_retry_after_is_kept_and_the_pair_limit_waits_at_least_its_interval() -> None:
    assert error_from_response(429, envelope(130429), retry_after=3.0).retry_after == 3.0
    assert error_from_response(429, envelope(131056)).retry_after == PAIR_RATE_SECONDS
    assert error_from_response(429, envelope(131056), retry_after=20.0).retry_after == 20.0


def test_webhook_error_entries_map_like_envelopes() -> None:
    entry = {"code": 131026, "title": "Message undeliverable",
             "message": "Message undeliverable", "error_data": {"details": "not on WhatsApp"}}
    error = error_from_payload(entry)
    assert isinstance(error, RecipientError) and error.http_status is None
    assert error.graph_message == "Message undeliverable" and error.details == "not on WhatsApp"
    assert error_from_payload({"code": 131047, "title": "Re-engagement"}).graph_message == (
        "Re-engagement")


def test_error_user_msg_stands_in_for_missing_details() -> None:
    error = error_from_response(400, envelope(100, error_user_msg="The name is taken"))
    assert error.details == "The name is taken"


@pytest.mark.parametrize(
    ("status", "body", "family", "retryable", "fragment"),
    [
        (502, b"<html><body>Bad Gateway</body></html>", ServerError, True, "Bad Gateway"),
        (503, b"", ServerError, True, "empty body"),
        (404, b"Not Found", MalformedResponseError, False, "Not Found"),
        (400, b'{"error": {"code": 1', MalformedResponseError, False, "not a Graph API"),
        (400, b'{"data": []}', MalformedResponseError, False, "not a Graph API"),
        (400, b'["error"]', MalformedResponseError, False, "not a Graph API"),
        (200, b"\xff\xfe garbage", MalformedResponseError, False, "garbage"),
        (429, b"slow down", RateLimitError, True, "slow down"),
        (401, b"", AuthenticationError, False, "HTTP 401"),
    ],
)
def test_bodies_without_an_envelope(
    status: int, body: bytes, family: type[GraphAPIError], retryable: bool, fragment: str
) -> None:
    error = error_from_response(status, body, host="graph.test")
    assert type(error) is family
    assert error.retryable is retryable
    assert error.code is None and error.http_status == status
    assert fragment in error.message and "graph.test" in error.message
    assert error.explanation


def test_a_wrong_url_answer_points_at_the_profile() -> None:
    error = error_from_response(404, b"<h1>404</h1>", host="example.org")
    assert "Graph URL" in error.explanation


def test_long_bodies_are_cut_to_one_short_line() -> None:
    error = error_from_response(502, b"line\n" * 10_000)
    assert "\n" not in error.message and len(error.message) < 250


def test_a_mapping_body_is_accepted() -> None:
    assert isinstance(error_from_response(400, envelope(131047)), RecipientError)


def test_the_token_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    echoed = envelope(190, message=f"Invalid OAuth access token {TOKEN}",
                      error_data={"details": f"token={TOKEN}"})
    error = error_from_response(401, json.dumps(echoed), secrets=[TOKEN])
    page = error_from_response(502, f"<p>Authorization: Bearer {TOKEN}</p>".encode(),
                               secrets=[TOKEN])
    # A token that straddles the snippet's cut must not leave a visible half.
    cut = error_from_response(502, ("x" * 100 + TOKEN).encode(), secrets=[TOKEN])
    for err in (error, page, cut):
        assert_no_token(err, err.message, err.one_line(), err.args, err.details,
                        err.graph_message)
        assert TOKEN[:12] not in err.message
    assert "[REDACTED]" in error.message


def test_transport_errors_name_the_host_and_what_to_check() -> None:
    error = NetworkError("graph.facebook.com", "[Errno 111] Connection refused",
                         request_sent=False, retryable=True)
    assert "graph.facebook.com" in error.message and "Connection refused" in error.message
    assert "network" in error.explanation and "Graph URL" in error.explanation
    dropped = NetworkError("h", "reset", request_sent=True, retryable=False)
    assert "dropped" in dropped.message
    timeout = RequestTimeout("h:1", "read", 2.5, request_sent=True, retryable=False)
    assert "2.5 s" in timeout.message and "read" in timeout.message
    assert isinstance(timeout, CloudAPIError)


def test_send_outcome_unknown_carries_the_context_and_is_final() -> None:
    context = SendContext("100", "15551234567", "text", "outbox-7", "outbox-7")
    cause = RequestTimeout("h", "read", 1.0, request_sent=True, retryable=False)
    error = SendOutcomeUnknown(context, cause, attempts=2)
    assert not error.retryable
    assert error.context.idempotency_key == "outbox-7" and error.attempts == 2
    assert error.cause is cause and "may or may not" in error.message
    assert "twice" in error.explanation


def test_payload_error_is_a_value_error_with_its_figures() -> None:
    error = PayloadError("button 2 title is 23 characters; the limit is 20",
                         field="button 2 title", value_length=23, limit=20)
    assert isinstance(error, ValueError) and isinstance(error, EasymoError)
    assert (error.field, error.value_length, error.limit, error.count) == (
        "button 2 title", 23, 20, None)
    assert error.message == "button 2 title is 23 characters; the limit is 20"
    assert str(error).startswith(error.message)
