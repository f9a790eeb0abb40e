"""What the metrics cost `campaign posts list --json` and the performance report.

    .venv/bin/python bench/bench_metrics.py [--posts 3000] [--readings 3] [--runs 15]

Builds a database in a temporary folder with ``--posts`` published posts, then times, in turn
and in the same run: the rows of `posts list --json` without metrics (the baseline: the queue's
rows and their JSON, as before issue 11), the same rows with each post's latest reading
(``posts.metrics.latest``) after ``--readings`` readings of every post, and the whole
performance report (``posts.performance.report``). Medians of ``--runs`` runs, and the ratios
against the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign.clock import to_db
from campaign.store import immediate, open_db
from posts import metrics, performance, queue

NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


def build(path: Path, posts: int, readings: int) -> None:
    db = open_db(path)
    with immediate(db):
        for i in range(posts):
            at = to_db(NOW - timedelta(hours=1 + i))
            db.execute(
                "INSERT INTO posts (kind, template, text, weighted_length, scheduled_at, status, "
                "tweet_id, published_at, created_at, updated_at) "
                "VALUES (?, ?, ?, 30, ?, 'published', ?, ?, ?, ?)",
                [
                    ("spotlight", "reminder", "announcement")[i % 3],
                    None,
                    f"Post number {i} #PolicingInConflict",
                    at,
                    str(10**17 + i),
                    at,
                    at,
                    at,
                ],
            )
    ids = [r[0] for r in db.execute("SELECT id FROM posts")]
    for n in range(readings):
        at = NOW + timedelta(hours=n)
        metrics.record(
            db,
            [metrics.Reading(i, at, 100 * (n + 1), 5, 1, 1, 0, 2, 3, 1) for i in ids],
        )
    db.close()


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=3000)
    ap.add_argument("--readings", type=int, default=3)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path, args.posts, args.readings)
        db = open_db(path)

        def baseline() -> object:
            return [p.to_json() for p in queue.list_posts(db)]

        def with_metrics() -> object:
            found = queue.list_posts(db)
            read = metrics.latest(db, (p.id for p in found))
            return [
                {**p.to_json(), "metrics": read[p.id].counts() if p.id in read else None}
                for p in found
            ]

        def report() -> object:
            return performance.report(db, "America/New_York")

        base = median_ms(baseline, args.runs)
        listed = median_ms(with_metrics, args.runs)
        rep = median_ms(report, args.runs)
    print(f"{args.posts} published posts, {args.readings} readings each, median of {args.runs}")
    print("| what | median | ratio to the baseline |")
    print("|---|---|---|")
    print(f"| posts list --json rows, no metrics (baseline) | {base:.1f} ms | 1.00× |")
    print(f"| posts list --json rows with metrics | {listed:.1f} ms | {listed / base:.2f}× |")
    print(f"| the performance report | {rep:.1f} ms | {rep / base:.2f}× |")


if __name__ == "__main__":
    main()
