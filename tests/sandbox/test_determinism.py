"""Same seed, same decisions: ids, failures, delays, reads and replies replay exactly."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import AUTH, PHONE_ID, Receiver, buttons_message, template_message, wait_until

MESSAGES = f"/{PHONE_ID}/messages"
USERS = [f"1555200{i:04d}" for i in range(12)]
# Every message gets a visible fate: failures, unread ones and replies all happen.
RANDOM_FATES: dict[str, Any] = {
    "failure_rate": 0.3, "read_rate": 0.5, "reply_rate": 0.5, "text_reply_rate": 0.3,
    "sent_delay": (0.0, 0.02), "delivered_delay": (0.0, 0.02), "read_delay": (0.0, 0.02),
    "reply_delay": (0.0, 0.02),
}


def run(make_sandbox: MakeSandbox, seed: int) -> dict[str, Any]:
    """Send the same sequence and collect every decision the sandbox made."""
    receiver = Receiver()
    try:
        srv = make_sandbox(seed=seed, webhook_url=receiver.url, **RANDOM_FATES)
        with httpx.Client(base_url=srv.base_url, headers=AUTH) as client:
            for user in USERS:
                client.post("/_sandbox/inbound", json={"from": user, "text": "hi"})
            wamids = []
            for user in USERS:
                for payload in (template_message("hello_world", to=user), buttons_message(to=user)):
                    wamids.append(client.post(f"/v23.0{MESSAGES}", json=payload).json()["messages"][0]["id"])

            def settled() -> bool:
                health = client.get("/_sandbox/health").json()
                return health["pending_events"] == 0 and health["pending_webhooks"] == 0

            wait_until(settled, what="every planned status and reply")
            sent = client.get("/_sandbox/messages").json()
        return {
            "wamids": wamids,
            "fates": [(m["wamid"], m["status"], m["error_code"], sorted(m["timestamps"])) for m in sent["sent"]],
            "replies": sorted(
                (m["from"], m["context_id"], m["type"], str(m["content"])) for m in sent["received"] if m["context_id"]
            ),
            "trace": httpx.get(f"{srv.base_url}/v23.0/{PHONE_ID}").json()["error"]["fbtrace_id"],
        }
    finally:
        receiver.close()


def test_same_seed_same_decisions(make_sandbox: MakeSandbox) -> None:
    first = run(make_sandbox, seed=11)
    second = run(make_sandbox, seed=11)
    assert first == second
    statuses = {fate[1] for fate in first["fates"]}
    assert {"failed", "read"} <= statuses  # the run did exercise the random paths
    assert first["replies"]


def test_other_seed_other_decisions(make_sandbox: MakeSandbox) -> None:
    first = run(make_sandbox, seed=11)
    other = run(make_sandbox, seed=12)
    assert first["wamids"] != other["wamids"]
    assert [f[1:] for f in first["fates"]] != [f[1:] for f in other["fates"]]
