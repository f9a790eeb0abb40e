"""`campaign daemon` as a real process against the simulator as a real process: on time, once
each, noticing other processes' changes, one publisher per database, faults, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.clock import from_db, now, to_db
from posts import queue
from scheduler import lease
from tests.fixtures.simulator import FakeX, FakeXProcess, campaign_command
from tests.publishing import add_post, rows, wait_for
from tests.web_helpers import load_campaign

FAST = ["--no-collect", "--lease-ttl", "2", "--timeout", "1.5", "--settle", "0.3"]


def start_daemon(
    fake: FakeXProcess | None,
    db_path: Path,
    log: Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`campaign daemon` with short timings, its stderr in ``log``."""
    full_env = {**os.environ, "CAMPAIGN_DB": str(db_path), "CAMPAIGN_BACKOFF": "0.1"}
    if fake is not None:
        full_env.update(fake.env)
    full_env.update(env or {})
    with log.open("ab") as out:
        return subprocess.Popen(
            [*campaign_command(), "daemon", *FAST, *args], stderr=out, stdout=out, env=full_env
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Signal the daemon and return its exit code; one that has not stopped in 20 s is killed
    (so no test leaves it running) and the test fails: its log then holds every thread's stack."""
    process.send_signal(sig)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"the daemon did not stop within 20 s of {sig!r}") from None


def published(db: sqlite_utils.Database) -> int:
    return sum(1 for r in rows(db) if r["status"] == "published")


def api_texts(fake: FakeXProcess) -> list[str]:
    return [t["submitted_text"] for t in fake.tweets(source="api")]


@pytest.mark.slow
def test_thirty_posts_on_time_once_then_sigterm(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """30 posts a third of a second apart: each once, none early, 95% within 1 s; SIGTERM → 0."""
    start = now() + timedelta(seconds=3)
    texts = [f"On time {i} #PolicingInConflict" for i in range(30)]
    for i, text in enumerate(texts):
        add_post(db, text, start + timedelta(seconds=i / 3))
    daemon = start_daemon(fake_x_process, db_path, tmp_path / "daemon.log")
    try:
        assert wait_for(lambda: published(db) == 30, timeout=30)
    finally:
        code = stop(daemon)
    assert 0 == code
    assert texts == api_texts(fake_x_process)
    made_at = {
        t["submitted_text"]: from_db(t["created_at"].replace("Z", "+00:00"))
        for t in fake_x_process.tweets(source="api")
    }
    assert all(made_at[r["text"]] >= from_db(r["scheduled_at"]) for r in rows(db))
    lateness = sorted(
        (queue.get(db, r["id"]).published_at - queue.get(db, r["id"]).scheduled_at).total_seconds()  # type: ignore[operator]
        for r in rows(db)
    )
    assert lateness[0] >= 0
    assert lateness[int(0.95 * len(lateness)) - 1] <= 1.0
    log = (tmp_path / "daemon.log").read_text()
    assert "lease released" in log
    assert lease.current(db) is None


@pytest.mark.slow
def test_notices_other_processes_within_two_seconds(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """Posts added, moved earlier or cancelled from another process are acted on in time."""
    cancelled = add_post(db, "cancel me", now() + timedelta(seconds=4))
    moved = add_post(db, "move me earlier", now() + timedelta(hours=1))
    daemon = start_daemon(fake_x_process, db_path, tmp_path / "daemon.log")
    try:
        assert wait_for(lambda: lease.current(db) is not None, timeout=10)
        time.sleep(1.5)
        queue.move(db, cancelled, "cancelled", "cli:tester")
        added = add_post(db, "added while running", now())
        assert wait_for(lambda: queue.get(db, added).status == "published", timeout=2.5)
        db.execute(
            "UPDATE posts SET scheduled_at = ? WHERE id = ?",
            [to_db(now() + timedelta(seconds=0.5)), moved],
        )
        assert wait_for(lambda: queue.get(db, moved).status == "published", timeout=3)
        time.sleep(3)
    finally:
        assert 0 == stop(daemon)
    assert ["added while running", "move me earlier"] == api_texts(fake_x_process)
    assert "cancelled" == queue.get(db, cancelled).status


@pytest.mark.slow
def test_two_daemons_publish_each_post_once(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """Two daemons started together: one publishes, the other takes over when it is killed
    and stops cleanly on SIGINT."""
    fake_x_process.faults(accept_duplicates=True)
    start = now() + timedelta(seconds=2.5)
    texts = [f"Once only {i}" for i in range(16)]
    for i, text in enumerate(texts):
        add_post(db, text, start + timedelta(seconds=i * 0.25))
    a = start_daemon(fake_x_process, db_path, tmp_path / "a.log")
    b = start_daemon(fake_x_process, db_path, tmp_path / "b.log")
    try:
        assert wait_for(lambda: published(db) >= 6, timeout=20)
        holder = lease.current(db)
        assert holder is not None
        first, other = (a, b) if holder.pid == a.pid else (b, a)
        assert holder.pid == first.pid
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert wait_for(lambda: published(db) == 16, timeout=20)
    finally:
        for p in (a, b):
            if p.poll() is None:
                stop(p, signal.SIGINT)
    assert texts == api_texts(fake_x_process)
    assert {"published"} == {r["status"] for r in rows(db)}
    assert other.returncode == 0


@pytest.mark.slow
def test_faults_every_third_503_then_a_429(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """Every third answer a 503: every post once. Then a 429: nothing sent before the reset."""
    fake_x_process.faults(error_every=3, accept_duplicates=True)
    start = now() + timedelta(seconds=2)
    texts = [f"Through 503s {i}" for i in range(8)]
    for i, text in enumerate(texts):
        add_post(db, text, start + timedelta(seconds=i * 0.2))
    daemon = start_daemon(fake_x_process, db_path, tmp_path / "daemon.log")
    try:
        assert wait_for(lambda: published(db) == 8, timeout=30)
        assert texts == api_texts(fake_x_process)
        fake_x_process.clear_faults()
        fake_x_process.faults(rate_limit={"group": "post", "reset_in": 4}, accept_duplicates=True)
        limited_at = now()
        late = [add_post(db, f"After the reset {i}", now()) for i in range(2)]
        assert wait_for(lambda: all(queue.get(db, i).status == "published" for i in late), 15)
    finally:
        assert 0 == stop(daemon)
    tries = [r for r in fake_x_process.requests() if r["group"] == "post" and r["status"] == 429]
    assert 1 == len(tries)
    for post_id in late:
        at = queue.get(db, post_id).published_at
        assert at is not None and at >= limited_at + timedelta(seconds=3.5)
    assert [*texts, "After the reset 0", "After the reset 1"] == api_texts(fake_x_process)


@pytest.mark.slow
def test_collect_failure_never_stops_publishing(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """Collecting is on by default with a bearer token; searches failing do not delay posts."""
    load_campaign(db)
    fake_x_process.add_conversation(n=20, seed=2)
    fake_x_process.faults(error_every=1, error_groups=["search"])
    post_id = add_post(db, "Published while search fails", now() + timedelta(seconds=2.5))
    log = tmp_path / "daemon.log"
    full_env = {**os.environ, **fake_x_process.env, "CAMPAIGN_DB": str(db_path)}
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            [*campaign_command(), "daemon", "--lease-ttl", "2", "--timeout", "1.5"],
            stderr=out,
            stdout=out,
            env=full_env,
        )
    try:
        assert wait_for(lambda: queue.get(db, post_id).status == "published", timeout=10)
        searched = [r for r in fake_x_process.requests() if r["group"] == "search"]
        assert searched and {503} == {r["status"] for r in searched}
    finally:
        assert 0 == stop(daemon)
    post = queue.get(db, post_id)
    assert post.published_at is not None
    assert (post.published_at - post.scheduled_at).total_seconds() < 1.0


def searches(fake: FakeXProcess) -> int:
    return sum(1 for r in fake.requests() if r["group"] == "search")


@pytest.mark.slow
def test_a_new_collect_every_minutes_is_followed_without_a_restart(
    db: sqlite_utils.Database,
    db_path: Path,
    fake_x_process: FakeXProcess,
    tmp_path: Path,
    sample_yaml: Path,
    run: Any,
) -> None:
    """`campaign load` with another collect_every_minutes re-times a running daemon's collecting
    at once (minutes shortened to half a second here): no restart needed."""
    every_hour = tmp_path / "hourly.yaml"
    every_hour.write_text(
        sample_yaml.read_text().replace("collect_every_minutes: 5 ", "collect_every_minutes: 60")
    )
    every_minute = tmp_path / "often.yaml"
    every_minute.write_text(
        sample_yaml.read_text().replace("collect_every_minutes: 5 ", "collect_every_minutes: 1 ")
    )
    assert 0 == run("load", every_hour).exit_code
    fake_x_process.add_conversation(n=20, seed=3)
    log = tmp_path / "daemon.log"
    daemon = start_daemon(
        fake_x_process, db_path, log, "--collect", env={"CAMPAIGN_COLLECT_MINUTE": "0.5"}
    )
    try:
        assert wait_for(lambda: searches(fake_x_process) == 1, timeout=10)  # the first run
        assert "collecting every 60 minutes" in log.read_text()
        assert 0 == run("load", every_minute).exit_code
        # Every 30 s before, every second now: without the change, 10 s bring no second search.
        assert wait_for(lambda: searches(fake_x_process) >= 4, timeout=10)
    finally:
        assert 0 == stop(daemon)
    assert "collect_every_minutes changed from 60 to 1: collecting every 1 minutes" in (
        log.read_text()
    )


@pytest.mark.slow
def test_no_campaign_loaded_collects_nothing_but_still_publishes(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """With no campaign loaded the daemon sends X no search (there is no query to spend reads
    on), says so once in its log, and publishes as usual."""
    post_id = add_post(db, "Published without a campaign", now() + timedelta(seconds=2))
    log = tmp_path / "daemon.log"
    daemon = start_daemon(
        fake_x_process, db_path, log, "--collect", env={"CAMPAIGN_COLLECT_MINUTE": "0.02"}
    )
    try:
        assert wait_for(lambda: queue.get(db, post_id).status == "published", timeout=10)
        time.sleep(1.5)  # a search would have been sent every second meanwhile
    finally:
        assert 0 == stop(daemon)
    assert 0 == searches(fake_x_process)
    assert 1 == log.read_text().count("collect: no campaign loaded")


def test_without_credentials_exits_at_once(db_path: Path, tmp_path: Path) -> None:
    """No posting keys: exit 2 at once naming every missing variable, no traceback."""
    started = time.monotonic()
    result = subprocess.run(
        [*campaign_command(), "daemon"],
        capture_output=True,
        text=True,
        env={**os.environ, "CAMPAIGN_DB": str(db_path), "X_API_KEY": "only-this-one"},
        timeout=30,
    )
    assert 2 == result.returncode
    assert time.monotonic() - started < 10
    for name in ("X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert "only-this-one" not in result.stderr


def test_stopping_while_a_wake_up_fires_leaves_no_traceback(
    db_path: Path, fake_x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    """APScheduler marks itself stopped before it takes its job-store lock, so a one-off job
    firing as the daemon stops was not found when its round removed it: JobLookupError ended
    the scheduler's thread with a traceback (seen once in the suite). One-off jobs due a few
    milliseconds after the stop starts (APScheduler runs on the real clock) make it certain."""
    from scheduler.daemon import Daemon, DaemonConfig
    from scheduler.publisher import XPublisher
    from scheduler.xclient import Credentials, XClient

    crashed: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda a: crashed.append(repr(a.exc_value)))
    client = XClient(Credentials.from_env(fake_x.env), timeout=2.0)
    for _ in range(3):
        daemon = Daemon(str(db_path), XPublisher(client), DaemonConfig(lease_ttl=30))
        daemon.start()
        due = now() + timedelta(milliseconds=5)
        for k in range(20):
            daemon.scheduler.add_job(lambda: None, "date", run_date=due, id=f"one-off-{k}")
        runs_jobs = daemon.scheduler._thread  # APScheduler's own thread, to wait for its end
        time.sleep(0.005)
        assert daemon.shutdown()
        runs_jobs.join(timeout=5)
    assert [] == crashed
