"""The sandbox's memory: templates, messages both ways, users and the request log.

Everything is mutated from the server's event loop only; tests read it between requests
(``srv.state``), which is safe because every read there is of plain finished objects.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from easymo_core.sandbox.account import default_profile
from easymo_core.templates.model import TemplateDefinition
from easymo_core.templates.variables import RequiredParams, required_parameters

# Status order for "never goes backwards"; failed is final.
STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(slots=True)
class Template:
    id: str
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    created_at: float
    parameter_format: str = "POSITIONAL"
    status: str = "PENDING"
    rejected_reason: str = "NONE"
    quality_score: str = "UNKNOWN"
    quality_date: int = 0
    previous_category: str | None = None
    edit_times: list[float] = field(default_factory=list)
    # Other fields of the node, as created (template_rules.EXTRA_FIELDS) or set by Meta.
    extra: dict[str, Any] = field(default_factory=dict)
    # The components read by the shared template model, and what a send must supply.
    definition: TemplateDefinition = field(init=False)
    required: RequiredParams = field(init=False)

    def __post_init__(self) -> None:
        self.set_components(self.components)

    def set_components(self, components: list[dict[str, Any]]) -> None:
        self.components = components
        self.definition = TemplateDefinition.from_graph({
            "name": self.name, "language": self.language, "category": self.category,
            "parameter_format": self.parameter_format, "components": components,
        })
        self.required = required_parameters(self.definition)

    def graph_fields(self) -> dict[str, Any]:
        """Every field Graph can return for this template, by name."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "rejected_reason": self.rejected_reason,
            "quality_score": {"score": self.quality_score, "date": self.quality_date},
        }
        if self.previous_category:
            out["previous_category"] = self.previous_category
        out.update(self.extra)
        return out


@dataclass(slots=True)
class OutboundMessage:
    """A message the business sent through the sandbox, with its simulated fate."""

    seq: int
    wamid: str
    to: str
    input: str
    type: str
    accepted_at: float
    category: str  # pricing category: marketing, utility, authentication, service
    template_id: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    biz_opaque_callback_data: str | None = None
    in_window: bool = False  # the user's 24-hour window was open when it was accepted
    in_entry_point_window: bool = False  # the user's 72-hour free entry point window was open
    priced_again: bool = False  # the one delivered/read webhook with pricing has been posted
    # What a user can tap: (kind, id, title, description); kind button|list|quick_reply.
    reply_options: list[tuple[str, str, str, str]] | None = None
    status: str = "accepted"
    timestamps: dict[str, int] = field(default_factory=dict)
    error_code: int | None = None
    conversation: dict[str, Any] | None = None
    clicks: list[tuple[str, str]] = field(default_factory=list)  # (button kind, title)

    def summary(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "wamid": self.wamid,
            "to": self.to,
            "type": self.type,
            "template": self.template_name,
            "language": self.template_language,
            "status": self.status,
            "timestamps": self.timestamps,
            "error_code": self.error_code,
        }


@dataclass(slots=True)
class InboundMessage:
    wamid: str
    wa_id: str
    name: str
    type: str
    content: Any  # the type-keyed object of the webhook message (a list for contacts)
    timestamp: int
    context_id: str | None = None
    read_by_business: bool = False
    referral: dict[str, Any] | None = None  # the entry point (ad) the user came from

    def summary(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "from": self.wa_id,
            "type": self.type,
            "content": self.content,
            "timestamp": self.timestamp,
            "context_id": self.context_id,
            "read": self.read_by_business,
        }


@dataclass(slots=True)
class User:
    wa_id: str
    name: str
    window_until: float = 0.0  # wall time the 24-hour customer service window closes
    entry_point_until: float = 0.0  # wall time the 72-hour free entry point window closes
    # Pair rate (monotonic seconds): when the time borrowed by bursts is paid back, and the
    # burst under way.
    pair_due: float = 0.0
    burst_started: float = 0.0
    burst_count: int = 0
    # Open conversation per pricing category: (id, expires at as unix seconds).
    conversations: dict[str, tuple[str, int]] = field(default_factory=dict)


class SandboxState:
    """Templates, messages, users, the request and delivery log, and counters."""

    def __init__(self, log_limit: int) -> None:
        self.log_limit = log_limit
        self.clear()

    def clear(self) -> None:
        """Forget everything: back to an empty sandbox."""
        self.templates: dict[str, Template] = {}
        self._by_name: dict[tuple[str, str], Template] = {}
        self.messages: dict[str, OutboundMessage] = {}
        self.inbound: dict[str, InboundMessage] = {}
        self.users: dict[str, User] = {}
        self.conversations: list[dict[str, Any]] = []  # opened: id, wa_id, category, opened_at
        self.deleted_names: dict[str, float] = {}  # approved names deleted -> wall time
        self.business_profile: dict[str, Any] = default_profile()
        self.subscribed = True  # the app is subscribed to the WABA's webhooks
        self.log: deque[dict[str, Any]] = deque(maxlen=self.log_limit)
        self._log_seq = itertools.count(1)
        self._message_seq = itertools.count(1)
        self.counters: dict[str, int] = {
            "requests": 0,
            "sends_accepted": 0,
            "sends_rejected": 0,
            "webhook_posts": 0,
            "webhook_deliveries": 0,
            "webhook_failures": 0,
            "webhook_dropped": 0,
            "statuses_emitted": 0,
            "inbound_messages": 0,
        }

    def next_message_seq(self) -> int:
        return next(self._message_seq)

    def add_log(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append ``entry`` with a sequence number; the dict stays live for later updates."""
        entry["seq"] = next(self._log_seq)
        self.log.append(entry)
        return entry

    def user(self, wa_id: str, name: str = "") -> User:
        found = self.users.get(wa_id)
        if found is None:
            found = self.users[wa_id] = User(wa_id=wa_id, name=name or f"User {wa_id[-4:]}")
        elif name:
            found.name = name
        return found

    def add_template(self, tpl: Template) -> None:
        self.templates[tpl.id] = tpl
        self._by_name[(tpl.name, tpl.language)] = tpl

    def remove_template(self, tpl: Template) -> None:
        self.templates.pop(tpl.id, None)
        self._by_name.pop((tpl.name, tpl.language), None)

    def template_by_name(self, name: str, language: str) -> Template | None:
        return self._by_name.get((name, language))

    def templates_named(self, name: str) -> list[Template]:
        return [t for t in self.templates.values() if t.name == name]

    def ordered_templates(self) -> list[Template]:
        """Newest first, as WhatsApp Manager lists them."""
        return sorted(self.templates.values(), key=lambda t: (t.created_at, t.id), reverse=True)
