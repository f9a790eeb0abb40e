"""Run every benchmark in turn (``make bench``); each prints the table for docs/benchmarks.md.

    .venv/bin/python bench/run_all.py [--only NAME ...]

The million-post benchmarks (mentions, web) take several minutes each on the 2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "cli_startup": ["bench_cli_startup.py"],
    "render": ["bench_render.py"],
    "publish": ["bench_publish.py"],
    "xclient": ["bench_xclient.py"],
    "mentions": ["bench_mentions.py"],
    "web": ["bench_web.py"],
    "workspace": ["bench_workspace.py"],
    "import_accuracy": ["bench_import_accuracy.py"],
    "network_cut": ["bench_network_cut.py"],
    "evidence": ["bench_evidence.py"],
    "csv_import": ["bench_csv_import.py"],
    "metrics": ["bench_metrics.py"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", choices=sorted(SCRIPTS), help="run only these")
    args = ap.parse_args()
    failed = []
    for name, argv in SCRIPTS.items():
        if args.only and name not in args.only:
            continue
        print(f"\n## {name}: {' '.join(argv)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
