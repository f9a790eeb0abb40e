"""Publishing against a hostile or broken X server on 127.0.0.1: a redirect or a malformed
answer to a post is an unclear outcome settled against the timeline, a stuck call ends at its
deadline, and a daemon stuck in a call neither keeps its lease alive nor ignores SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import Result

from campaign.clock import now
from posts import queue
from scheduler import lease
from scheduler.daemon import STUCK_GRACE, Daemon, DaemonConfig
from scheduler.publish import PublishConfig
from scheduler.xerrors import NoAnswer
from tests.fixtures.hostile import ACCOUNT, Hostile, answer, redirect, trickle
from tests.fixtures.simulator import campaign_command
from tests.publishing import add_post, wait_for

POST = ("POST", "/2/tweets")
TIMELINE = ("GET", f"/2/users/{ACCOUNT}/tweets")


def audit(db: sqlite_utils.Database, post_id: int) -> list[tuple[str, str]]:
    """``(to_status, detail)`` of each transition of the post, in order."""
    return [
        (r[0], r[1] or "")
        for r in db.execute(
            "SELECT to_status, detail FROM post_audit WHERE post_id = ? ORDER BY id", [post_id]
        )
    ]


def publish(run: Callable[..., Result], server: Hostile, *args: str) -> Result:
    result = run(
        "publish",
        "--timeout",
        "1",
        "--settle",
        "0.2",
        *args,
        env={**server.env(), "CAMPAIGN_BACKOFF": "0.1"},
    )
    assert 0 == result.exit_code, result.output
    return result


def test_a_redirected_post_is_reconciled_not_resent_elsewhere(
    hostile: Hostile, elsewhere: Hostile, run: Callable[..., Result], db: sqlite_utils.Database
) -> None:
    """A 307 to another host: nothing goes there; the post is unknown, checked against the
    timeline (absent), then sent again to X and published with X's own id."""
    post = add_post(db, "Redirected once #PolicingInConflict", now())
    hostile.on(
        *POST, redirect(307, elsewhere.url("/2/tweets")), answer({"data": {"id": "777"}}, 201)
    )
    publish(run, hostile)
    assert [] == elsewhere.hits
    got = queue.get(db, post)
    assert ("published", "777") == (got.status, got.tweet_id)
    steps = audit(db, post)
    assert ["publishing", "unknown", "approved", "publishing", "published"] == [s for s, _ in steps]
    assert "redirect (307)" in steps[1][1]
    assert 1 <= len(hostile.requests(*TIMELINE))


def test_a_redirected_post_found_on_the_timeline_is_published(
    hostile: Hostile, run: Callable[..., Result], db: sqlite_utils.Database
) -> None:
    """A 302 after X made the post: the timeline shows it, so it is recorded, never re-sent."""
    text = "Made, then redirected #PolicingInConflict"
    post = add_post(db, text, now())
    made = {"id": "888", "text": text, "created_at": _x_time(now())}
    hostile.on(*POST, redirect(302, "/elsewhere"))
    hostile.on(*TIMELINE, answer({"data": [made], "meta": {"result_count": 1}}))
    publish(run, hostile)
    got = queue.get(db, post)
    assert ("published", "888", 1) == (got.status, got.tweet_id, len(hostile.requests(*POST)))


@pytest.mark.parametrize(
    "body", [{"data": {"id": ["888"]}}, {"data": {"id": "8" * 40}}, {"data": [1]}, [1, 2]]
)
def test_a_malformed_answer_to_a_post_is_unclear(
    hostile: Hostile, run: Callable[..., Result], db: sqlite_utils.Database, body: Any
) -> None:
    """A 201 with a malformed body: unknown, then settled by the timeline (here: X made it)."""
    text = "Accepted, oddly answered #PolicingInConflict"
    post = add_post(db, text, now())
    hostile.on(*POST, answer(body, 201))
    made = {"id": "889", "text": text, "created_at": _x_time(now())}
    hostile.on(*TIMELINE, answer({"data": [made], "meta": {"result_count": 1}}))
    publish(run, hostile)
    got = queue.get(db, post)
    assert ("published", "889") == (got.status, got.tweet_id)
    assert "malformed" in audit(db, post)[1][1]


def test_publish_with_a_trickled_answer_keeps_its_timeout(
    hostile: Hostile, run: Callable[..., Result], db: sqlite_utils.Database
) -> None:
    """`campaign publish --timeout 1`, its answer trickled a byte every 0.3 s (24 s in all):
    unknown after about a second, never stuck in publishing, then settled by the timeline."""
    post = add_post(db, "Slowly answered #PolicingInConflict", now())
    body = json.dumps({"data": {"id": "999"}}).encode()
    hostile.on(*POST, trickle(body * 4, 0.3), answer({"data": {"id": "1000"}}, 201))
    started = time.monotonic()
    publish(run, hostile)
    assert time.monotonic() - started < 15
    steps = audit(db, post)
    assert "unknown" == steps[1][0] and "timed out after 1 s" in steps[1][1]
    assert "published" == queue.get(db, post).status


def _x_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- the daemon --------------------------------------------------------------------------------


class StuckPublisher:
    """A backend whose call never returns until released: a call stuck past any deadline."""

    name = "stuck"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def publish(self, text: str, reply_to: str | None = None) -> str:
        self.entered.set()
        self.release.wait(60)
        raise NoAnswer("released by the test")

    def recent_own_posts(self, since: datetime) -> list[dict[str, Any]]:
        return []


@pytest.mark.slow
def test_a_stuck_call_does_not_keep_the_lease_alive(
    db: sqlite_utils.Database, db_path: Path
) -> None:
    """A daemon stuck in a call past its timeout stops renewing the lease, so it expires and a
    stand-by can take it."""
    stuck = StuckPublisher()
    config = DaemonConfig(publish=PublishConfig(x_timeout=0.5, settle=0.1), lease_ttl=1.0)
    daemon = Daemon(str(db_path), stuck, config)
    add_post(db, "Stuck #PolicingInConflict", now())
    daemon.start()
    try:
        assert stuck.entered.wait(10)
        assert wait_for(lambda: lease.current(db) is not None, timeout=5)
        alive_until = 0.5 + STUCK_GRACE + 1.0 + 2.0  # timeout, grace, ttl, heartbeat slack
        assert wait_for(lambda: not _alive(db), timeout=alive_until + 3)
        assert lease.acquire(db, "stand-by:test", ttl=30)
    finally:
        stuck.release.set()
        daemon.shutdown()


@pytest.mark.slow
def test_stopping_does_not_wait_for_a_stuck_call(db: sqlite_utils.Database, db_path: Path) -> None:
    """Stopping a daemon stuck in a call past its timeout returns within seconds, leaving the
    lease to expire rather than releasing it under a call that may still land."""
    stuck = StuckPublisher()
    config = DaemonConfig(publish=PublishConfig(x_timeout=0.5, settle=0.1), lease_ttl=1.0)
    daemon = Daemon(str(db_path), stuck, config)
    add_post(db, "Stuck at the stop #PolicingInConflict", now())
    daemon.start()
    outcome: list[bool] = []
    try:
        assert stuck.entered.wait(10)
        stopper = threading.Thread(target=lambda: outcome.append(daemon.shutdown()))
        stopper.start()
        stopper.join(timeout=0.5 + STUCK_GRACE + 5)
        assert [False] == outcome
        info = lease.current(db)
        assert info is not None and daemon.holder == info.holder
    finally:
        stuck.release.set()
        daemon.shutdown()


def _alive(db: sqlite_utils.Database) -> bool:
    info = lease.current(db)
    return info is not None and info.alive


@pytest.mark.slow
def test_sigterm_during_a_trickled_answer_stops_promptly(
    hostile: Hostile, db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    """A real daemon whose post is answered a byte every 0.5 s: the call ends at --timeout 1.5,
    SIGTERM is honoured within seconds, and the post is left unknown (to reconcile), not
    publishing."""
    post = add_post(db, "Trickled #PolicingInConflict", now() + timedelta(seconds=1))
    hostile.on(*POST, trickle(json.dumps({"data": {"id": "555"}}).encode() * 8, 0.5))
    env = {**os.environ, **hostile.env(), "CAMPAIGN_DB": str(db_path)}
    log = tmp_path / "daemon.log"
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            [
                *campaign_command(),
                "daemon",
                "--no-collect",
                "--lease-ttl",
                "2",
                "--timeout",
                "1.5",
                "--settle",
                "30",
            ],
            stdout=out,
            stderr=out,
            env=env,
        )
    try:
        assert hostile.wait_for(*POST), log.read_text()
        time.sleep(0.2)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=8)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
        raise AssertionError(f"the daemon ignored SIGTERM: {log.read_text()}") from None
    assert 0 == code
    assert "unknown" == queue.get(db, post).status
    assert lease.current(db) is None
