"""The daemon's idle cost on a workspace of many campaigns, beside one campaign's.

Issue 9 asks that one daemon for a workspace of 50 campaigns on two accounts idles as cheaply
as today's daemon for one campaign. This starts the X simulator (``campaign fake-x``) and then,
in turn, ``campaign daemon --no-collect`` on two scratch databases, each for ``--idle`` seconds
after a ``--settle`` seconds' start (marking the workspace's old approved posts missed, taking
each account's lease):

- the **baseline**: one campaign (the bundled sample, loaded and planned), one account;
- the **workspace**: a copy of the database ``bench/bench_workspace.py`` builds (50 campaigns,
  every third on the account ``events``, 20,000 posts, the collected posts), both accounts'
  credentials set.

It reads each daemon's CPU time (utime + stime from /proc) over the idle window and its
resident memory at the end.

Run: ``.venv/bin/python bench/bench_workspace.py`` once (it leaves
``/tmp/bench-workspace/campaign.db``), then ``.venv/bin/python bench/bench_daemon_idle.py``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_publish import BIN, cpu_seconds, rss_mb, start_simulator  # noqa: E402

SAMPLE = ROOT / "campaign" / "data" / "policing-in-conflict.yaml"


def events_env(env: dict[str, str]) -> dict[str, str]:
    """The account ``events``'s variables: the simulator's second account (@PeaceTechEvents),
    the same app with its own access token (scheduler/simulator/__init__.py)."""
    return {
        "X_EVENTS_API_KEY": env["X_API_KEY"],
        "X_EVENTS_API_SECRET": env["X_API_SECRET"],
        "X_EVENTS_ACCESS_TOKEN": "sim-events-token",
        "X_EVENTS_ACCESS_TOKEN_SECRET": "sim-events-token-secret",
        "X_EVENTS_BEARER_TOKEN": env["X_BEARER_TOKEN"],
    }


def idle(
    db: Path, env: dict[str, str], settle: float, seconds: float, log: Path
) -> tuple[float, float]:
    """(CPU %, RSS MB) of ``campaign daemon --no-collect`` on ``db`` once it has settled."""
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [str(BIN / "campaign"), "daemon", "--no-collect"],
            env={**os.environ, **env, "CAMPAIGN_DB": str(db)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(settle)
            if daemon.poll() is not None:
                raise SystemExit(f"the daemon stopped: {log.read_text()}")
            c0, t0 = cpu_seconds(daemon.pid), time.monotonic()
            time.sleep(seconds)
            c1, t1 = cpu_seconds(daemon.pid), time.monotonic()
            rss = rss_mb(daemon.pid)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
    return (c1 - c0) / (t1 - t0) * 100, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default="/tmp/bench-workspace/campaign.db")
    ap.add_argument("--idle", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=15.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-daemon-idle-"))
    sim, _, env = start_simulator(folder)
    try:
        one = folder / "one.db"
        for step in (["init"], ["load", str(SAMPLE)], ["plan"]):
            subprocess.run(
                [str(BIN / "campaign"), *step],
                env={**os.environ, "CAMPAIGN_DB": str(one)},
                check=True,
                capture_output=True,
            )
        results: dict[str, list[tuple[float, float]]] = {"one": [], "workspace": []}
        for r in range(args.repeat):
            for name in ("one", "workspace") if r % 2 == 0 else ("workspace", "one"):
                if name == "one":
                    db, extra = one, {}
                else:
                    db = folder / "workspace.db"
                    shutil.copyfile(args.workspace, db)  # the daemon marks old posts missed
                    extra = events_env(env)
                results[name].append(
                    idle(db, {**env, **extra}, args.settle, args.idle, folder / f"{name}-{r}.log")
                )
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=10)

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    cpu = {k: median([c for c, _ in v]) for k, v in results.items()}
    rss = {k: median([m for _, m in v]) for k, v in results.items()}
    print(
        f"Command: `.venv/bin/python bench/bench_daemon_idle.py --repeat {args.repeat}` "
        f"(idle {args.idle:.0f} s after {args.settle:.0f} s)\n"
    )
    print("| daemon, idle | CPU | RSS | each run (CPU %, RSS MB) |")
    print("|---|---:|---:|---|")
    for name, label in (
        ("one", "one campaign (baseline)"),
        ("workspace", "50 campaigns, 2 accounts"),
    ):
        runs = ", ".join(f"{c:.2f} %/{m:.0f} MB" for c, m in results[name])
        print(f"| {label} | {cpu[name]:.2f} % | {rss[name]:.1f} MB | {runs} |")
    print(
        f"\nWorkspace vs one campaign: CPU +{cpu['workspace'] - cpu['one']:.2f} points, "
        f"memory {rss['workspace'] / rss['one']:.2f}×"
    )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
