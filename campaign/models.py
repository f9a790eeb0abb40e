"""What a campaign is: plain, immutable data read from the metadata YAML.

:mod:`campaign.metadata` reads and validates the YAML into these; everything else only reads them.
All datetimes are aware; days and times of day are in the campaign's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from campaign import DEFAULT_HASHTAG
from campaign.fields import (
    CodeField,
    Coding,
    Day,
    DayRange,
    Days,
    Flag,
    Handle,
    Hashtag,
    Moment,
    Name,
    NotifyUrls,
    Params,
    Price,
    Prose,
    ReadBudget,
    Section,
    Sites,
    Slug,
    Text,
    Texts,
    TimeOfDay,
    TimesOfDay,
    Url,
    Weekdays,
    Whole,
    Zone,
    record,
    setting,
    slug_of,
)

DAYS = Whole(0, 366)
MINUTES_IN_A_DAY = Whole(0, 24 * 60)

# Each field is declared once, on its line below: its kind (how it is read, bounded, stored and
# written), its default, its help (docs/metadata.md), and for the YAML `campaign import-page`
# writes, whether it is written even at its default and the comment beside it. See campaign.fields.


@record
class Cadence:
    """When the planner places each kind of post, relative to the event's start (local days)."""

    # fmt: off
    announcement_days_before: int = setting(DAYS, default=14, written=True, help="Days before the event of the announcement.")
    reminder_days_before: tuple[int, ...] = setting(Days(), default=(7, 1), written=True, help="Days before the event of each reminder.")
    spotlight_days_before: tuple[int, int] = setting(DayRange(), default=(10, 2), written=True, help="Speaker spotlights spread from the first to the second of these days before the event.")
    starting_minutes_before: int = setting(MINUTES_IN_A_DAY, default=0, written=True, help="Minutes before the start of the 'starting now' post.")
    recap_days_after: int = setting(DAYS, default=1, written=True, help="Days after the event of the recap.")
    publications_days_after: int = setting(DAYS, default=2, written=True, help="Days after the event of the first publication promotion.")
    publications_every_days: int = setting(Whole(1, 366), default=2, written=True, help="Days between one publication promotion and the next.")
    post_time: time = setting(TimeOfDay(), default=time(10, 0), written=True, help="Preferred local time of day of day-based posts (inside the posting window).")
    # fmt: on


@record
class CampaignSettings:
    """The campaign itself: its name, hashtag, zone, posting window and operating limits."""

    # fmt: off
    name: str = setting(Text(), written=True, help="The campaign's name.")
    hashtag: str = setting(Hashtag(), default=DEFAULT_HASHTAG, written=True, help="The hashtag every post carries exactly once.")
    slug: str | None = setting(Name(), default=None, help="The campaign's short name in the workspace (what --campaign names); none: the hashtag without #, lower case.")
    account: str = setting(Name(), default="default", help="The X account it posts from: default uses X_API_KEY …, another name e.g. events uses X_EVENTS_API_KEY ….")
    collect_days_after: int = setting(DAYS, default=14, help="Days after the event the collector keeps searching for its hashtag.")
    timezone: str = setting(Zone(), default="UTC", written=True, help="The zone the campaign's days, times and posting window are in.")
    window_start: time = setting(TimeOfDay(), default=time(8, 0), written=True, comment="posts go out only between these local times", help="Posts go out no earlier than this local time.")
    window_end: time = setting(TimeOfDay(), default=time(18, 0), written=True, help="Posts go out no later than this local time.")
    min_gap_minutes: int = setting(MINUTES_IN_A_DAY, default=30, written=True, help="Least minutes between two planned posts.")
    tracking: dict[str, str] = setting(Params(), default_factory=dict, written=True, comment="added to links to the campaign's own sites", help="Parameters added to links to the campaign's own sites, e.g. utm_source: x.")
    tracked_domains: tuple[str, ...] = setting(Sites(), default=(), help="The campaign's own sites, whose links get tracking; empty: the event's sites.")
    cadence: Cadence = setting(Section(Cadence), default_factory=Cadence, written=True, comment="where the planner puts each kind of post", help="Where the planner puts each kind of post.")
    query: str | None = setting(Text(), default=None, help="What the collector searches X for; none: the hashtag, without retweets.")
    collect_every_minutes: int = setting(Whole(1), default=5, help="Minutes between two collections by the daemon.")
    daily_cap: int = setting(Whole(1), default=100, help="At most this many posts in any 24 hours.")
    replies_carry_hashtag: bool = setting(Flag(), default=False, help="Replies and quotes to collected posts carry the hashtag too (added when missing); false: only if typed.")
    threads_carry_hashtag: bool = setting(Flag(), default=False, help="Every post of a thread (a reply to one of our own posts) carries the hashtag; false: only its first post.")
    overdue_limit_minutes: int = setting(Whole(0), default=120, help="A post later than this after downtime is missed, not sent.")
    price_post: float = setting(Price(), default=0.015, written=True, comment="US dollars X bills for a post", help="US dollars X bills for a post (pay-per-use since February 2026).")
    price_post_with_link: float = setting(Price(), default=0.20, written=True, comment="… with a link", help="US dollars X bills for a post with a link.")
    price_read: float = setting(Price(), default=0.005, written=True, comment="… for each post collected", help="US dollars X bills for each post read.")
    collect_max_reads_per_day: int | None = setting(ReadBudget(), default=10_000, written=True, comment="collecting stops for the day here; or unlimited", help="Posts the collector may read in any 24 hours (10,000 = $50 a day), or unlimited.")
    notify: tuple[str, ...] = setting(NotifyUrls(), default=(), help="Apprise URLs alerts go to (Slack, Teams, e-mail, webhooks); URLs that hold a secret belong in CAMPAIGN_NOTIFY instead.")
    retention_days: int | None = setting(Whole(0), default=None, help="Days after the event ends (or starts, without an end) when collected post text is redacted; counts, review and notes stay. None: kept.")
    coding: dict[str, CodeField] = setting(Coding(), default_factory=dict, help="Fields reviewers code posts with, e.g. stance: [supports, opposes, neutral, unclear]; or a field with choice: single, multiple or text and values: [...].")
    queue_slots: tuple[time, ...] = setting(TimesOfDay(), default=(time(9, 30), time(12, 0), time(16, 0)), help="The account's queue slots, local times: `posts add --next-slot` and the console's Add to queue take the next free one.")
    queue_days: tuple[str, ...] = setting(Weekdays(), default=("mon", "tue", "wed", "thu", "fri"), help="The days of the week the queue slots are on.")
    # fmt: on

    @property
    def key(self) -> str:
        """The campaign's slug: ``slug``, else the hashtag without #, lower case."""
        return self.slug or slug_of(self.hashtag)

    @property
    def search_query(self) -> str:
        return self.query or f"{self.hashtag} -is:retweet"


@record
class Event:
    """The event the campaign is about."""

    # fmt: off
    title: str = setting(Text(), written=True, help="The event's title.")
    start: datetime = setting(Moment(), written=True, help="When it starts: YYYY-MM-DD HH:MM, in the campaign's zone.")
    end: datetime | None = setting(Moment(), default=None, help="When it ends (after the start).")
    place: str | None = setting(Text(), default=None, written=True, comment="CONFIRM: where it happens, if in person", help="Where it happens, if in person.")
    online_url: str | None = setting(Url(), default=None, written=True, comment="CONFIRM: the link to watch online, if any", help="The link to watch online.")
    registration_url: str | None = setting(Url(), default=None, written=True, comment="CONFIRM: the registration link (https://…)", help="The registration link.")
    url: str | None = setting(Url(), default=None, written=True, comment="CONFIRM: the event page's address (https://…)", help="The event page.")
    description: str | None = setting(Prose(), default=None, written=True, help="What the event is about.")
    # fmt: on


@record
class Speaker:
    """One speaker; ``key`` is stable across loads (slug of the name)."""

    # fmt: off
    key: str = setting(Slug(), help="Made from the name; stable across loads.")
    name: str = setting(Text(), help="The speaker's name.")
    role: str | None = setting(Text(), default=None, help="Their title or role.")
    organisation: str | None = setting(Text(), default=None, help="Their organisation.")
    handle: str | None = setting(Handle(), default=None, written=True, help="Their X handle, with or without the @.")
    moderator: bool = setting(Flag(), default=False, help="Whether the speaker moderates.")
    part: str | None = setting(Text(), default=None, help="Their part in the event besides speaking, e.g. keynote, host or opening remarks.")
    photo: str | None = setting(Text(), default=None, help="A photo for their spotlight post: an image file (PNG, JPEG, GIF or WebP, up to 5 MB), relative to the YAML file's folder.")
    photo_alt: str | None = setting(Prose(), default=None, help="The photo's alt text, for people who cannot see it (required with a photo; up to 1,000 characters).")
    # fmt: on


@record
class Publication:
    """A related publication; ``key`` is stable across loads (slug of the title)."""

    # fmt: off
    key: str = setting(Slug(), help="Made from the title; stable across loads.")
    title: str = setting(Text(), help="The publication's title.")
    url: str | None = setting(Url(), default=None, written=True, comment="CONFIRM: the publication's address (https://…)", help="Its address.")
    date: date | None = setting(Day(), default=None, help="When it was published: YYYY-MM-DD.")
    authors: tuple[str, ...] = setting(Texts(), default=(), written=True, help="Its authors.")
    type: str | None = setting(Text(), default=None, help="Its type, e.g. Analysis.")
    topics: tuple[str, ...] = setting(Texts(), default=(), written=True, help="Its topics.")
    summary: str | None = setting(Prose(), default=None, help="A short summary.")
    cover: str | None = setting(Text(), default=None, help="Its cover for the publication post: an image file (PNG, JPEG, GIF or WebP, up to 5 MB), relative to the YAML file's folder.")
    cover_alt: str | None = setting(Prose(), default=None, help="The cover's alt text, for people who cannot see it (required with a cover; up to 1,000 characters).")
    # fmt: on


@record
class Approval:
    """The approval rules of the team (``approval:``)."""

    # fmt: off
    four_eyes: bool = setting(Flag(), default=True, help="Nobody approves a post they wrote or last edited (another approver must); false for a one-person team.")
    # fmt: on


@dataclass(frozen=True)
class Metadata:
    """A whole campaign as loaded."""

    campaign: CampaignSettings
    event: Event
    speakers: tuple[Speaker, ...] = ()
    publications: tuple[Publication, ...] = ()
    approval: Approval = field(default_factory=Approval)

    @property
    def four_eyes(self) -> bool:
        """Whether approval needs a second person (``approval.four_eyes``)."""
        return self.approval.four_eyes
