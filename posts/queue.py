"""The post queue: one table, a state machine, and an audit row for every transition.

Every transition is one ``UPDATE … WHERE id = ? AND status = ?`` guarded by the status the caller
expects, written together with its audit row in one transaction. A transition that finds the row
in another status changes nothing and reports it, so two processes can never both move a post.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import NotFoundError, TransitionError
from campaign.migrations import POST_STATUSES
from campaign.store import immediate

STATUSES = POST_STATUSES

# Which moves are allowed. Publishing moves belong to the daemon; people move the rest.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"approved", "cancelled"}),
    "approved": frozenset({"draft", "publishing", "missed", "cancelled"}),
    "publishing": frozenset({"published", "failed", "unknown", "approved"}),
    "unknown": frozenset({"published", "approved", "failed", "publishing"}),
    "failed": frozenset({"approved", "draft", "cancelled"}),
    "missed": frozenset({"approved", "draft", "cancelled"}),
    "cancelled": frozenset({"draft"}),
    "published": frozenset(),
}


@dataclass(frozen=True)
class Post:
    """One row of the queue."""

    id: int
    kind: str
    text: str
    weighted_length: int
    scheduled_at: datetime
    status: str
    tweet_id: str | None
    source_key: str | None
    template: str | None
    source_hash: str | None
    hand_edited: bool
    reply_to_post_id: int | None
    claimed_at: datetime | None
    claimed_by: str | None
    call_deadline: datetime | None
    attempts: int
    last_error: str | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None  # the person who wrote it (None: the planner)
    edited_by: str | None = None  # the person who last changed its text or time

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Post:
        def t(v: str | None) -> datetime | None:
            return from_db(v) if v else None

        return cls(
            id=row["id"],
            kind=row["kind"],
            text=row["text"],
            weighted_length=row["weighted_length"],
            scheduled_at=from_db(row["scheduled_at"]),
            status=row["status"],
            tweet_id=row["tweet_id"],
            source_key=row["source_key"],
            template=row["template"],
            source_hash=row["source_hash"],
            hand_edited=bool(row["hand_edited"]),
            reply_to_post_id=row["reply_to_post_id"],
            claimed_at=t(row["claimed_at"]),
            claimed_by=row["claimed_by"],
            call_deadline=t(row.get("call_deadline")),
            attempts=row["attempts"],
            last_error=row["last_error"],
            published_at=t(row["published_at"]),
            created_at=from_db(row["created_at"]),
            updated_at=from_db(row["updated_at"]),
            created_by=row.get("created_by"),
            edited_by=row.get("edited_by"),
        )

    def to_json(self) -> dict[str, Any]:
        """The contract shape of ``campaign posts list --json``."""
        return {
            "id": self.id,
            "status": self.status,
            "text": self.text,
            "scheduled_at": self.scheduled_at.isoformat(),
            "weighted_length": self.weighted_length,
            "tweet_id": self.tweet_id,
            "kind": self.kind,
            "source_key": self.source_key,
            "hand_edited": self.hand_edited,
            "reply_to": self.reply_to_post_id,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }


def _rows(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cur = db.execute(sql, list(params))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def select_posts(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> list[Post]:
    """The posts a ``SELECT * FROM posts …`` query returns, in its order."""
    return [Post.from_row(r) for r in _rows(db, sql, params)]


def get(db: sqlite_utils.Database, post_id: int) -> Post:
    """The post ``post_id``, or :class:`NotFoundError` saying how to list the ids."""
    posts = select_posts(db, "SELECT * FROM posts WHERE id = ?", [post_id])
    if not posts:
        raise NotFoundError(f"no post with id {post_id}: see `campaign posts list` for the ids")
    return posts[0]


def list_posts(db: sqlite_utils.Database, status: str | Iterable[str] | None = None) -> list[Post]:
    """Posts in schedule order, optionally only those in ``status`` (one or several)."""
    if status is None:
        return select_posts(db, "SELECT * FROM posts ORDER BY scheduled_at, id")
    wanted = [status] if isinstance(status, str) else list(status)
    for s in wanted:
        check_status(s)
    marks = ", ".join("?" for _ in wanted)
    return select_posts(
        db, f"SELECT * FROM posts WHERE status IN ({marks}) ORDER BY scheduled_at, id", wanted
    )


def check_status(status: str) -> str:
    """``status`` if it is a post status, else a :class:`TransitionError` listing them."""
    if status not in STATUSES:
        raise TransitionError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    return status


def audit(
    db: sqlite_utils.Database,
    post_id: int,
    actor: str,
    from_status: str | None,
    to_status: str,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """Write one audit row (the caller holds the transaction)."""
    db.execute(
        "INSERT INTO post_audit (post_id, at, actor, from_status, to_status, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [post_id, to_db(at or now()), actor, from_status, to_status, detail],
    )


def history(db: sqlite_utils.Database, post_id: int) -> list[dict[str, Any]]:
    """The audit trail of one post, oldest first."""
    return _rows(db, "SELECT * FROM post_audit WHERE post_id = ? ORDER BY id", [post_id])


def transition(
    db: sqlite_utils.Database,
    post_id: int,
    from_status: str,
    to_status: str,
    actor: str,
    detail: str | None = None,
    *,
    durable: bool = False,
    **fields: Any,
) -> bool:
    """Move ``post_id`` from ``from_status`` to ``to_status``, setting ``fields`` too.

    Returns ``True`` if this call made the move, ``False`` if the post was not in ``from_status``
    (someone else moved it first). Raises :class:`TransitionError` for a move the state machine
    does not allow. ``durable=True`` forces the commit to disk before returning.
    """
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        raise TransitionError(
            f"a post cannot go from {from_status} to {to_status}"
            + (
                f": from {from_status} it can go to {', '.join(sorted(TRANSITIONS[from_status]))}"
                if TRANSITIONS.get(from_status)
                else ""
            )
        )
    stamp = to_db(now())
    sets = ["status = ?", "updated_at = ?"]
    params: list[Any] = [to_status, stamp]
    for col, val in fields.items():
        sets.append(f"{col} = ?")
        params.append(to_db(val) if isinstance(val, datetime) else val)
    params += [post_id, from_status]
    with immediate(db, durable=durable):
        cur = db.execute(
            f"UPDATE posts SET {', '.join(sets)} WHERE id = ? AND status = ?",
            params,
        )
        if cur.rowcount != 1:
            return False
        audit(db, post_id, actor, from_status, to_status, detail)
    return True


def move(
    db: sqlite_utils.Database,
    post_id: int,
    to_status: str,
    actor: str,
    detail: str | None = None,
    **fields: Any,
) -> Post:
    """A person's move: from whatever status the post is in now, or a clear refusal."""
    post = get(db, post_id)
    if post.status == to_status:
        return post
    if to_status not in TRANSITIONS[post.status]:
        allowed = sorted(TRANSITIONS[post.status])
        raise TransitionError(
            f"post {post_id} is {post.status} and cannot become {to_status}"
            + (f" (from {post.status} it can become {', '.join(allowed)})" if allowed else "")
        )
    if not transition(db, post_id, post.status, to_status, actor, detail, **fields):
        now_status = get(db, post_id).status
        raise TransitionError(
            f"post {post_id} changed to {now_status} while you were working on it: look again "
            "with `campaign posts show`"
        )
    return get(db, post_id)


def claim(
    db: sqlite_utils.Database,
    post_id: int,
    claimed_by: str,
    actor: str,
    *,
    timeout: float,
    guard: tuple[str, Iterable[Any]] | None = None,
) -> datetime | None:
    """The publishing claim: ``approved → publishing`` with ``claimed_at``, ``claimed_by``,
    ``call_deadline`` (the claim time plus the call's ``timeout`` in seconds: after it, the call
    can no longer land at X) and ``attempts + 1``, committed to disk (``synchronous=FULL``)
    before it returns.

    ``guard`` is a ``(sql, params)`` query that must return a row inside the same transaction
    (the publisher's lease) or nothing is claimed. Returns the claim time, or ``None`` if the
    post was no longer ``approved`` or the guard failed.
    """
    with immediate(db, durable=True):
        # Stamped once the write lock is ours: a claim that waited for another writer (the web
        # console, a CLI edit) must not date its call deadline from before the wait.
        stamp = from_db(to_db(now()))  # as stored: millisecond precision
        if guard is not None and db.execute(guard[0], list(guard[1])).fetchone() is None:
            return None
        cur = db.execute(
            "UPDATE posts SET status = 'publishing', claimed_at = ?, claimed_by = ?, "
            "call_deadline = ?, attempts = attempts + 1, updated_at = ? "
            "WHERE id = ? AND status = 'approved'",
            [
                to_db(stamp),
                claimed_by,
                to_db(stamp + timedelta(seconds=timeout)),
                to_db(stamp),
                post_id,
            ],
        )
        if cur.rowcount != 1:
            return None
        audit(db, post_id, actor, "approved", "publishing", f"claimed by {claimed_by}", at=stamp)
    return stamp
