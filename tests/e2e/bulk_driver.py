"""A bulk run in a process of its own, paced at a given rate, for tests that kill it.

python -m tests.e2e.bulk_driver DB_URL GRAPH_URL CSV RATE
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from easymo_core.config import sandbox_profile
from easymo_core.messaging.bulk import BulkSender
from easymo_core.services import Services

TEMPLATE = ("order_update", "en_US")


def main(db_url: str, graph_url: str, csv_path: str, rate: str) -> None:
    profile = replace(sandbox_profile(), db_url=db_url, graph_url=graph_url, messages_per_second=float(rate))
    services = Services.open(profile)
    try:
        BulkSender(services.processor).run(Path(csv_path), *TEMPLATE)
    finally:
        services.client.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
