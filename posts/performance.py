"""The performance report of our posts, from their latest metrics (:mod:`posts.metrics`): the
posts ranked, kinds and templates compared (do spotlights beat reminders?), engagement rate by
hour of day, and impressions over time. Shared by the CLI, the HTML report and the console.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import zone
from posts import metrics, queue
from posts.metrics import Reading
from posts.queue import Post, PostStatus


@dataclass(frozen=True)
class Row:
    """One published post with its latest reading."""

    post: Post
    reading: Reading

    @property
    def rate(self) -> float:
        return self.reading.engagement_rate or 0.0


@dataclass(frozen=True)
class Group:
    """Posts of one kind (or template, or hour): how many, their impressions and engagements."""

    name: str
    posts: int
    impressions: int
    engagements: int

    @property
    def rate(self) -> float:
        return self.engagements / self.impressions if self.impressions else 0.0

    @property
    def mean_impressions(self) -> float:
        return self.impressions / self.posts if self.posts else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "posts": self.posts,
            "impressions": self.impressions,
            "engagements": self.engagements,
            "mean_impressions": round(self.mean_impressions, 1),
            "engagement_rate": round(self.rate, 4),
        }


@dataclass(frozen=True)
class Performance:
    """The whole report."""

    ranked: list[Row]  # by impressions, then engagement rate
    kinds: list[Group]
    templates: list[Group]
    hours: list[Group]  # the hour of day (campaign zone) the post went out, "00" … "23"
    over_time: list[tuple[datetime, int]]  # total impressions of all posts at each reading

    def to_json(self) -> dict[str, Any]:
        return {
            "ranked": [performance_row(r) for r in self.ranked],
            "kinds": [g.to_json() for g in self.kinds],
            "templates": [g.to_json() for g in self.templates],
            "hours": [g.to_json() for g in self.hours],
            "over_time": [{"at": at.isoformat(), "impressions": n} for at, n in self.over_time],
        }


def performance_row(r: Row) -> dict[str, Any]:
    """One line of the performance table (and of its CSV export)."""
    return {
        "post_id": r.post.id,
        "kind": r.post.kind,
        "template": r.post.template or "",
        "published_at": r.post.published_at.isoformat() if r.post.published_at else "",
        "tweet_id": r.post.tweet_id or "",
        **{k: v for k, v in r.reading.counts().items()},
        "engagement_rate": round(r.rate, 4),
        "metrics_at": r.reading.at.isoformat(),
        "text": r.post.text,
    }


CSV_COLUMNS = (
    "post_id",
    "kind",
    "template",
    "published_at",
    "tweet_id",
    *metrics.COUNTS,
    "engagement_rate",
    "metrics_at",
    "text",
)


def _group(rows: list[Row], key: str, name_of: Any) -> list[Group]:
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        a = acc[name_of(r)]
        a[0] += 1
        a[1] += r.reading.impressions or 0
        a[2] += r.reading.engagements
    groups = [Group(k, *v) for k, v in acc.items()]
    if key == "hour":
        return sorted(groups, key=lambda g: g.name)
    return sorted(groups, key=lambda g: (-g.rate, -g.mean_impressions, g.name))


def report(db: sqlite_utils.Database, timezone: str) -> Performance:
    """The performance of every published post that has a reading."""
    latest = metrics.latest(db)
    if not latest:  # nothing read yet: the posts are not even looked at
        return Performance([], [], [], [], [])
    rows = [
        Row(p, latest[p.id])
        for p in queue.list_posts(db, PostStatus.PUBLISHED)
        if p.id in latest and p.published_at is not None
    ]
    ranked = sorted(rows, key=lambda r: (-(r.reading.impressions or 0), -r.rate, r.post.id))
    tz = zone(timezone)
    hours = _group(
        rows,
        "hour",
        lambda r: f"{r.post.published_at.astimezone(tz).hour:02d}",
    )
    # Impressions over time: at each reading, the sum over posts of their newest reading so far.
    newest: dict[int, int] = {}
    over_time: list[tuple[datetime, int]] = []
    total = 0
    for reading in metrics.series(db):
        seen = reading.impressions or 0
        total += seen - newest.get(reading.post_id, 0)
        newest[reading.post_id] = seen
        if over_time and over_time[-1][0] == reading.at:
            over_time[-1] = (reading.at, total)
        else:
            over_time.append((reading.at, total))
    return Performance(
        ranked=ranked,
        kinds=_group(rows, "kind", lambda r: r.post.kind),
        templates=_group(rows, "template", lambda r: r.post.template or "(by hand)"),
        hours=hours,
        over_time=over_time,
    )


def to_csv(perf: Performance) -> str:
    """The performance table as CSV (a formula-looking text cell is quoted with a ')."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in perf.ranked:
        row = performance_row(r)
        text = str(row["text"])
        if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            row["text"] = "'" + text
        writer.writerow(row)
    return out.getvalue()
