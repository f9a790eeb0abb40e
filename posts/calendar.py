"""The schedule as people look at it: an agenda by local day, or an iCalendar file.

The iCalendar export has one 5-minute event per post that is not cancelled, starting at the
post's time in UTC. Each event's UID is built from the campaign's name and the post's id, so
importing a newer export into a calendar updates the events instead of adding copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import sqlite_utils

from campaign.clock import UTC, local, now, zone
from campaign.errors import CampaignError
from campaign.models import CampaignSettings
from posts import queue
from posts.queue import Post, PostStatus

EVENT_MINUTES = 5
SUMMARY_WORDS = 8
PRODID = "-//campaign-tool//post schedule//EN"
# Calendar status of each post status: what is approved or out is confirmed, the rest tentative.
_EVENT_STATUS = {
    PostStatus.APPROVED: "CONFIRMED",
    PostStatus.PUBLISHING: "CONFIRMED",
    PostStatus.PUBLISHED: "CONFIRMED",
}


def scheduled(
    db: sqlite_utils.Database,
    settings: CampaignSettings,
    *,
    days: int | None = None,
    at: datetime | None = None,
    campaign_id: int | None = None,
) -> list[Post]:
    """Posts that are not cancelled, in time order (every campaign's, or ``campaign_id``'s);
    with ``days``, only today's and the next.

    ``days=1`` is today (in the campaign's zone), ``days=7`` today and the six days after it.
    """
    posts = [
        p for p in queue.list_posts(db, campaign_id=campaign_id) if p.status != PostStatus.CANCELLED
    ]
    if days is None:
        return posts
    if days < 1:
        raise CampaignError(f"--days must be 1 or more (1 is today), not {days}")
    tz = zone(settings.timezone)
    today = local(at or now(), tz).date()
    start = datetime.combine(today, time(0), tz)
    end = datetime.combine(today + timedelta(days=days), time(0), tz)
    return [p for p in posts if start <= p.scheduled_at < end]


def by_day(posts: Iterable[Post], tz: str) -> list[tuple[date, list[Post]]]:
    """``posts`` grouped by their day in the zone ``tz``, days in order."""
    groups: dict[date, list[Post]] = {}
    for post in sorted(posts, key=lambda p: (p.scheduled_at, p.id)):
        groups.setdefault(local(post.scheduled_at, tz).date(), []).append(post)
    return sorted(groups.items())


def first_words(text: str, words: int = SUMMARY_WORDS) -> str:
    """The first ``words`` words of ``text`` on one line, with … if there is more."""
    parts = text.split()
    head = " ".join(parts[:words])
    return head + ("…" if len(parts) > words else "")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "campaign"


def uid(post_id: int, settings: CampaignSettings) -> str:
    """The stable iCalendar UID of a post: the same post always gets the same one."""
    return f"post-{post_id}.{_slug(settings.name)}@campaign-tool"


def to_ics(
    posts: Iterable[Post],
    settings: CampaignSettings,
    *,
    revisions: dict[int, int] | None = None,
) -> bytes:
    """An iCalendar document (RFC 5545) with one VEVENT per post that is not cancelled.

    ``revisions`` maps post ids to how often each changed (its audit rows), written as SEQUENCE
    so calendar programs take the newer export as an update.
    """
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{settings.name} {settings.hashtag}")
    cal.add("x-wr-timezone", settings.timezone)
    for post in posts:
        if post.status == PostStatus.CANCELLED:
            continue
        start = post.scheduled_at.astimezone(UTC)
        event = Event()
        event.add("uid", uid(post.id, settings))
        event.add("dtstamp", post.updated_at.astimezone(UTC))
        event.add("created", post.created_at.astimezone(UTC))
        event.add("last-modified", post.updated_at.astimezone(UTC))
        event.add("sequence", max(0, (revisions or {}).get(post.id, 1) - 1))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
        event.add("summary", f"{post.kind}: {first_words(post.text)}")
        description = f"{post.text}\n\nStatus: {post.status}"
        if post.tweet_id:
            description += f"\nTweet id: {post.tweet_id}"
        event.add("description", description)
        event.add("status", _EVENT_STATUS.get(post.status, "TENTATIVE"))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def revisions(db: sqlite_utils.Database) -> dict[int, int]:
    """How many audit rows each post has: its revision count for calendar updates."""
    return queue.revisions(db)
