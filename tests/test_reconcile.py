"""Reconcile: a post whose fate is unknown is settled from the account's timeline, matched by
text with links masked, and never sent again if it is already there."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import sqlite_utils
from hypothesis import given
from hypothesis import strategies as st

from campaign.clock import now
from posts import queue
from scheduler import lease
from scheduler.publish import PublishConfig, Publishing
from scheduler.publisher import XPublisher
from scheduler.reconcile import first_claim, masked, match_posts
from scheduler.simulator import links
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX
from tests.publishing import add_post

WORDS = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FFF),
    min_size=1,
    max_size=8,
)
URLS = st.builds(
    lambda host, path: f"https://{host}.org/{path}",
    st.text(alphabet="abcdefghij", min_size=1, max_size=8),
    st.text(alphabet="abcdefghij0123456789-", max_size=12),
)


@given(st.lists(st.one_of(WORDS, URLS, st.just("#PolicingInConflict")), min_size=1, max_size=12))
def test_masked_text_survives_t_co(parts: list[str]) -> None:
    """A text and X's copy of it, every link made a t.co link, mask to the same string."""
    text = " ".join(parts)
    rewritten, _ = links.shorten(text, random.Random(1))
    assert masked(text) == masked(rewritten)


def test_masked_undoes_entities_and_spacing() -> None:
    """X's &amp; and changed white space do not break a match."""
    assert masked("Q&A  at 10:00\nhttps://a.org/x.") == masked("Q&amp;A at 10:00 https://t.co/abc")


def test_different_texts_do_not_match() -> None:
    """Texts differing outside their links stay different."""
    assert masked("Panel today https://a.org") != masked("Panel tomorrow https://a.org")


def _post(db: sqlite_utils.Database, text: str) -> queue.Post:
    return queue.get(db, add_post(db, text, now()))


def test_match_skips_ids_already_recorded(db: sqlite_utils.Database) -> None:
    """A timeline post already recorded for another row is not used again."""
    post = _post(db, "same words")
    timeline = [{"id": "2", "text": "same words"}, {"id": "1", "text": "same words"}]
    assert "1" == match_posts([post], timeline)[0].tweet_id
    assert "2" == match_posts([post], timeline, taken={"1"})[0].tweet_id
    assert match_posts([post], timeline, taken={"1", "2"})[0].tweet_id is None


def test_match_prefers_the_reply_to_the_parent(db: sqlite_utils.Database) -> None:
    """For a reply, the timeline post replying to the parent's id wins."""
    post = _post(db, "thanks all")
    timeline = [
        {"id": "5", "text": "thanks all"},
        {"id": "9", "text": "thanks all", "referenced_tweets": [{"type": "replied_to", "id": "7"}]},
    ]
    assert "9" == match_posts([post], timeline, parents={post.id: "7"})[0].tweet_id


def _run(db: sqlite_utils.Database, fake_x: FakeX, *, timeout: float = 1.0) -> Publishing:
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env(fake_x.env), timeout=timeout)
    config = PublishConfig(x_timeout=timeout, settle=0.2, backoff=0.05)
    return Publishing(db, XPublisher(client), holder, config)


def _claim_as_crashed(db: sqlite_utils.Database, post_id: int, timeout: float = 1.0) -> None:
    """What a daemon (its call timeout ``timeout``) killed right after its claim leaves behind."""
    assert queue.claim(db, post_id, "daemon:gone", "daemon:gone", timeout=timeout) is not None


def test_crash_left_claim_found_on_timeline(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A claimed post that reached X is recorded published with X's id, not sent again."""
    fake_x.faults(accept_duplicates=True)
    text = "Watch live https://example.org/live?utm_source=x #PolicingInConflict"
    post_id = add_post(db, text, now())
    _claim_as_crashed(db, post_id)
    sent = XClient(Credentials.from_env(fake_x.env)).create_post(text)
    run = _run(db, fake_x)
    assert [] == run.run_due()  # the claim's timeout has not passed yet: too early to tell
    time.sleep(1.3)
    outcomes = run.run_due()
    assert [(post_id, "published", sent)] == [(o.post_id, o.status, o.tweet_id) for o in outcomes]
    assert 1 == len(fake_x.tweets(source="api"))
    assert sent == queue.get(db, post_id).tweet_id


def test_restart_waits_for_the_crashed_claims_own_timeout(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """A claim made with a 3 s timeout is not judged by a restarted daemon's 1 s timeout: a
    request still on its way could land after an earlier check."""
    post_id = add_post(db, "Claimed by a patient daemon", now())
    _claim_as_crashed(db, post_id, timeout=3.0)
    run = _run(db, fake_x, timeout=1.0)
    time.sleep(1.5)  # past the new daemon's timeout + settle, not the claim's own
    assert [] == run.run_due()
    assert "publishing" == queue.get(db, post_id).status
    assert [] == fake_x.tweets(source="api")
    time.sleep(2.0)  # now past 3 s + settle: checked, absent, sent once
    outcomes = run.run_due()
    assert ["approved", "published"] == [o.status for o in outcomes]
    assert 1 == len(fake_x.tweets(source="api"))


def test_crash_left_claim_absent_is_sent_again(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A claimed post not on the timeline goes back to approved and out exactly once."""
    post_id = add_post(db, "Never made it out", now())
    _claim_as_crashed(db, post_id)
    run = _run(db, fake_x)
    time.sleep(1.3)
    statuses = [o.status for o in run.run_due()]
    assert ["approved", "published"] == statuses
    assert ["Never made it out"] == [t["submitted_text"] for t in fake_x.tweets(source="api")]
    moves = [(h["from_status"], h["to_status"]) for h in queue.history(db, post_id)]
    assert ("publishing", "approved") in moves


def test_dropped_answer_is_settled_by_id(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A post whose answer was lost is unknown, then published with the id X gave it."""
    fake_x.faults(drop_every=1, accept_duplicates=True)
    post_id = add_post(db, "Lost answer https://example.org/x", now())
    run = _run(db, fake_x)
    assert ["unknown"] == [o.status for o in run.run_due()]
    fake_x.clear_faults()
    fake_x.faults(accept_duplicates=True)
    assert [] == run.run_due()  # still waiting: nothing is sent while a post is unsettled
    waited = run.next_action_at()
    assert waited is not None
    time.sleep(max(0.0, (waited - now()).total_seconds()) + 0.05)
    outcomes = run.run_due()
    on_x = fake_x.tweets(source="api")
    assert [on_x[0]["id"]] == [o.tweet_id for o in outcomes]
    assert 1 == len(on_x)
    assert on_x[0]["id"] == queue.get(db, post_id).tweet_id


def test_duplicate_not_on_timeline_fails(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """403 duplicate for a text posted long before the claim: failed, never blind-retried."""
    fake_x.clock(offset_seconds=-600)
    XClient(Credentials.from_env(fake_x.env)).create_post("Old news")
    fake_x.clock(offset_seconds=0)
    post_id = add_post(db, "Old news", now())
    run = _run(db, fake_x)
    run.config = PublishConfig(x_timeout=1, settle=0.2, slack=timedelta(seconds=5))
    statuses = [o.status for o in run.run_due() + run.run_due()]
    assert ["unknown", "failed"] == statuses
    assert "duplicate" in (queue.get(db, post_id).last_error or "")
    assert 1 == len(fake_x.tweets(source="api"))


def test_first_claim_spans_retries(db: sqlite_utils.Database) -> None:
    """The timeline is read from the first claim since the post was last approved by a person."""
    post_id = add_post(db, "retry me", now())
    first = queue.claim(db, post_id, "a", "a", timeout=10.0)
    queue.transition(db, post_id, "publishing", "unknown", "a")
    queue.transition(db, post_id, "unknown", "approved", "a")
    queue.claim(db, post_id, "a", "a", timeout=10.0)
    assert first == first_claim(db, post_id)
