"""`easymo bench process`: the message processor end to end, template messages on SQLite
(and, with ``--pg-url``, on PostgreSQL too).

Each message goes the whole way a console send goes: parameters checked against the synced
template, a ``queued`` row with its idempotency key committed, the request to the sandbox
(unlimited mode, so the sandbox's own rate limit does not bind), the wamid recorded as
``accepted``. ``ratio`` is the rate over 1,000 messages/s, Meta's ceiling for one phone
number: above 1 the console is never what holds a campaign back.

For context the same run times the bare client (the same template requests, nothing
recorded), so the price of recording is visible beside the HTTP cost.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.pacing import UNLIMITED
from easymo_core.config import sandbox_profile
from easymo_core.messaging.batch import TemplateRequest
from easymo_core.messaging.outcome import SendOutcome
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.templates.params import TemplateParams
from easymo_core.templates.render import send_components
from easymo_tools.bench.report import BenchReport
from easymo_tools.bench.send import sandbox_client

META_CEILING = 1000.0
TEMPLATE = ("order_update", "en_US")


def _params(i: int) -> TemplateParams:
    ref = f"#{i:06d}"
    return TemplateParams(header={"1": ref}, body={"1": f"Customer {i}", "2": "Friday"}, buttons={1: ref})


def _payload(to: str, definition: Any, params: TemplateParams) -> dict[str, Any]:
    name, language = TEMPLATE
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": send_components(definition, params),
        },
    }


def _recipient(i: int) -> str:
    return f"1555{i:07d}"


def _client(base_url: str) -> CloudAPIClient:
    return sandbox_client(base_url, UNLIMITED)


def _sandbox_child(conn: Connection) -> None:
    """The sandbox in a process of its own, as it would be a remote service: its CPU is
    not the processor's."""
    from easymo_core.sandbox.config import SandboxConfig
    from easymo_core.sandbox.server import SandboxServer

    server = SandboxServer(SandboxConfig(port=0, unlimited=True, webhook_url=None))
    server.start()
    conn.send(server.base_url)
    conn.recv()
    server.stop()


@contextmanager
def _sandbox() -> Iterator[str]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_sandbox_child, args=(child,), daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the sandbox process did not start")
        yield str(parent.recv())
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def _timed(fn: Any, start: int, count: int, chunk: int) -> float:
    started = time.perf_counter()
    for first in range(start, start + count, chunk):
        fn(first, min(chunk, start + count - first))
    return time.perf_counter() - started


def _batch_sender(processor: Any, threads: int) -> Any:
    """Send messages ``first`` .. ``first + count - 1`` through the batch path; every one
    must end accepted."""
    name, language = TEMPLATE

    def batch(first: int, count: int) -> None:
        requests = [TemplateRequest(_recipient(i), name, language, _params(i))
                    for i in range(first, first + count)]
        for i, out in enumerate(processor.send_template_batch(requests, source="api",
                                                              concurrency=threads)):
            if not isinstance(out, SendOutcome) or out.status != "accepted":
                raise RuntimeError(f"message {first + i} was not accepted: {out}")

    return batch


def _on_postgresql(pg_url: str, base_url: str, n: int, threads: int, chunk: int) -> tuple[float, int]:
    """The same batch run on a throw-away PostgreSQL database: seconds for ``n`` messages
    after a warm-up batch, and the accepted rows counted afterwards."""
    from easymo_core.services import Services
    from easymo_tools.bench.ingest import postgres_database

    with postgres_database(pg_url) as url:
        db = Database(url)
        try:
            migrate.upgrade(db)
            profile = replace(sandbox_profile(), db_url=db.url, graph_url=base_url)
            services = Services.open(profile, db=db, client=_client(base_url))
            try:
                services.templates.sync()
                batch = _batch_sender(services.processor, threads)
                warm = min(chunk, n)
                _timed(batch, 0, warm, chunk)
                seconds = _timed(batch, warm, n, chunk)
                rows = _count(db)
            finally:
                services.close()
        finally:
            db.dispose()
    if rows != warm + n:
        raise RuntimeError(f"PostgreSQL: {rows} accepted rows recorded, {warm + n} expected")
    return seconds, rows


def run(n: int = 10_000, threads: int = 16, bare_n: int = 2_000, chunk: int = 200,
        pg_url: str | None = None) -> BenchReport:
    """``n`` messages through the batch path (``chunk`` per batch, ``threads`` requests in
    flight); the one-at-a-time path and the bare client on fewer, for comparison; with
    ``pg_url``, the batch path again on a throw-away PostgreSQL database."""
    from easymo_core.services import Services

    name, language = TEMPLATE
    with _sandbox() as base_url, tempfile.TemporaryDirectory(prefix="easymo-bench-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(db)
        profile = replace(sandbox_profile(), db_url=db.url, graph_url=base_url)
        services = Services.open(profile, db=db, client=_client(base_url))
        try:
            services.templates.sync()
            processor = services.processor
            record = services.templates.get(name, language)
            assert record is not None
            batch = _batch_sender(processor, threads)

            def single(first: int, count: int) -> None:
                for i in range(first, first + count):
                    out = processor.send_template(_recipient(i), name, language, _params(i), source="api")
                    if out.status != "accepted":
                        raise RuntimeError(f"message {i} ended {out.status}: {out.error}")

            payloads = [_payload(_recipient(i), record.definition, _params(i)) for i in range(bare_n)]

            def bare(first: int, count: int) -> None:
                with ThreadPoolExecutor(threads) as pool:
                    list(pool.map(services.client.send_payload, payloads[first:first + count]))

            warm = min(chunk, n)
            _timed(batch, 0, warm, chunk)
            _timed(bare, 0, min(warm, bare_n), chunk)
            seconds = _timed(batch, warm, n, chunk)
            single_n = min(n, 1_000)
            single_seconds = _timed(single, warm + n, single_n, chunk)
            bare_seconds = _timed(bare, 0, bare_n, chunk)
            rows = _count(db)
        finally:
            services.close()
            db.dispose()
        pg = _on_postgresql(pg_url, base_url, n, threads, chunk) if pg_url else None
    expected_rows = warm + n + single_n
    if rows != expected_rows:
        raise RuntimeError(f"{rows} accepted rows recorded, {expected_rows} expected")
    rate, single_rate, bare_rate = n / seconds, single_n / single_seconds, bare_n / bare_seconds
    ratio = rate / META_CEILING
    figures: dict[str, Any] = {
        "messages": n,
        "batch_size": chunk,
        "in_flight": threads,
        "processor_rate": round(rate, 1),
        "processor_seconds": round(seconds, 3),
        "one_at_a_time_rate": round(single_rate, 1),
        "bare_client_rate": round(bare_rate, 1),
        "processor_over_bare": round(rate / bare_rate, 4),
        "accepted_rows": rows,
        "meta_ceiling": META_CEILING,
    }
    rows_out = [
        ("template messages", f"{n} to {n} recipients, SQLite, sandbox in its own process"),
        (f"processor, batches of {chunk}, {threads} in flight",
         f"{rate:,.0f} msg/s ({seconds:.2f} s)"),
        (f"processor, one at a time ({single_n})", f"{single_rate:,.0f} msg/s"),
        (f"bare client, same requests, nothing recorded ({bare_n})", f"{bare_rate:,.0f} msg/s"),
        ("processor / bare client", f"{rate / bare_rate:.3f}"),
    ]
    if pg is None:
        rows_out.append(("PostgreSQL", "not measured: pass --pg-url postgresql://user@host:port/db"))
    else:
        pg_seconds, pg_rows = pg
        figures.update(pg_processor_rate=round(n / pg_seconds, 1),
                       pg_processor_seconds=round(pg_seconds, 3), pg_accepted_rows=pg_rows)
        rows_out.append((f"processor on PostgreSQL, batches of {chunk}, {threads} in flight",
                         f"{n / pg_seconds:,.0f} msg/s ({pg_seconds:.2f} s)"))
    return BenchReport(
        name="process",
        figures=figures,
        ratio=ratio,
        baseline="1,000 msg/s (Meta's ceiling per phone number)",
        rows=rows_out,
        targets={f">= {META_CEILING:,.0f} msg/s": rate >= META_CEILING},
    )


def _count(db: Database) -> int:
    from sqlalchemy import func, select

    from easymo_core.storage.models import Message

    with db.session() as s:
        accepted = select(func.count()).select_from(Message).where(Message.status == "accepted")
        return int(s.scalar(accepted) or 0)
