"""Publishing lateness and daemon idle cost.

Starts the X simulator (``campaign fake-x``) and ``campaign daemon`` as real processes on a
scratch database holding 10,000 approved posts: ``--due`` of them fall due one every
``--spacing`` seconds (about a minute in all), the rest weeks later. Measures, in the same run:

- the simulator's own round trip for ``POST /2/tweets`` through the same X client (baseline);
- each due post's lateness: ``published_at - scheduled_at`` as the daemon recorded it (this
  includes the round trip, since ``published_at`` is written once X has answered);
- the daemon's CPU (utime + stime from /proc) over ``--idle`` seconds once nothing is due, and
  its resident memory; beside them an idle Python process that imports the same libraries.

Run: ``.venv/bin/python bench/bench_publish.py`` (prints a Markdown section).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from campaign.clock import from_db, now, to_db  # noqa: E402 - after the path is set
from campaign.store import open_db  # noqa: E402
from scheduler.xclient import Credentials, XClient  # noqa: E402

BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_simulator(folder: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    log = folder / "fake-x.log"
    out = log.open("wb")
    proc = subprocess.Popen(
        [str(BIN / "campaign"), "fake-x", "--port", "0"], stdout=out, stderr=subprocess.STDOUT
    )
    prefix = "Fake X API listening on "
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = log.read_text(errors="replace").splitlines()
        if any(line.startswith("Account @") for line in lines):
            base = next(line[len(prefix) :].strip() for line in lines if line.startswith(prefix))
            env = dict(
                line[len("export ") :].split("=", 1) for line in lines if line.startswith("export ")
            )
            return proc, base, env
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the simulator did not start: {log.read_text()}")


def fill(db_path: Path, total: int, due: int, spacing: float, lead: float) -> None:
    db = open_db(db_path)
    start = now() + timedelta(seconds=lead)
    far = now() + timedelta(days=30)
    stamp = to_db(now())
    rows = []
    for i in range(total):
        at = start + timedelta(seconds=i * spacing) if i < due else far + timedelta(minutes=i)
        text = f"Bench post {i} https://example.org/p/{i} #PolicingInConflict"
        rows.append(("manual", text, len(text), to_db(at), "approved", stamp, stamp))
    with db.conn:
        db.conn.executemany(
            "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--total", type=int, default=10_000)
    ap.add_argument("--due", type=int, default=120)
    ap.add_argument("--spacing", type=float, default=0.5)
    ap.add_argument("--idle", type=float, default=30.0)
    ap.add_argument("--rtt-samples", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder and its logs")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    sim, base_url, env = start_simulator(folder)
    daemon: subprocess.Popen[bytes] | None = None
    try:
        requests.post(
            f"{base_url}/_sim/limits", json={"post": {"limit": 1_000_000, "window": 900}}, timeout=5
        ).raise_for_status()
        client = XClient(Credentials.from_env(env, need_user=True))
        client.create_post("warm-up: the simulator's first post loads its length rules")
        rtt = []
        for i in range(args.rtt_samples):
            t = time.perf_counter()
            client.create_post(f"Round trip sample {i}")
            rtt.append((time.perf_counter() - t) * 1000)

        db_path = folder / "campaign.db"
        fill(db_path, args.total, args.due, args.spacing, lead=5.0)
        daemon_env = {**os.environ, **env, "CAMPAIGN_DB": str(db_path)}
        daemon_log = (folder / "daemon.log").open("wb")
        daemon = subprocess.Popen(
            [str(BIN / "campaign"), "daemon", "--no-collect", "--daily-cap", "100000"],
            env=daemon_env,
            stdout=daemon_log,
            stderr=subprocess.STDOUT,
        )
        db = open_db(db_path)
        deadline = time.monotonic() + 5 + args.due * args.spacing + 60
        while time.monotonic() < deadline:
            n = db.execute("SELECT count(*) FROM posts WHERE status = 'published'").fetchone()[0]
            if n >= args.due:
                break
            time.sleep(0.5)
        rows = db.execute(
            "SELECT scheduled_at, published_at FROM posts WHERE status = 'published'"
        ).fetchall()
        late = [(from_db(p) - from_db(s)).total_seconds() * 1000 for s, p in rows]
        early = sum(1 for x in late if x < 0)

        time.sleep(2)  # let the last round and its logging finish
        c0, t0 = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(args.idle)
        c1, t1 = cpu_seconds(daemon.pid), time.monotonic()
        idle_cpu = (c1 - c0) / (t1 - t0) * 100
        daemon_rss = rss_mb(daemon.pid)

        base = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import tweepy, apscheduler.schedulers.background, sqlite_utils, yaml, time; "
                "import scheduler.daemon, campaign.metadata; time.sleep(60)",
            ],
            cwd=ROOT,
        )
        time.sleep(3)
        b0 = cpu_seconds(base.pid)
        time.sleep(10)
        base_cpu = (cpu_seconds(base.pid) - b0) / 10 * 100
        base_rss = rss_mb(base.pid)
        base.kill()
        base.wait()

        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        daemon = None
    finally:
        if daemon is not None:
            daemon.kill()
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=10)

    r50, r99 = pct(rtt, 50), pct(rtt, 99)
    l50, l99 = pct(late, 50), pct(late, 99)
    print(
        f"Command: `.venv/bin/python bench/bench_publish.py` (defaults: {args.total:,} posts "
        f"queued, {args.due} due {args.spacing} s apart, idle {args.idle:.0f} s)\n"
    )
    print("| measure | value | baseline (same run) | ratio / difference |")
    print("|---|---|---|---|")
    print(f"| simulator round trip `POST /2/tweets` p50 / p99 | {r50:.1f} / {r99:.1f} ms | — | — |")
    print(
        f"| publish lateness p50 (published_at − due) | {l50:.1f} ms | round trip p50 {r50:.1f} ms "
        f"| {l50 / r50:.1f}× (+{l50 - r50:.1f} ms) |"
    )
    print(
        f"| publish lateness p99 | {l99:.1f} ms | round trip p99 {r99:.1f} ms "
        f"| +{l99 - r99:.1f} ms (goal: p99 within 250 ms of due) |"
    )
    print(f"| lateness max / posts early | {max(late):.1f} ms / {early} of {len(late)} | — | — |")
    print(
        f"| daemon idle CPU over {args.idle:.0f} s | {idle_cpu:.3f} % | idle Python with the same "
        f"imports {base_cpu:.3f} % | +{idle_cpu - base_cpu:.3f} points (goal < 0.5 %) |"
    )
    print(
        f"| daemon RSS | {daemon_rss:.1f} MB | same imports, no jobs {base_rss:.1f} MB "
        f"| {daemon_rss / base_rss:.2f}× (goal < 80 MB) |"
    )
    print(f"\nDaemon exit code after SIGTERM: {code}. Scratch folder: {folder}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
