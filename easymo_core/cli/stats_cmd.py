"""`easymo stats`: the dashboard's figures for a period, as tables or JSON."""

from __future__ import annotations

import click

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.figures import Dashboard, Latency
from easymo_core.analytics.period import parse_moment, resolve_period
from easymo_core.cli.context import emit_json, print_table, state
from easymo_core.display import fmt_duration_ms


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else fmt_duration_ms(value)


def _p(latency: Latency, name: str) -> str:
    # Exact in the histogram's one-second bins, a bound beyond (docs/analytics.md).
    return latency.shown(name)


@click.command("stats")
@click.option(
    "--period",
    "period_name",
    type=click.Choice(["24h", "7d", "30d"]),
    default="24h",
    show_default=True,
    help="Period ending now.",
)
@click.option("--from", "start", metavar="TIME", help="Custom range start (ISO, UTC unless given).")
@click.option("--to", "end", metavar="TIME", help="Custom range end (default: now).")
@click.option("--series", is_flag=True, help="Also print the time series table.")
@click.option("--json", "as_json", is_flag=True, help="Every figure as JSON.")
@click.option(
    "--phone-number-id",
    "phone_number_id",
    metavar="ID",
    help="Message figures of this sending number only (default: all numbers in the database).",
)
def stats(
    period_name: str,
    start: str | None,
    end: str | None,
    series: bool,
    as_json: bool,
    phone_number_id: str | None,
) -> None:
    """Delivery, latency, errors, templates, engagement, flows, health (and Meta's figures)."""
    period = resolve_period(
        period_name,
        start=parse_moment(start) if start else None,
        end=parse_moment(end) if end else None,
    )
    board = Analytics(state().database()).dashboard(period, phone_number_id=phone_number_id)
    if as_json:
        emit_json(board.to_dict())
        return
    _print(board, series)


def _numbers(phone_number_id: str | None) -> str:
    if phone_number_id is None:
        return "phone numbers: all"
    return (
        f"phone number {phone_number_id}: delivery, latency, failures, templates and the series' "
        "outbound counts; engagement, satisfaction, flows, inbound counts and health are for all numbers"
    )


def _section(title: str) -> None:
    click.echo("")
    click.echo(click.style(title, bold=True))


def _print(b: Dashboard, series: bool) -> None:
    p = b.period.to_dict()
    click.echo(
        f"period {p['label']}: {p['start']} → {p['end']}  (session gap {b.session_gap_ms // 60_000} min)"
    )
    click.echo(_numbers(b.phone_number_id))
    t = b.totals
    _section("Delivery")
    print_table(
        [
            "sent",
            "delivered",
            "read",
            "failed",
            "replied",
            "clicks",
            "delivery",
            "read %",
            "reply",
            "failure",
        ],
        [
            [
                t.sent,
                t.delivered,
                t.read,
                t.failed,
                t.replied,
                t.clicks,
                _pct(t.delivery_rate),
                _pct(t.read_rate),
                _pct(t.reply_rate),
                _pct(t.failure_rate),
            ]
        ],
    )
    lat = b.latency
    _section("Latency")
    print_table(
        ["", "count", "avg", "p50", "p95"],
        [
            [
                "sent → delivered",
                lat.delivery_count,
                _ms(lat.delivery_avg_ms),
                _p(lat, "delivery_p50_ms"),
                _p(lat, "delivery_p95_ms"),
            ],
            [
                "delivered → read",
                lat.read_count,
                _ms(lat.read_avg_ms),
                _p(lat, "read_p50_ms"),
                _p(lat, "read_p95_ms"),
            ],
        ],
    )
    if b.errors:
        _section("Failures by error code")
        print_table(
            ["code", "failures", "share", "what to do"],
            [
                [e.code if e.code is not None else "-", e.failures, _pct(e.share), e.explanation]
                for e in b.errors
            ],
        )
    if b.templates:
        _section("Templates")
        print_table(
            ["template", "lang", "sent", "delivered", "read", "replied", "clicks", "failed", "quality"],
            [
                [
                    r.name or "(no template)",
                    r.language or "-",
                    r.sent,
                    _pc(r.delivered_pct),
                    _pc(r.read_pct),
                    _pc(r.replied_pct),
                    r.clicks,
                    r.failed,
                    r.quality or "-",
                ]
                for r in b.templates
            ],
        )
    e = b.engagement
    _section("Engagement")
    print_table(
        [
            "active users",
            "in",
            "out",
            "sessions",
            "responses",
            "response rate",
            "user resp.",
            "our resp.",
            "avg score",
        ],
        [
            [
                e.active_users,
                e.messages_in,
                e.messages_out,
                e.sessions_started,
                e.user_responses,
                _pct(e.response_rate),
                _ms(e.avg_user_response_ms),
                _ms(e.avg_business_response_ms),
                "-" if e.score_average is None else f"{e.score_average:.1f}",
            ]
        ],
    )
    click.echo("score deciles  " + "  ".join(f"{10 * i}+:{n}" for i, n in enumerate(e.score_distribution)))
    s = b.satisfaction
    _section("Satisfaction")
    avg = "-" if s.average is None else f"{s.average:.2f}"
    click.echo(
        f"ratings {s.ratings}  average {avg}  " + "  ".join(f"{k}★:{v}" for k, v in s.distribution.items())
    )
    if b.flows:
        _section("Flows")
        for f in b.flows:
            click.echo(
                f"{f.flow}: started {f.started}, completed {f.completed} ({_pct(f.completion_rate)}), "
                f"abandoned {f.abandoned}, active {f.active}, median {_ms(f.median_duration_ms)}"
            )
            print_table(
                ["step", "entered", "advanced", "abandoned", "drop-off"],
                [[st.step, st.entered, st.advanced, st.abandoned, _pct(st.drop_off)] for st in f.steps],
            )
    h = b.health
    _section("System health")
    print_table(
        ["queue", "webhook lag", "events/min", "API errors (1h)", "API error rate"],
        [
            [
                h.queue_depth,
                _ms(h.webhook_lag_avg_ms),
                "-" if h.events_per_min is None else f"{h.events_per_min:.1f}",
                h.api_errors_last_hour,
                _pct(h.api_error_rate),
            ]
        ],
    )
    for j in h.scheduler:
        status = (
            f"off ({j.skipped})"
            if j.skipped
            else (f"failed {j.failures}× ({j.last_error})" if j.failures else "ok")
        )
        click.echo(f"scheduler {j.name}: {status}")
    if b.meta is not None:
        _section("Meta's figures beside ours")
        click.echo(b.meta.note)
        print_table(
            ["what", "metric", "local", "meta", ""],
            [[r.label, r.metric, r.local, r.meta, "DISAGREE" if r.disagree else ""] for r in b.meta.rows],
        )
        if b.meta.priced_messages:
            click.echo(f"messages priced {b.meta.priced_messages}, cost {b.meta.cost:.2f} USD")
        elif b.meta.conversations:
            click.echo(f"conversations {b.meta.conversations}, cost {b.meta.cost:.2f} USD")
    if series:
        _section("Time series")
        print_table(
            ["start (UTC)", "sent", "delivered", "read", "failed", "replied", "inbound"],
            [
                [_when(pt.start_ms), pt.sent, pt.delivered, pt.read, pt.failed, pt.replied, pt.messages_in]
                for pt in b.series
            ],
        )


def _pc(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _when(ms: int) -> str:
    from easymo_core.storage.types import from_ms

    return from_ms(ms).strftime("%Y-%m-%d %H:%M")
