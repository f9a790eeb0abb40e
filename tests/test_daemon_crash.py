"""Crash safety: SIGKILL the daemon again and again while it publishes, with the simulator (a
separate process) answering late and losing one answer in five after making the post, and
accepting duplicate text so any blind retry would show. Every post must end up on X once and
every row ``published`` with the id X gave that post."""

from __future__ import annotations

import random
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from campaign.clock import now
from tests.fixtures.simulator import FakeXProcess
from tests.publishing import add_post, rows, wait_for
from tests.test_daemon import start_daemon, stop

POSTS = 24
KILLS = 12


@pytest.mark.slow
def test_sigkill_a_dozen_times_each_post_once(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """A dozen SIGKILLs at random moments: each post on X exactly once, each row its right id."""
    fake_x_process.faults(delay={"post": 0.3}, drop_every=5, accept_duplicates=True)
    rng = random.Random(20261128)
    start = now() + timedelta(seconds=1.5)
    texts = [f"Crash-proof {i} https://example.org/p/{i} #PolicingInConflict" for i in range(POSTS)]
    for i, text in enumerate(texts):
        add_post(db, text, start + timedelta(seconds=i * 0.3))
    log = tmp_path / "daemon.log"
    kills = 0
    for _ in range(KILLS):
        daemon = start_daemon(fake_x_process, db_path, log)
        time.sleep(rng.uniform(0.6, 1.6))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        kills += 1
    last = start_daemon(fake_x_process, db_path, log)
    try:
        assert wait_for(lambda: all(r["status"] == "published" for r in rows(db)), timeout=40), (
            log.read_text()[-3000:]
        )
    finally:
        assert 0 == stop(last)
    assert KILLS == kills
    on_x = fake_x_process.tweets(source="api")
    assert sorted(texts) == sorted(t["submitted_text"] for t in on_x)
    id_of = {t["submitted_text"]: t["id"] for t in on_x}
    assert {r["text"]: id_of[r["text"]] for r in rows(db)} == {
        r["text"]: r["tweet_id"] for r in rows(db)
    }
    # The run really was interrupted mid-publish: some claims were settled from the timeline.
    audit = db.execute(
        "SELECT detail FROM post_audit WHERE detail LIKE '%by reconcile%'"
    ).fetchall()
    assert audit
