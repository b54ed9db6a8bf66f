"""`easymo sandbox`: run the local Cloud API stand-in, and write to it as a WhatsApp user."""

from __future__ import annotations

import base64
import contextlib
import mimetypes
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click
import httpx

from easymo_core.config import sandbox_defaults as defaults
from easymo_core.errors import EasymoError
from easymo_core.sandbox.config import AVAILABLE_VERSIONS, DEFAULT_WEBHOOK_URL, SandboxConfig
from easymo_core.sandbox.server import SandboxServer

DEFAULT_URL = f"http://{defaults.SANDBOX_HOST}:{defaults.SANDBOX_PORT}"
_RATE = click.FloatRange(0, 1)


@click.group()
def sandbox() -> None:
    """A local stand-in for the WhatsApp Cloud API, with simulated users."""


@sandbox.command()
@click.option("--port", type=int, default=defaults.SANDBOX_PORT, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--webhook-url", default=DEFAULT_WEBHOOK_URL, show_default=True,
              help="Where signed webhooks are posted.")
@click.option("--no-webhooks", is_flag=True, help="Post no webhooks at all.")
@click.option("--app-secret", default=defaults.SANDBOX_APP_SECRET, show_default=True,
              help="Key of the X-Hub-Signature-256 HMAC.")
@click.option("--token", default=defaults.SANDBOX_TOKEN, show_default=True,
              help="The access token clients must send.")
@click.option("--phone-number-id", default=defaults.SANDBOX_PHONE_NUMBER_ID, show_default=True)
@click.option("--waba-id", default=defaults.SANDBOX_WABA_ID, show_default=True)
@click.option("--seed", type=int, default=defaults.SANDBOX_SEED, show_default=True,
              help="Same seed, same ids, failures, delays and replies.")
@click.option("--review-delay", type=click.FloatRange(min=0), default=SandboxConfig.review_delay,
              show_default=True, help="Seconds before a new template is approved or rejected.")
@click.option("--failure-rate", type=click.FloatRange(0, 1), default=SandboxConfig.failure_rate,
              show_default=True, help="Share of messages that fail after acceptance.")
@click.option("--read-rate", type=click.FloatRange(0, 1), default=SandboxConfig.read_rate,
              show_default=True, help="Share of delivered messages that get read.")
@click.option("--reply-rate", type=click.FloatRange(0, 1), default=SandboxConfig.reply_rate,
              show_default=True, help="Share of interactive/template messages users answer.")
@click.option("--mps", type=click.FloatRange(min=1), default=SandboxConfig.messages_per_second,
              show_default=True, help="Throughput limit per phone number (messages per second).")
@click.option("--unlimited", is_flag=True,
              help="Benchmark mode: no rate limits, no simulated statuses, replies or webhooks.")
@click.option("--error-rate", type=_RATE, default=0.0, show_default=True,
              help="Fault: share of Graph requests answered with a 5xx error.")
@click.option("--error-status", type=click.Choice(["500", "502", "503", "504"]), default="500",
              show_default=True, help="Fault: the HTTP status of those errors.")
@click.option("--slow-rate", type=_RATE, default=0.0, show_default=True,
              help="Fault: share of Graph requests answered late.")
@click.option("--slow-seconds", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Fault: how late a slow answer comes.")
@click.option("--drop-rate", type=_RATE, default=0.0, show_default=True,
              help="Fault: share of Graph requests whose connection is closed without an answer.")
@click.option("--faults-after", is_flag=True,
              help="Fault: errors and drops hit after the request was processed (the message is "
                   "sent, the client never learns it).")
@click.option("--duplicate-rate", type=_RATE, default=0.0, show_default=True,
              help="Fault: share of messages with one status webhook posted twice.")
@click.option("--out-of-order-rate", type=_RATE, default=0.0, show_default=True,
              help="Fault: share of messages whose sent webhook comes after delivered.")
@click.option("--delivered-skip-rate", type=_RATE, default=0.0, show_default=True,
              help="Share of read messages whose delivered webhook never comes (as at Meta).")
@click.option("--receiver-down", type=click.FloatRange(min=0), default=0.0, show_default=True,
              metavar="SECONDS", help="Fault: the webhook receiver is down for the first SECONDS; "
                                      "deliveries are held, then sent.")
@click.option("--webhook-version", type=click.Choice(AVAILABLE_VERSIONS),
              default=SandboxConfig.webhook_version, show_default=True,
              help="Graph version of the webhooks (from v24.0: no conversation object).")
def serve(
    port: int, webhook_url: str, no_webhooks: bool, app_secret: str, token: str,
    phone_number_id: str, waba_id: str, seed: int, review_delay: float, failure_rate: float,
    read_rate: float, reply_rate: float, mps: float, unlimited: bool, error_rate: float,
    error_status: str, slow_rate: float, slow_seconds: float, drop_rate: float, faults_after: bool,
    duplicate_rate: float, out_of_order_rate: float, delivered_skip_rate: float, receiver_down: float,
    webhook_version: str,
) -> None:
    """Serve the sandbox until Ctrl-C.

    Faults (also settable while it runs, through POST /_sandbox/faults and /_sandbox/config):
    --error-rate, --error-status, --slow-rate, --slow-seconds, --drop-rate, --faults-after,
    --duplicate-rate, --out-of-order-rate, --receiver-down; and --failure-rate for messages
    that fail after acceptance.
    """
    if not no_webhooks and not webhook_url.startswith(("http://", "https://")):
        raise click.ClickException(f"--webhook-url must be an http(s) URL, not {webhook_url!r}")
    config = SandboxConfig(
        port=port, webhook_url=None if no_webhooks else webhook_url, app_secret=app_secret,
        token=token, phone_number_id=phone_number_id, waba_id=waba_id, seed=seed,
        review_delay=review_delay, failure_rate=failure_rate, read_rate=read_rate,
        reply_rate=reply_rate, messages_per_second=mps, unlimited=unlimited, error_rate=error_rate,
        error_status=int(error_status), slow_rate=slow_rate, slow_seconds=slow_seconds,
        drop_rate=drop_rate, duplicate_rate=duplicate_rate, out_of_order_rate=out_of_order_rate,
        delivered_skip_rate=delivered_skip_rate, webhook_version=webhook_version,
    )
    server = SandboxServer(config)
    try:
        server.start()
    except EasymoError as exc:
        raise click.ClickException(exc.one_line()) from None
    if faults_after:
        server.runtime.faults.after = True
    if receiver_down:
        server.runtime.faults.set_receiver_down(receiver_down)
    click.echo(_banner(server))
    try:
        wait_until_interrupted(server)
    finally:
        server.stop()
    click.echo("sandbox stopped")


def wait_until_interrupted(server: SandboxServer) -> None:
    """Block until Ctrl-C or SIGTERM (or until the server thread ends on its own)."""
    with _sigterm_as_interrupt():
        try:
            while server.running:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A process manager's SIGTERM stops the sandbox as cleanly as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _banner(server: SandboxServer) -> str:
    cfg = server.config
    rows = [
        ("base URL", server.base_url),
        ("graph version", f"{defaults.SANDBOX_GRAPH_VERSION} "
                          f"({AVAILABLE_VERSIONS[0]} to {AVAILABLE_VERSIONS[-1]} answer)"),
        ("phone number id", cfg.phone_number_id),
        ("WABA id", cfg.waba_id),
        ("display number", cfg.display_phone_number),
        ("access token", f"{cfg.token}  (sandbox value, not a secret)"),
        ("app secret", f"{cfg.app_secret}  (sandbox value, not a secret)"),
        ("webhook URL", cfg.webhook_url or "none (webhooks off)"),
        ("seed", str(cfg.seed)),
        ("mode", "unlimited (benchmark)" if cfg.unlimited else
         f"{cfg.messages_per_second:g} msg/s, review {cfg.review_delay:g}s, "
         f"failure {cfg.failure_rate:g}, read {cfg.read_rate:g}, reply {cfg.reply_rate:g}"),
        ("control", f"{server.base_url}/_sandbox/health"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = ["easyMO sandbox: a local stand-in for the WhatsApp Cloud API"]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


@sandbox.command()
@click.option("--url", default=DEFAULT_URL, show_default=True, help="The sandbox's base URL.")
@click.option("--from", "sender", required=True, metavar="PHONE", help="The user's phone number.")
@click.option("--name", default="", help="The user's profile name.")
@click.option("--text", help="A text message.")
@click.option("--button-id", metavar="ID", help="Tap this reply button (or template quick reply).")
@click.option("--list-id", metavar="ID", help="Pick this list row.")
@click.option("--media", type=click.Choice(["image", "document", "audio", "video", "sticker"]),
              help="A media message; the sandbox serves its bytes under the media id it gets.")
@click.option("--file", "media_file", type=click.Path(exists=True, dir_okay=False),
              help="With --media: the file to send (default: a small sample of the kind).")
@click.option("--mime-type", help="With --file: its mime type (default: guessed from the name).")
@click.option("--caption", help="With --media image, document or video: the caption.")
@click.option("--filename", help="With --media document: the file name the user sees.")
@click.option("--location", metavar="LAT,LON", help="A location message, e.g. 37.44,-122.16.")
@click.option("--place", help="With --location: the place's name.")
@click.option("--address", help="With --location: its address.")
@click.option("--reaction", metavar="EMOJI", help="React to the message given with --to.")
@click.option("--contact", "contacts", multiple=True, metavar="NAME[=PHONE]",
              help="Share a contact card (repeat for several).")
@click.option("--order", "order_items", multiple=True, metavar="SKU:QTY:PRICE",
              help="Send a cart from the catalog: one item per option, e.g. shirt-1:2:30.")
@click.option("--currency", default="USD", show_default=True, help="With --order: the prices' currency.")
@click.option("--from-ad", is_flag=True,
              help="The user writes from a click-to-WhatsApp ad: the message carries a referral "
                   "and opens the 72-hour free entry point window.")
@click.option("--title", help="Title of the button or row (default: the one sent).")
@click.option("--to", "to_wamid", metavar="WAMID",
              help="The message a button or list reply, or a reaction, answers.")
@click.option("--context", metavar="WAMID",
              help="Quote this message in a text, media, location or contact message.")
def inbound(
    url: str, sender: str, name: str, text: str | None, button_id: str | None,
    list_id: str | None, media: str | None, media_file: str | None, mime_type: str | None,
    caption: str | None, filename: str | None, location: str | None, place: str | None,
    address: str | None, reaction: str | None, contacts: tuple[str, ...],
    order_items: tuple[str, ...], currency: str, from_ad: bool,
    title: str | None, to_wamid: str | None, context: str | None,
) -> None:
    """Write to the business as a simulated WhatsApp user."""
    kinds = (("--text", text), ("--button-id", button_id), ("--list-id", list_id), ("--media", media),
             ("--location", location), ("--reaction", reaction), ("--contact", contacts),
             ("--order", order_items))
    chosen = [opt for opt, value in kinds if value]
    if len(chosen) != 1:
        raise click.ClickException(f"give exactly one of {', '.join(opt for opt, _ in kinds)}")
    if (button_id or list_id or reaction) and not to_wamid:
        raise click.ClickException(f"{chosen[0]} needs --to WAMID: the message being answered")
    body: dict[str, Any] = {"from": sender, "name": name}
    if from_ad:
        body["entry_point"] = True
    if context and not (button_id or list_id or reaction):
        body["context"] = context
    if text:
        body["text"] = text
    elif media:
        body["media"] = _media_body(media, media_file, mime_type, caption, filename)
    elif location:
        body["location"] = _location_body(location, place, address)
    elif reaction:
        body["reaction"] = reaction
        body["to"] = to_wamid
    elif contacts:
        body["contacts"] = [_contact_body(c) for c in contacts]
    elif order_items:
        body["order"] = {"items": [_order_item(item, currency) for item in order_items]}
    else:
        body["button_id" if button_id else "list_id"] = button_id or list_id
        body["to"] = to_wamid
        if title:
            body["title"] = title
    answer = _post(url, "/_sandbox/inbound", body)
    until = datetime.fromtimestamp(answer["window_open_until"]).strftime("%Y-%m-%d %H:%M")
    context_note = f", replying to {answer['context_id']}" if answer.get("context_id") else ""
    media_note = f" (media id {answer['media_id']})" if answer.get("media_id") else ""
    click.echo(f"{answer['type']} message {answer['id']} from {answer['from']}{context_note}{media_note}")
    click.echo(f"24-hour window open until {until}; webhook {answer['webhook']}")


def _media_body(kind: str, path: str | None, mime_type: str | None, caption: str | None,
                filename: str | None) -> dict[str, Any]:
    media: dict[str, Any] = {"type": kind}
    if path:
        data = Path(path).read_bytes()
        media["data_base64"] = base64.b64encode(data).decode("ascii")
        guessed = mime_type or mimetypes.guess_type(path)[0]
        if not guessed:
            raise click.ClickException(f"cannot tell the type of {path}: give --mime-type")
        media["mime_type"] = guessed
        media["filename"] = filename or Path(path).name
    elif filename:
        media["filename"] = filename
    if caption:
        media["caption"] = caption
    return media


def _location_body(raw: str, place: str | None, address: str | None) -> dict[str, Any]:
    try:
        latitude, longitude = (float(part) for part in raw.split(","))
    except ValueError:
        raise click.ClickException(f"--location must be LAT,LON (two numbers), not {raw!r}") from None
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if place:
        location["name"] = place
    if address:
        location["address"] = address
    return location


def _order_item(raw: str, currency: str) -> dict[str, Any]:
    sku, _, rest = raw.partition(":")
    quantity, _, price = rest.partition(":")
    try:
        return {"product_retailer_id": sku, "quantity": int(quantity), "item_price": float(price),
                "currency": currency}
    except ValueError:
        raise click.ClickException(f"--order must be SKU:QTY:PRICE, e.g. shirt-1:2:30, not {raw!r}") from None


def _contact_body(raw: str) -> dict[str, str]:
    name, _, phone = raw.partition("=")
    if not name.strip():
        raise click.ClickException(f"--contact needs a name: NAME[=PHONE], not {raw!r}")
    return {"name": name.strip(), "phone": phone.strip()} if phone.strip() else {"name": name.strip()}


def _post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    base = url.rstrip("/")
    try:
        response = httpx.post(base + path, json=body, timeout=10.0, trust_env=False)
    except httpx.TransportError:
        raise click.ClickException(
            f"no sandbox at {base}: start it with `easymo sandbox serve`"
        ) from None
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        raise click.ClickException(f"{base} is not a sandbox (HTTP {response.status_code})") from None
    if response.status_code != 200:
        message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
        raise click.ClickException(message or f"the sandbox answered HTTP {response.status_code}")
    return answer
