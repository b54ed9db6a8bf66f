"""The typed results of the analytics, each with ``to_dict()`` for JSON (`easymo stats --json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from easymo_core.analytics.histogram import percentile_text
from easymo_core.analytics.period import Period


def rate(part: int, whole: int) -> float | None:
    return None if whole <= 0 else part / whole


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass
class Totals(_Dict):
    sent: int = 0  # outbound messages recorded (attempts, refusals included)
    delivered: int = 0
    read: int = 0
    failed: int = 0  # failed now (a later delivery report clears it)
    replied: int = 0  # outbound messages quoted by at least one reply
    clicks: int = 0  # button and list taps quoting them
    delivery_rate: float | None = None
    read_rate: float | None = None
    reply_rate: float | None = None
    failure_rate: float | None = None

    def finish(self) -> Totals:
        self.delivery_rate = rate(self.delivered, self.sent)
        self.read_rate = rate(self.read, self.sent)
        self.reply_rate = rate(self.replied, self.sent)
        self.failure_rate = rate(self.failed, self.sent)
        return self


@dataclass
class Latency(_Dict):
    delivery_count: int = 0
    delivery_avg_ms: float | None = None
    delivery_p50_ms: float | None = None
    delivery_p95_ms: float | None = None
    read_count: int = 0
    read_avg_ms: float | None = None
    read_p50_ms: float | None = None
    read_p95_ms: float | None = None
    delivery_histogram: list[int] = field(default_factory=list)
    read_histogram: list[int] = field(default_factory=list)
    # Percentiles that are bounds, not exact (docs/analytics.md): figure name -> "≤" or "≥".
    estimates: dict[str, str] = field(default_factory=dict)

    def shown(self, name: str) -> str:
        """Percentile ``name`` (``delivery_p95_ms`` ...) as shown: "1 s", or "≤ 2 min" if a bound."""
        return percentile_text(getattr(self, name), self.estimates.get(name, ""))


@dataclass
class ErrorRow(_Dict):
    code: int | None  # None: Meta gave no code
    failures: int
    share: float | None
    family: str
    explanation: str


@dataclass
class TemplateRow(_Dict):
    name: str  # '' for messages sent without a template
    language: str
    sent: int
    delivered: int
    read: int
    replied: int
    clicks: int
    failed: int
    delivered_pct: float | None
    read_pct: float | None
    replied_pct: float | None
    quality: str | None  # Meta's quality rating from the synced templates
    status: str | None


@dataclass
class Engagement(_Dict):
    active_users: int = 0  # contacts who wrote in the period
    messages_in: int = 0
    messages_out: int = 0  # outbound messages Meta accepted
    sessions_started: int = 0
    user_responses: int = 0
    response_rate: float | None = None  # user responses / our accepted messages
    avg_user_response_ms: float | None = None
    avg_business_response_ms: float | None = None
    score_average: float | None = None
    # contacts active in the period per engagement-score decile: [0,10), [10,20) ... [90,100]
    score_distribution: list[int] = field(default_factory=lambda: [0] * 10)


@dataclass
class Satisfaction(_Dict):
    ratings: int = 0
    average: float | None = None
    distribution: dict[str, int] = field(default_factory=lambda: {str(i): 0 for i in range(1, 6)})


@dataclass
class FlowStep(_Dict):
    step: str
    entered: int
    advanced: int  # moved on by an expected reply (or completed there)
    abandoned: int
    drop_off: float | None


@dataclass
class FlowFunnel(_Dict):
    flow: str
    started: int
    completed: int
    abandoned: int
    active: int
    completion_rate: float | None
    median_duration_ms: float | None
    steps: list[FlowStep]


@dataclass
class JobRun(_Dict):
    name: str
    last_run_ms: int | None
    last_ok_ms: int | None
    failures: int
    last_error: str | None
    skipped: str | None


@dataclass
class Health(_Dict):
    queue_depth: int = 0  # webhook events not processed yet
    last_event_ms: int | None = None
    webhook_lag_avg_ms: float | None = None  # received -> processed, recent events
    webhook_lag_max_ms: int | None = None
    events_per_min: float | None = None
    api_errors_last_hour: int = 0  # sends Meta refused outright
    api_error_rate: float | None = None
    scheduler: list[JobRun] = field(default_factory=list)


@dataclass
class SeriesPoint(_Dict):
    start_ms: int
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    replied: int = 0
    messages_in: int = 0


@dataclass
class LatencyPoint(_Dict):
    """Delivery and read latency percentiles (ms) of the messages sent in one bucket."""

    start_ms: int
    delivery_p50_ms: float | None = None
    delivery_p95_ms: float | None = None
    read_p50_ms: float | None = None
    read_p95_ms: float | None = None
    estimates: dict[str, str] = field(default_factory=dict)  # as Latency.estimates

    def shown(self, name: str) -> str:
        return percentile_text(getattr(self, name), self.estimates.get(name, ""))


@dataclass
class MetaRow(_Dict):
    kind: str  # "messages" | "template"
    key: str
    label: str
    metric: str
    local: int
    meta: int
    disagree: bool


@dataclass
class MetaSection(_Dict):
    pulled_at_ms: int | None
    rows: list[MetaRow]
    conversations: int = 0
    priced_messages: int = 0  # messages in Meta's pricing analytics, each once
    cost: float = 0.0  # the pricing analytics' cost when pulled, else the conversations'
    note: str = ""


@dataclass
class Headline(_Dict):
    """The dashboard's headline figures alone (its tiles), for comparing with another period."""

    totals: Totals
    latency: Latency
    engagement: Engagement
    satisfaction: Satisfaction
    phone_number_id: str | None = None  # as Dashboard.phone_number_id


@dataclass
class Dashboard(_Dict):
    period: Period
    totals: Totals
    latency: Latency
    errors: list[ErrorRow]
    templates: list[TemplateRow]
    engagement: Engagement
    satisfaction: Satisfaction
    flows: list[FlowFunnel]
    health: Health
    series: list[SeriesPoint]
    session_gap_ms: int
    meta: MetaSection | None = None
    query_ms: float = 0.0
    # The phone number the message figures (totals, latency, errors, templates, the series'
    # outbound counts) are for; None: all numbers. Conversation figures (engagement,
    # satisfaction, flows, inbound counts) and health are per contact: always all numbers.
    phone_number_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = self.period.to_dict()
        return data
