"""How our posts did: X's metrics of each published post, kept as a time series (table
``post_metrics``, one row per post per reading; this module holds every statement on it).

The daemon reads a post's metrics :data:`CHECKPOINTS` after it went out (1 hour, 24 hours, 7 days)
and then stops; ``campaign metrics`` reads every published post under :data:`MAX_AGE` now. Each
reading is one post read, billed by X and counted against the campaign's daily read budget
(:func:`reads_since`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import from_db, to_db
from campaign.store import immediate
from posts import queue
from posts.queue import Post

CHECKPOINTS = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7))
MAX_AGE = timedelta(days=30)  # X serves non-public metrics (and we read) posts this young
# The counts of ``posts list --json``'s ``metrics`` (CONTRACT), in order.
COUNTS = ("impressions", "likes", "reposts", "replies", "quotes", "bookmarks", "link_clicks")


@dataclass(frozen=True)
class Reading:
    """One post's metrics at one moment; ``link_clicks``/``profile_clicks`` are None where X
    did not allow the non-public metrics."""

    post_id: int
    at: datetime
    impressions: int | None
    likes: int | None
    reposts: int | None
    replies: int | None
    quotes: int | None
    bookmarks: int | None
    link_clicks: int | None = None
    profile_clicks: int | None = None

    @classmethod
    def from_x(
        cls,
        post_id: int,
        at: datetime,
        public: Mapping[str, int],
        private: Mapping[str, int] | None = None,
    ) -> Reading:
        """A reading from X's ``public_metrics`` and ``non_public_metrics`` objects."""
        private = private or {}
        return cls(
            post_id,
            at,
            impressions=public.get("impression_count", private.get("impression_count")),
            likes=public.get("like_count"),
            reposts=public.get("retweet_count"),
            replies=public.get("reply_count"),
            quotes=public.get("quote_count"),
            bookmarks=public.get("bookmark_count"),
            link_clicks=private.get("url_link_clicks"),
            profile_clicks=private.get("user_profile_clicks"),
        )

    @property
    def engagements(self) -> int:
        """Likes, reposts, replies, quotes, bookmarks and link clicks together."""
        return sum(
            v or 0
            for v in (
                self.likes,
                self.reposts,
                self.replies,
                self.quotes,
                self.bookmarks,
                self.link_clicks,
            )
        )

    @property
    def engagement_rate(self) -> float | None:
        """Engagements per impression (None before the first impression)."""
        return self.engagements / self.impressions if self.impressions else None

    def counts(self) -> dict[str, int | None]:
        """The contract's ``metrics`` object of ``posts list --json``."""
        return {k: getattr(self, k) for k in COUNTS}

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), **self.counts(), "profile_clicks": self.profile_clicks}


_COLUMNS = (
    "post_id, at, impressions, likes, reposts, replies, quotes, bookmarks, link_clicks, "
    "profile_clicks"
)


def _reading(r: tuple[Any, ...]) -> Reading:
    return Reading(int(r[0]), from_db(r[1]), *r[2:])


def record(db: sqlite_utils.Database, readings: Iterable[Reading]) -> int:
    """Store ``readings`` in one transaction; how many."""
    rows = [
        [
            r.post_id,
            to_db(r.at),
            r.impressions,
            r.likes,
            r.reposts,
            r.replies,
            r.quotes,
            r.bookmarks,
            r.link_clicks,
            r.profile_clicks,
        ]
        for r in readings
    ]
    with immediate(db):
        db.conn.executemany(
            f"INSERT INTO post_metrics ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    return len(rows)


def readings(db: sqlite_utils.Database, post_id: int) -> list[Reading]:
    """Every reading of one post, oldest first."""
    return [
        _reading(r)
        for r in db.execute(
            f"SELECT {_COLUMNS} FROM post_metrics WHERE post_id = ? ORDER BY at, id", [post_id]
        )
    ]


def latest(db: sqlite_utils.Database, post_ids: Iterable[int] | None = None) -> dict[int, Reading]:
    """The newest reading of each post (of ``post_ids``, or of all)."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM post_metrics m WHERE id = (SELECT id FROM post_metrics n "
        "WHERE n.post_id = m.post_id ORDER BY at DESC, id DESC LIMIT 1)"
    ).fetchall()
    wanted = None if post_ids is None else set(post_ids)
    return {int(r[0]): _reading(r) for r in rows if wanted is None or int(r[0]) in wanted}


def series(db: sqlite_utils.Database) -> list[Reading]:
    """Every reading of every post, oldest first (the report's impressions over time)."""
    return [_reading(r) for r in db.execute(f"SELECT {_COLUMNS} FROM post_metrics ORDER BY at, id")]


def reads_since(db: sqlite_utils.Database, since: datetime) -> list[tuple[datetime, int]]:
    """``(when, posts read)`` of each lookup batch after ``since`` (for the read budget)."""
    return [
        (from_db(r[0]), int(r[1]))
        for r in db.execute(
            "SELECT at, count(*) FROM post_metrics WHERE at > ? GROUP BY at ORDER BY at",
            [to_db(since)],
        )
    ]


def read_count(db: sqlite_utils.Database) -> int:
    """Every post read for its metrics so far (each reading is one read X bills)."""
    return int(db.execute("SELECT count(*) FROM post_metrics").fetchone()[0])


def readable(db: sqlite_utils.Database, at: datetime) -> list[Post]:
    """Published posts under :data:`MAX_AGE` old at ``at``, oldest first."""
    return queue.published_between(db, at - MAX_AGE, at)


def due(db: sqlite_utils.Database, at: datetime) -> list[Post]:
    """Published posts with a checkpoint (:data:`CHECKPOINTS` after they went out) passed by
    ``at`` and no reading since it: the daemon's next readings. After the last, none."""
    out: list[Post] = []
    candidates = queue.published_between(db, at - MAX_AGE, at - min(CHECKPOINTS))
    newest = {p: r.at for p, r in latest(db, (p.id for p in candidates)).items()}
    for post in candidates:
        assert post.published_at is not None  # published_between: published posts only
        passed = [post.published_at + c for c in CHECKPOINTS if post.published_at + c <= at]
        read = newest.get(post.id)
        if passed and (read is None or read < passed[-1]):
            out.append(post)
    return out


def next_due(db: sqlite_utils.Database, at: datetime) -> datetime | None:
    """When the next checkpoint after ``at`` falls (None: no post has one left)."""
    times: list[datetime] = []
    posts = queue.published_between(db, at - max(CHECKPOINTS), at)
    for post in posts:
        assert post.published_at is not None
        times += [post.published_at + c for c in CHECKPOINTS if post.published_at + c > at]
    return min(times) if times else None
