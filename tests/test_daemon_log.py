"""The daemon's log tells one post's story: every line about a post carries ``post_id=N`` and
its moves ``from=… to=…``, so ``grep 'post_id=N '`` finds them all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from campaign.clock import now
from posts import queue
from tests.fixtures.simulator import FakeXProcess
from tests.publishing import add_post, wait_for
from tests.test_daemon import start_daemon, stop


@pytest.mark.slow
def test_one_posts_story_is_one_grep(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """A published post's claim and publish are the lines with its post_id, in that order."""
    post_id = add_post(db, "A story to grep #PolicingInConflict", now() + timedelta(seconds=1))
    log = tmp_path / "daemon.log"
    daemon = start_daemon(fake_x_process, db_path, log)
    try:
        assert wait_for(lambda: queue.get(db, post_id).tweet_id is not None, timeout=20)
    finally:
        assert 0 == stop(daemon)
    tweet_id = queue.get(db, post_id).tweet_id
    story = [line for line in log.read_text().splitlines() if f"post_id={post_id} " in line + " "]
    moves = [line.split(f"post_id={post_id} ", 1)[1].split(" by=")[0] for line in story]
    assert ["from=approved to=publishing", f"from=publishing to=published tweet_id={tweet_id}"] == [
        m.split(" late_s=")[0] for m in moves
    ]
