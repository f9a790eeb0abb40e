"""Review as evidence at scale: compliance, a rule over the whole store, the network export.

    .venv/bin/python bench/bench_evidence.py [--posts 1000000] [--gone 0.01]
        [--dir /tmp/bench-evidence] [--keep]

1. Fills a store with N posts the way bench/bench_mentions.py does (its twarc2 generator and the
   tool's importer), then makes a third of them replies (to an earlier post by another author)
   and one in ten quote an earlier post, so the network has edges.
2. **Compliance**: the simulator (in a thread, over real HTTP) holds a ``--gone`` share of the
   ids as deleted (half), suspended or protected; ``scheduler.compliance.run_compliance`` runs a
   batch job (create, upload every id, poll, download) and removes them and their quotes. The
   baseline is the bare SQL of the same removal (blank the row, delete its hashtags and links,
   the FTS trigger firing) for a different set of ids of the same size, in the same store.
3. **A rule over the whole store**: ``campaign.mentions.rules.add_rule`` with a word search,
   setting a code and a badge on every match; the baseline is two ``INSERT … SELECT`` from the
   FTS index for the same word.
4. **The network export**: ``write_gexf`` (networkx) and ``write_csv``; the baseline runs the
   three grouped queries the edges come from and fetches their rows.

Prints a Markdown table of seconds and ratios for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_mentions import generate  # noqa: E402

from campaign.mentions import network  # noqa: E402
from campaign.mentions.coding import Assignment  # noqa: E402
from campaign.mentions.importer import import_lines  # noqa: E402
from campaign.mentions.rules import Rule, add_rule  # noqa: E402
from campaign.mentions.search import MentionFilter  # noqa: E402
from campaign.store import open_db  # noqa: E402
from scheduler.compliance import run_compliance  # noqa: E402
from scheduler.simulator import SimClient, SimulatorServer  # noqa: E402
from scheduler.xclient import Credentials, XClient  # noqa: E402


def fill(dirpath: Path, n: int) -> Path:
    """A store of ``n`` posts with replies and quotes."""
    jsonl = dirpath / "posts.jsonl"
    db_file = dirpath / "campaign.db"
    generate(jsonl, n)
    db = open_db(db_file)
    with jsonl.open("rb") as fh:
        import_lines(db, fh)
    db.conn.close()
    conn = sqlite3.connect(str(db_file), isolation_level=None)
    conn.execute("BEGIN")
    # Every third post replies to the post 7 before it (its author); every tenth quotes one.
    conn.execute(
        "UPDATE mentions SET reply_to_id = p.id, in_reply_to_user_id = p.author_id, "
        "conversation_id = p.conversation_id FROM (SELECT id, author_id, conversation_id, "
        "lead(id, 7) OVER (ORDER BY id) AS child FROM mentions) p "
        "WHERE mentions.id = p.child AND mentions.id % 3 = 0"
    )
    conn.execute(
        "UPDATE mentions SET quote_of_id = p.id FROM (SELECT id, lead(id, 11) OVER (ORDER BY id) "
        "AS child FROM mentions) p WHERE mentions.id = p.child AND mentions.id % 10 = 1"
    )
    conn.execute("COMMIT")
    conn.close()
    jsonl.unlink()
    return db_file


def timed(fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - start, result


BARE_SCRUB = (
    "UPDATE mentions SET text = '', author_id = NULL, lang = NULL, in_reply_to_user_id = NULL, "
    "retweet_count = 0, reply_count = 0, like_count = 0, quote_count = 0, "
    "impression_count = NULL, has_link = 0, raw = json_object('id', CAST(id AS TEXT)), "
    "removed = 'deleted' WHERE id IN (SELECT value FROM json_each(?))"
)


def bench_compliance(db_file: Path, gone_share: float) -> list[tuple[str, float, str]]:
    db = open_db(db_file)
    ids = [r[0] for r in db.execute("SELECT id FROM mentions")]
    rng = random.Random(5)
    picked = rng.sample(ids, int(len(ids) * gone_share) * 2)
    tool_ids, bare_ids = picked[: len(picked) // 2], picked[len(picked) // 2 :]
    server = SimulatorServer().start()
    state = server.state
    with state.lock:
        state.unknown_ids_live = True
        state.compliance_polls = 0  # complete at the first look: time X's work, not our wait
        for i, tid in enumerate(tool_ids):
            state.gone_ids[str(tid)] = ("deleted", "deleted", "suspended", "protected")[i % 4]
    client = XClient(Credentials.from_env(SimClient(server.base_url).env), timeout=600)
    tool_s, result = timed(lambda: run_compliance(db, client, poll_seconds=0.5))
    server.stop()
    applied = result.applied  # type: ignore[attr-defined]
    conn = sqlite3.connect(str(db_file), isolation_level=None)

    def bare() -> None:
        param = [json.dumps(bare_ids)]
        conn.execute("BEGIN")
        conn.execute(BARE_SCRUB, param)
        conn.execute(
            "DELETE FROM mention_hashtags WHERE mention_id IN (SELECT value FROM json_each(?))",
            param,
        )
        conn.execute(
            "DELETE FROM mention_links WHERE mention_id IN (SELECT value FROM json_each(?))",
            param,
        )
        conn.execute("COMMIT")

    bare_s, _ = timed(bare)
    conn.close()
    note = (
        f"{len(ids):,} ids checked, {applied.removed:,} removed, {applied.cascaded:,} quotes "
        f"with them, {result.requests} requests"  # type: ignore[attr-defined]
    )
    return [
        (f"bare SQL removal of {len(bare_ids):,} posts (baseline)", bare_s, ""),
        ("`campaign compliance` (batch job over HTTP + removal)", tool_s, note),
    ]


def bench_rule(db_file: Path) -> list[tuple[str, float, str]]:
    db = open_db(db_file)
    conn = sqlite3.connect(str(db_file), isolation_level=None)

    def bare() -> int:
        conn.execute("BEGIN")
        n = conn.execute(
            "INSERT OR IGNORE INTO mention_codes (mention_id, field, value, actor, at) "
            "SELECT rowid, 'actor', 'bare', 'bench', '2026-12-06' FROM mentions_fts "
            "WHERE mentions_fts MATCH '\"police\"'"
        ).rowcount
        conn.execute(
            "INSERT OR IGNORE INTO mention_badges (mention_id, badge) "
            "SELECT rowid, 'bare' FROM mentions_fts WHERE mentions_fts MATCH '\"police\"'"
        )
        conn.execute("COMMIT")
        return int(n)

    bare_s, matched = timed(bare)
    conn.close()
    rule = Rule(
        name="police-rule",
        filter=replace(MentionFilter(text="police"), limit=1),
        codes=(Assignment("actor", "official"),),
        badge="police",
    )
    _load_coded_campaign(db, db_file.parent)
    tool_s, (_saved, changed) = timed(lambda: add_rule(db, rule, actor="bench"))  # type: ignore[misc]
    return [
        (f"bare SQL: code + badge {matched:,} FTS matches (baseline)", bare_s, ""),
        ("rule over the whole store (search, code, badge, audit)", tool_s, f"{changed:,} posts"),
    ]


def _load_coded_campaign(db: object, folder: Path) -> None:
    """The bundled campaign with a coding scheme (actor: official, …), as a user loads it."""
    from campaign.metadata import parse_file, save

    sample = ROOT / "campaign" / "data" / "policing-in-conflict.yaml"
    path = folder / "coded.yaml"
    scheme = "campaign:\n  coding:\n    actor: [official, journalist, public, bare]\n"
    path.write_text(sample.read_text(encoding="utf-8").replace("campaign:\n", scheme, 1))
    save(db, parse_file(path), str(path))  # type: ignore[arg-type]


def bench_network(db_file: Path) -> list[tuple[str, float, str]]:
    db = open_db(db_file)

    def bare() -> int:
        rows = 0
        for sql in (network.REPLY_SQL, network.QUOTE_SQL, network.MENTION_SQL):
            rows += len(db.execute(sql).fetchall())
        return rows

    bare_s, rows = timed(bare)
    gexf_s, (nodes, edges) = timed(lambda: network.write_gexf(db, io.BytesIO()))  # type: ignore[misc]
    csv_s, _ = timed(lambda: network.write_csv(db, io.StringIO()))
    return [
        (f"bare SQL: the edge queries, {rows:,} rows (baseline)", bare_s, ""),
        ("network export as GEXF (networkx)", gexf_s, f"{nodes:,} accounts, {edges:,} edges"),
        ("network export as CSV edges", csv_s, ""),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--gone", type=float, default=0.01, help="share of posts gone from X")
    ap.add_argument("--dir", default="/tmp/bench-evidence")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()
    d = Path(args.dir)
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    fill_s, db_file = timed(lambda: fill(d, args.posts))
    print(f"filled {args.posts:,} posts in {fill_s:.1f} s", flush=True)
    for title, rows in (
        ("Compliance", bench_compliance(db_file, args.gone)),  # type: ignore[arg-type]
        ("A rule over the whole store", bench_rule(db_file)),  # type: ignore[arg-type]
        ("Network export", bench_network(db_file)),  # type: ignore[arg-type]
    ):
        base = rows[0][1]
        print(f"\n### {title}\n\n| step | s | ratio | notes |\n|---|---:|---:|---|")
        for name, secs, note in rows:
            print(f"| {name} | {secs:.2f} | {secs / base:.2f} | {note} |", flush=True)
    if not args.keep:
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
