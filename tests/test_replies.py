"""Replies and quotes to collected posts (`campaign mentions reply`): queued under the rules of
every post, published once as a reply (or quote) on X, refusals that cannot be retried end in
failed with their reason, and the mention then shows "replied" with a link to our reply."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.clock import now
from posts import queue
from scheduler import lease
from scheduler.collect import collect_once
from scheduler.publish import PublishConfig, Publishing
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX
from tests.web_helpers import SAMPLE, load_campaign

TAG = "#PolicingInConflict"


def _collected(db: sqlite_utils.Database, fake_x: FakeX, n: int = 30) -> list[str]:
    """Collect a conversation of about ``n`` posts; the collected ids, newest first."""
    load_campaign(db)
    fake_x.add_conversation(n, seed=5, days=1)
    collect_once(db, XClient(Credentials.from_env(fake_x.env, need_bearer=True)), _settings(db))
    return [
        str(r[0]) for r in db.execute("SELECT id FROM mentions WHERE is_ours = 0 ORDER BY id DESC")
    ]


def _settings(db: sqlite_utils.Database) -> Any:
    from campaign.metadata import settings_for

    return settings_for(db)


def _publishing(db: sqlite_utils.Database, fake_x: FakeX) -> Publishing:
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    return Publishing(
        db, XPublisher(client), holder, PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05)
    )


def _load_with(run: Any, tmp_path: Path, **settings: object) -> None:
    """Load the sample campaign with ``settings`` added to its campaign section."""
    import yaml

    data = yaml.safe_load(SAMPLE.read_text())
    data["campaign"].update(settings)
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = run("load", path)
    assert 0 == result.exit_code, result.output


def _posts_on_x(fake_x: FakeX) -> list[dict[str, Any]]:
    return list(fake_x.tweets(source="api"))


def test_reply_prints_the_id_and_goes_out_once_as_a_reply(
    run: Any, db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """`mentions reply ID --text --approve` prints the new post's id; one publish, no hashtag."""
    target = _collected(db, fake_x)[0]
    result = run(
        "mentions", "reply", target, "--text", "Thank you, the recording is online", "--approve"
    )
    assert 0 == result.exit_code, result.output
    post_id = int(result.output.strip())
    post = queue.get(db, post_id)
    assert ("reply", "approved", target, "Thank you, the recording is online") == (
        post.kind,
        post.status,
        post.reply_to_tweet_id,
        post.text,
    )
    run_ = _publishing(db, fake_x)
    run_.run_due()
    run_.run_due()
    sent = _posts_on_x(fake_x)
    assert [[{"type": "replied_to", "id": target}]] == [t["referenced_tweets"] for t in sent]
    assert sent[0]["id"] == queue.get(db, post_id).tweet_id


def test_quote_goes_out_as_a_quote(run: Any, db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """`--quote` queues a post of kind quote that X receives with quote_tweet_id."""
    target = _collected(db, fake_x)[1]
    result = run("mentions", "reply", target, "--text", "Worth reading", "--quote", "--approve")
    assert 0 == result.exit_code, result.output
    post = queue.get(db, int(result.output))
    assert ("quote", target, None) == (post.kind, post.quote_tweet_id, post.reply_to_tweet_id)
    _publishing(db, fake_x).run_due()
    assert [[{"type": "quoted", "id": target}]] == [
        t["referenced_tweets"] for t in _posts_on_x(fake_x)
    ]


def test_replies_carry_the_hashtag_only_when_the_campaign_says_so(
    run: Any, db: sqlite_utils.Database, fake_x: FakeX, tmp_path: Path
) -> None:
    """With `replies_carry_hashtag: true` the hashtag is added to a reply."""
    target = _collected(db, fake_x)[0]
    _load_with(run, tmp_path, replies_carry_hashtag=True)
    result = run("mentions", "reply", target, "--text", "Thanks for coming")
    assert 0 == result.exit_code, result.output
    assert f"Thanks for coming {TAG}" == queue.get(db, int(result.output)).text


def test_a_thread_keeps_the_hashtag_on_its_first_post_only(
    run: Any, db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """A reply in our own thread gets no hashtag; `threads_carry_hashtag: true` adds it."""
    load_campaign(db)
    first = run("posts", "add", "--text", "A thread, 1/2", "--at", "2030-01-06T15:00Z").output
    second = run(
        "posts", "add", "--text", "The rest, 2/2", "--at", "2030-01-06T15:01Z", "--reply-to", first
    ).output
    _load_with(run, tmp_path, threads_carry_hashtag=True)
    third = run(
        "posts", "add", "--text", "And 3/3", "--at", "2030-01-06T15:02Z", "--reply-to", second
    ).output
    assert [f"A thread, 1/2 {TAG}", "The rest, 2/2", f"And 3/3 {TAG}"] == [
        queue.get(db, int(i)).text for i in (first, second, third)
    ]


def test_a_reply_passes_the_rules_of_every_post(
    run: Any, db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """A duplicate text or an over-long reply is refused (exit 2); an unknown id too."""
    target = _collected(db, fake_x)[0]
    assert 0 == run("mentions", "reply", target, "--text", "Thank you").exit_code
    twice = run("mentions", "reply", target, "--text", "thank  you")
    assert 2 == twice.exit_code
    assert "X refuses duplicates" in twice.output
    long = run("mentions", "reply", target, "--text", "a" * 281)
    assert 2 == long.exit_code
    assert "281/280 weighted characters: shorten the text by 1" in long.output
    missing = run("mentions", "reply", "123", "--text", "Hello")
    assert 2 == missing.exit_code
    assert "no collected post with id 123" in missing.output


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"deleted": True}, "reply_target_gone"),
        ({"reply_settings": "mentionedUsers"}, "replies_limited"),
    ],
)
def test_a_refused_reply_fails_with_its_reason_and_is_not_retried(
    run: Any, db: sqlite_utils.Database, fake_x: FakeX, change: dict[str, object], reason: str
) -> None:
    """The post answered is deleted, or its author limited replies: failed, one POST only."""
    target = _collected(db, fake_x)[0]
    post_id = int(run("mentions", "reply", target, "--text", "Thanks", "--approve").output)
    fake_x.change_tweet(target, **change)
    fake_x.clear_requests()
    publishing = _publishing(db, fake_x)
    publishing.run_due()
    publishing.run_due()
    post = queue.get(db, post_id)
    assert ("failed", reason) == (post.status, post.reason)
    posts_sent = [
        r for r in fake_x.requests() if r["method"] == "POST" and r["path"] == "/2/tweets"
    ]
    assert 1 == len(posts_sent)
    assert "X refused the reply" in (post.last_error or "")


def test_the_mention_shows_replied_with_a_link_to_our_reply(
    run: Any, db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """Once out, `mentions list` and `mentions show` say replied, with our reply's address."""
    target = _collected(db, fake_x)[0]
    post_id = int(run("mentions", "reply", target, "--text", "Thanks", "--approve").output)
    drafted = run("mentions", "list", "--limit", "1")
    assert f"[reply approved: post {post_id}]" in drafted.output
    _publishing(db, fake_x).run_due()
    tweet_id = queue.get(db, post_id).tweet_id
    listed = run("mentions", "list", "--limit", "1")
    assert f"[replied: https://x.com/i/status/{tweet_id}]" in listed.output
    shown = json.loads(run("mentions", "show", target).output)["replied"]
    assert (post_id, "replied", f"https://x.com/i/status/{tweet_id}") == (
        shown["post_id"],
        shown["label"],
        shown["url"],
    )


def test_reply_at_a_time_waits_for_it(run: Any, db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """`--at` schedules the reply; nothing goes out before then."""
    target = _collected(db, fake_x)[0]
    later = (now() + timedelta(hours=2)).isoformat()
    post_id = int(
        run("mentions", "reply", target, "--text", "Later", "--at", later, "--approve").output
    )
    _publishing(db, fake_x).run_due()
    assert ("approved", []) == (queue.get(db, post_id).status, _posts_on_x(fake_x))


def test_four_eyes_a_reviewer_drafts_and_another_approver_approves(
    run: Any, db: sqlite_utils.Database, fake_x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a team, a reviewer may draft a reply but not approve it; its writer cannot approve
    it either; another approver can."""
    from argon2 import PasswordHasher

    from campaign import people

    target = _collected(db, fake_x)[0]
    # Cheap hashes: the real cost is pinned in test_people.
    monkeypatch.setattr(
        people, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    for name, role in (("rita", "reviewer"), ("ed", "approver"), ("ann", "approver")):
        people.add(db, name, role, "correct horse battery staple")
    refused = run(
        "mentions", "reply", target, "--text", "Thanks", "--approve", env={"CAMPAIGN_USER": "rita"}
    )
    assert 2 == refused.exit_code
    assert "needs the approver role" in refused.output
    drafted = run("mentions", "reply", target, "--text", "Thanks", env={"CAMPAIGN_USER": "rita"})
    assert 0 == drafted.exit_code, drafted.output
    own = run(
        "mentions",
        "reply",
        target,
        "--text",
        "Thanks again",
        "--approve",
        env={"CAMPAIGN_USER": "ed"},
    )
    assert 2 == own.exit_code
    assert "four eyes" in own.output
    post_id = drafted.output.strip()
    assert 0 == run("posts", "approve", post_id, env={"CAMPAIGN_USER": "ann"}).exit_code
    assert "approved" == queue.get(db, int(post_id)).status


@pytest.mark.slow
def test_the_daemon_publishes_a_reply_exactly_once(
    run: Any,
    db: sqlite_utils.Database,
    db_path: Path,
    fake_x_process: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply approved from the CLI goes out once from the real daemon, as a reply."""
    from tests.publishing import wait_for
    from tests.test_daemon import start_daemon, stop

    target = _collected(db, fake_x_process)[0]
    for k, v in fake_x_process.env.items():
        monkeypatch.setenv(k, v)
    post_id = int(run("mentions", "reply", target, "--text", "Thanks", "--approve").output)
    daemon = start_daemon(fake_x_process, db_path, tmp_path / "daemon.log", "--no-collect")
    try:
        assert wait_for(lambda: queue.get(db, post_id).status == "published", timeout=15)
        time.sleep(1.5)  # a second send would have happened by now
    finally:
        assert 0 == stop(daemon)
    sent = fake_x_process.tweets(source="api")
    assert [(queue.get(db, post_id).tweet_id, [{"type": "replied_to", "id": target}])] == [
        (t["id"], t["referenced_tweets"]) for t in sent
    ]


def test_the_alert_for_a_refused_reply_says_to_cancel_it(
    db: sqlite_utils.Database, db_path: Path, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply X refused because the post it answers is gone: the alert says not to retry."""
    import time_machine

    from posts.queue import Reason
    from scheduler.alerts import watch_once
    from tests.publishing import add_post

    load_campaign(db)
    monkeypatch.setenv("CAMPAIGN_NOTIFY", webhook.url)
    at = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
        post = add_post(db, "Thanks", now() - timedelta(minutes=1))
        assert queue.claim(db, post, "d", "d", timeout=10) is not None
        assert queue.transition(
            db, post, "publishing", "failed", "d", reason=Reason.REPLY_TARGET_GONE,
            last_error="X refused the reply: the post it answers was deleted",
        )  # fmt: skip
        assert (["post_failed"], []) == watch_once(str(db_path))
    body = webhook.messages[0]["message"]
    assert (
        f"X will refuse this reply again whatever it says: cancel it (`campaign posts cancel {post}`)"
        in body
    )
