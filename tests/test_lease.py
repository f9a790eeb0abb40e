"""The publishing lease: one holder at a time, heartbeat, expiry, take-over, and the claim
that refuses to go ahead without it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlite_utils
import time_machine

from campaign.clock import now
from campaign.store import open_db
from posts import queue
from scheduler import lease
from tests.publishing import add_post


def test_first_comer_holds_it(db: sqlite_utils.Database) -> None:
    """The first process takes the lease; a second one is refused while it lives."""
    assert lease.acquire(db, "a", ttl=10)
    assert not lease.acquire(db, "b", ttl=10)
    info = lease.current(db)
    assert info is not None
    assert ("a", True) == (info.holder, info.alive)


def test_holder_can_take_it_again(db: sqlite_utils.Database) -> None:
    """Acquiring again as the holder keeps the lease and its first acquisition time."""
    assert lease.acquire(db, "a", ttl=10)
    first = lease.current(db)
    assert lease.acquire(db, "a", ttl=10)
    again = lease.current(db)
    assert first is not None and again is not None
    assert first.acquired_at == again.acquired_at


def test_expired_lease_is_taken_over(db: sqlite_utils.Database) -> None:
    """Once the holder stops heart-beating for the TTL, another process takes the lease."""
    with time_machine.travel(now(), tick=False) as t:
        assert lease.acquire(db, "a", ttl=5)
        t.shift(timedelta(seconds=4))
        assert not lease.acquire(db, "b", ttl=5)
        t.shift(timedelta(seconds=2))
        assert lease.acquire(db, "b", ttl=5)
        assert not lease.renew(db, "a", ttl=5)
    info = lease.current(db)
    assert info is not None
    assert "b" == info.holder


def test_heartbeat_keeps_it(db: sqlite_utils.Database) -> None:
    """Renewing within the TTL keeps others out indefinitely."""
    with time_machine.travel(now(), tick=False) as t:
        assert lease.acquire(db, "a", ttl=5)
        for _ in range(5):
            t.shift(timedelta(seconds=3))
            assert lease.renew(db, "a", ttl=5)
            assert not lease.acquire(db, "b", ttl=5)


def test_release_lets_the_next_in_at_once(db: sqlite_utils.Database) -> None:
    """A released lease is free immediately; only the holder can release it."""
    assert lease.acquire(db, "a", ttl=60)
    assert not lease.release(db, "b")
    assert lease.release(db, "a")
    assert lease.current(db) is None
    assert lease.acquire(db, "b", ttl=60)


def test_dead_local_holder_is_replaced_at_once(db: sqlite_utils.Database) -> None:
    """A lease left by a process of this host that has exited does not make others wait."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(gone.stdout)
    assert lease.acquire(db, "crashed", ttl=60)
    db.execute("UPDATE lease SET pid = ?", [pid])
    assert lease.acquire(db, "next", ttl=60)


def test_claim_needs_the_lease(db: sqlite_utils.Database) -> None:
    """The claim checks the lease inside its own transaction: without it nothing moves."""
    post_id = add_post(db, "guarded", now())
    assert lease.acquire(db, "a", ttl=60)
    assert queue.claim(db, post_id, "b", "b", timeout=10.0, guard=lease.guard("b")) is None
    assert "approved" == queue.get(db, post_id).status
    claimed = queue.claim(db, post_id, "a", "a", timeout=10.0, guard=lease.guard("a"))
    post = queue.get(db, post_id)
    assert ("publishing", "a", 1, claimed) == (
        post.status,
        post.claimed_by,
        post.attempts,
        post.claimed_at,
    )


def test_claim_happens_once(db_path: Path) -> None:
    """Two connections claiming the same post: exactly one succeeds."""
    a, b = open_db(db_path), open_db(db_path)
    post_id = add_post(a, "once", now())
    results = [
        queue.claim(a, post_id, "a", "a", timeout=10.0),
        queue.claim(b, post_id, "b", "b", timeout=10.0),
    ]
    assert 1 == sum(r is not None for r in results)
    assert 1 == len([h for h in queue.history(a, post_id) if h["to_status"] == "publishing"])
