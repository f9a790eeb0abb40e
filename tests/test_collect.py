"""Collecting the conversation from the X simulator: every post once, fewest requests, resume."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlite_utils

from campaign.models import CampaignSettings
from scheduler.collect import collect_once
from scheduler.xclient import Credentials, XClient
from tests.web_helpers import load_campaign

SETTINGS = CampaignSettings(name="test")
TAG = re.compile(r"#policinginconflict(?!\w)", re.IGNORECASE)


def expected_ids(fake_x: Any) -> set[int]:
    """What X's search should find: the hashtag in any case, no retweets, not deleted."""
    return {
        int(t["id"])
        for t in fake_x.tweets()
        if TAG.search(t["text"]) and not t["text"].startswith("RT @") and not t.get("deleted")
    }


def stored_ids(db: sqlite_utils.Database) -> set[int]:
    return {r[0] for r in db.execute("SELECT id FROM mentions")}


def searches(fake_x: Any) -> list[dict[str, list[str]]]:
    """The query parameters of every search request the simulator answered."""
    return [
        parse_qs(urlsplit(r["path"]).query)
        for r in fake_x.requests()
        if r["path"].startswith("/2/tweets/search/recent")
    ]


@pytest.fixture
def client(fake_x: Any) -> XClient:
    return XClient(Credentials.from_env(fake_x.env, need_bearer=True))


def test_one_run_stores_every_post_once_in_fewest_requests(
    fake_x: Any, client: XClient, db: sqlite_utils.Database
) -> None:
    """A conversation of a few hundred posts is stored whole, with authors, in ceil(n/100) requests."""
    fake_x.add_conversation(300, seed=3)
    want = expected_ids(fake_x)
    result = collect_once(db, client, SETTINGS)
    assert want == stored_ids(db)
    assert math.ceil(len(want) / 100) == result.requests == len(searches(fake_x))
    assert (len(want), len(want), 0) == (result.fetched, result.new, result.updated)
    orphans = db.execute(
        "SELECT count(*) FROM mentions m LEFT JOIN authors a ON a.id = m.author_id "
        "WHERE a.username IS NULL"
    ).fetchone()[0]
    assert 0 == orphans
    texts = [r[0] for r in db.execute("SELECT text FROM mentions")]
    assert any("\n" in t for t in texts)
    assert {t["text"] for t in fake_x.tweets() if int(t["id"]) in want} == set(texts)


def test_second_run_fetches_only_new_posts_with_since_id(
    fake_x: Any, client: XClient, db: sqlite_utils.Database
) -> None:
    """After new posts arrive, a second run sends since_id = the newest stored and gets only them."""
    fake_x.add_conversation(150, seed=4)
    collect_once(db, client, SETTINGS)
    newest = max(stored_ids(db))
    before = len(searches(fake_x))
    fake_x.add_now(30)
    result = collect_once(db, client, SETTINGS)
    after = searches(fake_x)[before:]
    assert 1 == len(after) == result.requests
    assert [str(newest)] == after[0]["since_id"]
    assert expected_ids(fake_x) == stored_ids(db)
    assert result.new == result.fetched == len([i for i in expected_ids(fake_x) if i > newest])


def test_a_seen_post_refreshes_metrics_but_keeps_its_review(
    fake_x: Any, client: XClient, db: sqlite_utils.Database
) -> None:
    """Collecting a post again updates its counts and last_seen, never its review status or note."""
    from campaign.mentions.review import mark

    fake_x.add_conversation(40, seed=5)
    collect_once(db, client, SETTINGS)
    some = min(stored_ids(db))
    mark(db, [some], "flagged", actor="cli:tester", note="check this")
    db.execute("DELETE FROM collect_runs")
    db.execute("UPDATE mentions SET like_count = -1 WHERE id = ?", [some])
    db.execute("UPDATE mentions SET source = 'twarc'")  # so the next run asks from the start
    result = collect_once(db, client, SETTINGS)
    assert result.updated == result.fetched > 0
    row = db.execute(
        "SELECT review_status, note, like_count >= 0 FROM mentions WHERE id = ?", [some]
    ).fetchone()
    assert ("flagged", "check this", 1) == row


def test_interrupted_by_max_requests_then_resumed_without_gap_or_duplicate(
    fake_x: Any, client: XClient, db: sqlite_utils.Database
) -> None:
    """A run stopped after one page keeps it and its cursor; the next run pages on from there."""
    fake_x.add_conversation(300, seed=6)
    want = expected_ids(fake_x)
    first = collect_once(db, client, SETTINGS, max_requests=1)
    assert ("budget", 1, 100) == (first.status, first.requests, first.fetched)
    run = db.execute("SELECT status, next_token FROM collect_runs").fetchone()
    assert "budget" == run[0] and run[1]
    fake_x.add_now(5)  # arrives meanwhile: newer than the backlog
    second = collect_once(db, client, SETTINGS)
    assert "done" == second.status
    assert expected_ids(fake_x) == stored_ids(db)
    params = searches(fake_x)
    assert [run[1]] == params[1]["next_token"]
    assert "since_id" not in params[1]  # the backlog keeps the first run's (absent) since_id
    assert [str(max(want))] == params[-1]["since_id"]  # then what is new, once
    assert math.ceil(len(want) / 100) + 1 == len(params)


def test_server_errors_retry_then_resume_after_giving_up(
    fake_x: Any, client: XClient, db: sqlite_utils.Database
) -> None:
    """A 503 is retried; when it persists the run stops, keeps its pages, and the next run resumes."""
    fake_x.add_conversation(250, seed=7)
    want = expected_ids(fake_x)
    fake_x.faults(error_next=1, error_groups=["search"])
    ok = collect_once(db, client, SETTINGS, retry_delays=(0.0,), max_requests=2)
    assert ("budget", 2, 100) == (ok.status, ok.requests, ok.fetched)
    fake_x.faults(error_next=5, error_groups=["search"])
    failed = collect_once(db, client, SETTINGS, retry_delays=(0.0, 0.0))
    assert "interrupted" == failed.status and "503" in (failed.error or "")
    assert 100 == len(stored_ids(db))
    fake_x.clear_faults()
    done = collect_once(db, client, SETTINGS, retry_delays=())
    assert "done" == done.status
    assert want == stored_ids(db)


def test_rate_limit_saves_the_cursor_and_waits_for_the_reset(
    fake_x: Any, client: XClient, db: sqlite_utils.Database
) -> None:
    """A 429 ends the run with its reset time; before it nothing is sent; after it the run resumes."""
    import time_machine

    fake_x.add_conversation(250, seed=8)
    want = expected_ids(fake_x)
    collect_once(db, client, SETTINGS, max_requests=1)
    fake_x.faults(rate_limit={"group": "search", "reset_in": 600, "count": 1})
    limited = collect_once(db, client, SETTINGS)
    assert "rate-limited" == limited.status and limited.rate_reset_at is not None
    sent = len(fake_x.requests())
    waiting = collect_once(db, client, SETTINGS)
    assert ("waiting", 0) == (waiting.status, waiting.requests)
    assert sent == len(fake_x.requests())
    with time_machine.travel(limited.rate_reset_at + timedelta(seconds=1)):
        resumed = collect_once(db, client, SETTINGS)
    assert "done" == resumed.status
    assert want == stored_ids(db)


def test_collect_command_reports_counts_and_rate_limit_exit_code(
    fake_x: Any, run: Any, monkeypatch: pytest.MonkeyPatch, db: sqlite_utils.Database
) -> None:
    """`campaign collect` prints what it stored; at X's rate limit it says when to resume, exit 3."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    load_campaign(db)
    fake_x.add_conversation(160, seed=9)
    n = len(expected_ids(fake_x))
    result = run("collect", "--quiet")
    assert 0 == result.exit_code, result.output
    requests = math.ceil(n / 100)
    plural = "s" if requests != 1 else ""
    assert f"Collected {n} posts ({n} new, 0 seen before) in {requests} request{plural}" in (
        result.output
    )
    fake_x.faults(rate_limit={"group": "search", "reset_in": 300, "count": 1})
    limited = run("collect", "--quiet")
    assert 3 == limited.exit_code
    assert "run `campaign collect` again after" in limited.output


def test_collect_without_credentials_is_a_clear_error(run: Any, db: sqlite_utils.Database) -> None:
    """Without X credentials `campaign collect` names the variables to set (exit 2)."""
    load_campaign(db)
    result = run("collect")
    assert 2 == result.exit_code
    assert "X_BEARER_TOKEN" in result.output


def test_collect_without_a_campaign_refuses_and_sends_nothing(
    fake_x: Any, run: Any, monkeypatch: pytest.MonkeyPatch, db: sqlite_utils.Database
) -> None:
    """`campaign collect` with no campaign loaded exits 2 saying to load one, and asks X nothing
    (it searched the default hashtag and spent reads)."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    fake_x.add_conversation(20, seed=9)
    result = run("collect", "--quiet")
    assert 2 == result.exit_code
    assert (
        "Error: no campaign loaded, so there is nothing to collect (it would search a default "
        "hashtag and spend reads that X bills): run `campaign load FILE` first (the sample: "
        "campaign/data/policing-in-conflict.yaml)\n"
    ) == result.stderr
    assert [] == fake_x.requests()
    assert [] == db.execute("SELECT id FROM collect_runs").fetchall()


class OldSinceIdRefused:
    """A stand-in for the X client (not tweepy) that refuses since_id as X does after 7 days."""

    base_url = "http://127.0.0.1:9"

    def __init__(self) -> None:
        self.calls: list[str | None] = []

    def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        next_token: str | None = None,
        max_results: int = 100,
    ) -> Any:
        from scheduler.xclient import SearchPage
        from scheduler.xerrors import Refused

        self.calls.append(since_id)
        if since_id is not None:
            raise Refused(
                400,
                f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id created after 2026-11-21T00:00Z.",
            )
        tweets = [{"id": "2000000000000000001", "text": "#PolicingInConflict hi", "author_id": "5"}]
        return SearchPage(
            tweets,
            {"5": {"id": "5", "username": "x"}},
            {},
            [],
            {},
            None,
            tweets[0]["id"],
            None,
            None,
            {},
        )


def test_a_since_id_older_than_the_window_falls_back_to_the_whole_window(
    db: sqlite_utils.Database,
) -> None:
    """When X refuses an old since_id (after a long pause) the run asks again without it."""
    db.execute(
        "INSERT INTO mentions (id, text, created_at, raw, first_seen, last_seen, source) "
        "VALUES (1000, 'old', '2026-01-01T00:00:00.000+00:00', '{}', 'x', 'x', 'search')"
    )
    fake = OldSinceIdRefused()
    result = collect_once(db, fake, SETTINGS)
    assert ("done", 1) == (result.status, result.new)
    assert ["1000", None] == fake.calls


def test_the_newest_collected_id_reads_an_index_imports_do_not_write(
    db: sqlite_utils.Database,
) -> None:
    """Finding since_id reads the partial index of collected posts (m004), which an import of
    twarc2 files does not write, not a scan or an index over every post."""
    plan = " ".join(
        r[3]
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT max(id) FROM mentions WHERE source = 'search'"
        ).fetchall()
    )
    assert "mentions_from_search" in plan
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"mentions_source", "mention_hashtags_mention"}.isdisjoint(indexes)
