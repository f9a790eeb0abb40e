"""One workspace against the simulator over HTTP: one collection serves every campaign's hashtag
in the fewest searches, and one daemon process publishes every campaign's posts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine

from campaign.clock import now
from campaign.models import CampaignSettings
from posts import queue
from scheduler.collect import searches
from tests.fixtures.simulator import FakeXProcess
from tests.publishing import wait_for
from tests.test_daemon import start_daemon, stop
from tests.workspace_helpers import event_yaml

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
FIRST, SECOND = "#PolicingInConflict", "#PeaceTech2027"


def _tagged(fake_x: Any, tag: str) -> set[int]:
    """The simulator's posts a search for ``tag`` returns (its hashtag in any case, no retweets)."""
    pattern = re.compile(re.escape(tag) + r"\b", re.IGNORECASE)
    return {
        int(t["id"])
        for t in fake_x.tweets()
        if pattern.search(t["text"]) and not t["text"].startswith("RT @")
    }


def _inbox(db: sqlite_utils.Database, campaign_id: int) -> set[int]:
    rows = db.execute(
        "SELECT mention_id FROM mention_campaigns WHERE campaign_id = ?", [campaign_id]
    )
    return {int(r[0]) for r in rows}


def _load_two(run: Any, tmp_path: Path, day: str) -> None:
    assert 0 == run("init").exit_code
    for path in (
        event_yaml(tmp_path, FIRST, day=day),
        event_yaml(tmp_path, SECOND, day=day, name="Peace Tech 2027"),
    ):
        result = run("load", path)
        assert 0 == result.exit_code, result.output


def test_an_accounts_hashtags_share_one_query_split_only_at_the_length_limit() -> None:
    """Hashtags of one account are ORed in one query; a query past X's limit is split in two."""
    active = [
        (1, "default", CampaignSettings(name="a", hashtag="#Alpha")),
        (2, "default", CampaignSettings(name="b", hashtag="#Beta")),
        (3, "events", CampaignSettings(name="c", hashtag="#Gamma")),
    ]
    assert [
        ("default", "(#Alpha OR #Beta) -is:retweet"),
        ("events", "#Gamma -is:retweet"),
    ] == [(s.account, s.query) for s in searches(active)]
    assert [
        "#Alpha -is:retweet",
        "#Beta -is:retweet",
        "#Gamma -is:retweet",
    ] == [s.query for s in searches(active, max_chars=len("#Alpha -is:retweet"))]


@pytest.mark.fake_x_now(NOW)
def test_one_collection_serves_both_hashtags_and_fills_each_inbox(
    fake_x: Any,
    run: Any,
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`campaign collect` asks X once for both campaigns' hashtags; each campaign's inbox holds
    exactly the posts carrying its hashtag, and a post carrying both is stored once in both."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    with time_machine.travel(NOW, tick=False):
        _load_two(run, tmp_path, day="2026-11-25")
        fake_x.add_conversation(40, seed=3, hashtag=FIRST[1:])
        fake_x.add_conversation(30, seed=4, hashtag=SECOND[1:])
        both = fake_x.client().create_tweet(text=f"Two events, one season {FIRST} {SECOND}")
        both_id = int(both.data["id"])
        fake_x.clear_requests()
        result = run("collect", "--quiet")
    assert 0 == result.exit_code, result.output
    first, second = _tagged(fake_x, FIRST), _tagged(fake_x, SECOND)
    union = first | second
    assert len(union) < 100  # one page holds them all: one request is the fewest
    searched = [r for r in fake_x.requests() if r["group"] == "search"]
    assert 1 == len(searched)
    assert "(#PeaceTech2027 OR #PolicingInConflict) -is:retweet" in result.output
    db = sqlite_utils.Database(db_path)
    assert (first, second) == (_inbox(db, 1), _inbox(db, 2))
    assert both_id in first & second
    assert len(union) == db.execute("SELECT count(*) FROM mentions").fetchone()[0]
    listed = json.loads(run("mentions", "list", "--json", "--limit", "500").output)
    by_id = {int(m["id"]): m["campaigns"] for m in listed}
    assert ["policinginconflict", "peacetech2027"] == by_id[both_id]
    only_second = json.loads(
        run("mentions", "list", "--json", "--limit", "500", "--campaign", "peacetech2027").output
    )
    assert second == {int(m["id"]) for m in only_second}
    listed_campaigns = json.loads(run("campaigns", "list", "--json").output)
    assert [len(first), len(second)] == [c["collected"] for c in listed_campaigns]


@pytest.mark.fake_x_now(NOW)
def test_a_new_campaign_gets_its_backlog_and_the_old_one_loses_nothing(
    fake_x: Any,
    run: Any,
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A campaign loaded after the first was collected still gets its hashtag's earlier posts."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    with time_machine.travel(NOW, tick=False):
        assert 0 == run("init").exit_code
        assert 0 == run("load", event_yaml(tmp_path, FIRST, day="2026-11-25")).exit_code
        fake_x.add_conversation(30, seed=5, hashtag=FIRST[1:])
        fake_x.add_conversation(30, seed=6, hashtag=SECOND[1:])
        assert 0 == run("collect", "--quiet").exit_code
        assert 0 == run("load", event_yaml(tmp_path, SECOND, day="2026-11-25")).exit_code
        assert 0 == run("collect", "--quiet").exit_code
    db = sqlite_utils.Database(db_path)
    assert (_tagged(fake_x, FIRST), _tagged(fake_x, SECOND)) == (_inbox(db, 1), _inbox(db, 2))


@pytest.mark.slow
def test_one_daemon_publishes_both_campaigns_once_each_with_their_hashtags(
    fake_x_process: FakeXProcess,
    run: Any,
    tmp_path: Path,
    db_path: Path,
) -> None:
    """Two campaigns from two YAML files in one database: one daemon publishes each campaign's
    approved post once, with its own hashtag, and collects both hashtags."""
    day = (now() + timedelta(days=10)).date().isoformat()
    _load_two(run, tmp_path, day=day)
    fake_x_process.add_conversation(20, seed=7, hashtag=FIRST[1:])
    fake_x_process.add_conversation(20, seed=8, hashtag=SECOND[1:])
    at = (now() + timedelta(seconds=3)).isoformat()
    ids = []
    for slug, text in (("policinginconflict", "First event today"), ("peacetech2027", "Second")):
        added = run("posts", "add", "--campaign", slug, "--text", text, "--at", at, "--approve")
        assert 0 == added.exit_code, added.output
        ids.append(int(added.output.strip()))
    db = sqlite_utils.Database(db_path)
    log = tmp_path / "daemon.log"
    daemon = start_daemon(
        fake_x_process, db_path, log, "--collect", env={"CAMPAIGN_COLLECT_MINUTE": "0.05"}
    )
    try:
        assert wait_for(
            lambda: all(queue.get(db, i).status == "published" for i in ids), timeout=15
        ), log.read_text()
        assert wait_for(lambda: bool(_inbox(db, 1)) and bool(_inbox(db, 2)), timeout=15)
    finally:
        assert 0 == stop(daemon)
    sent = sorted(t["submitted_text"] for t in fake_x_process.tweets(source="api"))
    assert ["First event today #PolicingInConflict", "Second #PeaceTech2027"] == sent
    assert _tagged(fake_x_process, FIRST) >= _inbox(db, 1)
    assert _tagged(fake_x_process, SECOND) >= _inbox(db, 2)


@pytest.mark.fake_x_now(NOW)
def test_report_of_one_campaign_counts_only_its_posts(
    fake_x: Any,
    run: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`campaign report --campaign SLUG --json` counts that campaign's collected posts; without
    it, every campaign's."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    with time_machine.travel(NOW, tick=False):
        _load_two(run, tmp_path, day="2026-11-25")
        fake_x.add_conversation(40, seed=3, hashtag=FIRST[1:])
        fake_x.add_conversation(30, seed=4, hashtag=SECOND[1:])
        assert 0 == run("collect", "--quiet").exit_code
        every = json.loads(run("report", "--json").output)
        second = json.loads(run("report", "--json", "--campaign", "peacetech2027").output)
    tagged = _tagged(fake_x, FIRST) | _tagged(fake_x, SECOND)
    assert (len(tagged), len(_tagged(fake_x, SECOND))) == (every["total"], second["total"])
    assert "#PeaceTech2027" == second["hashtag"]
