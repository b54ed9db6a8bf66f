"""`easymo sandbox serve` and `easymo sandbox inbound`, through click's CliRunner."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from easymo_core.cli import sandbox_cmd
from easymo_core.sandbox.server import SandboxServer
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import AUTH, PHONE_ID, USER, Receiver, buttons_message, list_message, wait_until


def test_serve_prints_its_values_serves_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    real_wait = sandbox_cmd.wait_until_interrupted

    def use_then_interrupt(server: SandboxServer) -> None:
        # the server is up while serve waits: use it, then press Ctrl-C
        seen["health"] = httpx.get(f"{server.base_url}/_sandbox/health").json()
        seen["phone"] = httpx.get(f"{server.base_url}/v23.0/777", headers={"Authorization": "Bearer tok-1"}).json()
        seen["server"] = server
        monkeypatch.setattr(sandbox_cmd.time, "sleep", interrupt)
        real_wait(server)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_cmd, "wait_until_interrupted", use_then_interrupt)
    result = CliRunner().invoke(sandbox_cmd.sandbox, [
        "serve", "--port", "0", "--token", "tok-1", "--app-secret", "sec-1", "--phone-number-id", "777",
        "--waba-id", "888", "--seed", "5", "--no-webhooks", "--review-delay", "0.5",
    ])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "tok-1  (sandbox value, not a secret)" in out
    assert "sec-1  (sandbox value, not a secret)" in out
    assert "777" in out and "888" in out and "seed" in out and "none (webhooks off)" in out
    assert out.rstrip().endswith("sandbox stopped")
    assert seen["health"]["phone_number_id"] == "777" and seen["health"]["waba_id"] == "888"
    assert seen["phone"]["id"] == "777"
    assert re.search(rf"base URL\s+{re.escape(seen['server'].base_url)}\n", out)
    assert not seen["server"].running


def test_serve_defaults_come_from_sandbox_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict[str, Any] = {}

    class FakeServer:
        def __init__(self, config: Any) -> None:
            captured["config"] = config
            self.config = config
            self.base_url = "http://127.0.0.1:1"
            self.running = False

        def start(self) -> None:
            pass

        def stop(self) -> None:
            captured["stopped"] = True

    monkeypatch.setattr(sandbox_cmd, "SandboxServer", FakeServer)
    result = CliRunner().invoke(sandbox_cmd.sandbox, ["serve"])
    assert result.exit_code == 0, result.output
    config = captured["config"]
    from easymo_core.config import sandbox_defaults as d

    assert (config.port, config.token, config.app_secret, config.phone_number_id, config.waba_id, config.seed) == (
        d.SANDBOX_PORT, d.SANDBOX_TOKEN, d.SANDBOX_APP_SECRET, d.SANDBOX_PHONE_NUMBER_ID, d.SANDBOX_WABA_ID,
        d.SANDBOX_SEED)
    assert config.webhook_url == f"http://{d.SANDBOX_HOST}:{d.WEBHOOK_PORT}/webhook"
    assert captured["stopped"]


def test_serve_reports_a_busy_port(sandbox: SandboxServer) -> None:
    result = CliRunner().invoke(sandbox_cmd.sandbox, ["serve", "--port", str(sandbox.port)])
    assert result.exit_code == 1
    assert "could not listen" in result.output and "Traceback" not in result.output


def test_serve_refuses_a_bad_webhook_url() -> None:
    result = CliRunner().invoke(sandbox_cmd.sandbox, ["serve", "--webhook-url", "localhost:9"])
    assert result.exit_code == 1 and "--webhook-url" in result.output


def test_inbound_text(make_sandbox: MakeSandbox, receiver: Receiver) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    result = CliRunner().invoke(sandbox_cmd.sandbox, [
        "inbound", "--url", srv.base_url, "--from", "+1 555 123 0001", "--name", "Ana", "--text", "Hello"])
    assert result.exit_code == 0, result.output
    assert re.search(r"text message wamid\.\S+ from 15551230001", result.output)
    assert "24-hour window open until" in result.output and "webhook posted" in result.output
    message = wait_until(receiver.inbound, what="inbound webhook")[0]
    assert message["text"] == {"body": "Hello"}


def test_serve_help_lists_the_fault_knobs() -> None:
    result = CliRunner().invoke(sandbox_cmd.sandbox, ["serve", "--help"])
    assert result.exit_code == 0
    for knob in ("--error-rate", "--error-status", "--slow-rate", "--slow-seconds", "--drop-rate",
                 "--faults-after", "--duplicate-rate", "--out-of-order-rate", "--receiver-down",
                 "--delivered-skip-rate", "--failure-rate", "--seed", "--review-delay"):
        assert knob in result.output, knob


def test_serve_passes_the_fault_knobs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def look_then_stop(server: SandboxServer) -> None:
        seen["faults"] = httpx.get(f"{server.base_url}/_sandbox/faults").json()
        seen["config"] = httpx.get(f"{server.base_url}/_sandbox/config").json()["config"]

    monkeypatch.setattr(sandbox_cmd, "wait_until_interrupted", look_then_stop)
    result = CliRunner().invoke(sandbox_cmd.sandbox, [
        "serve", "--port", "0", "--no-webhooks", "--error-rate", "0.25", "--error-status", "503",
        "--slow-rate", "0.5", "--slow-seconds", "0.2", "--drop-rate", "0.1", "--faults-after",
        "--duplicate-rate", "0.3", "--out-of-order-rate", "0.4", "--delivered-skip-rate", "0.05",
        "--receiver-down", "30", "--webhook-version", "v24.0"])
    assert result.exit_code == 0, result.output
    faults = seen["faults"]
    assert (faults["error_rate"], faults["error_status"], faults["slow_rate"], faults["slow_seconds"],
            faults["drop_rate"], faults["when"]) == (0.25, 503, 0.5, 0.2, 0.1, "after")
    assert faults["receiver_down_seconds"] > 20
    config = seen["config"]
    assert (config["duplicate_rate"], config["out_of_order_rate"], config["delivered_skip_rate"],
            config["webhook_version"]) == (0.3, 0.4, 0.05, "v24.0")


def test_inbound_media_location_reaction_and_contacts(
    make_sandbox: MakeSandbox, receiver: Receiver, tmp_path: Any
) -> None:
    srv = make_sandbox(webhook_url=receiver.url)
    wamid = httpx.post(f"{srv.base_url}/v23.0/{PHONE_ID}/messages", headers=AUTH, json={
        "messaging_product": "whatsapp", "to": USER, "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}}}).json()["messages"][0]["id"]
    photo = tmp_path / "cat.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n a cat")
    runs = [
        ["--media", "image", "--file", str(photo), "--caption", "My cat"],
        ["--media", "document", "--filename", "invoice.pdf"],
        ["--media", "audio"],
        ["--media", "video", "--caption", "clip"],
        ["--location", "37.44,-122.16", "--place", "Philz Coffee", "--address", "101 Forest Ave"],
        ["--reaction", "👍", "--to", wamid],
        ["--contact", "Lucía Gómez=+1 983 555 2319", "--contact", "Bo"],
        ["--order", "shirt-1:2:30", "--order", "cap-7:1:12.5", "--currency", "EUR"],
    ]
    for args in runs:
        result = CliRunner().invoke(sandbox_cmd.sandbox, ["inbound", "--url", srv.base_url, "--from", USER, *args])
        assert result.exit_code == 0, result.output
    messages = wait_until(receiver.inbound, until=lambda m: len(m) == len(runs), what="inbound webhooks")
    assert [m["type"] for m in messages] == ["image", "document", "audio", "video", "location", "reaction",
                                             "contacts", "order"]
    image = messages[0]["image"]
    assert image["caption"] == "My cat" and image["mime_type"] == "image/png"
    url = httpx.get(f"{srv.base_url}/v23.0/{image['id']}", headers=AUTH).json()["url"]
    assert httpx.get(url, headers=AUTH).content == photo.read_bytes()
    assert messages[1]["document"]["filename"] == "invoice.pdf"
    assert messages[4]["location"] == {"latitude": 37.44, "longitude": -122.16, "name": "Philz Coffee",
                                       "address": "101 Forest Ave"}
    assert messages[5]["reaction"] == {"message_id": wamid, "emoji": "👍"}
    assert [c["name"]["formatted_name"] for c in messages[6]["contacts"]] == ["Lucía Gómez", "Bo"]
    assert messages[6]["contacts"][0]["phones"][0]["wa_id"] == "19835552319"
    items = messages[7]["order"]["product_items"]
    assert [(i["product_retailer_id"], i["quantity"], i["item_price"], i["currency"]) for i in items] == [
        ("shirt-1", 2, 30.0, "EUR"), ("cap-7", 1, 12.5, "EUR")]


def test_inbound_button_and_list_replies(sandbox: SandboxServer, control: Any) -> None:
    control.post("/inbound", json={"from": USER, "text": "hi"})
    with httpx.Client(base_url=sandbox.base_url + "/v23.0", headers=AUTH) as graph:
        buttons = graph.post(f"/{PHONE_ID}/messages", json=buttons_message()).json()["messages"][0]["id"]
        listing = graph.post(f"/{PHONE_ID}/messages", json=list_message()).json()["messages"][0]["id"]
    runner = CliRunner()
    tapped = runner.invoke(sandbox_cmd.sandbox, ["inbound", "--url", sandbox.base_url, "--from", USER,
                                                 "--button-id", "yes", "--to", buttons])
    assert tapped.exit_code == 0, tapped.output
    assert "interactive message" in tapped.output and f"replying to {buttons}" in tapped.output
    picked = runner.invoke(sandbox_cmd.sandbox, ["inbound", "--url", sandbox.base_url, "--from", USER,
                                                 "--list-id", "pm", "--title", "Later", "--to", listing])
    assert picked.exit_code == 0, picked.output
    received = control.get("/messages").json()["received"]
    assert received[1]["content"] == {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}
    assert received[2]["content"]["list_reply"] == {"id": "pm", "title": "Later", "description": ""}
    wrong = runner.invoke(sandbox_cmd.sandbox, ["inbound", "--url", sandbox.base_url, "--from", USER,
                                                "--button-id", "nope", "--to", buttons])
    assert wrong.exit_code == 1 and "nope" in wrong.output and len(wrong.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--from", USER],
        ["--from", USER, "--text", "a", "--button-id", "b", "--to", "wamid.X"],
        ["--from", USER, "--button-id", "b"],
        ["--from", USER, "--reaction", "x"],
        ["--from", USER, "--location", "north"],
        ["--from", USER, "--text", "a", "--media", "image"],
    ],
)
def test_inbound_user_errors_exit_1(args: list[str]) -> None:
    result = CliRunner().invoke(sandbox_cmd.sandbox, ["inbound", "--url", "http://127.0.0.1:9", *args])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")


def test_inbound_without_a_sandbox_says_how_to_start_one() -> None:
    result = CliRunner().invoke(sandbox_cmd.sandbox, ["inbound", "--url", "http://127.0.0.1:9", "--from", USER,
                                                      "--text", "hi"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no sandbox at http://127.0.0.1:9: start it with `easymo sandbox serve`"
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_process_stops_cleanly_on_a_signal(sig: signal.Signals) -> None:
    script = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # as in a terminal
        "from easymo_core.cli.sandbox_cmd import sandbox\n"
        "sandbox(['serve', '--port', '0', '--no-webhooks'])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        url = re.search(r"base URL\s+(\S+)", "".join(lines)).group(1)  # type: ignore[union-attr]
        assert httpx.get(f"{url}/_sandbox/health", timeout=5).json()["status"] == "ok"
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=5)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert rest.strip().endswith("sandbox stopped")
