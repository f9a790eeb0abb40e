"""The web console's server-side time per page over a million collected posts.

    .venv/bin/python bench/bench_web.py [--posts 1000000] [--runs 30] [--dir /tmp/bench-web] [--reuse]

1. Builds a campaign database: the sample campaign's metadata, 150 posts over two months in
   every status, and N collected posts generated and imported exactly as
   ``bench/bench_mentions.py`` does (its generator; 1 post in 97 flagged). ``--reuse`` keeps a
   database built by an earlier run.
2. Times each page through Flask's test client (the whole request: routing, security checks,
   queries, template) and, beside it, the bare SQL the page runs, straight on sqlite3. Prints
   p50/p95 in ms and the ratio page/bare SQL, as a Markdown table for docs/benchmarks.md.
   Pages that keep an answer between requests (inbox counts, report, chart: see
   ``campaign/web/cache.py``) are timed both as people see them and "cold" (nothing kept, as on
   the first request after a change: for the report, only the first request after start).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_mentions import bare_report, generate, p50_p95, timed  # noqa: E402

from campaign.clock import to_db  # noqa: E402
from campaign.mentions.importer import import_lines  # noqa: E402
from campaign.mentions.search import SELECT_COLUMNS as COLUMNS  # noqa: E402
from campaign.metadata import parse_file, save  # noqa: E402
from campaign.store import open_db  # noqa: E402
from campaign.web import create_app  # noqa: E402
from posts.queue import CALENDAR_SQL, PROBLEMS_SQL  # noqa: E402
from posts.queue import LISTING_SQL as QUEUE_SQL  # noqa: E402

SAMPLE = ROOT / "campaign" / "data" / "policing-in-conflict.yaml"
STATUSES = ["published"] * 6 + ["approved"] * 5 + ["draft"] * 5 + ["failed", "missed", "cancelled"]
INBOX_SQL = (
    f"SELECT {COLUMNS} FROM mentions m LEFT JOIN authors a ON a.id = m.author_id "
    "{where} ORDER BY m.id DESC LIMIT 51 OFFSET {offset}"
)
INBOX_FTS_SQL = (
    f"SELECT {COLUMNS} FROM mentions_fts JOIN mentions m ON m.id = mentions_fts.rowid "
    "LEFT JOIN authors a ON a.id = m.author_id WHERE mentions_fts MATCH ? "
    "ORDER BY mentions_fts.rowid DESC LIMIT 51 OFFSET 0"
)
COUNTS_SQL = "SELECT review_status, count(*) FROM mentions GROUP BY review_status"


def build(work: Path, n: int) -> Path:
    """The benchmark database in ``work`` (posts, metadata, N collected posts)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_file = work / "campaign.db"
    db = open_db(db_file)
    save(db, parse_file(SAMPLE), str(SAMPLE))
    start = datetime(2026, 11, 15, 15, 0, tzinfo=UTC)
    for i in range(150):
        at = start + timedelta(hours=9 * i)
        status = STATUSES[i % len(STATUSES)]
        stamp = to_db(at)
        cur = db.execute(
            "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, last_error, "
            "created_at, updated_at) VALUES ('manual', ?, 60, ?, ?, ?, ?, ?)",
            [
                f"Post {i}: policing in conflict-affected settings, lessons from Kosovo "
                "#PolicingInConflict",
                stamp,
                status,
                "X said 403: duplicate content" if status == "failed" else None,
                stamp,
                stamp,
            ],
        )
        db.execute(
            "INSERT INTO post_audit (post_id, at, actor, to_status, detail) "
            "VALUES (?, ?, 'bench', ?, 'made by the benchmark')",
            [cur.lastrowid, stamp, status],
        )
    src = work / "tweets.jsonl"
    t0 = time.perf_counter()
    generate(src, n)
    with src.open("rb") as fh:
        result = import_lines(db, fh)
    src.unlink()
    db.execute("UPDATE mentions SET review_status = 'flagged' WHERE id % 97 = 0")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.conn.close()
    print(f"built {result.new:,} collected posts in {time.perf_counter() - t0:.0f} s")
    return db_file


def cases(conn: sqlite3.Connection) -> list[tuple[str, str, Callable[[], Any]]]:
    """(page, path, bare SQL of that page as a callable)."""

    def q(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> Callable[[], Any]:
        return lambda: conn.execute(sql, list(params)).fetchall()

    def both(*calls: Callable[[], Any]) -> Callable[[], Any]:
        return lambda: [c() for c in calls]

    week = ("2026-11-30T05:00:00.000+00:00", "2026-12-07T05:00:00.000+00:00")
    month = ("2026-11-30T05:00:00.000+00:00", "2027-01-04T05:00:00.000+00:00")
    post_id = conn.execute("SELECT min(id) FROM posts WHERE status = 'draft'").fetchone()[0]
    mention_id = conn.execute("SELECT max(id) FROM mentions").fetchone()[0]
    inbox = q(INBOX_SQL.format(where="", offset=0))
    return [
        ("Calendar, week", "/calendar?date=2026-12-02", q(CALENDAR_SQL, week)),
        ("Calendar, month", "/calendar?view=month&date=2026-12-02", q(CALENDAR_SQL, month)),
        ("Queue", "/queue", q(QUEUE_SQL.format(where=""), [51, 0])),
        (
            "Post page",
            f"/posts/{post_id}",
            both(
                q("SELECT * FROM posts WHERE id = ?", [post_id]),
                q("SELECT * FROM post_audit WHERE post_id = ? ORDER BY id", [post_id]),
            ),
        ),
        ("Inbox, newest", "/inbox", inbox),
        ("Inbox, search common word", "/inbox?q=police", q(INBOX_FTS_SQL, ['"police"'])),
        ("Inbox, search rare word", "/inbox?q=zeitgeist", q(INBOX_FTS_SQL, ['"zeitgeist"'])),
        (
            "Inbox, status flagged",
            "/inbox?status=flagged",
            q(INBOX_SQL.format(where="WHERE m.review_status = ?", offset=0), ["flagged"]),
        ),
        (
            "Inbox, author",
            "/inbox?author=%40user42",
            q(
                INBOX_SQL.format(
                    where="WHERE m.author_id IN (SELECT id FROM authors WHERE username = ? COLLATE NOCASE)",
                    offset=0,
                ),
                ["user42"],
            ),
        ),
        ("Inbox, page 20", "/inbox?page=20", q(INBOX_SQL.format(where="", offset=950))),
        (
            "Collected post page",
            f"/inbox/{mention_id}",
            q(
                "SELECT * FROM mention_audit WHERE mention_id = ? ORDER BY id",
                [mention_id],
            ),
        ),
        ("Report", "/report", None),  # type: ignore[list-item]
        ("Report chart (PNG)", "/report/chart.png", None),  # type: ignore[list-item]
        ("Status", "/status", both(q(PROBLEMS_SQL), q("SELECT status, count(*) FROM posts GROUP BY status"))),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--dir", default="/tmp/bench-web")
    ap.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run")
    args = ap.parse_args()
    work = Path(args.dir)
    db_file = work / "campaign.db"
    if not (args.reuse and db_file.exists()):
        build(work, args.posts)
    conn = sqlite3.connect(db_file)
    total = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
    app = create_app(db_file)
    client = app.test_client()
    kept = app.extensions["campaign_cache"]
    marker = open_db(db_file)
    flip = [0]

    def change() -> None:
        """A real change: a reviewer marks the newest post (so kept answers are outdated)."""
        from campaign.mentions.review import mark

        kept.wait()  # the refresh started by the previous request has finished
        newest = marker.execute("SELECT max(id) FROM mentions").fetchone()[0]
        flip[0] ^= 1
        mark(marker, [newest], "reviewed" if flip[0] else "new", actor="bench")

    def get(path: str) -> None:
        response = client.get(path, headers={"Host": "127.0.0.1"})
        assert response.status_code == 200, (path, response.status_code)

    def timed_after(setup: Callable[[], Any], path: str, runs: int) -> tuple[float, float]:
        samples = []
        for _ in range(runs):
            setup()
            t0 = time.perf_counter()
            get(path)
            samples.append((time.perf_counter() - t0) * 1000)
        return p50_p95(samples)

    print(f"\nServer-side time per page over {total:,} collected posts (ms, {args.runs} runs):")
    print("| page | path | page p50 | page p95 | bare SQL p50 | bare SQL p95 | page / SQL (p50) |")
    print("|---|---|---:|---:|---:|---:|---:|")

    def row(
        label: str, path: str, page: tuple[float, float], bare: Callable[[], Any] | None
    ) -> None:
        if bare is None:  # the request runs no query of its own: it serves a kept answer
            print(f"| {label} | `{path}` | {page[0]:.1f} | {page[1]:.1f} | — | — | — |")
            return
        b50, b95 = timed(bare, args.runs)
        print(
            f"| {label} | `{path}` | {page[0]:.1f} | {page[1]:.1f} | {b50:.2f} | {b95:.2f} "
            f"| {page[0] / b50:.1f}× |"
        )

    counts = lambda: conn.execute(COUNTS_SQL).fetchall()  # noqa: E731 - a one-line query
    for name, path, sql in cases(conn):
        heavy = path.startswith("/report")
        if heavy:
            sql = bare_report(conn)
        row(name, path, timed(lambda path=path: get(path), args.runs), sql)  # type: ignore[misc]
        if path in ("/inbox", "/inbox?q=police", "/report", "/report/chart.png"):
            runs = max(5, args.runs // 3) if heavy else args.runs
            row(
                name + ", just after a mark",
                path,
                timed_after(change, path, runs),
                sql if not heavy else None,
            )
            first = sql if heavy else (lambda sql=sql: (sql(), counts()))
            row(name + ", first after start", path, timed_after(kept.clear, path, runs), first)
    marker.conn.close()
    conn.close()


if __name__ == "__main__":
    main()
