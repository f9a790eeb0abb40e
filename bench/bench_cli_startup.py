"""CLI start-up: `campaign --help` against `sqlite-utils --help`, each run N times in turn.

    .venv/bin/python bench/bench_cli_startup.py [--runs 30]

Both are console scripts of the same virtualenv, started as subprocesses the same way; the
median wall time of each is reported with the ratio (goal: campaign no slower). With
``--imports`` it also lists the slowest imports of `campaign --help` (python -X importtime).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def once(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def slowest_imports(top: int = 12) -> list[tuple[int, str]]:
    """The modules `campaign --help` spends most time importing (cumulative µs, name)."""
    code = "from campaign.cli import main; import sys; sys.argv=['campaign','--help']; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--imports", action="store_true", help="also list the slowest imports")
    args = parser.parse_args()
    ours = [str(BIN / "campaign"), "--help"]
    theirs = [str(BIN / "sqlite-utils"), "--help"]
    once(ours), once(theirs)  # warm the file cache
    a, b = [], []
    for _ in range(args.runs):
        a.append(once(ours))
        b.append(once(theirs))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"campaign --help:     median {ma * 1000:.0f} ms over {args.runs} runs")
    print(f"sqlite-utils --help: median {mb * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio: {ma / mb:.2f} (goal: at most 1.00)")
    print()
    print(f"| command (median of {args.runs} runs) | ms | ratio |")
    print("|---|---:|---:|")
    print(f"| `sqlite-utils --help` (baseline) | {mb * 1000:.0f} | 1.00 |")
    print(f"| `campaign --help` | {ma * 1000:.0f} | {ma / mb:.2f} |")
    print(f"\nPython {platform.python_version()}")
    if args.imports:
        print("\nslowest imports of `campaign --help` (cumulative µs):")
        for us, name in slowest_imports():
            print(f"{us:>10}  {name}")


if __name__ == "__main__":
    main()
