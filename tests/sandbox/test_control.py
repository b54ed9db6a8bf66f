"""The /_sandbox/ control endpoints: health, log, faults, config, reset."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from easymo_core.sandbox.server import SandboxServer
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import AUTH, PHONE_ID, USER, client, text_message
from tests.sandbox.test_messages import assert_error

MESSAGES = f"/{PHONE_ID}/messages"


def test_health(control: httpx.Client, graph: httpx.Client) -> None:
    graph.post(MESSAGES, json=text_message())
    health = control.get("/health").json()
    assert health["status"] == "ok"
    assert health["phone_number_id"] == PHONE_ID
    assert health["messages_sent"] == 1
    assert health["counters"]["sends_accepted"] == 1
    assert health["pending_webhooks"] == 0


def test_log_records_every_graph_request_for_exactly_once_checks(control: httpx.Client, graph: httpx.Client) -> None:
    first = graph.post(MESSAGES, json=text_message(biz_opaque_callback_data="job-1"), headers={"Idempotency-Key": "k1"})
    graph.post(MESSAGES, json=text_message(biz_opaque_callback_data="job-1"), headers={"Idempotency-Key": "k1"})
    graph.post(MESSAGES, json=text_message(body="x" * 5000))
    graph.get(f"/{PHONE_ID}")
    log = control.get("/log").json()
    sends = [e for e in log["entries"] if e["kind"] == "send"]
    assert all(e["path"].endswith("/messages") for e in sends)
    assert [e["status"] for e in sends] == [200, 200, 400]
    assert sends[0]["wamid"] == first.json()["messages"][0]["id"]
    assert sends[0]["to"] == USER and sends[0]["type"] == "text"
    assert sends[0]["biz_opaque_callback_data"] == "job-1" and sends[0]["idempotency_key"] == "k1"
    # the same payload twice: same digest, two wamids -- a duplicate a client must avoid
    assert sends[0]["body_sha1"] == sends[1]["body_sha1"] and sends[0]["wamid"] != sends[1]["wamid"]
    assert sends[2]["code"] == 131009 and "wamid" not in sends[2]
    assert log["entries"][-1]["path"] == f"/v23.0/{PHONE_ID}" and log["entries"][-1]["status"] == 200
    since = control.get("/log", params={"since": log["entries"][1]["seq"]}).json()["entries"]
    assert [e["seq"] for e in since] == [e["seq"] for e in log["entries"][2:]]
    by_wamid = control.get("/log", params={"wamid": sends[0]["wamid"]}).json()["entries"]
    assert [e["seq"] for e in by_wamid] == [sends[0]["seq"]]
    assert control.get("/log", params={"since": "x"}).status_code == 400


def test_next_errors_then_normal(control: httpx.Client, graph: httpx.Client) -> None:
    armed = control.post("/faults", json={"next_errors": 2, "error_status": 503}).json()
    assert armed["next_errors"] == 2
    assert_error(graph.post(MESSAGES, json=text_message()), 503, 131016)
    assert_error(graph.get(f"/{PHONE_ID}"), 503, 131016)
    assert graph.post(MESSAGES, json=text_message()).status_code == 200
    assert control.get("/faults").json()["next_errors"] == 0
    log = control.get("/log").json()["entries"]
    assert [(e["kind"], e.get("fault", "")) for e in log] == [
        ("send", "error before processing"), ("request", "error before processing"), ("send", "")]
    assert "wamid" not in log[0] and "wamid" in log[2]  # refused before processing: nothing was sent


def test_error_after_processing_means_sent_but_unanswered(control: httpx.Client, graph: httpx.Client) -> None:
    control.post("/faults", json={"next_errors": 1, "when": "after"})
    assert_error(graph.post(MESSAGES, json=text_message()), 500, 131000)
    entry = control.get("/log", params={"kind": "send"}).json()["entries"][0]
    assert entry["fault"] == "error after processing" and entry["processed_status"] == 200
    assert entry["wamid"].startswith("wamid.")
    assert control.get("/messages").json()["sent"][0]["wamid"] == entry["wamid"]


@pytest.mark.parametrize("when", ["before", "after"])
def test_dropped_connection(control: httpx.Client, graph: httpx.Client, when: str) -> None:
    control.post("/faults", json={"next_drops": 1, "when": when})
    with pytest.raises(httpx.TransportError):
        graph.post(MESSAGES, json=text_message())
    assert graph.post(MESSAGES, json=text_message()).status_code == 200
    sent = control.get("/messages").json()["sent"]
    assert len(sent) == (2 if when == "after" else 1)


def test_slow_answers(make_sandbox: MakeSandbox) -> None:
    # its own sandbox: the answer it gives up on still lands later
    srv = make_sandbox()
    graph = client(srv.base_url + "/v23.0", headers=AUTH)
    control = client(srv.base_url + "/_sandbox")
    control.post("/faults", json={"next_slow": 1, "slow_seconds": 0.3})
    started = time.monotonic()
    assert graph.post(MESSAGES, json=text_message()).status_code == 200
    assert time.monotonic() - started >= 0.3
    control.post("/faults", json={"next_slow": 1, "slow_seconds": 1.0})
    with pytest.raises(httpx.ReadTimeout):
        graph.post(MESSAGES, json=text_message(), timeout=0.2)


def test_error_rate_and_clear(control: httpx.Client, graph: httpx.Client) -> None:
    control.post("/faults", json={"error_rate": 1.0})
    assert graph.post(MESSAGES, json=text_message()).status_code == 500
    assert control.post("/faults", json={"clear": True}).json()["error_rate"] == 0.0
    assert graph.post(MESSAGES, json=text_message()).status_code == 200


def test_faults_do_not_touch_control_paths(control: httpx.Client) -> None:
    control.post("/faults", json={"error_rate": 1.0, "drop_rate": 1.0})
    assert control.get("/health").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"error_rate": 2}, {"next_errors": -1}, {"when": "later"}, {"bogus": 1}, {"error_status": 404},
     {"receiver_down_seconds": "soon"}],
)
def test_bad_fault_settings_are_400(control: httpx.Client, body: dict[str, Any]) -> None:
    response = control.post("/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "SandboxControlError"


def test_config_changes_apply_at_once(control: httpx.Client, graph: httpx.Client, sandbox: SandboxServer) -> None:
    answer = control.post("/config", json={"messages_per_second": 1.0, "read_delay": [0.5, 1.0]}).json()
    assert answer["applied"] == {"messages_per_second": 1.0, "read_delay": [0.5, 1.0]}
    assert sandbox.config.read_delay == (0.5, 1.0)
    assert graph.post(MESSAGES, json=text_message()).status_code == 200
    assert graph.post(MESSAGES, json=text_message()).status_code == 429
    current = control.get("/config").json()["config"]
    assert current["messages_per_second"] == 1.0
    # Anyone on this machine may ask the control API: no secret in its answers.
    assert current["token"] == current["app_secret"] == "set"
    assert sandbox.config.token not in str(control.get("/config").json())
    assert sandbox.config.app_secret not in str(answer)
    for bad in ({"failure_rate": 1.5}, {"seed": 3}, {"nonsense": 1}, {"sent_delay": [2, 1]},
                {"webhook_url": "ftp://x"}, {"unlimited": "yes"}):
        assert control.post("/config", json=bad).status_code == 400, bad
    assert control.post("/config", content=b"[1]").status_code == 400


def test_reset_replays_the_same_ids(control: httpx.Client, graph: httpx.Client) -> None:
    before = [graph.post(MESSAGES, json=text_message()).json()["messages"][0]["id"] for _ in range(3)]
    assert control.post("/reset").json()["success"] is True
    assert control.get("/messages").json() == {"sent": [], "received": []}
    assert control.get("/log").json()["entries"] == []
    after = [graph.post(MESSAGES, json=text_message()).json()["messages"][0]["id"] for _ in range(3)]
    assert after == before


def test_add_template_errors(control: httpx.Client) -> None:
    base = {"name": "new_one", "language": "en_US", "components": [{"type": "BODY", "text": "Hi there"}]}
    assert control.post("/templates", json=base).status_code == 200
    assert control.post("/templates", json=base).status_code == 400  # exists
    assert control.post("/templates", json={**base, "name": ""}).status_code == 400
    assert control.post("/templates", json={**base, "name": "x2", "status": "NOPE"}).status_code == 400
    assert control.post("/templates", json={**base, "name": "x3", "components": "no"}).status_code == 400


def test_unknown_control_path_is_404(control: httpx.Client) -> None:
    response = control.get("/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "SandboxControlError"


def test_stop_is_quick_even_with_pending_deliveries(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(webhook_url="http://127.0.0.1:9/webhook", retry_attempts=50, retry_base=5.0, retry_cap=5.0)
    httpx.post(f"{srv.base_url}/_sandbox/inbound", json={"from": USER, "text": "hi"})
    time.sleep(0.05)
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 1.5
    assert not srv.running
