"""A sent message's way from the outbox to the phone, as steps for the timeline widget.

Built from ``svc.messages.detail(id)``: the message row (its status and the time of each
status), the status events Meta reported, and the user's replies. Pure data, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from easymo_core.cloudapi.error_codes import explain

StepState = Literal["done", "pending", "failed", "implied"]
STEPS: tuple[tuple[str, str], ...] = (
    ("queued", "Queued"),
    ("accepted", "Accepted by Meta"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("read", "Read"),
)
RANK = {key: i for i, (key, _label) in enumerate(STEPS)}
FINAL = ("read", "failed")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: StepState
    at: datetime | None = None
    detail: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Reply:
    kind: Literal["text", "button", "list"]
    text: str
    at: datetime | None
    reply_id: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Timeline:
    message_id: int
    status: str
    steps: tuple[Step, ...]
    replies: tuple[Reply, ...]
    fallback_note: str = ""

    @property
    def finished(self) -> bool:
        """Nothing more will change but replies: stop polling fast after this."""
        return self.status in FINAL

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _as_dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, int | float):
        # Epoch seconds or milliseconds, whichever the row carries.
        return datetime.fromtimestamp(value / 1000 if value > 10**11 else value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _reply_kind(raw: str) -> Literal["text", "button", "list"]:
    raw = (raw or "").lower()
    if "list" in raw:
        return "list"
    if "button" in raw or raw in ("reply", "interactive", "quick_reply"):
        return "button"
    return "text"


def _after(ms: float, what: str) -> str:
    # Meta's timestamps have one-second resolution: below that, say so rather than "0.0 s".
    if ms < 1000:
        return f"within a second of {what}"
    seconds = ms / 1000
    return f"{seconds:.0f} s after {what}" if seconds < 90 else f"{seconds / 60:.0f} min after {what}"


def failure_explanation(code: int | None, given: str | None = None) -> str:
    if given:
        return given
    return explain(code) if code is not None else ""


def build_timeline(detail: Any) -> Timeline:
    """Steps for a MessageDetail (an object or a dict of the same names)."""
    message = _get(detail, "message") or {}
    events: Sequence[Any] = _get(detail, "events") or []
    replies_raw: Sequence[Any] = _get(detail, "replies") or []
    status = str(_get(message, "status") or "queued")
    reached = RANK.get(status, -1)
    failed = status == "failed"
    if failed:
        # Steps reached before the failure: the last one with a time, else just queued.
        reached = max(
            [RANK[k] for k, _ in STEPS if _get(message, f"{k}_at") is not None] or [0]
        )
    steps: list[Step] = []
    for key, label in STEPS:
        at = _as_dt(_get(message, f"{key}_at"))
        rank = RANK[key]
        detail_text = ""
        if key == "accepted" and _get(message, "wamid"):
            detail_text = f"Meta's message id {short_id(str(_get(message, 'wamid')))}"
        if key == "delivered" and _get(message, "delivery_latency_ms") is not None:
            detail_text = _after(_get(message, "delivery_latency_ms"), "sending")
        if key == "read" and _get(message, "read_latency_ms") is not None:
            detail_text = _after(_get(message, "read_latency_ms"), "delivery")
        if rank <= reached:
            # Meta may report read without delivered: the earlier step is implied.
            state: StepState = "done" if at is not None or rank == reached else "implied"
            steps.append(Step(key, label, state, at, detail_text))
        elif not failed:
            steps.append(Step(key, label, "pending"))
    if failed:
        code = _get(message, "error_code")
        title = _get(message, "error_title") or ""
        event = next((e for e in reversed(list(events)) if _get(e, "status") == "failed"), None)
        if event is not None:
            code = code if code is not None else _get(event, "error_code")
            title = title or _get(event, "error_title") or ""
        given = _get(event, "explanation") if event is not None else None
        what = f"Error {code}: {title}" if code is not None else (title or "Failed")
        extra = _get(message, "error_detail") or ""
        detail_text = f"{what} — {extra}" if extra and extra not in what else what
        steps.append(
            Step("failed", "Failed", "failed", _as_dt(_get(message, "failed_at")), detail_text,
                 failure_explanation(code, given))
        )
    # Inbound replies are stored as "reply" whether a button was tapped or a list row
    # chosen; the message they answer tells which.
    payload = _get(message, "payload") or {}
    interactive = payload.get("interactive") if isinstance(payload, Mapping) else None
    answers_list = isinstance(interactive, Mapping) and interactive.get("type") == "list"

    def kind_of(r: Any) -> Literal["text", "button", "list"]:
        kind = _reply_kind(str(_get(r, "type") or ""))
        return "list" if kind == "button" and answers_list else kind

    replies = tuple(
        Reply(
            kind_of(r),
            str(_get(r, "body") or _get(r, "title") or ""),
            _as_dt(_get(r, "received_at")),
            _get(r, "reply_id"),
            str(_get(r, "description") or ""),
        )
        for r in replies_raw
    )
    fallback_note = str(_get(message, "fallback_note") or _get(detail, "fallback_note") or "")
    return Timeline(
        message_id=int(_get(message, "id") or 0),
        status=status,
        steps=tuple(steps),
        replies=replies,
        fallback_note=fallback_note,
    )


def short_id(wamid: str, keep: int = 24) -> str:
    """Meta's message ids (wamid.…) run to 60 characters; the start tells them apart on
    screen, and the whole id is in the tooltip and the CSV."""
    return wamid if len(wamid) <= keep else wamid[: keep - 1] + "…"
