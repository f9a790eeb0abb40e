"""Who drives it: identical texts collapsed, coordination signals, spikes, the reply / quote /
mention network (in-degree, GEXF, CSV, threads), and privacy (pseudonyms, retention)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import sqlite_utils
import time_machine

from campaign.mentions.signals import duplicates, scan, spikes
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.web_helpers import add_mentions, load_campaign

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """A time ``minutes`` before the frozen now."""
    return NOW - timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_identical_texts_collapse_with_count_and_accounts(db: sqlite_utils.Database) -> None:
    """Copies that differ only in links, case and spacing are one row: 3 posts, 3 accounts."""
    add_mentions(
        db,
        [
            {
                "id": 1,
                "text": "Stop the abuses NOW https://t.co/a",
                "username": "a",
                "created_at": at(90),
            },
            {
                "id": 2,
                "text": "stop  the abuses now https://t.co/b",
                "username": "b",
                "created_at": at(80),
            },
            {"id": 3, "text": "Stop the abuses now", "username": "c", "created_at": at(70)},
            {"id": 4, "text": "Something else", "username": "a", "created_at": at(60)},
        ],
    )
    (d,) = duplicates(db)
    assert (3, ["@a", "@b", "@c"], [1, 2, 3]) == (d.posts, d.accounts, sorted(d.ids))


def test_same_text_within_60_seconds_is_a_signal_but_not_minutes_apart(
    db: sqlite_utils.Database, run: Callable[..., Any]
) -> None:
    """Two accounts posting one text 30 s apart are a signal; the same text 10 min later is not
    part of it; the signal shows on the post."""
    add_mentions(
        db,
        [
            {"id": 11, "text": "Share this now", "username": "a", "created_at": at(30)},
            {"id": 12, "text": "Share this now", "username": "b", "created_at": at(29.5)},
            {"id": 13, "text": "Share this now", "username": "c", "created_at": at(19)},
        ],
    )
    found = scan(db)
    assert [("same-text", [11, 12], ["a", "b"])] == [(s.kind, s.ids, s.accounts) for s in found]
    listed = {m["id"]: m for m in json.loads(run("mentions", "list", "--json").output)}
    assert [{"kind": "same-text", "accounts": 2}] == listed["11"]["signals"]
    assert [] == listed["13"]["signals"]


def test_same_link_within_60_seconds_and_reply_bursts(db: sqlite_utils.Database) -> None:
    """Different texts sharing one link 20 s apart are a same-link signal; six accounts
    replying to one post within minutes are a reply burst."""
    add_mentions(
        db,
        [
            {
                "id": 21,
                "text": "read",
                "username": "a",
                "created_at": at(50),
                "urls": ["https://ex.org/x"],
            },
            {
                "id": 22,
                "text": "look",
                "username": "b",
                "created_at": at(49.7),
                "urls": ["https://ex.org/x"],
            },
            {"id": 30, "text": "the post", "username": "target", "created_at": at(45)},
        ]
        + [
            {
                "id": 31 + i,
                "text": f"reply {i}",
                "username": f"r{i}",
                "created_at": at(40 - i),
                "reply_to": 30,
            }
            for i in range(6)
        ],
    )
    kinds = {s.kind: s for s in scan(db)}
    assert [21, 22] == kinds["same-link"].ids
    assert (6, "30") == (len(kinds["reply-burst"].accounts), kinds["reply-burst"].key)


def test_spike_is_marked_with_its_terms_authors_and_links(db: sqlite_utils.Database) -> None:
    """An hour of 30 posts after 12 quiet hours is a spike driven by its terms (ties in
    alphabetical order, the same on every run), author and link."""
    quiet = [
        {
            "id": 1000 + h,
            "text": "ordinary",
            "username": "q",
            "created_at": NOW - timedelta(hours=14 - h),
        }
        for h in range(12)
    ]
    burst = [
        {
            "id": 2000 + i,
            "text": "Curfew announced #PolicingInConflict",
            "username": "loud" if i % 3 else f"u{i}",
            "created_at": NOW - timedelta(hours=1, minutes=-i),
            "urls": ["https://ex.org/curfew"],
        }
        for i in range(30)
    ]
    add_mentions(db, quiet + burst)
    (sp,) = spikes(db, own_tag="#PolicingInConflict")
    assert (30, [("announced", 30), ("curfew", 30)], "@loud", "https://ex.org/curfew") == (
        sp.posts,
        sp.terms[:2],
        sp.authors[0][0],
        sp.links[0][0],
    )


def _network_store(db: sqlite_utils.Database) -> None:
    users = [
        {"id": str(u), "username": n, "name": n}
        for u, n in ((1, "alice"), (2, "bob"), (3, "carol"))
    ]
    tweets = [
        {"id": "100", "text": "start", "author_id": "1", "conversation_id": "100"},
        {
            "id": "101", "text": "@alice agreed", "author_id": "2", "conversation_id": "100",
            "in_reply_to_user_id": "1", "referenced_tweets": [{"type": "replied_to", "id": "100"}],
        },
        {
            "id": "102", "text": "@bob @alice no", "author_id": "3", "conversation_id": "100",
            "in_reply_to_user_id": "2", "referenced_tweets": [{"type": "replied_to", "id": "101"}],
            "entities": {"mentions": [{"username": "bob", "id": "2"}, {"username": "alice", "id": "1"}]},
        },
        {
            "id": "103", "text": "see this", "author_id": "3", "conversation_id": "103",
            "referenced_tweets": [{"type": "quoted", "id": "100"}],
        },
    ]  # fmt: skip
    with immediate(db):
        Writer(db, source="twarc").write(tweets, users)


def test_network_in_degree_gexf_and_csv(
    db: sqlite_utils.Database, run: Callable[..., Any], tmp_path: Path
) -> None:
    """Replies, quotes and mentions make edges; alice is addressed by the most accounts; the
    GEXF reads back in networkx and the CSV lists each edge with its kind."""
    load_campaign(db)
    _network_store(db)
    out = run("mentions", "network").output
    assert out.splitlines()[0].startswith("@alice") and "addressed by     2 accounts" in out
    result = run("mentions", "network", "--gexf", "n.gexf", "--csv", "e.csv")
    assert 0 == result.exit_code, result.output
    graph = nx.read_gexf(tmp_path / "n.gexf")
    assert {"@alice", "@bob", "@carol"} == {d["label"] for _, d in graph.nodes(data=True)}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "e.csv").read_text(encoding="utf-8"))))
    assert {
        ("@bob", "@alice", "reply"),
        ("@carol", "@bob", "reply"),
        ("@carol", "@alice", "quote"),
        ("@carol", "@bob", "mention"),
        ("@carol", "@alice", "mention"),
    } == {(r["source"], r["target"], r["kind"]) for r in rows}
    assert (tmp_path / "e.csv.README.md").is_file()


def test_pseudonymised_network_hides_handles_and_changes_key_per_export(
    db: sqlite_utils.Database, run: Callable[..., Any], tmp_path: Path
) -> None:
    """With --pseudonymise no handle appears; one account is one pseudonym within a file and a
    different one in the next export."""
    load_campaign(db)
    _network_store(db)
    run("mentions", "network", "--csv", "a.csv", "--pseudonymise")
    run("mentions", "network", "--csv", "b.csv", "--pseudonymise")
    a, b = ((tmp_path / f).read_text(encoding="utf-8") for f in ("a.csv", "b.csv"))
    assert "alice" not in a and "@" not in a
    a_nodes = {r["source"] for r in csv.DictReader(io.StringIO(a))}
    b_nodes = {r["source"] for r in csv.DictReader(io.StringIO(b))}
    assert 2 == len(a_nodes) and not a_nodes & b_nodes


def test_pseudonymised_export_keeps_pseudonyms_consistent_with_text(
    db: sqlite_utils.Database, run: Callable[..., Any], tmp_path: Path
) -> None:
    """In a pseudonymised CSV, @bob in a text is the same pseudonym as bob's own posts."""
    load_campaign(db)
    _network_store(db)
    assert 0 == run("mentions", "export", "--pseudonymise", "-o", "p.csv").exit_code
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert "bob" not in text and "alice" not in text
    assert rows["102"]["text"].startswith("'@" + rows["101"]["author_username"] + " ")
    assert "pseudonymised" in (tmp_path / "p.csv.README.md").read_text(encoding="utf-8")


def test_thread_reads_in_reply_order(db: sqlite_utils.Database, run: Callable[..., Any]) -> None:
    """`mentions thread` prints the conversation with each reply indented under its parent."""
    load_campaign(db)
    _network_store(db)
    lines = run("mentions", "thread", "102").output.splitlines()
    assert [("100", 0), ("101", 2), ("102", 4)] == [
        (line.split()[0], len(line) - len(line.lstrip())) for line in lines
    ]


def test_retention_redacts_text_after_the_period_keeping_counts_and_notes(
    db: sqlite_utils.Database, run: Callable[..., Any], tmp_path: Path, frozen: Any
) -> None:
    """With retention_days 30, nothing is redacted before the day; after it the text is gone,
    the posts, their notes and the report's counts stay."""
    from campaign.mentions.privacy import redact_if_due
    from tests.web_helpers import SAMPLE

    path = tmp_path / "c.yaml"
    path.write_text(
        SAMPLE.read_text(encoding="utf-8").replace(
            "campaign:\n", "campaign:\n  retention_days: 30\n", 1
        )
    )
    run("init")
    assert 0 == run("load", path).exit_code
    add_mentions(db, [{"id": 7, "text": "sensitive words", "username": "x", "created_at": at(5)}])
    run("mentions", "mark", "7", "--status", "flagged", "--note", "keep this")
    assert (
        "Retention not due: nothing redacted."
        == run("mentions", "redact", "--if-due").output.strip()
    )
    frozen.move_to(datetime(2027, 1, 10, tzinfo=UTC))
    assert 1 == redact_if_due(db, datetime(2027, 1, 10, tzinfo=UTC))
    listed = json.loads(run("mentions", "list", "--json").output)
    assert [("", "flagged", "keep this", "retention")] == [
        (m["text"], m["review_status"], m["note"], m["removed"]) for m in listed
    ]
    report = json.loads(run("report", "--json").output)
    assert (1, 0) == (report["total"], report["removed_by_authors"])


def test_html_report_shows_removed_codes_and_spikes(
    db: sqlite_utils.Database, run: Callable[..., Any], tmp_path: Path
) -> None:
    """The HTML report carries the removed count and the spike with the term driving it."""
    load_campaign(db)
    add_mentions(
        db,
        [
            {
                "id": 3000 + i,
                "text": "Curfew announced",
                "username": f"u{i}",
                "created_at": at(30 - i),
            }
            for i in range(20)
        ],
    )
    assert 0 == run("report", "--html", "r.html").exit_code
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "removed by their authors" in html and "<h2>Spikes</h2>" in html and "curfew" in html
