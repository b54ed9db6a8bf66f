"""The send path: a validated message becomes an accepted one with a wamid.

This is the hot path of every benchmark, so it does only what Meta's answer depends on:
the template check for template sends, the two rate limits (off when ``unlimited``), the
record of the message and its planned fate. No I/O, no waiting, no logging calls.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.sandbox.rate_limits import take_pair_token
from easymo_core.sandbox.state import OutboundMessage
from easymo_core.sandbox.template_send import check_template_send
from easymo_core.sandbox.validation import ReadReceipt, SendRequest

if TYPE_CHECKING:
    from easymo_core.sandbox.runtime import SandboxRuntime


def send(rt: SandboxRuntime, req: SendRequest, entry: dict[str, Any]) -> dict[str, Any]:
    """Accept ``req`` and return Meta's answer; GraphError when Meta would refuse it."""
    config, state = rt.config, rt.state
    entry["to"] = req.to
    entry["type"] = req.type
    if req.biz_opaque_callback_data is not None:
        entry["biz_opaque_callback_data"] = req.biz_opaque_callback_data
    template = None
    options = req.reply_options
    category = "service"
    if req.type == "template":
        entry["template"] = req.content["name"]
        entry["language"] = req.content["language"]["code"]
        template, options = check_template_send(req.content, state)
        category = template.category.lower()
    user = state.user(req.to)
    if not config.unlimited:
        now_mono = time.monotonic()
        rt.throughput.take(config, now_mono)
        try:
            take_pair_token(user, config, now_mono)
        except GraphError:
            rt.throughput.give_back()
            raise
    now = time.time()
    wamid = rt.ids.wamid(req.to)
    msg = OutboundMessage(
        seq=state.next_message_seq(),
        wamid=wamid,
        to=req.to,
        input=req.input,
        type=req.type,
        accepted_at=now,
        category=category,
        biz_opaque_callback_data=req.biz_opaque_callback_data,
        in_window=user.window_until > now,
        in_entry_point_window=user.entry_point_until > now,
        reply_options=options or None,
    )
    if template is not None:
        msg.template_id = template.id
        msg.template_name = template.name
        msg.template_language = template.language
    state.messages[wamid] = msg
    state.counters["sends_accepted"] += 1
    entry["wamid"] = wamid
    if not config.unlimited:
        rt.lifecycle.plan(msg, user)
    message: dict[str, Any] = {"id": wamid}
    if template is not None:
        message["message_status"] = "accepted"
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": req.input, "wa_id": req.to}],
        "messages": [message],
    }


def mark_read(rt: SandboxRuntime, receipt: ReadReceipt, entry: dict[str, Any]) -> dict[str, Any]:
    """``{"status": "read", "message_id"}``: the business read a user's message."""
    entry["type"] = "read_receipt"
    entry["message_id"] = receipt.message_id
    inbound = rt.state.inbound.get(receipt.message_id)
    if inbound is None:
        raise GraphError(
            100, f"Param message_id {receipt.message_id!r} is not a message received by this number",
            message="(#100) Invalid parameter",
        )
    inbound.read_by_business = True
    return {"success": True}
