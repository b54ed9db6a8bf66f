"""`easymo bench ...`: every benchmark prints a table, or with --json its figures and ratio."""

from __future__ import annotations

from typing import Any

import click

from easymo_core.bench.report import BenchReport


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
    from easymo_core.bench.send import run

    _print(run(n=n, pacer_rate=pacer_rate, pacer_seconds=pacer_seconds), as_json)


@bench.command("startup")
@_json_option
def startup_bench(as_json: bool) -> None:
    """Console cold start and longest UI stall vs a bare PySide6 + pyqtgraph window."""
    from app.bench_startup import run

    _print(run(), as_json)
