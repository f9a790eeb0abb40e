"""The daemon during a live event: a post edited or rescheduled while it is being claimed, slow
and stalled calls to X, a locked database, and the timeline read failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine

from campaign.clock import now, to_db
from campaign.store import open_db
from posts import queue
from scheduler import lease
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publish import PublishConfig, Publishing, waiting
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX, FakeXProcess
from tests.publishing import add_post, wait_for
from tests.test_daemon import start_daemon, stop


def _run(db: sqlite_utils.Database, fake_x: FakeX, **config: object) -> Publishing:
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    settings: dict[str, object] = {"x_timeout": 2.0, "settle": 0.1, "backoff": 0.05}
    settings.update(config)
    return Publishing(db, XPublisher(client), holder, PublishConfig(**settings))  # type: ignore[arg-type]


def _slow_write(db_path: Path, sql: str, params: list[object], hold: float) -> dict[str, object]:
    """In another thread and connection, write ``sql`` in a transaction kept open ``hold`` s
    (a staff edit from the web console or the CLI holding the write lock). Returns once the
    change is written but not yet committed; ``["committing_at"]`` is set just before COMMIT."""
    written = threading.Event()
    times: dict[str, object] = {}

    def work() -> None:
        other = open_db(db_path)
        other.execute("BEGIN IMMEDIATE")
        other.execute(sql, params)
        written.set()
        time.sleep(hold)
        times["committing_at"] = now()
        other.execute("COMMIT")
        other.close()

    threading.Thread(target=work, daemon=True).start()
    assert written.wait(5)
    return times


def test_text_edited_while_the_claim_waits_goes_out_as_edited(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """A text edit committed while the claim waits for the write lock: X gets the edited text."""
    post_id = add_post(db, "Old text #PolicingInConflict", now() - timedelta(seconds=1))
    run = _run(db, fake_x)
    _slow_write(
        db_path,
        "UPDATE posts SET text = ? WHERE id = ?",
        ["New text #PolicingInConflict", post_id],
        0.5,
    )
    run.run_due()
    post = queue.get(db, post_id)
    assert ("published", ["New text #PolicingInConflict"]) == (
        post.status,
        [t["submitted_text"] for t in fake_x.tweets(source="api")],
    )
    assert "New text #PolicingInConflict" == post.text


def test_post_rescheduled_while_the_claim_waits_is_not_sent_early(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """A post moved to tomorrow while the claim waits for the write lock is not sent now."""
    post_id = add_post(db, "Moved #PolicingInConflict", now() - timedelta(seconds=1))
    run = _run(db, fake_x)
    tomorrow = now() + timedelta(days=1)
    _slow_write(
        db_path, "UPDATE posts SET scheduled_at = ? WHERE id = ?", [to_db(tomorrow), post_id], 0.5
    )
    run.run_due()
    assert ("approved", []) == (queue.get(db, post_id).status, fake_x.tweets(source="api"))


def test_claim_waiting_for_the_write_lock_dates_its_call_deadline_from_the_claim(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """A claim that waited for a staff write records a call deadline counted from its commit."""
    post_id = add_post(db, "Locked out #PolicingInConflict", now() - timedelta(seconds=1))
    run = _run(db, fake_x, x_timeout=2.0)
    lock = _slow_write(db_path, "UPDATE state SET value = value WHERE 0", [], 1.0)
    run.run_due()
    released = lock["committing_at"]
    assert isinstance(released, datetime)
    post = queue.get(db, post_id)
    assert post.claimed_at is not None and post.call_deadline is not None
    assert "published" == post.status
    assert post.claimed_at >= released - timedelta(milliseconds=1)  # stored to the ms
    assert post.call_deadline == post.claimed_at + timedelta(seconds=2)


def _daemon(db_path: Path, fake_x: FakeX, **config: object) -> Daemon:
    """An in-process daemon over ``db_path`` publishing to the simulator, with short timings."""
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    publish = PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05)
    settings: dict[str, object] = {"publish": publish, "lease_ttl": 1.5, "watch_interval": 0.2}
    settings.update(config)
    return Daemon(str(db_path), XPublisher(client), DaemonConfig(**settings))  # type: ignore[arg-type]


def test_clock_stepped_back_still_notices_posts_approved_after(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """After NTP steps the clock back ten minutes, a post approved then still goes out at once."""
    with time_machine.travel(now(), tick=True) as traveller:
        daemon = _daemon(db_path, fake_x)
        daemon.start()
        try:
            assert wait_for(lambda: daemon.active, timeout=5)
            time.sleep(0.5)
            traveller.shift(-600)
            time.sleep(0.5)
            post_id = add_post(db, "After the step #PolicingInConflict", now())
            assert wait_for(lambda: "published" == queue.get(db, post_id).status, timeout=5)
        finally:
            daemon.shutdown()


def test_clock_stepped_forward_during_a_call_still_settles_before_reconciling(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """A post whose call timed out while NTP stepped the clock forward is reconciled only after
    the settling margin, so a post landing late at X is found and not sent twice."""
    with time_machine.travel(now(), tick=True) as traveller:
        # X acts on the post half a second after we give up, and (as X may) lets a second
        # copy of the same text through.
        fake_x.faults(delay_before={"post": 2.5}, accept_duplicates=True)
        post_id = add_post(db, "Stepped #PolicingInConflict", now() - timedelta(seconds=1))
        run = _run(db, fake_x, x_timeout=2.0, settle=1.5)
        threading.Timer(1.0, traveller.shift, [60]).start()
        run.run_due()
        fake_x.faults(delay_before={"post": 0})
        assert "unknown" == queue.get(db, post_id).status
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and queue.get(db, post_id).status != "published":
            run.run_due()
            time.sleep(0.05)
        time.sleep(1.0)  # anything sent again would have landed by now
    assert ("published", 1) == (
        queue.get(db, post_id).status,
        len(fake_x.tweets(source="api")),
    )


def test_published_write_refused_by_a_locked_database_is_reconciled_not_resent(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """X took the post but the database stayed locked past the busy timeout when the daemon
    went to record it: the round fails, and the next ones find it on the timeline."""
    post_id = add_post(db, "Recorded late #PolicingInConflict", now() - timedelta(seconds=1))
    run = _run(db, fake_x, x_timeout=2.0, settle=0.1)
    db.execute("PRAGMA busy_timeout=200")
    fake_x.faults(delay={"post": 0.5})  # the answer comes while the lock is held

    def lock_once_claimed() -> None:
        other = open_db(db_path)
        assert wait_for(lambda: queue.get(other, post_id).status == "publishing", timeout=5)
        other.execute("BEGIN IMMEDIATE")
        time.sleep(1.5)
        other.execute("COMMIT")
        other.close()

    locker = threading.Thread(target=lock_once_claimed)
    locker.start()
    with pytest.raises(sqlite3.OperationalError):
        run.run_due()
    locker.join()
    assert "publishing" == queue.get(db, post_id).status
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and queue.get(db, post_id).status != "published":
        run.run_due()
        time.sleep(0.05)
    on_x = fake_x.tweets(source="api")
    assert [("published", on_x[0]["id"])] == [
        (queue.get(db, post_id).status, queue.get(db, post_id).tweet_id)
    ]
    assert 1 == len(on_x)


def test_timeline_rate_limited_while_settling_waits_for_the_reset_then_settles_once(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """A lost answer whose timeline check gets a 429: nothing is sent before X's reset, then
    the post is found on the timeline and recorded, never sent again."""
    first = add_post(db, "Lost answer #PolicingInConflict", now() - timedelta(seconds=2))
    second = add_post(db, "Next in line #PolicingInConflict", now() - timedelta(seconds=1))
    run = _run(db, fake_x, x_timeout=1.0, settle=0.1)
    fake_x.faults(drop_every=1, accept_duplicates=True)
    run.run_due()
    fake_x.faults(drop_every=0, rate_limit={"group": "timeline", "reset_in": 3, "count": None})
    assert "unknown" == queue.get(db, first).status
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and queue.get(db, second).status != "published":
        run.run_due()
        if waiting(db) is not None:
            assert 1 == len(fake_x.tweets(source="api"))  # nothing more while it waits
        time.sleep(0.05)
    timeline = [r["status"] for r in fake_x.requests() if r["group"] == "timeline"]
    assert (429, 200) == (timeline[0], timeline[-1])
    on_x = fake_x.tweets(source="api")
    assert ["published", "published"] == [queue.get(db, p).status for p in (first, second)]
    assert [queue.get(db, first).tweet_id, queue.get(db, second).tweet_id] == [
        t["id"] for t in on_x
    ]


@pytest.mark.slow
def test_sigterm_while_waiting_for_a_rate_limit_reset_exits_0_at_once(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """SIGTERM while the daemon waits two minutes for a 429 reset: exit 0 within 3 s, the post
    still approved (not lost, not sent) and the lease released for the next daemon."""
    fake_x_process.faults(rate_limit={"group": "post", "reset_in": 120})
    post_id = add_post(db, "Held by a 429 #PolicingInConflict", now())
    daemon = start_daemon(fake_x_process, db_path, tmp_path / "daemon.log")
    try:
        assert wait_for(lambda: waiting(db) is not None, timeout=15)
    finally:
        asked = time.monotonic()
        code = stop(daemon)
    assert (0, True) == (code, time.monotonic() - asked < 3)
    assert ("approved", None) == (queue.get(db, post_id).status, lease.current(db))
    assert [] == fake_x_process.tweets(source="api")


def test_claim_that_outlasts_the_lease_sends_nothing_so_the_stand_by_sends_it_once(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim's durable commit stalls past the lease (a stalled disk): the stand-by takes
    over and settles the claim; the first holder, resuming, sends nothing, so X gets it once."""
    post_id = add_post(db, "Once only #PolicingInConflict", now() - timedelta(seconds=1))
    fake_x.faults(accept_duplicates=True)  # X may let a second copy through
    first = _run(db, fake_x, x_timeout=1.0, settle=0.1)
    lease.renew(db, first.holder, ttl=1.0)
    real_claim = queue.claim
    stand_by_done = threading.Event()

    def stalled_claim(
        conn: sqlite_utils.Database, pid: int, claimed_by: str, *a: object, **kw: object
    ) -> object:
        claimed = real_claim(conn, pid, claimed_by, *a, **kw)  # type: ignore[arg-type]
        if claimed_by == first.holder:
            assert stand_by_done.wait(10)  # frozen until the stand-by has done its work
        return claimed

    def stand_by() -> None:
        other = open_db(db_path)
        holder = lease.new_holder("stand-by")
        assert wait_for(lambda: lease.acquire(other, holder, ttl=60), timeout=5)
        client = XClient(Credentials.from_env(fake_x.env), timeout=1)
        config = PublishConfig(x_timeout=1.0, settle=0.1, backoff=0.05)
        run = Publishing(other, XPublisher(client), holder, config)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and queue.get(other, post_id).status != "published":
            run.run_due()
            time.sleep(0.05)
        other.close()
        stand_by_done.set()

    monkeypatch.setattr(queue, "claim", stalled_claim)
    helper = threading.Thread(target=stand_by)
    helper.start()
    first.run_due()
    helper.join()
    time.sleep(0.3)  # a copy sent by the first holder would have landed by now
    assert ("published", 1) == (
        queue.get(db, post_id).status,
        len(fake_x.tweets(source="api")),
    )


class _SlowToReturn(Daemon):
    """A daemon whose publishing thread is slow to come back from a round (the interpreter
    busy with a large collection page, say), so the next wake-up fires before it has."""

    def _round(self) -> None:
        super()._round()
        time.sleep(0.5)


def test_wake_up_due_at_once_after_a_round_is_not_dropped(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """A round that leaves something to do at once (a duplicate-content refusal to check) gets
    its next round at once, even while its own thread is still returning."""
    fake_x.client().create_tweet(text="Said before #PolicingInConflict", user_auth=True)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    config = DaemonConfig(
        publish=PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05),
        lease_ttl=30.0,  # heartbeats (which also wake the watch) only every 10 s
        watch_interval=0.2,
    )
    daemon = _SlowToReturn(str(db_path), XPublisher(client), config)
    daemon.start()
    try:
        assert wait_for(lambda: daemon.active, timeout=5)
        time.sleep(0.3)
        post_id = add_post(db, "Said before #PolicingInConflict", now())
        assert wait_for(lambda: "published" == queue.get(db, post_id).status, timeout=4)
    finally:
        daemon.shutdown()
