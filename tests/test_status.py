"""`campaign status`: the lease and heartbeat, next post, counts, last errors, whether
publishing is stopped, posts held by the daily cap or waiting for a parent."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlite_utils
import time_machine
from click.testing import Result

from campaign.clock import now, to_db
from campaign.migrations import POST_STATUSES
from campaign.store import set_state
from posts import queue
from scheduler import lease
from scheduler.publish import STOPPED_KEY
from scheduler.status import snapshot
from tests.publishing import add_post
from tests.workspace_helpers import event_yaml


def _publish_row(db: sqlite_utils.Database, post_id: int, tweet_id: str) -> None:
    assert queue.claim(db, post_id, "t", "t", timeout=10.0) is not None
    assert queue.transition(
        db, post_id, "publishing", "published", "t", tweet_id=tweet_id, published_at=now()
    )


def test_empty_database(db: sqlite_utils.Database) -> None:
    """A fresh database: no daemon, no next post, every status counted as zero."""
    snap = snapshot(db)
    assert snap["daemon"] is None
    assert snap["next_due"] is None
    assert dict.fromkeys(POST_STATUSES, 0) == snap["counts"]
    assert [] == snap["last_errors"]
    assert snap["publishing_stopped"] is None


def test_lease_heartbeat_and_alive(db: sqlite_utils.Database) -> None:
    """The lease holder, pid, host, heartbeat and whether it is still alive."""
    with time_machine.travel(now(), tick=False) as t:
        assert lease.acquire(db, "daemon:h:1:x", ttl=15)
        snap = snapshot(db)
        assert ("daemon:h:1:x", True) == (snap["daemon"]["holder"], snap["daemon"]["alive"])
        assert {"holder", "pid", "host", "heartbeat_at", "expires_at", "alive"} <= set(
            snap["daemon"]
        )
        t.shift(timedelta(seconds=16))
        assert not snapshot(db)["daemon"]["alive"]


def test_next_due_and_counts(db: sqlite_utils.Database) -> None:
    """The earliest approved post is next; counts follow the statuses."""
    later = add_post(db, "later", now() + timedelta(hours=2))
    sooner = add_post(db, "sooner", now() + timedelta(hours=1))
    add_post(db, "a draft", now(), status="draft")
    snap = snapshot(db)
    assert (sooner, "sooner") == (snap["next_due"]["id"], snap["next_due"]["text"])
    assert (2, 1) == (snap["counts"]["approved"], snap["counts"]["draft"])
    assert later != snap["next_due"]["id"]


def test_last_errors_newest_first(db: sqlite_utils.Database) -> None:
    """Failures and unsettled posts are listed newest first with post id and message."""
    a = add_post(db, "a", now())
    b = add_post(db, "b", now())
    queue.claim(db, a, "t", "t", timeout=10.0)
    queue.transition(db, a, "publishing", "failed", "t", "X refused the request (400)")
    queue.claim(db, b, "t", "t", timeout=10.0)
    queue.transition(db, b, "publishing", "unknown", "t", "no answer from X")
    errors = snapshot(db)["last_errors"]
    assert [(b, "no answer from X"), (a, "X refused the request (400)")] == [
        (e["post_id"], e["message"]) for e in errors
    ]


def test_stopped_publishing_is_shown(db: sqlite_utils.Database, run: Callable[..., Result]) -> None:
    """A stop shows in the snapshot and in the human summary with how to resume (`campaign resume`)."""
    set_state(
        db,
        STOPPED_KEY,
        json.dumps({"reason": "X refused the credentials (401)", "at": to_db(now())}),
    )
    assert "X refused the credentials (401)" == snapshot(db)["publishing_stopped"]["reason"]
    result = run("status")
    assert 0 == result.exit_code
    assert "Publishing STOPPED" in result.output
    assert "campaign resume" in result.output


def test_held_by_daily_cap(db: sqlite_utils.Database) -> None:
    """With the cap reached, a due post is listed as held until 24 h after the oldest."""
    for i in range(100):
        _publish_row(db, add_post(db, f"p{i}", now() - timedelta(hours=1)), str(1000 + i))
    held = add_post(db, "held back", now() - timedelta(minutes=1))
    snap = snapshot(db)
    assert [held] == [h["id"] for h in snap["held_by_daily_cap"]]
    assert snap["held_by_daily_cap"][0]["why"].startswith("held by daily cap until ")
    assert 100 == snap["daily_cap"]["published_last_24h"]


def test_daily_cap_per_account(
    db: sqlite_utils.Database, run: Callable[..., Result], sample_yaml: Path, tmp_path: Path
) -> None:
    """X counts the cap per account: the default account's 100 posts hold its own next post,
    not the events account's, and status, its JSON and the console say so for each."""
    assert 0 == run("load", sample_yaml).exit_code
    assert 0 == run("load", event_yaml(tmp_path, "#PeaceTech2027", account="events")).exit_code
    for i in range(100):
        _publish_row(db, add_post(db, f"p{i}", now() - timedelta(hours=1), campaign_id=1), str(i))
    held = add_post(db, "held back", now() - timedelta(minutes=1), campaign_id=1)
    free = add_post(db, "goes out", now() - timedelta(minutes=1), campaign_id=2)
    snap = snapshot(db)
    assert [held] == [h["id"] for h in snap["held_by_daily_cap"]]
    assert free not in [h["id"] for h in snap["held_by_daily_cap"]]
    caps = {a["account"]: a["daily_cap"] for a in snap["accounts"]}
    assert (100, 0) == (caps["default"]["published_last_24h"], caps["events"]["published_last_24h"])
    assert caps["default"]["held_until"] is not None and caps["events"]["held_until"] is None
    assert snap["daily_cap"] == caps["default"]
    result = run("status")
    assert (
        "Daily cap for account default: 100 of 100 in the last 24 hours; holding" in result.output
    )
    assert "Daily cap for account events: 0 of 100 in the last 24 hours\n" in result.output


def test_reply_waiting_for_parent(db: sqlite_utils.Database) -> None:
    """A due reply whose parent is not out says what it waits for."""
    parent = add_post(db, "parent", now(), status="cancelled")
    child = add_post(db, "child", now(), reply_to=parent)
    waiting = snapshot(db)["waiting_for_parent"]
    assert [(child, parent, "cancelled")] == [
        (w["id"], w["parent_id"], w["parent_status"]) for w in waiting
    ]


def test_status_json_is_the_snapshot(db: sqlite_utils.Database, run: Callable[..., Result]) -> None:
    """`campaign status --json` prints the snapshot (with no collection yet)."""
    add_post(db, "shown", now() + timedelta(minutes=5))
    with time_machine.travel(now(), tick=False):
        expected = json.loads(json.dumps(snapshot(db)))
        result = run("status", "--json")
    assert 0 == result.exit_code
    assert expected == json.loads(result.output)
    assert expected["last_collection"] is None


def test_status_human_summary(db: sqlite_utils.Database, run: Callable[..., Result]) -> None:
    """The summary names the daemon state, the next post and the counts."""
    add_post(db, "Panel starts soon #PolicingInConflict", now() + timedelta(minutes=5))
    result = run("status")
    assert 0 == result.exit_code
    assert "Daemon: not running" in result.output
    assert "Panel starts soon" in result.output
    assert "approved" in result.output
