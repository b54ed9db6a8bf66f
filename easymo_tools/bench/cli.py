"""`easymo bench ...`: every benchmark prints a table, or with --json its figures and ratio."""

from __future__ import annotations

from typing import Any

import click

from easymo_tools.bench.report import BenchReport


def _print(report: BenchReport, as_json: bool) -> None:
    click.echo(report.to_json() if as_json else report.table())


def _json_option(fn: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Figures and ratio as JSON.")(fn)


@click.group()
def bench() -> None:
    """Benchmarks, each against a baseline measured in the same run."""


@bench.command("send")
@click.option("--n", "n", type=int, default=2000, show_default=True, help="Messages per loop.")
@click.option(
    "--pacer-rate", type=float, default=50.0, show_default=True, help="Messages/s for the pacer check."
)
@click.option("--pacer-seconds", type=float, default=10.0, show_default=True)
@_json_option
def send_bench(n: int, pacer_rate: float, pacer_seconds: float, as_json: bool) -> None:
    """The Cloud API client vs a bare httpx loop to the sandbox; pacer accuracy."""
    from easymo_tools.bench.send import run

    _print(run(n=n, pacer_rate=pacer_rate, pacer_seconds=pacer_seconds), as_json)


@bench.command("startup")
@_json_option
def startup_bench(as_json: bool) -> None:
    """Console cold start and longest UI stall vs a bare PySide6 + pyqtgraph window."""
    from easymo_tools.bench.startup import run

    _print(run(), as_json)


@bench.command("dashboard")
@click.option("--messages", "n", type=int, default=1_000_000, show_default=True,
              help="Messages to generate over 30 days.")
@_json_option
def dashboard_bench(n: int, as_json: bool) -> None:
    """Dashboard 30d refresh, live update frame, log filter change, UI stall, RSS (16 ms budget)."""
    from easymo_tools.bench.dashboard import run

    if n < 100:
        raise click.BadParameter("--messages must be at least 100")
    _print(run(messages=n), as_json)


@bench.command("ingest")
@click.option("--events", type=int, default=30_000, show_default=True,
              help="Status events per batch-50 run.")
@click.option("--single-events", type=int, default=3_000, show_default=True,
              help="Status events per batch-1 run (one status per POST).")
@click.option("--pg-url", envvar="EASYMO_BENCH_PG_URL", default=None,
              help="A PostgreSQL server to measure too; a throw-away database is created on it "
                   "and dropped. [env: EASYMO_BENCH_PG_URL]")
@_json_option
def ingest_bench(events: int, single_events: int, pg_url: str | None, as_json: bool) -> None:
    """Signed status webhooks on loopback until stored, vs a bare ASGI app; SQLite and PostgreSQL."""
    from easymo_tools.bench.ingest import run

    if events < 3 or single_events < 3:
        raise click.BadParameter("at least 3 events (sent, delivered, read of one message)")
    _print(run(events=events, single_events=single_events, pg_url=pg_url), as_json)


@bench.command("process")
@click.option("--messages", "n", type=int, default=10_000, show_default=True)
@click.option("--threads", type=int, default=16, show_default=True,
              help="Requests in flight at once.")
@click.option("--batch", "chunk", type=int, default=200, show_default=True, help="Messages per batch.")
@click.option("--pg-url", envvar="EASYMO_BENCH_PG_URL", default=None,
              help="A PostgreSQL server to run the batch path on too; a throw-away database is "
                   "created on it and dropped. [env: EASYMO_BENCH_PG_URL]")
@_json_option
def process_bench(n: int, threads: int, chunk: int, pg_url: str | None, as_json: bool) -> None:
    """The processor end to end (validate, record, send, record) vs Meta's 1,000 msg/s ceiling."""
    from easymo_tools.bench.process import run

    if n < 1 or threads < 1 or chunk < 1:
        raise click.BadParameter("--messages, --threads and --batch must be at least 1")
    _print(run(n=n, threads=threads, bare_n=min(n, 2_000), chunk=chunk, pg_url=pg_url), as_json)


@bench.command("analytics")
@click.option("--messages", "n", type=int, default=1_000_000, show_default=True,
              help="Messages to generate over 30 days.")
@click.option("--sample", type=int, default=None,
              help="Messages of the trigger check and ingest comparison [default: 5%, at most 20,000].")
@_json_option
def analytics_bench(n: int, sample: int | None, as_json: bool) -> None:
    """The dashboard's 30d query set over rollups vs plain GROUP BY; trigger ingest cost."""
    from easymo_tools.bench.analytics import run

    if n < 100:
        raise click.BadParameter("--messages must be at least 100")
    _print(run(messages=n, sample=sample), as_json)
