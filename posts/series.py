"""Evergreen series: a post and its variants repeated every N days until a date.

Each occurrence is its own post in the queue (kind ``evergreen``: on the calendar, edited,
cancelled and published like any other), linked to its series in ``series_posts`` (this module
owns ``series`` and ``series_posts``, m009). The variants rotate in order, so occurrence k says
variant ``(k - 1) mod V + 1``; the same text comes back only every ``V × N`` days, and a series
whose texts would come back sooner than X still refuses a duplicate is refused. The series is
approved once: :func:`approve` approves every occurrence still a draft (four eyes holds: the
person who made the series cannot approve it).

The campaign's duplicate rule (posts.rules) compares each variant with the campaign's other
posts; an occurrence repeating its own series' text is what the series is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError, RuleError
from posts import media, queue
from posts.queue import Post, PostStatus

KIND = "evergreen"
MAX_OCCURRENCES = 400  # a year of daily posts, and some
MAX_VARIANTS = 20
# X refuses a post whose text repeats one of the account's recent posts. Its window is not
# documented; the same text is kept at least this far apart, which X has been seen to accept.
REPEAT_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Series:
    """A series and its occurrences (post ids, in time order)."""

    id: int
    every_days: int
    first_at: datetime
    until_at: datetime
    variants: int
    post_ids: tuple[int, ...]


def occurrences(first_at: datetime, every_days: int, until_at: datetime) -> list[datetime]:
    """The times of a series: ``first_at``, then every ``every_days`` days, up to ``until_at``."""
    out: list[datetime] = []
    at = first_at
    while at <= until_at:
        out.append(at)
        if len(out) > MAX_OCCURRENCES:
            raise CampaignError(
                f"that series would make more than {MAX_OCCURRENCES} posts: post less often, "
                "or end it sooner"
            )
        at = at + timedelta(days=every_days)
    return out


def create(
    db: sqlite_utils.Database,
    texts: Sequence[str],
    first_at: datetime,
    *,
    every_days: int,
    until_at: datetime,
    actor: str,
    by: str | None = None,
    images: Sequence[media.Image] = (),
    campaign_id: int | None = None,
) -> Series:
    """Queue a series for campaign ``campaign_id`` (None: no campaign is loaded): every
    occurrence a draft, each text checked by posts.rules first (with that campaign's hashtag
    and links)."""
    from campaign.store import immediate
    from posts.editing import _aware, _prepare
    from posts.rules import duplicate_key

    _aware(first_at, "the first time of the series")
    _aware(until_at, "the end of the series")
    if every_days < 1:
        raise CampaignError("--every must be 1 day or more")
    if not texts:
        raise CampaignError("a series needs a text: give --text once for each variant")
    if len(texts) > MAX_VARIANTS:
        raise CampaignError(f"at most {MAX_VARIANTS} variants in a series")
    if first_at < now():
        raise CampaignError("the series' first time has already passed: give a later --at")
    if until_at < first_at:
        raise CampaignError("the series ends before its first post: give a later --until")
    times = occurrences(first_at, every_days, until_at)
    if len(times) > len(texts) and len(texts) * every_days < REPEAT_AFTER.days:
        need = -(-REPEAT_AFTER.days // every_days)
        raise RuleError(
            f"with {len(texts)} text(s) every {every_days} days, the same text would come back "
            f"after {len(texts) * every_days} days, while X may still refuse it as a duplicate "
            f"(the tool keeps repeats {REPEAT_AFTER.days} days apart): give at least {need} "
            "variants (--text once each), or post less often"
        )
    with immediate(db):
        prepared: list[tuple[str, int]] = []
        for i, text in enumerate(texts, start=1):
            try:
                final, length = _prepare(db, text, campaign_id=campaign_id)
            except RuleError as e:
                raise RuleError(f"variant {i}: {e}") from e
            prepared.append((final, length))
        keys = [duplicate_key(t) for t, _ in prepared]
        if len(set(keys)) != len(keys):
            raise RuleError("two variants say the same thing: make each variant different")
        stamp = now()
        cur = db.execute(
            "INSERT INTO series (every_days, first_at, until_at, variants, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [every_days, to_db(first_at), to_db(until_at), len(texts), by, to_db(stamp)],
        )
        series_id = int(cur.lastrowid or 0)
        ids: list[int] = []
        for k, at in enumerate(times, start=1):
            variant = (k - 1) % len(prepared)
            final, length = prepared[variant]
            new = queue.NewPost(
                KIND, final, length, at, hand_edited=True, created_by=by, campaign_id=campaign_id
            )
            detail = f"series {series_id}, occurrence {k} of {len(times)} (variant {variant + 1})"
            post_id = queue.insert_draft(db, new, actor, detail, at=stamp)
            if images:
                media.replace(db, post_id, images, at=stamp)
            db.execute(
                "INSERT INTO series_posts (series_id, post_id, occurrence, variant) "
                "VALUES (?, ?, ?, ?)",
                [series_id, post_id, k, variant + 1],
            )
            ids.append(post_id)
    return get(db, series_id)


def get(db: sqlite_utils.Database, series_id: int) -> Series:
    """The series ``series_id``, or a :class:`NotFoundError`."""
    from campaign.errors import NotFoundError

    row = db.execute(
        "SELECT id, every_days, first_at, until_at, variants FROM series WHERE id = ?",
        [series_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no series with id {series_id}: see `campaign posts series list`")
    ids = db.execute(
        "SELECT post_id FROM series_posts WHERE series_id = ? ORDER BY occurrence", [series_id]
    ).fetchall()
    return Series(
        int(row[0]),
        int(row[1]),
        from_db(row[2]),
        from_db(row[3]),
        int(row[4]),
        tuple(int(r[0]) for r in ids),
    )


def all_series(db: sqlite_utils.Database) -> list[Series]:
    """Every series, oldest first."""
    return [get(db, int(r[0])) for r in db.execute("SELECT id FROM series ORDER BY id")]


def of_post(db: sqlite_utils.Database, post_id: int) -> tuple[int, int, int] | None:
    """``(series id, occurrence, how many)`` for a post of a series, else None."""
    row = db.execute(
        "SELECT sp.series_id, sp.occurrence, (SELECT count(*) FROM series_posts o "
        "WHERE o.series_id = sp.series_id) FROM series_posts sp WHERE sp.post_id = ?",
        [post_id],
    ).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else None


def approve(
    db: sqlite_utils.Database, series_id: int, *, actor: str, by: str | None = None
) -> list[Post]:
    """Approve every occurrence of the series still a draft: the posts approved."""
    from posts import editing

    found = get(db, series_id)
    drafts = [p for p in (queue.get(db, i) for i in found.post_ids) if p.status == PostStatus.DRAFT]
    if not drafts:
        return []
    return editing.approve(db, [p.id for p in drafts], actor=actor, by=by)
