"""Publishing rounds and ``campaign publish``: due posts go out once, on time, in order, with the
overdue limit, threads, the daily cap, and X's 429 / 5xx / auth answers handled as DESIGN.md says."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import Result

from campaign.clock import from_db, now
from posts import queue
from scheduler import lease
from scheduler.publish import PublishConfig, Publishing, cap_until, stopped, waiting
from scheduler.publisher import Publisher, XPublisher, create, register
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX
from tests.publishing import add_post, rows


def _run(
    db: sqlite_utils.Database, fake_x: FakeX, *, env: dict[str, str] | None = None, **config: object
) -> Publishing:
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env({**fake_x.env, **(env or {})}), timeout=2)
    settings: dict[str, object] = {"x_timeout": 2.0, "settle": 0.1, "backoff": 0.05}
    settings.update(config)
    return Publishing(db, XPublisher(client), holder, PublishConfig(**settings))  # type: ignore[arg-type]


def _until_settled(run: Publishing, limit: float = 20.0) -> None:
    """Run rounds, sleeping until each next action, until nothing is left to do now."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        run.run_due()
        nxt = run.next_action_at()
        if nxt is None or nxt > now() + timedelta(seconds=5):
            return
        time.sleep(max(0.0, (nxt - now()).total_seconds()) + 0.01)
    raise AssertionError("publishing did not settle")


def _texts_on_x(fake_x: FakeX) -> list[str]:
    return [t["submitted_text"] for t in fake_x.tweets(source="api")]


def test_due_post_goes_out_with_its_id(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A due post is published; the row holds X's id and exactly the text sent."""
    post_id = add_post(db, "Join us https://example.org/e #PolicingInConflict", now())
    outcomes = _run(db, fake_x).run_due()
    on_x = fake_x.tweets(source="api")
    post = queue.get(db, post_id)
    assert [(post_id, "published", on_x[0]["id"])] == [
        (o.post_id, o.status, o.tweet_id) for o in outcomes
    ]
    assert (on_x[0]["id"], on_x[0]["submitted_text"]) == (post.tweet_id, post.text)
    assert post.published_at is not None


def test_nothing_goes_out_early(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A post due in the future is left alone and named as the next action."""
    post_id = add_post(db, "later", now() + timedelta(minutes=5))
    run = _run(db, fake_x)
    assert [] == run.run_due()
    assert [] == fake_x.tweets(source="api")
    assert queue.get(db, post_id).scheduled_at == run.next_action_at()


def test_posts_go_out_in_time_order(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """Several due posts go out oldest first."""
    for i, minutes in enumerate((3, 1, 2)):
        add_post(db, f"post {i}", now() - timedelta(minutes=minutes))
    _run(db, fake_x).run_due()
    assert ["post 0", "post 2", "post 1"] == _texts_on_x(fake_x)


def test_overdue_post_is_missed_not_sent(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """Later than the overdue limit: missed with the lateness in the audit; within it: sent."""
    late = add_post(db, "three hours late", now() - timedelta(hours=3))
    recent = add_post(db, "one hour late", now() - timedelta(hours=1))
    _run(db, fake_x).run_due()
    assert ["one hour late"] == _texts_on_x(fake_x)
    assert ("missed", "published") == (queue.get(db, late).status, queue.get(db, recent).status)
    detail = queue.history(db, late)[-1]["detail"]
    assert "180 minutes late" in detail and "120 minutes" in detail


def test_overdue_limit_option(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """--overdue-limit (config) replaces the campaign's limit."""
    post_id = add_post(db, "ten minutes late", now() - timedelta(minutes=10))
    _run(db, fake_x, overdue_limit_minutes=5).run_due()
    assert "missed" == queue.get(db, post_id).status


def test_reply_goes_out_after_its_parent(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A reply due before its parent waits, then goes out as a reply to the parent's id."""
    parent = add_post(db, "thread start", now() + timedelta(seconds=1))
    child = add_post(db, "thread part 2", now() - timedelta(seconds=1), reply_to=parent)
    run = _run(db, fake_x)
    assert [] == run.run_due()
    time.sleep(1.05)
    run.run_due()
    parent_id = queue.get(db, parent).tweet_id
    on_x = {t["submitted_text"]: t for t in fake_x.tweets(source="api")}
    assert [{"type": "replied_to", "id": parent_id}] == on_x["thread part 2"]["referenced_tweets"]
    assert "published" == queue.get(db, child).status


def test_reply_to_failed_parent_waits(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A reply whose parent failed is not sent, and is not the next action."""
    parent = add_post(db, "failed parent", now(), status="failed")
    add_post(db, "orphan reply", now(), reply_to=parent)
    run = _run(db, fake_x)
    assert [] == run.run_due()
    assert run.next_action_at() is None
    assert [] == fake_x.tweets(source="api")


def test_daily_cap_holds_posts(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """With the cap reached, further due posts stay approved until 24 h after the oldest."""
    ids = [add_post(db, f"capped {i}", now() - timedelta(seconds=3 - i)) for i in range(3)]
    run = _run(db, fake_x, daily_cap=2)
    run.run_due()
    assert ["published", "published", "approved"] == [queue.get(db, i).status for i in ids]
    first = queue.get(db, ids[0]).published_at
    assert first is not None
    until = cap_until(db, 2)
    assert first + timedelta(hours=24) == until
    assert until == run.next_action_at()


def test_rate_limit_waits_for_reset_and_sends_nothing(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """A 429 puts the post back, and nothing is sent before X's reset time."""
    fake_x.faults(rate_limit={"group": "post", "reset_in": 2})
    post_id = add_post(db, "rate limited", now())
    run = _run(db, fake_x)
    assert ["approved"] == [o.status for o in run.run_due()]
    w = waiting(db)
    assert w is not None and "rate limited" in w["reason"]
    reset = from_db(w["until"])
    tries = len([r for r in fake_x.requests() if r["group"] == "post"])
    assert [] == run.run_due()
    assert tries == len([r for r in fake_x.requests() if r["group"] == "post"])
    assert reset == run.next_action_at()
    time.sleep(max(0.0, (reset - now()).total_seconds()) + 0.05)
    run.run_due()
    assert "published" == queue.get(db, post_id).status
    assert ["rate limited"] == _texts_on_x(fake_x)


def test_every_third_answer_503_each_post_once(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """With every third answer a 503 (posts and timeline reads), every post goes out once."""
    fake_x.faults(error_every=3, accept_duplicates=True)
    texts = [f"steady {i}" for i in range(6)]
    for i, text in enumerate(texts):
        add_post(db, text, now() - timedelta(seconds=6 - i))
    _until_settled(_run(db, fake_x, retries=5))
    assert texts == _texts_on_x(fake_x)
    assert {"published"} == {r["status"] for r in rows(db)}


def test_server_error_waits_the_settling_margin_before_the_timeline_check(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """After a 5xx the timeline is read no sooner than the settling margin plus the backoff:
    a post X made behind a gateway error has time to show before it could be sent again."""
    fake_x.faults(error_next=1, error_groups=["post"])
    post_id = add_post(db, "behind a gateway error", now())
    run = _run(db, fake_x, settle=1.5, backoff=0.05)
    before = now()
    run.run_due()
    assert "unknown" == queue.get(db, post_id).status
    next_check = run.next_action_at()
    assert next_check is not None
    assert next_check - before >= timedelta(seconds=1.5)


def test_server_errors_are_bounded(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A post that keeps getting 5xx fails after the configured retries, never sent twice."""
    fake_x.faults(error_every=1, error_groups=["post"])
    post_id = add_post(db, "server always down", now())
    _until_settled(_run(db, fake_x, retries=2))
    post = queue.get(db, post_id)
    assert "failed" == post.status
    assert "server errors on 3 tries" in (post.last_error or "")
    assert 3 == len([r for r in fake_x.requests() if r["group"] == "post"])


def test_refused_post_fails_with_x_words(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A 4xx refusal (too long) is failed at once with X's message."""
    post_id = add_post(db, "y" * 300, now())
    _run(db, fake_x).run_due()
    post = queue.get(db, post_id)
    assert "failed" == post.status
    assert "403" in (post.last_error or "")


def test_auth_failure_stops_publishing(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """401: the post goes back, publishing stops with the reason, and nothing more is tried."""
    first = add_post(db, "first", now() - timedelta(seconds=1))
    add_post(db, "second", now())
    run = _run(db, fake_x, env={"X_ACCESS_TOKEN": "revoked-token-value"})
    run.run_due()
    stop = stopped(db)
    assert stop is not None and "refused the credentials" in stop["reason"]
    assert "revoked-token-value" not in json.dumps(stop)
    assert "approved" == queue.get(db, first).status
    assert 1 == len([r for r in fake_x.requests() if r["group"] == "post"])
    assert [] == run.run_due()
    assert run.next_action_at() is None


def test_not_holding_the_lease_sends_nothing(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A publisher whose lease was taken over claims nothing and says it lost the lease."""
    add_post(db, "not mine", now())
    run = _run(db, fake_x)
    lease.release(db, run.holder)
    assert lease.acquire(db, "someone-else", ttl=60)
    assert [] == run.run_due()
    assert run.lease_lost
    assert [] == fake_x.tweets(source="api")


class Notebook:
    """Another backend: posts land in a list (a Mastodon or Bluesky backend would sit here)."""

    name = "notebook"

    def __init__(self) -> None:
        self.posts: list[tuple[str, str | None]] = []

    def publish(self, text: str, reply_to: str | None = None) -> str:
        self.posts.append((text, reply_to))
        return f"nb-{len(self.posts)}"

    def recent_own_posts(self, since: datetime) -> list[dict[str, object]]:
        return [{"id": f"nb-{i + 1}", "text": t} for i, (t, _) in enumerate(self.posts)]


def test_another_backend_plugs_in(db: sqlite_utils.Database) -> None:
    """A registered backend publishes through the same rounds, threads included."""
    register("notebook", lambda environ, file, timeout: Notebook())
    backend = create("notebook")
    assert isinstance(backend, Publisher)
    parent = add_post(db, "first", now() - timedelta(seconds=2))
    add_post(db, "second", now() - timedelta(seconds=1), reply_to=parent)
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=60)
    Publishing(db, backend, holder).run_due()
    assert isinstance(backend, Notebook)
    assert [("first", None), ("second", "nb-1")] == backend.posts
    assert ["nb-1", "nb-2"] == [r["tweet_id"] for r in rows(db)]


# -- campaign publish ---------------------------------------------------------------------


def test_publish_command_prints_what_went_out(
    db: sqlite_utils.Database,
    fake_x: FakeX,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`campaign publish` sends what is due now, prints the ids, and leaves later posts."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    due = add_post(db, "due now", now())
    later = add_post(db, "due later", now() + timedelta(minutes=10))
    result = run("publish")
    tweet_id = queue.get(db, due).tweet_id
    assert 0 == result.exit_code
    assert f"post {due}: published as {tweet_id}\n" == result.output
    assert "approved" == queue.get(db, later).status
    assert lease.current(db) is None


def test_publish_command_without_credentials(run: Callable[..., Result]) -> None:
    """Without posting keys `campaign publish` exits 2 naming them, no traceback."""
    result = run("publish")
    assert 2 == result.exit_code
    assert "X_API_KEY" in result.output and "X_ACCESS_TOKEN_SECRET" in result.output
    assert "Traceback" not in result.output


def test_publish_command_refuses_while_daemon_holds_lease(
    db: sqlite_utils.Database,
    fake_x: FakeX,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a live daemon holds the lease, `campaign publish` says so and sends nothing."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    add_post(db, "daemon's job", now())
    assert lease.acquire(db, "daemon:elsewhere:1:abc", ttl=60)
    result = run("publish")
    assert 2 == result.exit_code
    assert "holds the publishing lease" in result.output
    assert [] == fake_x.tweets(source="api")


def test_publish_resume_clears_a_stop(
    db: sqlite_utils.Database,
    fake_x: FakeX,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After an auth stop, `publish` exits 2 saying why; `publish --resume` publishes again."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    post_id = add_post(db, "after the fix", now())
    monkeypatch.setenv("X_API_SECRET", "wrong-secret-value")
    monkeypatch.setenv("X_API_KEY", "wrong-key-value")
    stopped_run = run("publish")
    assert 2 == stopped_run.exit_code
    assert "publishing is stopped" in stopped_run.output
    assert "wrong-key-value" not in stopped_run.output
    monkeypatch.setenv("X_API_KEY", fake_x.env["X_API_KEY"])
    assert 2 == run("publish").exit_code  # still stopped until a person resumes
    resumed = run("publish", "--resume")
    assert 0 == resumed.exit_code
    assert "published" == queue.get(db, post_id).status


def test_publish_reads_a_credentials_file(
    db: sqlite_utils.Database, fake_x: FakeX, run: Callable[..., Result], tmp_path: Path
) -> None:
    """--credentials FILE supplies the keys when the environment has none."""
    keys = tmp_path / "x.env"
    keys.write_text("".join(f"{k}={v}\n" for k, v in fake_x.env.items()))
    keys.chmod(0o600)
    post_id = add_post(db, "keys from a file", now())
    result = run("publish", "--credentials", keys)
    assert 0 == result.exit_code
    assert "published" == queue.get(db, post_id).status
