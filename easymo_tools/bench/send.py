"""`easymo bench send`: the client's send rate against a bare httpx loop, and pacer accuracy.

Both loops post the same JSON to the same unlimited sandbox on loopback, in interleaved
rounds whose order alternates, so machine noise falls on both alike. The ratio is the
client's rate over the bare loop's: the price of payload checks, pacing, retries and typed
results. The pacer part sends at ``pacer_rate`` for ``pacer_seconds`` and compares the
achieved steady rate with the target.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.pacing import UNLIMITED, Pacer
from easymo_core.cloudapi.payloads import text_message
from easymo_core.config import sandbox_defaults as defaults
from easymo_tools.bench.report import BenchReport

RATIO_TARGET = 0.95
PACER_TOLERANCE = 0.05
ROUNDS = 40
WARMUP = 50
BODY = "easymo bench: hello"


def run(n: int = 2000, pacer_rate: float = 50.0, pacer_seconds: float = 10.0) -> BenchReport:
    """Start an unlimited sandbox, measure, stop it; ``n`` sends per loop."""
    from easymo_core.sandbox.config import SandboxConfig
    from easymo_core.sandbox.server import SandboxServer

    if n < ROUNDS:
        raise ValueError(f"n must be at least {ROUNDS}")
    server = SandboxServer(SandboxConfig(port=0, unlimited=True, webhook_url=None))
    server.start()
    try:
        throughput = _compare_loops(server.base_url, n)
        pacing = _check_pacer(server.base_url, pacer_rate, pacer_seconds)
    finally:
        server.stop()
    return _report(n, throughput, pacing)


def _recipients(count: int) -> list[str]:
    # Meta's fictional 555 area code, as the sandbox's users; distinct so no pair limit binds.
    return [f"1555{i:07d}" for i in range(count)]


def sandbox_client(base_url: str, pacer: Any) -> CloudAPIClient:
    """A client of the sandbox's phone number at ``base_url``, with ``pacer``."""
    return _client(base_url, pacer)


def _client(base_url: str, pacer: Any) -> CloudAPIClient:
    return CloudAPIClient(
        access_token=defaults.SANDBOX_TOKEN,
        phone_number_id=defaults.SANDBOX_PHONE_NUMBER_ID,
        waba_id=defaults.SANDBOX_WABA_ID,
        base_url=base_url,
        graph_version=defaults.SANDBOX_GRAPH_VERSION,
        pacer=pacer,
    )


def _compare_loops(base_url: str, n: int) -> dict[str, Any]:
    recipients = _recipients(200)
    url = f"{base_url}/{defaults.SANDBOX_GRAPH_VERSION}/{defaults.SANDBOX_PHONE_NUMBER_ID}/messages"
    payloads = [text_message(to, BODY) for to in recipients]
    per_round = n // ROUNDS

    with _client(base_url, UNLIMITED) as client, httpx.Client(
        headers={"Authorization": f"Bearer {defaults.SANDBOX_TOKEN}"}
    ) as bare:

        def client_loop(count: int) -> None:
            send = client.send_text
            for i in range(count):
                send(recipients[i % len(recipients)], BODY)

        def bare_loop(count: int) -> None:
            post = bare.post
            for i in range(count):
                response = post(url, json=payloads[i % len(payloads)])
                if response.status_code != 200:
                    raise RuntimeError(f"the sandbox answered HTTP {response.status_code}")
                response.json()["messages"][0]["id"]

        client_loop(WARMUP)
        bare_loop(WARMUP)
        client_times: list[float] = []
        bare_times: list[float] = []
        for round_number in range(ROUNDS):
            pair: list[tuple[Callable[[int], None], list[float]]] = [
                (client_loop, client_times), (bare_loop, bare_times)]
            if round_number % 2:
                pair.reverse()
            for loop, times in pair:
                started = time.perf_counter()
                loop(per_round)
                times.append(time.perf_counter() - started)

    sent = per_round * ROUNDS
    round_ratios = [b / c for c, b in zip(client_times, bare_times, strict=True)]
    return {
        "sends_per_loop": sent,
        "client_rate": sent / sum(client_times),
        "bare_rate": sent / sum(bare_times),
        "round_ratio_median": statistics.median(round_ratios),
        "round_ratio_min": min(round_ratios),
        "round_ratio_max": max(round_ratios),
    }


def _check_pacer(base_url: str, rate: float, seconds: float) -> dict[str, Any]:
    recipients = _recipients(max(1000, int(rate * seconds * 1.2)))
    pacer = Pacer(rate)
    with _client(base_url, pacer) as client:
        sent = 0
        started = last_done = time.perf_counter()
        while last_done - started < seconds:
            client.send_text(recipients[sent % len(recipients)], BODY)
            sent += 1
            last_done = time.perf_counter()
    elapsed = last_done - started
    # The bucket starts full: its burst goes at once, then one send per 1/rate seconds.
    steady = (sent - pacer.burst) / elapsed if elapsed > 0 else 0.0
    return {
        "pacer_target_rate": rate,
        "pacer_burst": pacer.burst,
        "pacer_sent": sent,
        "pacer_seconds": elapsed,
        "pacer_achieved_rate": steady,
        "pacer_deviation": abs(steady - rate) / rate,
    }


def _report(n: int, throughput: dict[str, Any], pacing: dict[str, Any]) -> BenchReport:
    ratio = throughput["client_rate"] / throughput["bare_rate"]
    figures = {"n": n, **throughput, **pacing}
    figures = {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}
    rows = [
        ("sends per loop", f"{throughput['sends_per_loop']}"),
        ("CloudAPIClient", f"{throughput['client_rate']:.0f} msg/s"),
        ("bare httpx loop", f"{throughput['bare_rate']:.0f} msg/s"),
        ("per-round ratio (median, min-max)",
         f"{throughput['round_ratio_median']:.3f} "
         f"({throughput['round_ratio_min']:.3f}-{throughput['round_ratio_max']:.3f})"),
        ("pacer target", f"{pacing['pacer_target_rate']:g} msg/s "
                         f"(burst {pacing['pacer_burst']:g})"),
        ("pacer achieved", f"{pacing['pacer_achieved_rate']:.2f} msg/s over "
                           f"{pacing['pacer_seconds']:.1f} s ({pacing['pacer_sent']} sent)"),
        ("pacer deviation", f"{pacing['pacer_deviation'] * 100:.2f} %"),
    ]
    targets = {
        f"client >= {RATIO_TARGET:g} x bare httpx": ratio >= RATIO_TARGET,
        f"pacer within {PACER_TOLERANCE * 100:g} %": pacing["pacer_deviation"] <= PACER_TOLERANCE,
    }
    return BenchReport(
        name="send",
        figures=figures,
        ratio=ratio,
        baseline="bare httpx.Client loop",
        rows=rows,
        targets=targets,
    )
