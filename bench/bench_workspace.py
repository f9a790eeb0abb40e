"""A workspace at scale: 50 campaigns, 20,000 posts and N collected posts in one database.

    .venv/bin/python bench/bench_workspace.py [--campaigns 50] [--posts 20000]
        [--mentions 1000000] [--runs 20] [--dir /tmp/bench-workspace] [--reuse]

1. Builds the workspace: ``--campaigns`` copies of the sample campaign, each with its own
   hashtag and slug, events a week apart, every third one on the account ``events``; loaded and
   planned with the real ``campaign load`` and ``campaign plan``; then filled to ``--posts``
   posts (spread over the campaigns and the statuses), and ``--mentions`` collected posts
   generated and imported as ``bench/bench_mentions.py`` does, each linked to one campaign.
2. Times, beside the floor measured in the same run:
   - the command line as a subprocess (wall time, median of 5): `campaign plan` of every
     campaign, `campaign posts list --json`, `campaign campaigns list --json`, against
     `campaign --version` (the start-up floor);
   - every web page through Flask's test client (p50/p95 of ``--runs``), all campaigns and
     one, against ``/healthz`` (the framework's floor).
Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_mentions import generate, timed  # noqa: E402

from campaign.clock import to_db  # noqa: E402
from campaign.mentions.importer import import_lines  # noqa: E402
from campaign.store import open_db  # noqa: E402
from campaign.web import create_app  # noqa: E402

SAMPLE = ROOT / "campaign" / "data" / "policing-in-conflict.yaml"
CAMPAIGN = str(Path(sys.executable).with_name("campaign"))
STATUSES = ["published"] * 8 + ["approved"] * 4 + ["draft"] * 6 + ["failed", "missed", "cancelled"]
FIRST_EVENT = datetime(2026, 12, 6, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def cli(db_file: Path, *args: str) -> float:
    """Wall seconds of one `campaign` run as a subprocess (it must succeed)."""
    env = {**os.environ, "CAMPAIGN_DB": str(db_file), "CAMPAIGN_USER": "bench"}
    t0 = time.perf_counter()
    subprocess.run([CAMPAIGN, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def median_of(n: int, fn: object) -> float:
    assert callable(fn)
    return statistics.median(fn() for _ in range(n))


def build(work: Path, campaigns: int, posts: int, mentions: int) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_file = work / "campaign.db"
    cli(db_file, "init")
    sample = SAMPLE.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    for i in range(campaigns):
        day = (FIRST_EVENT + timedelta(days=7 * i)).date().isoformat()
        account = "events" if i % 3 == 2 else "default"
        text = (
            sample.replace("'#PolicingInConflict'", f"'#Season{i:02d}Talks'", 1)
            .replace("2026-12-06", day)
            .replace("campaign:\n", f"campaign:\n  account: {account}\n", 1)
        )
        path = work / f"event-{i:02d}.yaml"
        path.write_text(text, encoding="utf-8")
        cli(db_file, "load", str(path))
    print(f"loaded {campaigns} campaigns in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    cli(db_file, "plan")
    print(f"first plan of every campaign in {time.perf_counter() - t0:.1f} s")
    db = open_db(db_file)
    have = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    rows = []
    for n in range(posts - have):
        cid = n % campaigns + 1
        at = NOW + timedelta(minutes=37 * n) - timedelta(days=30)
        stamp = to_db(at)
        status = STATUSES[n % len(STATUSES)]
        rows.append(
            (cid, f"Post {n} of campaign {cid}: policing in conflict #Season{cid - 1:02d}Talks",
             stamp, status, stamp, stamp)
        )  # fmt: skip
    with db.conn:
        db.conn.executemany(
            "INSERT INTO posts (campaign_id, kind, text, weighted_length, scheduled_at, status, "
            "created_at, updated_at) VALUES (?, 'manual', ?, 60, ?, ?, ?, ?)",
            rows,
        )
    if mentions:
        src = work / "tweets.jsonl"
        t0 = time.perf_counter()
        generate(src, mentions)
        with src.open("rb") as fh:
            result = import_lines(db, fh)
        src.unlink()
        with db.conn:
            db.conn.execute(
                "INSERT OR IGNORE INTO mention_campaigns (campaign_id, mention_id) "
                "SELECT id % ? + 1, id FROM mentions",
                [campaigns],
            )
        print(
            f"imported and linked {result.new:,} collected posts in {time.perf_counter() - t0:.0f} s"
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.conn.close()
    return db_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--campaigns", type=int, default=50)
    ap.add_argument("--posts", type=int, default=20_000)
    ap.add_argument("--mentions", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--dir", default="/tmp/bench-workspace")
    ap.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run")
    args = ap.parse_args()
    work = Path(args.dir)
    db_file = work / "campaign.db"
    if not (args.reuse and db_file.exists()):
        build(work, args.campaigns, args.posts, args.mentions)
    db = open_db(db_file)
    counts = [
        db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("campaigns", "posts", "mentions")
    ]
    db.conn.close()
    print(
        f"\nWorkspace: {counts[0]} campaigns, {counts[1]:,} posts, {counts[2]:,} collected posts."
    )

    floor = median_of(5, lambda: cli(db_file, "--version"))
    print("\nCommand line, wall time (median of 5):")
    print("| command | seconds | / start-up |")
    print("|---|---:|---:|")
    print(f"| `campaign --version` (start-up floor) | {floor:.2f} | 1.0× |")
    for label, argv in (
        ("`campaign plan` (every campaign)", ["plan"]),
        ("`campaign plan --campaign season07talks`", ["plan", "--campaign", "season07talks"]),
        ("`campaign posts list --json` (all)", ["posts", "list", "--json"]),
        (
            "`campaign posts list --campaign season07talks`",
            ["posts", "list", "--campaign", "season07talks"],
        ),
        ("`campaign campaigns list --json`", ["campaigns", "list", "--json"]),
        ("`campaign calendar --days 7`", ["calendar", "--days", "7"]),
    ):
        s = median_of(5, lambda argv=argv: cli(db_file, *argv))  # type: ignore[misc]
        print(f"| {label} | {s:.2f} | {s / floor:.1f}× |")

    import time_machine

    with time_machine.travel(NOW, tick=False):
        app = create_app(db_file)
        client = app.test_client()

        def get(path: str) -> None:
            response = client.get(path, headers={"Host": "127.0.0.1"})
            # /healthz answers 503 here (no daemon runs): still the framework's floor
            assert response.status_code in (200, 302, 503), (path, response.status_code)

        f50, f95 = timed(lambda: get("/healthz"), args.runs)
        print(f"\nWeb pages, server-side ms ({args.runs} runs):")
        print("| page | p50 | p95 | p50 / floor |")
        print("|---|---:|---:|---:|")
        print(f"| `/healthz` (floor) | {f50:.1f} | {f95:.1f} | 1.0× |")
        pages = [
            "/calendar?view=week&date=2026-12-02",
            "/calendar?view=month&date=2026-12-02",
            "/queue",
            "/queue?status=draft",
            "/inbox",
            "/report",
            "/status",
            "/posts/new",
        ]
        for scope in ("all campaigns", "one campaign (season07talks)"):
            get("/campaign?slug=" + ("season07talks" if scope.startswith("one") else ""))
            for path in pages:
                p50, p95 = timed(lambda path=path: get(path), args.runs)  # type: ignore[misc]
                print(f"| {scope}: `{path}` | {p50:.1f} | {p95:.1f} | {p50 / f50:.1f}× |")


if __name__ == "__main__":
    main()
