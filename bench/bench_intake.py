"""Mail intake benchmark: messages ingested per second from a maildir of 10k messages.

    python bench/bench_intake.py [--count 10000] [--runs 3] [--db URL]

Each run builds a fresh migrated SQLite database with the test world (a client, its
contact and a 24x7 contract), writes a maildir of --count synthetic messages (70% new
requests, 20% replies threading onto earlier ones by In-Reply-To, 10% out-of-office
auto-replies, a tenth of the requests in windows-1251), then times
`dispatcher.intake.pipeline.ingest_all` over it: every message parsed and stored in its
own write transaction (ticket, first message, SLA clock events, the acknowledgement in the
outbox), exactly as `dispatcher admin intake import` does. Target: over 200 messages/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatcher.intake import sources  # noqa: E402
from dispatcher.intake.pipeline import ingest_all  # noqa: E402
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from tests.factories import world  # noqa: E402
from tests.intake.helpers import make_maildir  # noqa: E402


def run_once(count: int, url: str | None) -> tuple[float, dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = url or f"sqlite:///{tmp}/bench.db"
        store = Store.open(db)
        migrate.upgrade(store.engine)
        world(store)
        maildir = make_maildir(Path(tmp) / "Maildir", count)
        start = time.perf_counter()
        summary = ingest_all(store, sources.iter_path(maildir))
        elapsed = time.perf_counter() - start
        store.dispose()
        return count / elapsed, summary.counts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default=None, help="an empty database URL (default: SQLite)")
    args = parser.parse_args()
    rates = []
    for run in range(args.runs):
        rate, counts = run_once(args.count, args.db)
        rates.append(rate)
        print(f"run {run + 1}: {rate:,.0f} messages/s  {counts}")
    print(
        f"intake from a maildir of {args.count:,}: median {statistics.median(rates):,.0f} "
        f"messages/s over {args.runs} runs (min {min(rates):,.0f}, max {max(rates):,.0f}); "
        "target > 200/s"
    )


if __name__ == "__main__":
    main()
