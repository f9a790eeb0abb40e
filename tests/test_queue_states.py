"""The post state machine: which moves are allowed, guarded updates, and the audit trail."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.clock import to_db
from campaign.errors import NotFoundError, RuleError, TransitionError
from campaign.store import open_db
from posts import editing, queue

STATUSES = queue.STATUSES
WHEN = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
_texts = itertools.count(1)


def insert(
    db: sqlite_utils.Database,
    status: str = "draft",
    *,
    at: datetime = WHEN,
    tweet_id: str | None = None,
) -> int:
    """Test setup: a post row put straight into ``status`` (no audit row, like a fixture)."""
    stamp = to_db(WHEN - timedelta(days=30))
    cur = db.execute(
        "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, tweet_id, "
        "created_at, updated_at) VALUES ('manual', ?, 20, ?, ?, ?, ?, ?)",
        [
            f"post number {next(_texts)} #PolicingInConflict",
            to_db(at),
            status,
            tweet_id,
            stamp,
            stamp,
        ],
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def status_of(db: sqlite_utils.Database, post_id: int) -> str:
    return str(db.execute("SELECT status FROM posts WHERE id = ?", [post_id]).fetchone()[0])


ALLOWED = [(a, b) for a in STATUSES for b in STATUSES if b in queue.TRANSITIONS[a]]
REFUSED = [(a, b) for a in STATUSES for b in STATUSES if b not in queue.TRANSITIONS[a]]


def test_the_table_covers_every_status() -> None:
    """Every status has a row in the transition table and every target is a status."""
    assert set(STATUSES) == set(queue.TRANSITIONS)
    assert all(targets <= set(STATUSES) for targets in queue.TRANSITIONS.values())


def test_published_is_final() -> None:
    """Nothing moves a published post anywhere."""
    assert frozenset() == queue.TRANSITIONS["published"]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_allowed_transition_moves_and_audits(
    db: sqlite_utils.Database, from_status: str, to_status: str
) -> None:
    """An allowed move changes the status and writes exactly one audit row saying so."""
    post_id = insert(db, from_status)
    assert queue.transition(db, post_id, from_status, to_status, "test:actor", "why")
    assert to_status == status_of(db, post_id)
    trail = queue.history(db, post_id)
    assert [("test:actor", from_status, to_status, "why")] == [
        (r["actor"], r["from_status"], r["to_status"], r["detail"]) for r in trail
    ]


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_refused_transition_changes_nothing(
    db: sqlite_utils.Database, from_status: str, to_status: str
) -> None:
    """A move the table does not allow raises, leaves the status, and writes no audit row."""
    post_id = insert(db, from_status)
    with pytest.raises(TransitionError, match=f"from {from_status} to {to_status}"):
        queue.transition(db, post_id, from_status, to_status, "test:actor")
    assert from_status == status_of(db, post_id)
    assert [] == queue.history(db, post_id)


def test_guarded_update_loses_the_race_cleanly(db_path: Path) -> None:
    """Two connections moving the same draft: one wins, the other gets False and writes nothing."""
    first, second = open_db(db_path), open_db(db_path)
    post_id = insert(first, "approved")
    assert queue.transition(first, post_id, "approved", "publishing", "daemon:a")
    assert not queue.transition(second, post_id, "approved", "publishing", "daemon:b")
    assert "publishing" == status_of(second, post_id)
    assert ["daemon:a"] == [r["actor"] for r in queue.history(second, post_id)]


def test_transition_sets_fields_with_the_status(db: sqlite_utils.Database) -> None:
    """Fields given to a transition are written in the same update (times stored as UTC text)."""
    post_id = insert(db, "publishing")
    assert queue.transition(
        db, post_id, "publishing", "published", "daemon", tweet_id="123", published_at=WHEN
    )
    post = queue.get(db, post_id)
    assert ("published", "123", WHEN) == (post.status, post.tweet_id, post.published_at)


def test_move_from_the_current_status(db: sqlite_utils.Database) -> None:
    """move() reads the status itself, moves, and returns the post as it now is."""
    post_id = insert(db, "failed")
    post = queue.move(db, post_id, "approved", "cli:tester")
    assert "approved" == post.status
    assert [("failed", "approved")] == [
        (r["from_status"], r["to_status"]) for r in queue.history(db, post_id)
    ]


def test_move_to_the_same_status_is_a_no_op(db: sqlite_utils.Database) -> None:
    """Moving a post to the status it is in changes nothing and writes no audit row."""
    post_id = insert(db, "approved")
    assert "approved" == queue.move(db, post_id, "approved", "cli:tester").status
    assert [] == queue.history(db, post_id)


def test_move_refusal_names_the_possible_statuses(db: sqlite_utils.Database) -> None:
    """A refused move says what the post is and where it can go instead."""
    post_id = insert(db, "draft")
    with pytest.raises(TransitionError) as err:
        queue.move(db, post_id, "published", "cli:tester")
    assert (
        f"post {post_id} is draft and cannot become published (from draft it can become "
        "approved, cancelled)"
    ) == str(err.value)


def test_move_of_an_unknown_post_is_not_found(db: sqlite_utils.Database) -> None:
    """Moving an id that does not exist says so and how to find the ids."""
    with pytest.raises(NotFoundError, match="no post with id 99: see `campaign posts list`"):
        queue.move(db, 99, "approved", "cli:tester")


# What a person may do from each status (posts.editing); the rest belongs to the daemon.
PERSON_APPROVES = {"draft", "failed", "missed"}
PERSON_CANCELS = {"draft", "approved", "failed", "missed"}


@pytest.mark.parametrize("status", STATUSES)
def test_person_approve_rules(db: sqlite_utils.Database, status: str) -> None:
    """A person approves drafts, failed and missed posts; approved stays; others are refused."""
    post_id = insert(db, status, tweet_id="1" if status == "published" else None)
    if status in PERSON_APPROVES:
        assert [post_id] == [p.id for p in editing.approve(db, [post_id], actor="cli:t")]
        assert "approved" == status_of(db, post_id)
    elif status == "approved":
        assert [] == editing.approve(db, [post_id], actor="cli:t")
        assert [] == queue.history(db, post_id)
    else:
        with pytest.raises(TransitionError, match=f"post {post_id} cannot be approved: "):
            editing.approve(db, [post_id], actor="cli:t")
        assert status == status_of(db, post_id)


@pytest.mark.parametrize("status", STATUSES)
def test_person_cancel_rules(db: sqlite_utils.Database, status: str) -> None:
    """A person cancels anything not yet on its way to X; cancelled stays; others are refused."""
    post_id = insert(db, status, tweet_id="1" if status == "published" else None)
    if status in PERSON_CANCELS:
        assert [post_id] == [p.id for p in editing.cancel(db, [post_id], actor="cli:t")]
        assert "cancelled" == status_of(db, post_id)
    elif status == "cancelled":
        assert [] == editing.cancel(db, [post_id], actor="cli:t")
    else:
        with pytest.raises(TransitionError, match=f"post {post_id} cannot be cancelled: "):
            editing.cancel(db, [post_id], actor="cli:t")
        assert status == status_of(db, post_id)


def test_approving_several_is_all_or_nothing(db: sqlite_utils.Database) -> None:
    """If one of several posts cannot be approved, none of them is changed."""
    ok = insert(db, "draft")
    out = insert(db, "published", tweet_id="5")
    with pytest.raises(TransitionError) as err:
        editing.approve(db, [ok, out], actor="cli:t")
    assert (
        f"post {out} cannot be approved: it has already been published on X. Nothing was changed"
    ) == str(err.value)
    assert "draft" == status_of(db, ok)
    with pytest.raises(NotFoundError):
        editing.approve(db, [ok, 404], actor="cli:t")
    assert "draft" == status_of(db, ok)


@pytest.mark.parametrize("status", STATUSES)
def test_person_edit_rules(db: sqlite_utils.Database, status: str) -> None:
    """Time edits are allowed in draft, approved, failed and missed, keeping the status."""
    post_id = insert(db, status, tweet_id="1" if status == "published" else None)
    later = WHEN + timedelta(hours=3)
    if status in editing.EDITABLE:
        post = editing.edit(db, post_id, actor="cli:t", at=later)
        assert (status, later, True) == (post.status, post.scheduled_at, post.hand_edited)
        assert [(status, status)] == [
            (r["from_status"], r["to_status"]) for r in queue.history(db, post_id)
        ]
    else:
        with pytest.raises(TransitionError, match=f"post {post_id} cannot be edited: "):
            editing.edit(db, post_id, actor="cli:t", at=later)
        assert WHEN == queue.get(db, post_id).scheduled_at


@st.composite
def moves(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Random (expected-from, to) pairs: some right, some stale, some not allowed."""
    return draw(
        st.lists(st.tuples(st.sampled_from(STATUSES), st.sampled_from(STATUSES)), max_size=25)
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=moves(), start=st.sampled_from(["draft", "approved"]))
def test_random_move_sequences_keep_the_invariants(
    db: sqlite_utils.Database, steps: list[tuple[str, str]], start: str
) -> None:
    """Any sequence of moves keeps: one audit row per move made, a chained trail, tweet ids."""
    post_id = insert(db, start)
    made = 0
    current = start
    for expected, to_status in steps:
        fields = {"tweet_id": f"t{post_id}"} if to_status == "published" else {}
        try:
            moved = queue.transition(db, post_id, expected, to_status, "prop", **fields)
        except TransitionError:
            assert to_status not in queue.TRANSITIONS[expected]
            continue
        assert (expected == current) == moved
        if moved:
            made += 1
            current = to_status
        assert current == status_of(db, post_id)
    post = queue.get(db, post_id)
    trail = queue.history(db, post_id)
    assert made == len(trail)
    chain = [start] + [r["to_status"] for r in trail]
    assert chain[:-1] == [r["from_status"] for r in trail]
    assert chain[-1] == post.status
    assert all(b in queue.TRANSITIONS[a] for a, b in itertools.pairwise(chain))
    published = db.execute(
        "SELECT count(*) FROM posts WHERE status = 'published' AND tweet_id IS NULL"
    ).fetchone()[0]
    assert 0 == published


def test_two_people_adding_the_same_text_at_once(db_path: Path) -> None:
    """The duplicate check and the insert share one transaction: only one of two racers wins."""
    open_db(db_path)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def racer(name: str) -> None:
        db = open_db(db_path)
        barrier.wait()
        try:
            editing.add(db, "Only once, please", WHEN, actor=f"cli:{name}")
            outcomes.append("added")
        except RuleError:
            outcomes.append("refused")

    threads = [threading.Thread(target=racer, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ["added", "refused"] == sorted(outcomes)
    assert 1 == open_db(db_path)["posts"].count
