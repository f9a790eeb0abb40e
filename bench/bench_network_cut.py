"""A network cut of N minutes under publishing: tries sent and history rows written, with the
capped exponential backoff against the old policy (a wait of 1 to 1.5 s after each refused
connection), in the same run.

    .venv/bin/python bench/bench_network_cut.py [--minutes 3]

The connection is really refused (a 127.0.0.1 port nobody listens on); the clock is frozen and
moved to each wait's end, so three simulated minutes take a second or two. Prints the table for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from campaign.clock import from_db, now
from campaign.store import open_db
from posts import queue
from scheduler import lease
from scheduler.publish import PublishConfig, Publishing, waiting
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient

START = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
KEYS = {
    "X_API_KEY": "sim-key",
    "X_API_SECRET": "sim-secret",
    "X_ACCESS_TOKEN": "sim-token",
    "X_ACCESS_TOKEN_SECRET": "sim-token-secret",
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cut(folder: Path, minutes: float, cap: float) -> tuple[int, int, int]:
    """(tries, history rows, tries shown in the history) over ``minutes`` of refused
    connections, with the backoff capped at ``cap`` seconds."""
    db = open_db(folder / f"cap{cap:g}.db")
    env = {**KEYS, "X_API_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    client = XClient(Credentials.from_env(env), timeout=1.0)
    with time_machine.travel(START, tick=False) as clock:
        holder = lease.new_holder("bench")
        lease.acquire(db, holder, ttl=86400)
        stamp = now().isoformat()
        cur = db.execute(
            "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, created_at, "
            "updated_at) VALUES ('manual', 'Live #PolicingInConflict', 24, ?, 'approved', ?, ?)",
            [stamp, stamp, stamp],
        )
        post_id = int(cur.lastrowid or 0)
        run = Publishing(
            db, XPublisher(client), holder, PublishConfig(backoff=1.0, backoff_cap=cap)
        )
        end = START + timedelta(minutes=minutes)
        while now() < end:
            run.run_due()
            w = waiting(db)
            clock.move_to(from_db(str(w["until"])) if w else now() + timedelta(seconds=1))
        history = queue.history(db, post_id)
        tries = queue.get(db, post_id).attempts
    return (
        tries,
        len(history),
        sum(int(h["repeats"]) for h in history if h["to_status"] == "publishing"),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = cut(Path(tmp), args.minutes, cap=1.5)
        new = cut(Path(tmp), args.minutes, cap=60.0)
    print(f"| policy ({args.minutes:g} min cut) | tries | ratio | history rows |")
    print("|---|---:|---:|---:|")
    print(f"| wait 1–1.5 s after each try (baseline) | {old[0]} | 1.00 | {old[1]} (×{old[2]}) |")
    print(
        f"| 1, 2, 4 … s capped at 60 s | {new[0]} | {new[0] / old[0]:.2f} | {new[1]} (×{new[2]}) |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
