"""The post queue: one table, a state machine, and an audit row for every transition.

Every transition is one ``UPDATE … WHERE id = ? AND status = ?`` guarded by the status the caller
expects, written together with its audit row in one transaction. A transition that finds the row
in another status changes nothing and reports it, so two processes can never both move a post.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import NotFoundError, TransitionError
from campaign.store import immediate


class PostStatus(enum.StrEnum):
    """Where a post is in its life; the value is what the database stores."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Reason(enum.StrEnum):
    """Why a post is unknown, failed, missed or waiting (column ``reason``), set at the move."""

    DUPLICATE = "duplicate"  # X refused it as duplicate content
    SERVER_ERROR = "server_error"  # X answered 5xx: it may have been made
    NO_ANSWER = "no_answer"  # the call timed out or dropped: it may have been made
    UNREACHABLE = "unreachable"  # no answer, and the request never reached X: not sent
    AUTH = "auth"  # X refused the credentials: publishing stopped
    RATE_LIMITED = "rate_limited"  # X's rate limit is used up: not sent, waits for the reset
    REFUSED = "refused"  # X refused the request (4xx): failed
    UNAVAILABLE = "unavailable"  # the backend cannot work at all (e.g. no credentials)
    MISSED_WINDOW = "missed_window"  # later than the overdue limit: not sent
    NOT_ON_TIMELINE = "not_on_timeline"  # reconciled: not made, sent again
    RESCHEDULED = "rescheduled"  # moved later while being claimed: not sent
    LEASE_LOST = "lease_lost"  # the publishing lease ran out during the claim
    REPLY_TARGET_GONE = "reply_target_gone"  # X: the post it answers or quotes was deleted
    REPLIES_LIMITED = "replies_limited"  # X: the author of the post it answers limited replies


# The schema's CHECK (campaign.migrations.POST_STATUSES) lists the same values, in this order.
STATUSES: tuple[PostStatus, ...] = tuple(PostStatus)

# Which moves are allowed. Publishing moves belong to the daemon; people move the rest.
_S = PostStatus
TRANSITIONS: dict[str, frozenset[PostStatus]] = {
    _S.DRAFT: frozenset({_S.APPROVED, _S.CANCELLED}),
    _S.APPROVED: frozenset({_S.DRAFT, _S.PUBLISHING, _S.MISSED, _S.CANCELLED}),
    _S.PUBLISHING: frozenset({_S.PUBLISHED, _S.FAILED, _S.UNKNOWN, _S.APPROVED}),
    _S.UNKNOWN: frozenset({_S.PUBLISHED, _S.APPROVED, _S.FAILED, _S.PUBLISHING}),
    _S.FAILED: frozenset({_S.APPROVED, _S.DRAFT, _S.CANCELLED}),
    _S.MISSED: frozenset({_S.APPROVED, _S.DRAFT, _S.CANCELLED}),
    _S.CANCELLED: frozenset({_S.DRAFT}),
    _S.PUBLISHED: frozenset(),
}


@dataclass(frozen=True)
class Post:
    """One row of the queue."""

    id: int
    kind: str
    text: str
    weighted_length: int
    scheduled_at: datetime
    status: PostStatus
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
    reason: Reason | None = None
    created_by: str | None = None  # the person who wrote it (None: the planner)
    edited_by: str | None = None  # the person who last changed its text or time
    reply_to_tweet_id: str | None = None  # a collected post (not ours) it answers on X
    quote_tweet_id: str | None = None  # a collected post it quotes on X

    @property
    def answers(self) -> str | None:
        """The X post this post answers or quotes (a collected post's id), if any."""
        return self.reply_to_tweet_id or self.quote_tweet_id

    campaign_id: int | None = None  # the campaign it belongs to (None: no campaign loaded)
    # Whether X counts a link in ``text`` (m011), None while not known (see settle_links).
    has_link: bool | None = None

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
            status=PostStatus(row["status"]),
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
            reason=Reason(row["reason"]) if row.get("reason") else None,
            created_by=row.get("created_by"),
            edited_by=row.get("edited_by"),
            reply_to_tweet_id=row.get("reply_to_tweet_id"),
            quote_tweet_id=row.get("quote_tweet_id"),
            campaign_id=row.get("campaign_id"),
            has_link=None if row.get("has_link") is None else bool(row["has_link"]),
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
            "reply_to_tweet": self.reply_to_tweet_id,
            "quote_of_tweet": self.quote_tweet_id,
        }


def _rows(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    return list(db.query(sql, list(params)))


def select_posts(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> list[Post]:
    """The posts a ``SELECT * FROM posts …`` query returns, in its order."""
    return [Post.from_row(r) for r in _rows(db, sql, params)]


def get(db: sqlite_utils.Database, post_id: int) -> Post:
    """The post ``post_id``, or :class:`NotFoundError` saying how to list the ids."""
    posts = select_posts(db, "SELECT * FROM posts WHERE id = ?", [post_id])
    if not posts:
        raise NotFoundError(f"no post with id {post_id}: see `campaign posts list` for the ids")
    return posts[0]


def list_posts(
    db: sqlite_utils.Database,
    status: str | Iterable[str] | None = None,
    *,
    campaign_id: int | None = None,
    campaign_ids: Iterable[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    planned: bool = False,
) -> list[Post]:
    """Posts in schedule order, optionally only those in ``status`` (one or several), only
    campaign ``campaign_id``'s (or those of ``campaign_ids``), and only those scheduled from
    ``start`` (inclusive) to ``end`` (exclusive); with ``newest_first`` the order reversed;
    with ``limit`` only the first ``limit`` of them; with ``planned`` only the planner's (those
    with a ``source_key``)."""
    terms: list[str] = []
    params: list[Any] = []
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        for s in wanted:
            check_status(s)
        terms.append(f"status IN ({', '.join('?' for _ in wanted)})")
        params.extend(wanted)
    if campaign_id is not None:
        terms.append("campaign_id = ?")
        params.append(campaign_id)
    if campaign_ids is not None:
        terms.append("campaign_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps([int(i) for i in campaign_ids]))
    for at, op in ((start, ">="), (end, "<")):
        if at is not None:
            terms.append(f"scheduled_at {op} ?")
            params.append(to_db(at))
    if planned:
        terms.append("source_key IS NOT NULL")
    where = ("WHERE " + " AND ".join(terms)) if terms else ""
    order = "scheduled_at DESC, id DESC" if newest_first else "scheduled_at, id"
    if limit is not None:
        order += " LIMIT ?"
        params.append(int(limit))
    return select_posts(db, f"SELECT * FROM posts {where} ORDER BY {order}", params)


def times_and_texts(
    db: sqlite_utils.Database,
    statuses: Iterable[str],
    campaign_ids: Iterable[int],
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, str]]:
    """``(scheduled_at, text)`` of the posts of ``campaign_ids`` in ``statuses`` scheduled
    from ``start`` (inclusive) to ``end`` (exclusive), in schedule order: what the planner keeps
    clear of, without reading whole posts."""
    wanted = [check_status(s) for s in statuses]
    sql = (
        "SELECT scheduled_at, text FROM posts WHERE status IN (SELECT value FROM json_each(?)) "
        "AND campaign_id IN (SELECT value FROM json_each(?)) "
        "AND scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at, id"
    )
    params = [
        json.dumps(wanted),
        json.dumps([int(i) for i in campaign_ids]),
        to_db(start),
        to_db(end),
    ]
    return [(from_db(at), text) for at, text in db.execute(sql, params)]


def adopt_unassigned(db: sqlite_utils.Database, campaign_id: int) -> int:
    """Give the posts that belong to no campaign (added before any was loaded) to
    ``campaign_id``: the workspace's first campaign takes them over, as before workspaces."""
    return db.execute(
        "UPDATE posts SET campaign_id = ? WHERE campaign_id IS NULL", [campaign_id]
    ).rowcount


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
    reason: Reason | None = None,
) -> None:
    """Write one audit row (the caller holds the transaction)."""
    db.execute(
        "INSERT INTO post_audit (post_id, at, actor, from_status, to_status, detail, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [post_id, to_db(at or now()), actor, from_status, to_status, detail, reason],
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
    reason: Reason | None = None,
    **fields: Any,
) -> bool:
    """Move ``post_id`` from ``from_status`` to ``to_status``, setting ``fields`` too.

    ``reason`` says why a post becomes unknown, failed, missed or goes back to wait; it is
    written on the post (cleared by a move without one) and on the audit row.

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
    sets = ["status = ?", "updated_at = ?", "reason = ?"]
    params: list[Any] = [to_status, stamp, reason]
    if "text" in fields:
        fields["has_link"] = link_flag(fields["text"])
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
        audit(db, post_id, actor, from_status, to_status, detail, reason=reason)
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
            "call_deadline = ?, attempts = attempts + 1, updated_at = ?, reason = NULL "
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
        audit(
            db,
            post_id,
            actor,
            PostStatus.APPROVED,
            PostStatus.PUBLISHING,
            f"claimed by {claimed_by}",
            at=stamp,
        )
    return stamp


# -- the publisher's queries -----------------------------------------------------------------


def due(db: sqlite_utils.Database, at: datetime, limit: int = 500) -> list[Post]:
    """Approved posts due at ``at``, in the order they go out."""
    return select_posts(
        db,
        "SELECT * FROM posts WHERE status = 'approved' AND scheduled_at <= ? "
        "ORDER BY scheduled_at, id LIMIT ?",
        [to_db(at), limit],
    )


def sendable(
    db: sqlite_utils.Database,
    at: datetime | None = None,
    limit: int = 1,
    *,
    campaign_ids: Iterable[int] | None = None,
    unassigned: bool = True,
) -> list[Post]:
    """Approved posts that may go out (lone posts, or replies whose parent is published), due
    by ``at`` if given, in the order they go out; with ``campaign_ids``, only posts of those
    campaigns or of none (one account's; posts of none only if ``unassigned``)."""
    sql = (
        "SELECT p.* FROM posts p LEFT JOIN posts parent ON parent.id = p.reply_to_post_id "
        "WHERE p.status = 'approved' AND (p.reply_to_post_id IS NULL OR "
        "(parent.status = 'published' AND parent.tweet_id IS NOT NULL))"
    )
    extra, params = _of_account(campaign_ids, unassigned, "p.")
    sql += extra
    if at is not None:
        sql += " AND p.scheduled_at <= ?"
        params.append(to_db(at))
    return select_posts(db, sql + " ORDER BY p.scheduled_at, p.id LIMIT ?", [*params, limit])


def pending(
    db: sqlite_utils.Database,
    *,
    campaign_ids: Iterable[int] | None = None,
    unassigned: bool = True,
) -> list[Post]:
    """Posts whose fate is not known yet: claimed (``publishing``) or ``unknown`` (with
    ``campaign_ids``: one account's, as :func:`sendable`)."""
    extra, params = _of_account(campaign_ids, unassigned)
    return select_posts(
        db,
        "SELECT * FROM posts WHERE status IN ('publishing', 'unknown')"
        + extra
        + " ORDER BY claimed_at, id",
        params,
    )


def overdue(
    db: sqlite_utils.Database,
    cutoff: datetime,
    *,
    campaign_ids: Iterable[int] | None = None,
    unassigned: bool = True,
) -> list[Post]:
    """Approved posts scheduled before ``cutoff``, oldest first (with ``campaign_ids``: only
    those campaigns' posts and, if ``unassigned``, posts of none)."""
    extra, params = _of_account(campaign_ids, unassigned)
    return select_posts(
        db,
        "SELECT * FROM posts WHERE status = 'approved' AND scheduled_at < ?"
        + extra
        + " ORDER BY scheduled_at",
        [to_db(cutoff), *params],
    )


def next_due(db: sqlite_utils.Database) -> Post | None:
    """The first approved post in schedule order, if any."""
    found = select_posts(
        db, "SELECT * FROM posts WHERE status = 'approved' ORDER BY scheduled_at, id LIMIT 1"
    )
    return found[0] if found else None


@dataclass(frozen=True)
class Parent:
    """The post a reply answers: its status (``"deleted"`` if it is gone) and tweet id."""

    status: str | None
    tweet_id: str | None


def parent(db: sqlite_utils.Database, post: Post) -> Parent:
    """The parent of a reply; ``Parent(None, None)`` for a lone post."""
    if post.reply_to_post_id is None:
        return Parent(None, None)
    row = db.execute(
        "SELECT status, tweet_id FROM posts WHERE id = ?", [post.reply_to_post_id]
    ).fetchone()
    return Parent(PostStatus(row[0]), row[1]) if row else Parent("deleted", None)


def _of_account(
    campaign_ids: Iterable[int] | None, unassigned: bool = True, alias: str = ""
) -> tuple[str, list[Any]]:
    """A condition keeping one account's posts (those of ``campaign_ids``, and of no campaign
    if ``unassigned``: those are the default account's), or nothing for every post."""
    if campaign_ids is None:
        return "", []
    none = f"{alias}campaign_id IS NULL OR " if unassigned else ""
    return (
        f" AND ({none}{alias}campaign_id IN (SELECT value FROM json_each(?)))",
        [json.dumps([int(i) for i in campaign_ids])],
    )


def published_since(
    db: sqlite_utils.Database,
    since: datetime,
    campaign_ids: Iterable[int] | None = None,
    unassigned: bool = True,
) -> int:
    """How many posts went out after ``since`` (of one account's campaigns, when given)."""
    extra, params = _of_account(campaign_ids, unassigned)
    row = db.execute(
        "SELECT count(*) FROM posts WHERE status = 'published' AND published_at > ?" + extra,
        [to_db(since), *params],
    ).fetchone()
    return int(row[0])


@dataclass(frozen=True)
class CapUsage:
    """The daily cap at a moment: posts out in the 24 hours before it, and, when the cap is
    full, when it next lets a post out."""

    used: int
    until: datetime | None


def cap_usage(
    db: sqlite_utils.Database,
    cap: int,
    at: datetime,
    campaign_ids: Iterable[int] | None = None,
    unassigned: bool = True,
) -> CapUsage:
    """How much of the daily ``cap`` is used at ``at`` (by one account's campaigns, when
    ``campaign_ids`` are given: X caps each account)."""
    ids = None if campaign_ids is None else list(campaign_ids)
    since = at - timedelta(hours=24)
    used = published_since(db, since, ids, unassigned)
    if used < cap:
        return CapUsage(used, None)
    extra, params = _of_account(ids, unassigned)
    row = db.execute(
        "SELECT published_at FROM posts WHERE status = 'published' AND published_at > ?"
        + extra
        + " ORDER BY published_at LIMIT 1 OFFSET ?",
        [to_db(since), *params, used - cap],
    ).fetchone()
    return CapUsage(used, from_db(row[0]) + timedelta(hours=24) if row else None)


def server_errors(db: sqlite_utils.Database, post_id: int) -> int:
    """5xx answers for this post since a person last approved it (a folded row counts as many
    times as it repeats: see :func:`fold_repeats`)."""
    n = 0
    for from_status, to_status, reason, times in db.execute(
        "SELECT from_status, to_status, reason, repeats FROM post_audit WHERE post_id = ? "
        "ORDER BY id DESC",
        [post_id],
    ):
        if to_status == PostStatus.APPROVED and from_status not in _UNSETTLED:
            break
        if to_status == PostStatus.UNKNOWN and reason == Reason.SERVER_ERROR:
            n += times
    return n


FOLD_LONGEST = 3  # the longest block of history rows one try writes (claim, unknown, approved)


def fold_repeats(db: sqlite_utils.Database, post_id: int) -> bool:
    """Repeated identical failures are one history row with a count, not hundreds: when the
    newest rows of ``post_id``'s history repeat, move for move (same actor, moves, details),
    the block just before them, they are deleted and that block counts one more repeat
    (``repeats``) and keeps the time of the last (``last_at``). True if they were folded."""
    with immediate(db):
        rows = db.execute(
            "SELECT id, actor, from_status, to_status, detail, at FROM post_audit "
            "WHERE post_id = ? ORDER BY id DESC LIMIT ?",
            [post_id, 2 * FOLD_LONGEST],
        ).fetchall()
        rows.reverse()
        for size in range(2, FOLD_LONGEST + 1):
            if len(rows) < 2 * size:
                break
            earlier, newest = rows[-2 * size : -size], rows[-size:]
            if [r[1:5] for r in earlier] != [r[1:5] for r in newest]:
                continue
            for old, new in zip(earlier, newest, strict=True):
                db.execute(
                    "UPDATE post_audit SET repeats = repeats + 1, last_at = ? WHERE id = ?",
                    [new[5], old[0]],
                )
                db.execute("DELETE FROM post_audit WHERE id = ?", [new[0]])
            return True
    return False


def approved_due_by(db: sqlite_utils.Database, until: datetime) -> int:
    """How many approved posts are due by ``until``."""
    row = db.execute(
        "SELECT count(*) FROM posts WHERE status = 'approved' AND scheduled_at <= ?",
        [to_db(until)],
    ).fetchone()
    return int(row[0])


def first_approved_between(
    db: sqlite_utils.Database, start: datetime | None, end: datetime
) -> Post | None:
    """The first approved post due from ``start`` (or any time) to ``end``, in queue order."""
    found = select_posts(
        db,
        "SELECT * FROM posts WHERE status = 'approved' AND scheduled_at <= ? "
        "AND scheduled_at >= ? ORDER BY scheduled_at, id LIMIT 1",
        [to_db(end), to_db(start) if start is not None else ""],
    )
    return found[0] if found else None


def in_trouble(db: sqlite_utils.Database, unknown_before: datetime) -> list[Trouble]:
    """Failed and missed posts, and those unknown since before ``unknown_before``, by id: their
    id, status and last change (:func:`find` reads one whole)."""
    return [
        Trouble(int(i), PostStatus(status), from_db(updated))
        for i, status, updated in db.execute(
            "SELECT id, status, updated_at FROM posts WHERE status IN ('failed', 'missed') "
            "OR (status = 'unknown' AND updated_at <= ?) ORDER BY id",
            [to_db(unknown_before)],
        )
    ]


@dataclass(frozen=True)
class Trouble:
    """A post in trouble, as :func:`in_trouble` lists it."""

    id: int
    status: PostStatus
    updated_at: datetime


def find(db: sqlite_utils.Database, post_id: int) -> Post | None:
    """The post ``post_id``, or None."""
    found = select_posts(db, "SELECT * FROM posts WHERE id = ?", [post_id])
    return found[0] if found else None


_UNSETTLED = (PostStatus.PUBLISHING, PostStatus.UNKNOWN)


def first_claim(db: sqlite_utils.Database, post_id: int) -> datetime | None:
    """When the post was first claimed since a person last approved it."""
    rows = db.execute(
        "SELECT at, from_status FROM post_audit WHERE post_id = ? AND to_status IN "
        "('publishing', 'approved') ORDER BY id DESC",
        [post_id],
    ).fetchall()
    first: datetime | None = None
    for at, from_status in rows:
        if from_status in _UNSETTLED:
            continue  # the publisher sending it back for another try: keep looking back
        if from_status == PostStatus.APPROVED:
            first = from_db(at)  # a claim
            continue
        break  # a person's approval: claims before it belong to an earlier round
    return first


def ids_by_tweet(db: sqlite_utils.Database) -> dict[str, int]:
    """Each published post's id by its tweet id on X."""
    return {
        str(t): int(i)
        for i, t in db.execute("SELECT id, tweet_id FROM posts WHERE tweet_id IS NOT NULL")
    }


def tweet_ids(db: sqlite_utils.Database) -> set[str]:
    """Tweet ids already recorded for posts."""
    return {r[0] for r in db.execute("SELECT tweet_id FROM posts WHERE tweet_id IS NOT NULL")}


@dataclass(frozen=True)
class OwnPost:
    """A post of ours that has a tweet id: the id, its text and when it went out."""

    tweet_id: str
    text: str
    published_at: datetime | None


def own_posts(db: sqlite_utils.Database, campaign_id: int | None = None) -> list[OwnPost]:
    """Every post recorded with a tweet id (only campaign ``campaign_id``'s when given)."""
    sql = "SELECT tweet_id, text, published_at FROM posts WHERE tweet_id IS NOT NULL"
    params: list[Any] = []
    if campaign_id is not None:
        sql += " AND campaign_id = ?"
        params.append(campaign_id)
    return [
        OwnPost(str(tid), text, from_db(at) if at else None)
        for tid, text, at in db.execute(sql, params).fetchall()
    ]


# -- counts and texts ------------------------------------------------------------------------


def counts(db: sqlite_utils.Database) -> dict[PostStatus, int]:
    """How many posts are in each status (every status, in :data:`STATUSES` order)."""
    found = dict.fromkeys(STATUSES, 0)
    for status, n in db.execute("SELECT status, count(*) FROM posts GROUP BY status"):
        found[PostStatus(status)] = n
    return found


@dataclass(frozen=True)
class Tally:
    """How many posts of one campaign are in one status, and how many of them have a link (as
    X counts one, the stored ``has_link``), for cost estimates without reading any text."""

    count: int
    with_link: int = 0


def link_flag(text: str) -> int:
    """``has_link`` for ``text``: 1 if X counts a link in it, else 0 (:func:`posts.cost.has_link`;
    a text without a dot has none, and its check compiles nothing)."""
    if "." not in text:
        return 0
    from posts.cost import has_link

    return int(has_link(text))


def settle_links(db: sqlite_utils.Database) -> int:
    """Write ``has_link`` on the posts where it is not known yet (NULL: the texts with a dot
    stored before m011, or rows written by other means than this module), so counts of links
    are exact; how many were written. Finding none is one look at an index that is empty."""
    unknown = db.execute("SELECT id, text FROM posts WHERE has_link IS NULL").fetchall()
    if not unknown:
        return 0
    # Guarded by the text read: a post edited meanwhile keeps what its edit wrote.
    rows = [(link_flag(text), post_id, text) for post_id, text in unknown]
    sql = "UPDATE posts SET has_link = ? WHERE id = ? AND text = ? AND has_link IS NULL"
    if db.conn.in_transaction:  # the caller's transaction
        db.conn.executemany(sql, rows)
    else:
        with immediate(db):
            db.conn.executemany(sql, rows)
    return len(rows)


def tallies(
    db: sqlite_utils.Database, where: Filter | None = None
) -> dict[tuple[int | None, PostStatus], Tally]:
    """A :class:`Tally` for each (campaign id, status) of the posts matching ``where`` (every
    post without it): two grouped reads of indexes, after :func:`settle_links`."""
    settle_links(db)
    clause, params = where.where() if where is not None else ("", [])
    also = "AND" if clause else "WHERE"
    linked = {
        (cid, status): n
        for cid, status, n in db.execute(
            f"SELECT campaign_id, status, count(*) FROM posts {clause} {also} has_link = 1 "
            "GROUP BY campaign_id, status",
            params,
        )
    }
    return {
        (cid, PostStatus(status)): Tally(n, linked.get((cid, status), 0))
        for cid, status, n in db.execute(
            f"SELECT campaign_id, status, count(*) FROM posts {clause} GROUP BY campaign_id, status",
            params,
        )
    }


def counts_by_campaign(db: sqlite_utils.Database) -> dict[int | None, dict[PostStatus, int]]:
    """:func:`counts` for each campaign id (``None``: posts of no campaign)."""
    found: dict[int | None, dict[PostStatus, int]] = {}
    for cid, status, n in db.execute(
        "SELECT campaign_id, status, count(*) FROM posts GROUP BY campaign_id, status"
    ):
        found.setdefault(cid, dict.fromkeys(STATUSES, 0))[PostStatus(status)] = n
    return found


def other_texts(
    db: sqlite_utils.Database,
    exclude: int | None = None,
    campaign_ids: Iterable[int] | None = None,
) -> list[str]:
    """The texts of every non-cancelled post but ``exclude`` (only those of ``campaign_ids``,
    the campaigns of one account, when given): X refuses a duplicate on an account."""
    if campaign_ids is None:
        rows = db.execute(
            "SELECT text FROM posts WHERE status != 'cancelled' AND id IS NOT ?", [exclude]
        ).fetchall()
    else:
        rows = db.execute(
            "SELECT text FROM posts WHERE status != 'cancelled' AND id IS NOT ? "
            "AND campaign_id IN (SELECT value FROM json_each(?))",
            [exclude, json.dumps([int(i) for i in campaign_ids])],
        ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class AuditEvent:
    """One audit row."""

    post_id: int
    at: datetime
    from_status: str | None
    to_status: str
    detail: str | None
    reason: Reason | None

    def to_json(self) -> dict[str, Any]:
        """The shape of ``campaign status --json``'s ``last_errors``."""
        return {
            "post_id": self.post_id,
            "at": to_db(self.at),
            "from": self.from_status,
            "to": self.to_status,
            "message": self.detail,
        }


def last_troubles(db: sqlite_utils.Database, limit: int = 10) -> list[AuditEvent]:
    """The newest moves to failed, unknown or missed, and sends that were put back to wait."""
    rows = db.execute(
        "SELECT post_id, at, from_status, to_status, detail, reason FROM post_audit "
        "WHERE to_status IN ('failed', 'unknown', 'missed') "
        "OR (from_status IN ('publishing', 'unknown') AND to_status = 'approved') "
        "ORDER BY id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [
        AuditEvent(r[0], from_db(r[1]), r[2], r[3], r[4], Reason(r[5]) if r[5] else None)
        for r in rows
    ]


# -- the web console's views -----------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """The list page's filters; ``start`` inclusive, ``end`` exclusive, ``text`` a substring
    found case-insensitively."""

    status: PostStatus | None = None
    kind: str | None = None
    text: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    campaign_id: int | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The ``WHERE`` clause (or nothing) and its parameters."""
        terms: list[str] = []
        params: list[Any] = []
        if self.campaign_id is not None:
            terms.append("campaign_id = ?")
            params.append(self.campaign_id)
        if self.status:
            terms.append("status = ?")
            params.append(self.status)
        if self.kind:
            terms.append("kind = ?")
            params.append(self.kind)
        if self.text:
            terms.append("instr(lower(text), lower(?)) > 0")
            params.append(self.text)
        for at, op in ((self.start, ">="), (self.end, "<")):
            if at is not None:
                terms.append(f"scheduled_at {op} ?")
                params.append(to_db(at))
        return ("WHERE " + " AND ".join(terms)) if terms else "", params


# The bare query of the list page (also quoted in docs/benchmarks.md); filters add WHERE terms.
LISTING_SQL = (
    "SELECT id, status, kind, text, weighted_length, scheduled_at, last_error FROM posts "
    "{where} ORDER BY scheduled_at, id LIMIT ? OFFSET ?"
)


@dataclass(frozen=True)
class Listed:
    """One line of the list page."""

    id: int
    status: PostStatus
    kind: str
    text: str
    weighted_length: int
    scheduled_at: datetime
    last_error: str | None


def listing(db: sqlite_utils.Database, where: Filter, limit: int, offset: int = 0) -> list[Listed]:
    """The posts matching ``where`` in schedule order, ``limit`` of them from ``offset``."""
    clause, params = where.where()
    return [
        Listed(r[0], PostStatus(r[1]), r[2], r[3], r[4], from_db(r[5]), r[6])
        for r in db.execute(LISTING_SQL.format(where=clause), [*params, limit, offset])
    ]


def kinds(db: sqlite_utils.Database) -> list[str]:
    """Every kind of post in the queue, sorted."""
    return [r[0] for r in db.execute("SELECT DISTINCT kind FROM posts ORDER BY kind")]


# The bare query of the calendar page (also quoted in docs/benchmarks.md).
CALENDAR_SQL = (
    "SELECT id, status, kind, text, scheduled_at, campaign_id FROM posts "
    "WHERE scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at, id"
)


@dataclass(frozen=True)
class Scheduled:
    """A post as the calendar shows it."""

    id: int
    status: PostStatus
    kind: str
    text: str
    scheduled_at: datetime
    campaign_id: int | None = None


def between(
    db: sqlite_utils.Database, start: datetime, end: datetime, campaign_id: int | None = None
) -> list[Scheduled]:
    """Posts scheduled from ``start`` (inclusive) to ``end`` (exclusive), in order (only
    campaign ``campaign_id``'s when given)."""
    sql: str = CALENDAR_SQL
    params: list[Any] = [to_db(start), to_db(end)]
    if campaign_id is not None:
        sql = sql.replace("WHERE ", "WHERE campaign_id = ? AND ", 1)
        params = [campaign_id, *params]
    return [
        Scheduled(r[0], PostStatus(r[1]), r[2], r[3], from_db(r[4]), r[5])
        for r in db.execute(sql, params)
    ]


# The bare query of the status page's problem list (also quoted in docs/benchmarks.md).
PROBLEMS_SQL = (
    "SELECT p.id, p.status, p.text, p.scheduled_at, p.attempts, p.last_error, "
    "(SELECT detail FROM post_audit a WHERE a.post_id = p.id ORDER BY a.id DESC LIMIT 1) AS detail, "
    "p.reason FROM posts p WHERE p.status IN ('failed', 'missed', 'unknown') "
    "ORDER BY p.scheduled_at DESC, p.id DESC LIMIT 200"
)


@dataclass(frozen=True)
class Problem:
    """A post that failed, was missed or is being checked, with why."""

    id: int
    status: PostStatus
    text: str
    scheduled_at: datetime
    attempts: int
    last_error: str | None
    detail: str | None
    reason: Reason | None


def problems(db: sqlite_utils.Database) -> list[Problem]:
    """The newest 200 posts that failed, were missed or are unknown, latest first."""
    return [
        Problem(
            r[0],
            PostStatus(r[1]),
            r[2],
            from_db(r[3]),
            r[4],
            r[5],
            r[6],
            Reason(r[7]) if r[7] else None,
        )
        for r in db.execute(PROBLEMS_SQL)
    ]


# -- writes for the editor and the planner (the caller holds the transaction) ---------------


@dataclass(frozen=True)
class NewPost:
    """A draft to insert: written by hand (``hand_edited``) or planned (``source_key`` …)."""

    kind: str
    text: str
    weighted_length: int
    scheduled_at: datetime
    hand_edited: bool = False
    reply_to_post_id: int | None = None
    source_key: str | None = None
    template: str | None = None
    source_hash: str | None = None
    created_by: str | None = None  # the person who wrote it (None: the planner)
    reply_to_tweet_id: str | None = None  # a collected post it answers (kind ``reply``)
    quote_tweet_id: str | None = None  # a collected post it quotes (kind ``quote``)
    campaign_id: int | None = None  # None: no campaign is loaded (the default hashtag)


def insert_draft(
    db: sqlite_utils.Database,
    new: NewPost,
    actor: str,
    detail: str,
    *,
    at: datetime | None = None,
) -> int:
    """Insert ``new`` as a draft with its first audit row, stamped ``at`` (now); its id."""
    stamp = to_db(at or now())
    cur = db.execute(
        "INSERT INTO posts (source_key, kind, template, source_hash, text, weighted_length, "
        "scheduled_at, status, hand_edited, reply_to_post_id, created_at, updated_at, created_by, "
        "reply_to_tweet_id, quote_tweet_id, campaign_id, has_link) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            new.source_key,
            new.kind,
            new.template,
            new.source_hash,
            new.text,
            new.weighted_length,
            to_db(new.scheduled_at),
            int(new.hand_edited),
            new.reply_to_post_id,
            stamp,
            stamp,
            new.created_by,
            new.reply_to_tweet_id,
            new.quote_tweet_id,
            new.campaign_id,
            link_flag(new.text),
        ],
    )
    post_id = cur.lastrowid
    if post_id is None:  # pragma: no cover - sqlite3 always gives the rowid of an INSERT
        raise TransitionError("the post was not stored: try again")
    audit(db, post_id, actor, None, PostStatus.DRAFT, detail)
    return post_id


def update_content(
    db: sqlite_utils.Database,
    post_id: int,
    status: PostStatus,
    changes: Mapping[str, Any],
    *,
    only_planned: bool = False,
    at: datetime | None = None,
    to_status: PostStatus | None = None,
) -> bool:
    """Set ``changes`` (text, weighted_length, scheduled_at, kind, template, source_hash,
    hand_edited, reply_to_post_id, edited_by; ``has_link`` follows the text) on ``post_id`` if it is still in ``status`` (and,
    with ``only_planned``, not hand-edited); ``updated_at`` is stamped. ``to_status``: an edit
    that also moves the post (four eyes: an approved post edited goes back to draft); the
    caller writes the audit row. False if the post had moved on."""
    allowed = {
        "text",
        "weighted_length",
        "scheduled_at",
        "kind",
        "template",
        "source_hash",
        "hand_edited",
        "reply_to_post_id",
        "edited_by",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not a content column: {', '.join(sorted(unknown))}")
    sets = {k: to_db(v) if isinstance(v, datetime) else v for k, v in changes.items()}
    if "text" in sets:
        sets["has_link"] = link_flag(sets["text"])
    sets["updated_at"] = to_db(at or now())
    if to_status is not None:
        if to_status not in TRANSITIONS[status]:
            raise TransitionError(f"a post cannot go from {status} to {to_status}")
        sets["status"] = to_status
        sets["reason"] = None
    guard = " AND hand_edited = 0" if only_planned else ""
    cur = db.execute(
        f"UPDATE posts SET {', '.join(f'{c} = ?' for c in sets)} "
        f"WHERE id = ? AND status = ?{guard}",
        [*sets.values(), post_id, status],
    )
    return cur.rowcount == 1


def replies_to(
    db: sqlite_utils.Database, parent_ids: Iterable[int], statuses: Iterable[str]
) -> list[tuple[int, int]]:
    """``(reply id, parent id)`` of the posts in ``statuses`` that reply to ``parent_ids``."""
    ids = list(parent_ids)
    wanted = [check_status(s) for s in statuses]
    if not ids or not wanted:
        return []
    rows = db.execute(
        f"SELECT id, reply_to_post_id FROM posts WHERE reply_to_post_id IN "
        f"({', '.join('?' * len(ids))}) AND status IN ({', '.join('?' * len(wanted))}) "
        "ORDER BY id",
        [*ids, *wanted],
    ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def ids_by_person(db: sqlite_utils.Database, by: str) -> set[int]:
    """The ids of the posts ``by`` wrote or last edited (names compared without case)."""
    rows = db.execute(
        "SELECT id FROM posts WHERE created_by = ? COLLATE NOCASE OR edited_by = ? COLLATE NOCASE",
        [by, by],
    ).fetchall()
    return {int(r[0]) for r in rows}


def revisions(db: sqlite_utils.Database) -> dict[int, int]:
    """How many audit rows each post has."""
    rows = db.execute("SELECT post_id, count(*) FROM post_audit GROUP BY post_id").fetchall()
    return {int(r[0]): int(r[1]) for r in rows}


# -- replies and quotes to collected posts (issue 11) ---------------------------------------


@dataclass(frozen=True)
class Answer:
    """One of our posts that answers (``reply``) or quotes (``quote``) a collected post."""

    post_id: int
    kind: str
    status: PostStatus
    tweet_id: str | None
    target: str  # the collected post's id


def answers_to(db: sqlite_utils.Database, targets: Iterable[str]) -> dict[str, list[Answer]]:
    """Our non-cancelled replies and quotes to the collected posts ``targets``, by target id,
    each list oldest first."""
    ids = [str(t) for t in targets]
    found: dict[str, list[Answer]] = {}
    for i in range(0, len(ids), 400):  # under SQLite's limit of variables, twice over
        chunk = ids[i : i + 400]
        marks = ", ".join("?" * len(chunk))
        rows = db.execute(
            "SELECT id, kind, status, tweet_id, coalesce(reply_to_tweet_id, quote_tweet_id) "
            f"FROM posts WHERE status != 'cancelled' AND (reply_to_tweet_id IN ({marks}) "
            f"OR quote_tweet_id IN ({marks})) ORDER BY id",
            [*chunk, *chunk],
        ).fetchall()
        for r in rows:
            found.setdefault(str(r[4]), []).append(
                Answer(int(r[0]), r[1], PostStatus(r[2]), r[3], str(r[4]))
            )
    return found


def published_between(
    db: sqlite_utils.Database, start: datetime, end: datetime | None = None
) -> list[Post]:
    """Published posts with a tweet id that went out after ``start`` (and by ``end``), oldest
    first."""
    sql = "SELECT * FROM posts WHERE status = 'published' AND tweet_id IS NOT NULL AND published_at > ?"
    params: list[Any] = [to_db(start)]
    if end is not None:
        sql += " AND published_at <= ?"
        params.append(to_db(end))
    return select_posts(db, sql + " ORDER BY published_at, id", params)
