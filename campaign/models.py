"""What a campaign is: plain, immutable data read from the metadata YAML.

:mod:`campaign.metadata` reads and validates the YAML into these; everything else only reads them.
All datetimes are aware; days and times of day are in the campaign's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from campaign import DEFAULT_HASHTAG


@dataclass(frozen=True)
class Cadence:
    """When the planner places each kind of post, relative to the event's start (local days)."""

    announcement_days_before: int = 14
    reminder_days_before: tuple[int, ...] = (7, 1)
    spotlight_days_before: tuple[int, int] = (10, 2)  # spread from the first to the second
    starting_minutes_before: int = 0
    recap_days_after: int = 1
    publications_days_after: int = 2  # first publication promotion
    publications_every_days: int = 2  # then one every N days
    post_time: time = time(10, 0)  # preferred local time of day for day-based posts


@dataclass(frozen=True)
class CampaignSettings:
    """The campaign itself: its name, hashtag, zone, posting window and operating limits."""

    name: str
    hashtag: str = DEFAULT_HASHTAG
    timezone: str = "UTC"
    window_start: time = time(8, 0)
    window_end: time = time(18, 0)
    min_gap_minutes: int = 30
    tracking: dict[str, str] = field(default_factory=dict)  # e.g. utm_source: x
    tracked_domains: tuple[str, ...] = ()  # the campaign's own sites; empty: the event's domains
    cadence: Cadence = field(default_factory=Cadence)
    query: str | None = None  # search query for collection; None: "<hashtag> -is:retweet"
    collect_every_minutes: int = 5
    daily_cap: int = 100  # posts in any 24 hours
    overdue_limit_minutes: int = 120  # later than this after downtime: missed, not sent
    # What X bills (USD, pay-per-use since February 2026): a post, a post with a link, a post read.
    price_post: float = 0.015
    price_post_with_link: float = 0.20
    price_read: float = 0.005
    # Posts the collector may read in any 24 hours (10,000 = $50 a day); None: no limit.
    collect_max_reads_per_day: int | None = 10_000
    # Apprise URLs alerts go to (issue 13); URLs holding a secret belong in CAMPAIGN_NOTIFY.
    notify: tuple[str, ...] = ()

    @property
    def search_query(self) -> str:
        return self.query or f"{self.hashtag} -is:retweet"


@dataclass(frozen=True)
class Event:
    """The event the campaign is about."""

    title: str
    start: datetime
    end: datetime | None = None
    place: str | None = None
    online_url: str | None = None
    registration_url: str | None = None
    url: str | None = None  # the event page
    description: str | None = None


@dataclass(frozen=True)
class Speaker:
    """One speaker; ``key`` is stable across loads (slug of the name)."""

    key: str
    name: str
    role: str | None = None
    organisation: str | None = None
    handle: str | None = None  # without the @
    moderator: bool = False


@dataclass(frozen=True)
class Publication:
    """A related publication; ``key`` is stable across loads (slug of the title)."""

    key: str
    title: str
    url: str | None = None
    date: date | None = None
    authors: tuple[str, ...] = ()
    type: str | None = None
    topics: tuple[str, ...] = ()
    summary: str | None = None


@dataclass(frozen=True)
class Metadata:
    """A whole campaign as loaded."""

    campaign: CampaignSettings
    event: Event
    speakers: tuple[Speaker, ...] = ()
    publications: tuple[Publication, ...] = ()
