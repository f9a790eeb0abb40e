"""Honouring deletions: `campaign compliance` asks the simulator (batch job, else the lookup) and
removes what X no longer shows from the store, the index, exports and reports, keeping the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.mentions.compliance import Removal, apply_removals, own_removed
from campaign.mentions.review import mark
from campaign.mentions.search import MentionFilter, count, search
from campaign.mentions.store import Writer
from campaign.models import CampaignSettings
from campaign.store import immediate
from scheduler.collect import collect_once
from scheduler.compliance import run_compliance
from scheduler.simulator.state import User
from scheduler.xclient import Credentials, XClient

SETTINGS = CampaignSettings(name="test")


def _users(fake_x: Any) -> dict[str, User]:
    users = {
        name: User(id=str(9000 + i), username=name, name=name.title())
        for i, name in enumerate(("alice", "bob", "carol", "dave"))
    }
    for u in users.values():
        fake_x.state.add_user(u)
    return users


@pytest.fixture
def world(fake_x: Any, db: sqlite_utils.Database) -> dict[str, str]:
    """On the simulator: alice's post with a link, bob's quote of it, carol's reply to it, and
    dave's unrelated post; all collected into the store."""
    state = fake_x.state
    u = _users(fake_x)
    a = state.make_tweet(
        u["alice"], "Checkpoint abuses near the border #PolicingInConflict https://example.org/a"
    )
    q = state.make_tweet(u["bob"], "Worth reading #PolicingInConflict #Evidence", quote_of=a)
    r = state.make_tweet(u["carol"], "Is this confirmed? #PolicingInConflict", reply_to=a)
    d = state.make_tweet(u["dave"], "Unrelated panel notes #PolicingInConflict")
    client = XClient(Credentials.from_env(fake_x.env, need_bearer=True))
    collect_once(db, client, SETTINGS)
    client.close()
    return {"a": a.id, "q": q.id, "r": r.id, "d": d.id}


def _client(fake_x: Any, **drop: str) -> XClient:
    env = {k: v for k, v in fake_x.env.items() if k not in drop}
    return XClient(Credentials.from_env(env))


def _row(db: sqlite_utils.Database, tweet_id: str) -> dict[str, Any]:
    cur = db.execute("SELECT * FROM mentions WHERE id = ?", [int(tweet_id)])
    cols = [c[0] for c in cur.description]
    return dict(zip(cols, cur.fetchone(), strict=True))


def test_batch_job_removes_a_deleted_post_and_its_quote_keeping_id_time_and_review(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str]
) -> None:
    """A post its author deleted, and the quote of it, lose text, author, links and hashtags;
    id, time, review status and note stay; the reply and the unrelated post are untouched."""
    mark(db, [int(world["a"])], "flagged", actor="ana", note="check the checkpoint claim")
    before = {k: _row(db, v) for k, v in world.items()}
    fake_x.delete(world["a"])
    result = run_compliance(db, _client(fake_x), poll_seconds=0)
    assert ("batch", "done", 1, 1) == (
        result.method,
        result.status,
        result.applied.removed,
        result.applied.cascaded,
    )
    a, q = _row(db, world["a"]), _row(db, world["q"])
    assert ("", None, "deleted", "flagged", "check the checkpoint claim") == (
        a["text"],
        a["author_id"],
        a["removed"],
        a["review_status"],
        a["note"],
    )
    assert (before["a"]["created_at"], {"id": world["a"]}) == (
        a["created_at"],
        json.loads(a["raw"]),
    )
    assert ("", "quote-of-removed") == (q["text"], q["removed"])
    assert before["r"] == _row(db, world["r"])
    assert before["d"] == _row(db, world["d"])
    gone = [int(world["a"]), int(world["q"])]
    assert (
        0
        == db.execute(
            "SELECT count(*) FROM mention_hashtags WHERE mention_id IN (?, ?)", gone
        ).fetchone()[0]
    )
    assert (
        0
        == db.execute(
            "SELECT count(*) FROM mention_links WHERE mention_id IN (?, ?)", gone
        ).fetchone()[0]
    )


def test_removed_text_is_gone_from_search_listing_and_exports(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str], run: Callable[..., Any]
) -> None:
    """After the run no search finds the deleted words; list, CSV and JSONL hold no trace of the
    text or author, and the export README names the compliance date and the count removed."""
    fake_x.delete(world["a"])
    run_compliance(db, _client(fake_x), poll_seconds=0)
    assert 0 == count(db, MentionFilter(text="checkpoint"))
    assert 0 == count(db, MentionFilter(text="#evidence"))
    listed = {m["id"]: m for m in search(db, MentionFilter(limit=10))}
    assert ("deleted", "") == (listed[world["a"]]["removed"], listed[world["a"]]["text"])
    listing = run("mentions", "list").output
    assert f"{world['a']}" in listing and "(removed on X: deleted)" in listing
    assert "Checkpoint" not in listing and "alice" not in listing
    assert 0 == run("mentions", "export", "-o", "out.csv").exit_code
    csv_text = Path("out.csv").read_text(encoding="utf-8-sig")
    assert (
        "Checkpoint" not in csv_text and "alice" not in csv_text and "Worth reading" not in csv_text
    )
    assert 0 == run("mentions", "export", "--format", "jsonl", "-o", "out.jsonl").exit_code
    lines = [json.loads(x) for x in Path("out.jsonl").read_text(encoding="utf-8").splitlines()]
    gone = next(x for x in lines if x["id"] == world["a"])
    assert ({"id": world["a"]}, "deleted") == (
        {k: v for k, v in gone.items() if k != "__campaign"},
        gone["__campaign"]["removed"],
    )
    readme = Path("out.csv.README.md").read_text(encoding="utf-8")
    assert "Removed by their authors or X: 2 of these posts" in readme
    assert "Compliance date" in readme and "(batch)" in readme
    assert "Search: everything collected" in readme


def test_report_counts_removed_by_their_authors(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str], run: Callable[..., Any]
) -> None:
    """`campaign report` prints "removed by their authors: N" and drops removed hashtags."""
    fake_x.delete(world["a"])
    run_compliance(db, _client(fake_x), poll_seconds=0)
    result = run("report", "--json")
    data = json.loads(result.output)
    assert (2, {"deleted": 1, "quote-of-removed": 1}) == (
        data["removed_by_authors"],
        data["removed"],
    )
    assert "#evidence" not in [h for h, _ in data["hashtags"]]
    assert "removed by their authors: 2" in run("report").output


def test_second_run_changes_nothing(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str]
) -> None:
    """Running again removes nothing new and leaves every row as it was (idempotent)."""
    fake_x.delete(world["a"])
    run_compliance(db, _client(fake_x), poll_seconds=0)
    rows = db.execute("SELECT * FROM mentions ORDER BY id").fetchall()
    removals = db.execute("SELECT * FROM mention_removals ORDER BY tweet_id").fetchall()
    again = apply_removals(db, [Removal(int(world["a"]), "deleted")])
    second = run_compliance(db, _client(fake_x), poll_seconds=0)
    assert (0, 0, 1) == (again.removed, again.cascaded, again.already)
    assert (0, 0, 2) == (second.applied.removed, second.applied.cascaded, second.checked)
    assert rows == db.execute("SELECT * FROM mentions ORDER BY id").fetchall()
    assert removals == db.execute("SELECT * FROM mention_removals ORDER BY tweet_id").fetchall()


def test_without_the_app_token_the_lookup_finds_suspended_and_protected_authors(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str]
) -> None:
    """With only the user keys (no batch jobs) the lookup is used; a suspended and a protected
    author's posts are removed with that reason and their profiles scrubbed."""
    fake_x.set_user("9001", suspended=True)  # bob
    fake_x.set_user("9003", protected=True)  # dave
    result = run_compliance(db, _client(fake_x, X_BEARER_TOKEN=""), poll_seconds=0)
    assert ("lookup", 2) == (result.method, result.applied.removed)
    assert "X_BEARER_TOKEN" in (result.fallback_why or "")
    assert ("suspended", "protected", None) == (
        _row(db, world["q"])["removed"],
        _row(db, world["d"])["removed"],
        _row(db, world["a"])["removed"],
    )
    assert (None, None) == db.execute(
        "SELECT username, name FROM authors WHERE id = 9001"
    ).fetchone()
    lookups = [r for r in fake_x.requests() if r["path"].startswith("/2/tweets?")]
    assert 1 == len(lookups)


def test_simulator_job_polls_until_complete(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str]
) -> None:
    """The job is created, the ids uploaded, its status read until complete (3 times when the
    simulator says in_progress twice), then the result downloaded."""
    fake_x.compliance(polls=2)
    fake_x.delete(world["d"])
    result = run_compliance(db, _client(fake_x), poll_seconds=0)
    paths = [r["path"] for r in fake_x.requests() if "/compliance/" in r["path"]]
    assert 1 + 3 == len(paths) == result.requests
    assert all(r["auth"] == "app" for r in fake_x.requests() if "/compliance/" in r["path"])
    assert "deleted" == _row(db, world["d"])["removed"]


def test_a_removed_post_is_never_stored_again(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str]
) -> None:
    """Importing an old file that still holds a removed post skips it (the text stays gone)."""
    fake_x.delete(world["a"])
    run_compliance(db, _client(fake_x), poll_seconds=0)
    old = {"id": world["a"], "text": "Checkpoint abuses again", "author_id": "9000"}
    with immediate(db):
        result = Writer(db, source="twarc").write([old])
    assert (0, 1) == (result.new + result.updated, result.skipped)
    assert "" == _row(db, world["a"])["text"]


def test_a_repost_of_a_removed_post_goes_with_it(db: sqlite_utils.Database) -> None:
    """A stored repost (from a twarc import) of a removed post is removed too."""
    original = {"id": "2000000000000000001", "text": "original #x", "author_id": "1"}
    repost = {
        "id": "2000000000000000002",
        "text": "RT @a: original #x",
        "author_id": "2",
        "referenced_tweets": [{"type": "retweeted", "id": original["id"]}],
    }
    with immediate(db):
        Writer(db, source="twarc").write([original, repost])
    result = apply_removals(db, [Removal(int(original["id"]), "deleted")])
    assert (1, 1) == (result.removed, result.cascaded)
    assert "repost-of-removed" == _row(db, repost["id"])["removed"]


def test_our_own_post_deleted_on_x_is_noticed_and_shown(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str], run: Callable[..., Any]
) -> None:
    """One of our published posts deleted in the X app is recorded as ours and printed."""
    ours = fake_x.state.make_tweet(fake_x.state.account, "Our panel starts now #PolicingInConflict")
    db.execute(
        "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, tweet_id, "
        "published_at, created_at, updated_at) VALUES ('manual', 'Our panel', 9, "
        "'2026-12-06T15:00:00.000+00:00', 'published', ?, '2026-12-06T15:00:00.000+00:00', "
        "'x', 'x')",
        [ours.id],
    )
    db.conn.commit()
    fake_x.delete(ours.id)
    result = run("compliance", "--poll-seconds", "0", env=fake_x.env)
    assert 0 == result.exit_code, result.output
    assert f"Our own post 1 (tweet {ours.id}) is no longer on X: deleted" in result.output
    assert [(ours.id, "deleted", 1)] == [
        (o["tweet_id"], o["reason"], o["post_id"]) for o in own_removed(db)
    ]


def test_compliance_without_credentials_says_what_to_set(run: Callable[..., Any]) -> None:
    """With no X keys the command exits 2 naming X_BEARER_TOKEN, without a traceback."""
    assert 0 == run("init").exit_code
    result = run("compliance")
    assert 2 == result.exit_code
    assert "X_BEARER_TOKEN" in result.output and "Traceback" not in result.output


def test_rate_limited_lookup_exits_3_and_says_when_to_run_again(
    fake_x: Any, db: sqlite_utils.Database, world: dict[str, str], run: Callable[..., Any]
) -> None:
    """At X's rate limit the run stops with exit code 3, says to run it again, and records the
    run as rate-limited (nothing removed, nothing lost)."""
    fake_x.faults(rate_limit={"group": "lookup", "reset_in": 60})
    fake_x.delete(world["a"])
    result = run("compliance", "--method", "lookup", env=fake_x.env)
    assert 3 == result.exit_code
    assert "Stopped at X's rate limit: run `campaign compliance` again after" in result.output
    assert [("lookup", "rate-limited")] == db.execute(
        "SELECT method, status FROM compliance_runs"
    ).fetchall()
    assert None is _row(db, world["a"])["removed"]
