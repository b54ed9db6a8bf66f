"""What row-level security costs a login: the dashboard and a message-log page on ~100k
messages of two accounts, as the owner (no RLS) and as an admin of one account.

    EASYMO_TEST_PG_URL=postgresql://owner@host/postgres python -m tests.bench.rls_overhead [N]

Not a test (no timing thresholds in tests): it prints the medians to compare. It creates a
throw-away database and login, and drops them.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.period import resolve_period
from easymo_core.messaging.log_queries import LogFilter, LogQueries
from easymo_core.roles import grants, logins
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from tests.conftest import _create_pg_database, _drop_pg_database

A, B = "100000000000001", "200000000000002"
RUNS = 7


def fill(db: Database, n: int) -> None:
    now_ms = int(time.time() * 1000)
    span = 29 * 86_400_000
    with db.engine.begin() as conn:
        # Half each account, two in three outbound (sent, delivered or read), the rest inbound.
        conn.execute(text(
            "INSERT INTO messages (wamid, profile, phone_number_id, waba_id, direction, contact_wa_id,"
            " type, template_name, template_language, body, status, source, created_at, updated_at,"
            " sent_at, delivered_at, read_at, received_at)"
            " SELECT 'w.' || i, CASE WHEN i % 3 = 0 THEN '' ELSE 'p' END,"
            " CASE WHEN i % 2 = 0 THEN '9001' ELSE '9002' END,"
            " CASE WHEN i % 2 = 0 THEN :a ELSE :b END,"
            " CASE WHEN i % 3 = 0 THEN 'in' ELSE 'out' END, '31' || (i % 5000),"
            " CASE WHEN i % 3 = 0 THEN 'text' ELSE 'template' END,"
            " CASE WHEN i % 3 = 0 THEN NULL ELSE 'promo_' || (i % 7) END,"
            " CASE WHEN i % 3 = 0 THEN NULL ELSE 'en' END, 'body ' || i,"
            " CASE WHEN i % 3 = 0 THEN 'received' WHEN i % 3 = 1 THEN 'delivered' ELSE 'read' END,"
            " CASE WHEN i % 3 = 0 THEN 'webhook' ELSE 'bulk' END,"
            " t, t, CASE WHEN i % 3 = 0 THEN NULL ELSE t END, CASE WHEN i % 3 = 0 THEN NULL ELSE t + 2000 END,"
            " CASE WHEN i % 3 = 2 THEN t + 9000 END, CASE WHEN i % 3 = 0 THEN t END"
            " FROM (SELECT i, :now - :span + (i::bigint * :span / :n) AS t"
            "       FROM generate_series(1, :n) AS i) s"
        ), {"a": A, "b": B, "now": now_ms, "span": span, "n": n})
        conn.execute(text("ANALYZE"))


def median_ms(fn: Callable[[], object]) -> float:
    fn()  # warm the caches and plans
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(db: Database) -> tuple[float, float, float]:
    analytics, log = Analytics(db), LogQueries(db)
    period = resolve_period("30d")
    return (median_ms(lambda: analytics.dashboard(period)),
            median_ms(lambda: log.page(LogFilter())),
            median_ms(lambda: log.count(LogFilter())))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if not os.environ.get("EASYMO_TEST_PG_URL"):
        sys.exit("set EASYMO_TEST_PG_URL to a PostgreSQL superuser's URL")
    url = _create_pg_database()
    owner = Database(url)
    names = [f"{make_url(url).database}_bench_a", f"{make_url(url).database}_bench_all"]
    try:
        migrate.upgrade(owner)
        started = time.perf_counter()
        fill(owner, n)
        print(f"{n} messages inserted in {time.perf_counter() - started:.1f} s")
        grants.setup(owner.engine)
        results = {"owner (every account, no RLS)": measure(owner)}
        for login, accounts, who in ((names[0], [A], "admin of A (RLS, half the rows)"),
                                     (names[1], [], "admin of every account (RLS)")):
            password = secrets.token_urlsafe(18)
            with owner.engine.begin() as conn:
                logins.add(conn, login, "admin", password, accounts)
            admin = Database(make_url(url).set(username=login, password=password).render_as_string(False))
            try:
                results[who] = measure(admin)
            finally:
                admin.dispose()
        print(f"{'':34} {'dashboard 30d':>14} {'log page':>10} {'log count':>10}  (median of {RUNS}, ms)")
        for who, (dash, page, count) in results.items():
            print(f"{who:34} {dash:14.1f} {page:10.1f} {count:10.1f}")
    finally:
        owner.dispose()
        _drop_pg_database(url)
        cleanup = Database(os.environ["EASYMO_TEST_PG_URL"])
        with cleanup.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for login in names:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')
        cleanup.dispose()


if __name__ == "__main__":
    main()
