"""Why a post is unknown, failed, missed or waiting is the ``reason`` column, written at the move
(not read back from the message); statuses are one StrEnum matching the frozen schema; publishing
log lines carry ``key=value`` fields."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
import sqlite_utils
import time_machine

from campaign.clock import now
from campaign.migrations import POST_STATUSES
from posts import queue
from posts.queue import PostStatus, Reason
from scheduler import lease
from scheduler.events import fields
from scheduler.publish import PublishConfig, Publishing
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX
from tests.publishing import add_post


def _run(db: sqlite_utils.Database, fake_x: FakeX, **config: object) -> Publishing:
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    settings: dict[str, object] = {"x_timeout": 2.0, "settle": 0.0, "backoff": 0.01}
    settings.update(config)
    return Publishing(db, XPublisher(client), holder, PublishConfig(**settings))  # type: ignore[arg-type]


def test_statuses_are_the_schema_statuses() -> None:
    """PostStatus lists exactly the statuses m001's CHECK allows, in its order."""
    assert POST_STATUSES == tuple(str(s) for s in PostStatus)


def test_m001_creates_the_literal_check(db: sqlite_utils.Database) -> None:
    """The posts table m001 made allows the eight statuses of release 0.1, written out."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'posts'").fetchone()[0]
    expected = (
        "CHECK (status IN ('draft', 'approved', 'publishing', 'published', 'failed', "
        "'unknown', 'missed', 'cancelled'))"
    )
    assert 1 == sql.count(expected)


def test_refusal_is_written_as_its_reason(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A 4xx refusal fails the post with reason ``refused``, on the post and its audit row."""
    post_id = add_post(db, "y" * 300, now())
    _run(db, fake_x).run_due()
    post = queue.get(db, post_id)
    last = db.execute(
        "SELECT to_status, reason FROM post_audit WHERE post_id = ? ORDER BY id DESC LIMIT 1",
        [post_id],
    ).fetchone()
    assert (PostStatus.FAILED, Reason.REFUSED) == (post.status, post.reason)
    assert ("failed", "refused") == tuple(last)


def _unknown(db: sqlite_utils.Database, text: str, reason: Reason, message: str) -> int:
    """A post claimed a minute ago and left unknown with ``reason`` and ``message``."""
    post_id = add_post(db, text, now() - timedelta(minutes=2))
    with time_machine.travel(now() - timedelta(minutes=1), tick=False):
        assert queue.claim(db, post_id, "test", "test", timeout=1.0) is not None
    moved = queue.transition(
        db,
        post_id,
        PostStatus.PUBLISHING,
        PostStatus.UNKNOWN,
        "test",
        message,
        reason=reason,
        last_error=message,
    )
    assert moved
    return post_id


def test_reconcile_decides_by_reason_not_by_message(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """Not on the timeline: a ``duplicate`` post fails whatever its message says, and a
    ``no_answer`` post goes back to be sent though its message starts "duplicate content: "."""
    dup = _unknown(db, "said before", Reason.DUPLICATE, "X said it in other words")
    lost = _unknown(db, "lost answer", Reason.NO_ANSWER, "duplicate content: a misleading text")

    _run(db, fake_x).reconcile_pending()

    assert (PostStatus.FAILED, Reason.DUPLICATE) == (
        queue.get(db, dup).status,
        queue.get(db, dup).reason,
    )
    assert (PostStatus.APPROVED, Reason.NOT_ON_TIMELINE) == (
        queue.get(db, lost).status,
        queue.get(db, lost).reason,
    )


def test_server_errors_counted_by_reason(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """Every 5xx try is an audit row with reason ``server_error``; the post fails with it."""
    fake_x.faults(error_every=1, error_groups=["post"])
    post_id = add_post(db, "server always down", now())
    run = _run(db, fake_x, retries=1, x_timeout=0.5)
    deadline = time.monotonic() + 20
    while queue.get(db, post_id).status != PostStatus.FAILED and time.monotonic() < deadline:
        run.run_due()
        nxt = run.next_action_at()
        time.sleep(max(0.0, (nxt - now()).total_seconds()) + 0.01 if nxt else 0.05)
    assert (PostStatus.FAILED, Reason.SERVER_ERROR) == (
        queue.get(db, post_id).status,
        queue.get(db, post_id).reason,
    )
    assert 2 == queue.server_errors(db, post_id)


def test_log_fields_quote_what_needs_it() -> None:
    """Fields are key=value in order, quoted when a value has a space, None left out."""
    assert 'post_id=12 from=approved to=publishing reason="no answer" x=""' == fields(
        post_id=12, from_=PostStatus.APPROVED, to="publishing", reason="no answer", skip=None, x=""
    )


def test_moves_log_the_post_story(
    db: sqlite_utils.Database, fake_x: FakeX, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused post's claim and failure are logged with post_id, from, to and reason."""
    post_id = add_post(db, "y" * 300, now())
    with caplog.at_level(logging.INFO, logger="scheduler.publish"):
        _run(db, fake_x).run_due()
    story = [
        r.getMessage() for r in caplog.records if f"post_id={post_id} " in r.getMessage() + " "
    ]
    assert 2 == len(story)
    assert story[0].endswith(
        f"post_id={post_id} from=approved to=publishing by={story[0].split('by=')[1]}"
    )
    assert story[1].endswith(f"post_id={post_id} from=publishing to=failed reason=refused")


def test_review_statuses_are_the_schema_statuses() -> None:
    """ReviewStatus lists exactly the review statuses the mentions schema's CHECK allows."""
    from campaign.mentions.review import ReviewStatus
    from campaign.mentions.schema import REVIEW_STATUSES

    assert REVIEW_STATUSES == tuple(str(s) for s in ReviewStatus)
