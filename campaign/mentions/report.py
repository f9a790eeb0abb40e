"""The conversation report: volume over time, who talks, what else they tag and link, how our
own posts were answered, and how far review has got.

:func:`build_report` reads the store (a handful of grouped queries, each answered from an
index) into a :class:`Report`; :func:`render_png` draws the volume chart with our posts marked;
:func:`render_html` makes a standalone page (inline CSS, the chart embedded) to mail round.
matplotlib and Jinja2 load only when a chart or page is made.
"""

from __future__ import annotations

import base64
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import IO, Any

import sqlite_utils

from campaign import DEFAULT_HASHTAG, __version__
from campaign.clock import from_db, local, now, zone
from campaign.mentions.review import ReviewStatus, counts_by_status
from campaign.mentions.search import url_for

TOP = 10

# Times are grouped by UTC quarter hour in SQL (every zone's offset is a whole number of
# quarter hours), then each quarter is placed in its local hour and day.
VOLUME_SQL = (
    "SELECT substr(created_at, 1, 14) || (CAST(substr(created_at, 15, 2) AS INTEGER) / 15), "
    "count(*) FROM mentions GROUP BY 1"
)
AUTHORS_SQL = (
    "SELECT t.author_id, t.n, a.username, a.name, a.followers_count FROM "
    "(SELECT author_id, count(*) AS n FROM mentions WHERE author_id IS NOT NULL "
    "GROUP BY author_id ORDER BY n DESC LIMIT ?) t LEFT JOIN authors a ON a.id = t.author_id "
    "ORDER BY t.n DESC, a.username"
)
HASHTAGS_SQL = (
    "SELECT tag, count(*) AS n FROM mention_hashtags WHERE tag != ? "
    "GROUP BY tag ORDER BY n DESC, tag LIMIT ?"
)
LINKS_SQL = "SELECT url, count(*) AS n FROM mention_links GROUP BY url ORDER BY n DESC, url LIMIT ?"
DOMAINS_SQL = "SELECT domain, count(*) AS n FROM mention_links GROUP BY domain ORDER BY n DESC, domain LIMIT ?"


@dataclass(frozen=True)
class AuthorCount:
    id: str
    username: str | None
    name: str | None
    followers: int | None
    posts: int


@dataclass(frozen=True)
class OurPost:
    """One of the campaign's own posts and how it was answered."""

    tweet_id: str
    text: str
    at: datetime | None
    replies: int
    quotes: int
    url: str


@dataclass(frozen=True)
class Report:
    """Everything the report shows, as data (times aware, in the campaign's zone)."""

    hashtag: str
    timezone: str
    generated_at: datetime
    total: int
    first_at: datetime | None
    last_at: datetime | None
    per_hour: list[tuple[datetime, int]]
    per_day: list[tuple[date, int]]
    top_authors: list[AuthorCount]
    hashtags: list[tuple[str, int]]
    links: list[tuple[str, int]]
    domains: list[tuple[str, int]]
    our_posts: list[OurPost]
    replies_to_ours: int
    quotes_of_ours: int
    review: dict[str, int]
    tool_version: str = __version__
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reviewed_share(self) -> float:
        """The share of posts no longer ``new`` (0 when there are none)."""
        return (
            (self.total - self.review.get(ReviewStatus.NEW, 0)) / self.total if self.total else 0.0
        )

    @property
    def peak_hour(self) -> tuple[datetime, int] | None:
        return max(self.per_hour, key=lambda x: x[1]) if self.per_hour else None


def _scoped(sql: str, campaign_id: int | None) -> str:
    """``sql`` over one campaign's collected posts (those linked to it): each ``FROM`` of the
    mentions table and its side tables reads only those. ``None``: every post, as written."""
    if campaign_id is None:
        return sql
    ids = f"SELECT mention_id FROM mention_campaigns WHERE campaign_id = {int(campaign_id)}"
    sql = sql.replace(
        "FROM mentions ", f"FROM (SELECT * FROM mentions WHERE id IN ({ids})) AS mentions "
    )
    for side in ("mention_hashtags", "mention_links"):
        sql = sql.replace(
            f"FROM {side} ", f"FROM (SELECT * FROM {side} WHERE mention_id IN ({ids})) AS {side} "
        )
    return sql


def _review(db: sqlite_utils.Database, campaign_id: int | None) -> dict[str, int]:
    """Posts per review status (of one campaign's posts, with ``campaign_id``)."""
    if campaign_id is None:
        return counts_by_status(db)
    counts: dict[str, int] = dict.fromkeys(ReviewStatus, 0)
    sql = _scoped(
        "SELECT review_status, count(*) FROM mentions GROUP BY review_status", campaign_id
    )
    for status, n in db.execute(sql).fetchall():
        counts[ReviewStatus(status)] = n
    return counts


def _hashtag(db: sqlite_utils.Database, campaign_id: int | None = None) -> str:
    try:
        row = db.execute(
            "SELECT hashtag FROM campaigns WHERE id = ? OR ? IS NULL ORDER BY id LIMIT 1",
            [campaign_id, campaign_id],
        ).fetchone()
    except Exception:  # noqa: BLE001 - a store without the campaign table still has a report
        row = None
    return str(row[0]) if row and row[0] else DEFAULT_HASHTAG


# The grouped counts over the whole collection, kept per database until a post is added: the
# web console shows the report on every visit, and over a million posts they take a second.
_CACHE: dict[tuple[Any, ...], tuple[list[Any], ...]] = {}
_CACHE_SIZE = 8


def _aggregates(
    db: sqlite_utils.Database, own_tag: str, top: int, n: int, campaign_id: int | None = None
) -> tuple[list[Any], ...]:
    """Volume buckets, top authors, hashtags, links and domains (cached while nothing is added).

    ``n`` is how many posts there are now; with the newest id it tells whether any were added.
    """
    path = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    newest = db.execute("SELECT max(id) FROM mentions").fetchone()[0]
    key = (path, own_tag, top, n, newest, campaign_id) if path else None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    c = campaign_id
    result = (
        db.execute(_scoped(VOLUME_SQL, c)).fetchall(),
        db.execute(_scoped(AUTHORS_SQL, c), [top]).fetchall(),
        db.execute(_scoped(HASHTAGS_SQL, c), [own_tag, top]).fetchall(),
        db.execute(_scoped(LINKS_SQL, c), [top]).fetchall(),
        db.execute(_scoped(DOMAINS_SQL, c), [top]).fetchall(),
    )
    if key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = result
    return result


def build_report(
    db: sqlite_utils.Database,
    tz: tzinfo | str,
    *,
    top: int = TOP,
    cached: bool = True,
    campaign_id: int | None = None,
) -> Report:
    """Read the collection into a :class:`Report`, with times in the zone ``tz``.

    The grouped counts are cached per database file until a post is added (``cached=False``
    reads them again); review progress and our posts are always read fresh.
    """
    tzi = zone(tz) if isinstance(tz, str) else tz
    hashtag = _hashtag(db, campaign_id)
    hours: Counter[datetime] = Counter()
    days: Counter[date] = Counter()
    total = 0
    first: datetime | None = None
    last: datetime | None = None
    own_tag = hashtag.lstrip("#").lower()
    if not cached:
        _CACHE.clear()
    review = _review(db, campaign_id)
    volume, author_rows, tag_rows, link_rows, domain_rows = _aggregates(
        db, own_tag, top, sum(review.values()), campaign_id
    )
    for bucket, n in volume:
        start = from_db(f"{bucket[:13]}:{int(bucket[14:]) * 15:02d}:00+00:00")
        loc = local(start, tzi)
        hours[loc.replace(minute=0, second=0, microsecond=0)] += n
        days[loc.date()] += n
        total += n
        first = loc if first is None or loc < first else first
        last = loc if last is None or loc > last else last
    authors = [
        AuthorCount(str(aid), username, name, followers, n)
        for aid, n, username, name, followers in author_rows
    ]
    hashtags = [(f"#{t}", n) for t, n in tag_rows]
    links = [(u, n) for u, n in link_rows]
    domains = [(d, n) for d, n in domain_rows]
    replies = dict(
        db.execute(
            _scoped(
                "SELECT reply_to_id, count(*) FROM mentions WHERE replies_to_ours = 1 "
                "GROUP BY reply_to_id",
                campaign_id,
            )
        ).fetchall()
    )
    quotes = dict(
        db.execute(
            _scoped(
                "SELECT quote_of_id, count(*) FROM mentions WHERE quotes_ours = 1 "
                "GROUP BY quote_of_id",
                campaign_id,
            )
        ).fetchall()
    )
    ours: dict[int, tuple[str, datetime | None]] = {}
    from posts.queue import own_posts

    for own in own_posts(db, campaign_id):
        if own.tweet_id.isdigit():
            ours[int(own.tweet_id)] = (
                own.text,
                local(own.published_at, tzi) if own.published_at else None,
            )
    for tid, text, at in db.execute(
        _scoped("SELECT id, text, created_at FROM mentions WHERE is_ours = 1", campaign_id)
    ).fetchall():
        ours.setdefault(tid, (text, local(from_db(at), tzi)))
    for tid in set(replies) | set(quotes):
        ours.setdefault(tid, ("(one of our posts, not collected)", None))
    our_posts = sorted(
        (
            OurPost(str(tid), text, at, replies.get(tid, 0), quotes.get(tid, 0), url_for(None, tid))
            for tid, (text, at) in ours.items()
        ),
        key=lambda p: (p.at is None, p.at or datetime.min.replace(tzinfo=tzi)),
    )
    return Report(
        hashtag=hashtag,
        timezone=str(getattr(tzi, "key", tzi)),
        generated_at=local(now(), tzi),
        total=total,
        first_at=first,
        last_at=last,
        per_hour=sorted(hours.items()),
        per_day=sorted(days.items()),
        top_authors=authors,
        hashtags=hashtags,
        links=links,
        domains=domains,
        our_posts=our_posts,
        replies_to_ours=sum(replies.values()),
        quotes_of_ours=sum(quotes.values()),
        review=review,
        extra=_evidence(db, tzi, sorted(hours.items()), own_tag),
    )


def _evidence(
    db: sqlite_utils.Database, tzi: tzinfo, per_hour: list[tuple[datetime, int]], own_tag: str
) -> dict[str, Any]:
    """Issue 16's sections, each from its owning module: removals (compliance), codes,
    watch lists, stored coordination signals, and spikes (from the hours counted above)."""
    from campaign.mentions.coding import counts as code_counts
    from campaign.mentions.compliance import counts, last_run, own_removed, removed_by_authors
    from campaign.mentions.rules import watch_report
    from campaign.mentions.signals import spikes, stored_summary

    run = last_run(db)
    return {
        "removed_by_authors": removed_by_authors(db),
        "removed": counts(db),
        "own_removed": own_removed(db),
        "compliance_at": local(run["finished_at"], tzi) if run else None,
        "codes": code_counts(db),
        "watchlists": watch_report(db),
        "signals": stored_summary(db),
        "spikes": [
            {
                "hour": local(sp.hour, tzi),
                "posts": sp.posts,
                "baseline": round(sp.baseline, 1),
                "terms": sp.terms,
                "authors": sp.authors,
                "links": sp.links,
            }
            for sp in spikes(db, own_tag=own_tag, hours=per_hour)
        ],
    }


def render_png(report: Report, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Draw posts per hour (per day over a long span) with our own posts marked, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100)
    ax: Any = fig.add_subplot(1, 1, 1)  # matplotlib's stubs take dates only as floats
    tzi = report.generated_at.tzinfo
    span = (report.last_at - report.first_at) if report.first_at and report.last_at else None
    if span is not None and span > timedelta(days=14):
        xs: list[datetime] = [
            datetime(d.year, d.month, d.day, tzinfo=tzi) for d, _ in report.per_day
        ]
        ys = [n for _, n in report.per_day]
        width: float = 0.8
        unit = "day"
    else:
        xs = [h for h, _ in report.per_hour]
        ys = [n for _, n in report.per_hour]
        width = 0.8 / 24
        unit = "hour"
    ax.bar(xs, ys, width=width, color="#3b6ea5", align="edge", label=f"posts per {unit}")
    marked = [p.at for p in report.our_posts if p.at is not None]
    for i, at in enumerate(marked):
        ax.axvline(at, color="#d0553b", linewidth=1, label="our posts" if i == 0 else None)
    ax.set_title(f"{report.hashtag}: posts per {unit} ({report.timezone})")
    ax.set_ylabel("posts")
    if xs or marked:
        locator = mdates.AutoDateLocator(tz=tzi)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tzi))  # type: ignore[no-untyped-call]
        ax.legend(loc="upper left")
    else:
        ax.text(
            0.5, 0.5, "no posts collected yet", ha="center", va="center", transform=ax.transAxes
        )
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")


def png_bytes(report: Report) -> bytes:
    """The chart as PNG bytes."""
    buf = io.BytesIO()
    render_png(report, buf)
    return buf.getvalue()


def render_html(report: Report, *, png: bytes | None = None) -> str:
    """A standalone HTML page (inline CSS, chart embedded as base64), autoescaped."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("campaign.mentions", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    chart = base64.b64encode(png if png is not None else png_bytes(report)).decode("ascii")
    return env.get_template("report.html.j2").render(r=report, chart=chart)
