"""`campaign posts import` against its floor: checking and inserting N rows of a CSV
(posts/csvimport.py: every text through posts.rules, times, threads) against inserting the same
rows bare (queue.insert_draft in one transaction, no checks), into an empty queue and into a queue
that already holds N posts (the duplicate rule compares each row with every other post).

    .venv/bin/python bench/bench_csv_import.py [--rows 1000]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign.store import immediate, open_db
from posts import csvimport, queue


def _csv(rows: int, start: datetime, word: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["text", "at"])
    for i in range(rows):
        at = (start + timedelta(minutes=30 * i)).isoformat(timespec="minutes")
        w.writerow([f"{word} {i}: policing in conflict-affected settings, day {i // 48}", at])
    return buf.getvalue()


def _bare(db_path: Path, text: str) -> float:
    db = open_db(db_path)
    rows = list(csv.DictReader(io.StringIO(text)))
    t0 = time.perf_counter()
    with immediate(db):
        for r in rows:
            at = datetime.fromisoformat(r["at"])
            new = queue.NewPost("manual", r["text"], len(r["text"]), at, hand_edited=True)
            queue.insert_draft(db, new, "bench", "bare")
    return time.perf_counter() - t0


def _checked(db_path: Path, text: str) -> float:
    db = open_db(db_path)
    t0 = time.perf_counter()
    csvimport.insert(db, csvimport.check(db, text), actor="bench")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    n = ap.parse_args().rows
    start = datetime.now(UTC) + timedelta(days=2)
    first, second = _csv(n, start, "Post"), _csv(n, start + timedelta(days=60), "Another")
    with tempfile.TemporaryDirectory() as tmp:
        _checked(Path(tmp, "warm.db"), _csv(10, start, "Warm-up"))  # imports and caches, once
        bare_db, checked_db = Path(tmp, "bare.db"), Path(tmp, "checked.db")
        results = [
            ("into an empty queue", _bare(bare_db, first), _checked(checked_db, first)),
            (f"beside {n:,} posts", _bare(bare_db, second), _checked(checked_db, second)),
        ]
    print(f"| {n:,} rows | bare inserts (floor) | posts import | ratio |")
    print("|---|---|---|---|")
    for label, bare, checked in results:
        print(f"| {label} | {bare:.3f} s | {checked:.3f} s | {checked / bare:.0f}× |")


if __name__ == "__main__":
    main()
