"""A workspace at scale: 50 campaigns, 20,000 posts and N collected posts in one database.

    .venv/bin/python bench/bench_workspace.py [--campaigns 50] [--posts 20000]
        [--mentions 1000000] [--runs 20] [--dir /tmp/bench-workspace] [--reuse]
        [--only TEXT] [--rounds 0]

1. Builds the workspace: ``--campaigns`` copies of the sample campaign, each with its own
   hashtag and slug, events a week apart, every third one on the account ``events``; loaded and
   planned with the real ``campaign load`` and ``campaign plan``; then filled to ``--posts``
   posts (spread over the campaigns and the statuses), and ``--mentions`` collected posts
   generated and imported as ``bench/bench_mentions.py`` does, each linked to one campaign.
2. Times, beside the floor measured in the same run:
   - the command line as a subprocess (wall time, median of 5 after one untimed run of each
     version, with bytecode cached as in any installed copy): `campaign plan` of every
     campaign, `campaign posts list --json`, `campaign campaigns list --json`, against
     `campaign --version` (the start-up floor);
   - every web page through Flask's test client (p50/p95 of ``--runs``), all campaigns and
     one, against ``/healthz`` (the framework's floor).
Prints Markdown tables for docs/benchmarks.md.

``--baseline SRC`` also times, in the same run, the code of another checkout (``git archive
COMMIT | tar -x -C SRC``) on its own copy of the database (``--baseline-db``, made from the
workspace before this code's migrations touch it): commands alternate between the two
checkouts, and the pages of each are measured in a child process per round, alternating too.
The tables then give both and their ratio (new / baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# BENCH_CODE: the checkout whose code a child process measures (the baseline's, or this one).
CODE = Path(os.environ.get("BENCH_CODE", str(ROOT)))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(CODE))

# A child measuring another checkout's pages must import only that checkout's code: the
# builder's imports (bench_mentions puts this checkout first on the path) come in main().
if "--pages-json" not in sys.argv:
    from bench_mentions import generate, timed

    from campaign.clock import to_db
    from campaign.mentions.importer import import_lines
    from campaign.store import open_db
else:

    def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
        """p50 and p95 in milliseconds of ``runs`` calls after one warm-up (as bench_mentions)."""
        fn()
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


SAMPLE = ROOT / "campaign" / "data" / "policing-in-conflict.yaml"
CAMPAIGN = str(Path(sys.executable).with_name("campaign"))
STATUSES = ["published"] * 8 + ["approved"] * 4 + ["draft"] * 6 + ["failed", "missed", "cancelled"]
FIRST_EVENT = datetime(2026, 12, 6, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def cli(db_file: Path, *args: str, code: Path | None = None) -> float:
    """Wall seconds of one `campaign` run as a subprocess (it must succeed); with ``code``, the
    command line of that checkout (the same interpreter and packages)."""
    # Bytecode cached as in any installed copy (a shell with PYTHONDONTWRITEBYTECODE would have
    # each run compile the checkout's modules again: tens of milliseconds of every figure).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(CAMPAIGN_DB=str(db_file), CAMPAIGN_USER="bench")
    argv = [CAMPAIGN, *args]
    if code is not None:
        # `python -c` puts the working folder first on the path: run in the checkout's own
        env["PYTHONPATH"] = str(code)
        argv = [sys.executable, "-c", "from campaign.cli import main; main()", *args]
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True, cwd=code)
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


COMMANDS = [
    ("`campaign --version` (start-up floor)", ["--version"]),
    ("`campaign plan` (every campaign)", ["plan"]),
    ("`campaign plan --campaign season07talks`", ["plan", "--campaign", "season07talks"]),
    ("`campaign posts list` (the table)", ["posts", "list"]),
    ("`campaign posts list --json` (all)", ["posts", "list", "--json"]),
    ("`campaign posts list --campaign season07talks`", ["posts", "list", "--campaign", "season07talks"]),
    ("`campaign campaigns list --json`", ["campaigns", "list", "--json"]),
    ("`campaign status`", ["status"]),
    ("`campaign calendar --days 7`", ["calendar", "--days", "7"]),
]  # fmt: skip
PAGES = [
    "/calendar?view=week&date=2026-12-02",
    "/calendar?view=month&date=2026-12-02",
    "/queue",
    "/queue?status=draft",
    "/inbox",
    "/report",
    "/status",
    "/posts/new",
]


def measure_pages(db_file: Path, runs: int) -> dict[str, tuple[float, float]]:
    """p50 and p95 (ms) of every page, all campaigns and one, through Flask's test client."""
    import time_machine

    from campaign.web import create_app

    out: dict[str, tuple[float, float]] = {}
    with time_machine.travel(NOW, tick=False):
        app = create_app(db_file)
        client = app.test_client()

        def get(path: str) -> None:
            response = client.get(path, headers={"Host": "127.0.0.1"})
            # /healthz answers 503 here (no daemon runs): still the framework's floor
            assert response.status_code in (200, 302, 503), (path, response.status_code)

        out["`/healthz` (floor)"] = timed(lambda: get("/healthz"), runs)
        for scope in ("all campaigns", "one campaign (season07talks)"):
            get("/campaign?slug=" + ("season07talks" if scope.startswith("one") else ""))
            for path in PAGES:
                out[f"{scope}: `{path}`"] = timed(lambda path=path: get(path), runs)  # type: ignore[misc]
    return out


def pages_in_child(db_file: Path, runs: int, code: Path) -> dict[str, tuple[float, float]]:
    """:func:`measure_pages` in a new process running the code of the checkout ``code``."""
    env = {**os.environ, "BENCH_CODE": str(code)}
    argv = [sys.executable, __file__, "--pages-json", "--db", str(db_file), "--runs", str(runs)]
    done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    return {k: (v[0], v[1]) for k, v in json.loads(done.stdout.splitlines()[-1]).items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--campaigns", type=int, default=50)
    ap.add_argument("--posts", type=int, default=20_000)
    ap.add_argument("--mentions", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20, help="requests per page and round")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each command")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of page measurements (0: none)")
    ap.add_argument("--only", metavar="TEXT", help="time only the commands whose label has TEXT")
    ap.add_argument("--dir", default="/tmp/bench-workspace")
    ap.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run")
    ap.add_argument("--baseline", metavar="SRC", help="a checkout of the code to compare with")
    ap.add_argument(
        "--baseline-db", metavar="FILE", help="the workspace as the baseline's code built it"
    )
    ap.add_argument("--pages-json", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pages_json:
        print(json.dumps(measure_pages(Path(args.db), args.runs)))
        return
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
    versions: list[tuple[str, Path, Path]] = []
    if args.baseline:
        if not args.baseline_db:
            ap.error("--baseline needs --baseline-db")
        versions.append(("baseline", Path(args.baseline), Path(args.baseline_db)))
    versions.append(("new", ROOT, db_file))

    print(f"\nCommand line, wall seconds (median of {args.repeat}, versions alternating):")
    names = [v[0] for v in versions]
    head = " | ".join(names)
    ratio = " new / baseline |" if len(versions) > 1 else ""
    print(f"| command | {head} |{ratio}")
    print("|---|" + "---:|" * (len(versions) + (1 if ratio else 0)))
    for label, argv in COMMANDS:
        if args.only and args.only not in label:
            continue
        times: dict[str, list[float]] = {n: [] for n in names}
        for _name, code, file in versions:  # untimed: writes bytecode, runs pending migrations
            cli(file, *argv, code=code)
        for r in range(args.repeat):
            order = versions if r % 2 == 0 else list(reversed(versions))
            for name, code, file in order:
                times[name].append(cli(file, *argv, code=code))
        med = [statistics.median(times[n]) for n in names]
        cells = " | ".join(f"{m:.2f}" for m in med)
        extra = f" {med[-1] / med[0]:.2f}× |" if ratio else ""
        print(f"| {label} | {cells} |{extra}", flush=True)

    if not args.rounds:
        return
    found: dict[str, dict[str, list[tuple[float, float]]]] = {n: {} for n in names}
    for r in range(args.rounds):
        order = versions if r % 2 == 0 else list(reversed(versions))
        for name, code, file in order:
            for page, figures in pages_in_child(file, args.runs, code).items():
                found[name].setdefault(page, []).append(figures)
    print(
        f"\nWeb pages, server-side ms (median over {args.rounds} rounds of {args.runs} "
        "requests each of the round's p50 and p95):"
    )
    cols = " | ".join(f"{n} p50 | {n} p95" for n in names)
    ratio = " p95 new / baseline |" if len(versions) > 1 else ""
    print(f"| page | {cols} |{ratio}")
    print("|---|" + "---:|" * (2 * len(versions) + (1 if ratio else 0)))
    for page in found["new"]:
        meds = []
        for n in names:
            rounds = found[n].get(page, [])
            meds.append(
                (
                    statistics.median(p for p, _ in rounds),
                    statistics.median(q for _, q in rounds),
                )
                if rounds
                else (float("nan"), float("nan"))
            )
        cells = " | ".join(f"{a:.1f} | {b:.1f}" for a, b in meds)
        extra = f" {meds[-1][1] / meds[0][1]:.2f}× |" if ratio else ""
        print(f"| {page} | {cells} |{extra}", flush=True)


if __name__ == "__main__":
    main()
