"""The simulator's memory: accounts, tweets, rate-limit windows, faults and its clock, all
behind one lock. Nothing here speaks HTTP."""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from campaign import clock
from scheduler.simulator import links
from scheduler.simulator.faults import Faults

# Where the simulator reads the time: a callable giving an aware datetime.
Clock = Callable[[], datetime]

# X's ids are "snowflakes": milliseconds since this epoch, shifted left 22 bits.
TWITTER_EPOCH_MS = 1288834974657

# Endpoint groups with their default windows: (requests, seconds). Posting is counted per
# user, search per app (or per user with a user token), as X does.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "post": (100, 900),
    "media": (500, 900),  # POST /2/media/upload and /2/media/metadata
    "delete": (50, 900),
    "me": (75, 900),
    "timeline": (900, 900),
    "lookup": (900, 900),
    "search": (450, 900),
    # Batch compliance: create a job or read its status (app-only), per app.
    "compliance": (150, 900),
    # Posts per 24 hours for the whole app, sent as x-app-limit-24hour-* on POST /2/tweets.
    "post_day": (10_000, 86_400),
}


@dataclass
class Credentials:
    """The keys the simulator accepts. Clearly fake defaults, known to the test fixture."""

    api_key: str = "sim-key"
    api_secret: str = "sim-secret"  # noqa: S105 (fake, guards nothing)
    access_token: str = "sim-token"  # noqa: S105 (fake, guards nothing)
    access_token_secret: str = "sim-token-secret"  # noqa: S105 (fake, guards nothing)
    bearer_token: str = "sim-bearer"  # noqa: S105 (fake, guards nothing)
    user_bearer_token: str = "sim-user-bearer"  # noqa: S105 (fake, guards nothing)
    # A second account of the same app (its own user tokens, X's way): @PeaceTechEvents.
    events_access_token: str = "sim-events-token"  # noqa: S105 (fake, guards nothing)
    events_access_token_secret: str = "sim-events-token-secret"  # noqa: S105 (fake)
    events_user_bearer_token: str = "sim-events-user-bearer"  # noqa: S105 (fake)


@dataclass
class User:
    """An account on the simulated X."""

    id: str
    username: str
    name: str
    followers_count: int = 0
    following_count: int = 0
    tweet_count: int = 0
    listed_count: int = 0
    description: str = ""
    created_at: datetime = field(default_factory=lambda: datetime(2015, 3, 1, tzinfo=clock.UTC))
    verified: bool = False
    protected: bool = False  # only approved followers see its posts
    suspended: bool = False  # X suspended the account: its posts are gone from the API
    locked: bool = False  # X locked the account: every request made as it is refused (326)

    def to_json(self, fields: set[str]) -> dict[str, Any]:
        """X's user object with the default fields plus those asked for in ``user.fields``."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "username": self.username}
        if "public_metrics" in fields:
            out["public_metrics"] = {
                "followers_count": self.followers_count,
                "following_count": self.following_count,
                "tweet_count": self.tweet_count,
                "listed_count": self.listed_count,
            }
        if "created_at" in fields:
            out["created_at"] = iso(self.created_at)
        if "description" in fields:
            out["description"] = self.description
        if "verified" in fields:
            out["verified"] = self.verified
        if "protected" in fields:
            out["protected"] = self.protected
        if "profile_image_url" in fields:
            out["profile_image_url"] = (
                f"https://pbs.twimg.com/profile_images/{self.id}/avatar_normal.png"
            )
        return out


@dataclass
class Upload:
    """An image uploaded with ``POST /2/media/upload``, kept for ``expires_after_secs``."""

    id: str
    owner_id: str
    media_type: str
    size: int
    uploaded_at: datetime
    alt_text: str = ""

    def expired(self, at: datetime) -> bool:
        return at >= self.uploaded_at + timedelta(seconds=UPLOAD_SECONDS)


UPLOAD_SECONDS = 86_400


@dataclass
class Tweet:
    """A post on the simulated X. ``source`` is ``api`` for posts made through the API and
    ``generated`` for the conversation generator's."""

    id: str
    text: str
    author_id: str
    created_at: datetime
    submitted_text: str = ""
    conversation_id: str = ""
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[dict[str, str]] = field(default_factory=list)
    lang: str = "en"
    entities: dict[str, Any] = field(default_factory=dict)
    media_ids: list[str] = field(default_factory=list)
    media_alt: list[str] = field(default_factory=list)  # the alt text of each, as uploaded
    like_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    quote_count: int = 0
    impression_count: int = 0
    source: str = "api"
    deleted: bool = False
    reply_settings: str = "everyone"  # or "mentionedUsers", "following": who may reply
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def num(self) -> int:
        return int(self.id)

    def is_type(self, kind: str) -> bool:
        """Whether it references another tweet as ``retweeted``, ``replied_to`` or ``quoted``."""
        return any(r["type"] == kind for r in self.referenced_tweets)

    def to_json(self, fields: set[str]) -> dict[str, Any]:
        """X's tweet object with the default fields plus those asked for in ``tweet.fields``."""
        out: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "edit_history_tweet_ids": [self.id],
        }
        if "created_at" in fields:
            out["created_at"] = iso(self.created_at)
        if "author_id" in fields:
            out["author_id"] = self.author_id
        if "conversation_id" in fields:
            out["conversation_id"] = self.conversation_id or self.id
        if "lang" in fields:
            out["lang"] = self.lang
        if "public_metrics" in fields:
            out["public_metrics"] = {
                "retweet_count": self.retweet_count,
                "reply_count": self.reply_count,
                "like_count": self.like_count,
                "quote_count": self.quote_count,
                "bookmark_count": 0,
                "impression_count": self.impression_count,
            }
        if "entities" in fields and self.entities:
            out["entities"] = self.entities
        if "referenced_tweets" in fields and self.referenced_tweets:
            out["referenced_tweets"] = self.referenced_tweets
        if "in_reply_to_user_id" in fields and self.in_reply_to_user_id:
            out["in_reply_to_user_id"] = self.in_reply_to_user_id
        if "attachments" in fields and self.media_ids:
            out["attachments"] = {"media_keys": [f"3_{m}" for m in self.media_ids]}
        if "possibly_sensitive" in fields:
            out["possibly_sensitive"] = False
        if "reply_settings" in fields:
            out["reply_settings"] = self.reply_settings
        if "edit_controls" in fields:
            out["edit_controls"] = {
                "edits_remaining": 5,
                "is_edit_eligible": not self.referenced_tweets,
                "editable_until": iso(self.created_at + timedelta(hours=1)),
            }
        return out

    def to_control_json(self) -> dict[str, Any]:
        """Everything the simulator knows about the tweet, for ``GET /_sim/tweets``."""
        out = self.to_json(ALL_TWEET_FIELDS)
        out.setdefault("entities", {})
        out.setdefault("referenced_tweets", [])
        out.setdefault("in_reply_to_user_id", None)
        out["submitted_text"] = self.submitted_text
        out["media_ids"] = list(self.media_ids)
        out["media_alt"] = list(self.media_alt)
        out["source"] = self.source
        out["deleted"] = self.deleted
        out["reply_settings"] = self.reply_settings
        return out


NON_PUBLIC_DAYS = 30  # X serves non-public metrics of posts up to this age only


def grown_metrics(tweet: Tweet, at: datetime) -> tuple[dict[str, int], dict[str, int]]:
    """``(public_metrics, non_public_metrics)`` of one of the account's posts at ``at``: they grow
    with the post's age (the square root of its hours, up to 30 days) from what really
    happened to it on the simulator (replies, quotes, reposts), the same at the same age."""
    hours = min(max(0.0, (at - tweet.created_at).total_seconds() / 3600), 24.0 * NON_PUBLIC_DAYS)
    reach = 1 + tweet.num % 7  # some posts do better than others
    impressions = int(40 * reach * hours**0.5)
    public = {
        "retweet_count": tweet.retweet_count + impressions // 150,
        "reply_count": tweet.reply_count + impressions // 400,
        "like_count": tweet.like_count + impressions // 40,
        "quote_count": tweet.quote_count + impressions // 1000,
        "bookmark_count": impressions // 250,
        "impression_count": impressions,
    }
    private = {
        "impression_count": impressions,
        "url_link_clicks": impressions // 60,
        "user_profile_clicks": impressions // 120,
    }
    return public, private


ALL_TWEET_FIELDS = {
    "created_at",
    "author_id",
    "conversation_id",
    "lang",
    "public_metrics",
    "entities",
    "referenced_tweets",
    "in_reply_to_user_id",
    "attachments",
}


def iso(dt: datetime) -> str:
    """X's time format: ``2026-12-06T14:00:00.000Z``."""
    return (
        dt.astimezone(clock.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    )


def snowflake(dt: datetime) -> int:
    """The smallest snowflake id for a tweet made at ``dt``."""
    ms = int(dt.timestamp() * 1000)
    return (ms - TWITTER_EPOCH_MS) << 22


def snowflake_time(tweet_id: int) -> datetime:
    """When the tweet with this snowflake id was made."""
    ms = (tweet_id >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=clock.UTC)


@dataclass
class Window:
    """One rate-limit window: how many requests since ``start``."""

    start: datetime
    used: int = 0


@dataclass
class RequestRecord:
    """One answered API request, for ``GET /_sim/requests``."""

    at: datetime
    method: str
    path: str
    group: str
    status: int
    auth: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "method": self.method,
            "path": self.path,
            "group": self.group,
            "status": self.status,
            "auth": self.auth,
        }


ACCOUNT_ID = "1600000000000000001"
EVENTS_ACCOUNT_ID = "1600000000000000002"  # the second account, @PeaceTechEvents
WORKER = 37  # the "machine" bits of every simulated snowflake


def _real_now() -> datetime:
    return clock.now()  # looked up at each call, so time-machine's frozen time reaches it


def frozen(at: datetime) -> Clock:
    """A clock that always reads ``at`` (an aware datetime): the simulator's time then moves
    only through ``POST /_sim/clock``, so tests get the same dates and ids on any day."""
    if at.tzinfo is None:
        raise ValueError("a frozen clock needs an aware datetime, e.g. 2026-12-06T14:00:00Z")
    fixed = at.astimezone(clock.UTC)
    return lambda: fixed


class SimState:
    """All the simulator holds. Use :attr:`lock` around any read or write of its fields."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        username: str = "PolicingConflict",
        name: str = "Policing in Conflict",
        seed: int = 1,
        accept_duplicates: bool = False,
        latency: float = 0.0,
        clock: Clock | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or _real_now
        self.credentials = credentials or Credentials()
        self.account = User(
            id=ACCOUNT_ID, username=username, name=name, followers_count=1250, following_count=310
        )
        # A second account of the app, posting with the events tokens (Credentials).
        self.events_account = User(
            id=EVENTS_ACCOUNT_ID,
            username="PeaceTechEvents",
            name="Peace Tech Events",
            followers_count=430,
            following_count=120,
        )
        self.seed = seed
        self.accept_duplicates = accept_duplicates
        self.latency = latency
        self.stopping = threading.Event()
        self.started_with = (accept_duplicates, latency)  # what clear and reset go back to
        self.reset()

    def reset(self) -> None:
        """Back to an empty X: no tweets but the account, no faults, fresh windows, and the
        caller's clock without an offset."""
        with self.lock:
            self.users: dict[str, User] = {
                self.account.id: self.account,
                self.events_account.id: self.events_account,
            }
            self.account.tweet_count = 0
            for account in (self.account, self.events_account):
                account.locked = account.suspended = False
            self.events_account.tweet_count = 0
            self.tweets: dict[str, Tweet] = {}
            self.order: list[int] = []  # tweet ids, ascending
            self.by_author: dict[str, list[int]] = {}  # the same, per author
            self.by_tag: dict[str, list[int]] = {}  # the same, per casefolded hashtag
            self.texts: dict[tuple[str, str], int] = {}  # live tweets per (author, text)
            self.windows: dict[tuple[str, str], Window] = {}
            self.limits: dict[str, tuple[int, int]] = dict(DEFAULT_LIMITS)
            self.faults = Faults(seed=self.seed)
            self.clock_offset = timedelta(0)
            self.requests: list[RequestRecord] = []
            self.uploads: dict[str, Upload] = {}
            self.accept_duplicates, self.latency = self.started_with
            self.rng = random.Random(self.seed)
            self.conversation_rng = random.Random(self.seed)
            self.conversation_authors: list[User] = []
            # Batch compliance jobs by id (see scheduler.simulator.compliance).
            self.compliance_jobs: dict[str, Any] = {}
            self.compliance_polls = 1  # status answers "in_progress" this many times first
            # For benchmarks of stores the simulator never saw: ids it does not hold count as
            # live unless listed in gone_ids (id -> reason).
            self.unknown_ids_live = False
            self.gone_ids: dict[str, str] = {}

    # -- time and ids ------------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulator's clock: its caller's clock (``campaign.clock.now`` unless one was given,
        e.g. :func:`frozen`) plus a settable offset."""
        return self.clock() + self.clock_offset

    def new_id(self, created_at: datetime) -> str:
        """A fresh snowflake id for a tweet made at ``created_at``."""
        candidate = snowflake(created_at) + (WORKER << 12)
        if self.order and candidate <= self.order[-1]:
            newest = snowflake_time(self.order[-1])
            if created_at >= newest:
                # Made now, in the same millisecond as the newest: ids keep creation order.
                candidate = self.order[-1] + 1
        while str(candidate) in self.tweets:
            candidate += 1
        return str(candidate)

    # -- users and tweets --------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        with self.lock:
            self.users[user.id] = user

    def user_ids_by_name(self) -> dict[str, str]:
        return {u.username.lower(): u.id for u in self.users.values()}

    def store(self, tweet: Tweet) -> None:
        """Keep ``tweet`` and index its id in order."""
        with self.lock:
            self.tweets[tweet.id] = tweet
            bisect.insort(self.order, tweet.num)
            bisect.insort(self.by_author.setdefault(tweet.author_id, []), tweet.num)
            for tag in {h["tag"].casefold() for h in tweet.entities.get("hashtags", [])}:
                bisect.insort(self.by_tag.setdefault(tag, []), tweet.num)
            key = (tweet.author_id, tweet.submitted_text)
            self.texts[key] = self.texts.get(key, 0) + 1
            author = self.users.get(tweet.author_id)
            if author is not None:
                author.tweet_count += 1

    def make_tweet(
        self,
        author: User,
        text: str,
        *,
        created_at: datetime | None = None,
        reply_to: Tweet | None = None,
        quote_of: Tweet | None = None,
        retweet_of: Tweet | None = None,
        media_ids: list[str] | None = None,
        lang: str = "en",
        source: str = "api",
    ) -> Tweet:
        """Create and store a tweet the way X would: links to t.co, entities, conversation."""
        with self.lock:
            when = created_at or self.now()
            rewritten, urls = links.shorten(text, self.rng)
            tweet = Tweet(
                id=self.new_id(when),
                text=rewritten,
                submitted_text=text,
                author_id=author.id,
                created_at=when,
                lang=lang,
                media_ids=list(media_ids or []),
                source=source,
            )
            tweet.entities = links.entities(rewritten, urls, self.user_ids_by_name())
            tweet.conversation_id = tweet.id
            if reply_to is not None:
                tweet.referenced_tweets.append({"type": "replied_to", "id": reply_to.id})
                tweet.in_reply_to_user_id = reply_to.author_id
                tweet.conversation_id = reply_to.conversation_id or reply_to.id
                reply_to.reply_count += 1
            if quote_of is not None:
                tweet.referenced_tweets.append({"type": "quoted", "id": quote_of.id})
                quote_of.quote_count += 1
            if retweet_of is not None:
                tweet.referenced_tweets.append({"type": "retweeted", "id": retweet_of.id})
                retweet_of.retweet_count += 1
            self.store(tweet)
            return tweet

    def newest_first(
        self, author_id: str | None = None, below: int | None = None, tag: str | None = None
    ) -> Iterator[Tweet]:
        """Live (not deleted) tweets, newest first: all, or one author's, or those with the
        (casefolded) hashtag ``tag``; ids under ``below``. Call with the lock held."""
        if tag is not None:
            ids = self.by_tag.get(tag, [])
        elif author_id is not None:
            ids = self.by_author.get(author_id, [])
        else:
            ids = self.order
        end = bisect.bisect_left(ids, below) if below is not None else len(ids)
        for i in range(end - 1, -1, -1):
            tweet = self.tweets[str(ids[i])]
            if not tweet.deleted:
                yield tweet

    def is_duplicate(self, author_id: str, text: str) -> bool:
        """Whether the author already has a live tweet with exactly this text."""
        with self.lock:
            return self.texts.get((author_id, text), 0) > 0

    def delete(self, tweet: Tweet) -> None:
        """Mark ``tweet`` deleted: gone from timelines, search and duplicate checks."""
        with self.lock:
            if not tweet.deleted:
                tweet.deleted = True
                self.texts[(tweet.author_id, tweet.submitted_text)] -= 1

    def gone_reason(self, tweet_id: str) -> str | None:
        """Why the tweet is not visible on X (``deleted``, ``suspended``, ``protected``), or
        None while it is. An id never seen counts as deleted. Call with the lock held."""
        if tweet_id in self.gone_ids:
            return self.gone_ids[tweet_id]
        tweet = self.tweets.get(tweet_id)
        if tweet is None and self.unknown_ids_live:
            return None
        if tweet is None or tweet.deleted:
            return "deleted"
        author = self.users.get(tweet.author_id)
        if author is not None and author.suspended:
            return "suspended"
        if author is not None and author.protected and author.id != self.account.id:
            return "protected"
        return None

    # -- rate limits ------------------------------------------------------------------------

    def window(self, group: str, key: str) -> tuple[int, int, datetime]:
        """``(limit, remaining, reset time)`` of the window for ``group`` and caller ``key``,
        without using it."""
        with self.lock:
            limit, seconds = self.limits[group]
            now = self.now()
            w = self.windows.get((group, key))
            if w is None or now >= w.start + timedelta(seconds=seconds):
                w = Window(start=now)
                self.windows[(group, key)] = w
            return limit, max(0, limit - w.used), w.start + timedelta(seconds=seconds)

    def use(self, group: str, key: str) -> None:
        """Count one request against the window for ``group`` and ``key``."""
        with self.lock:
            self.window(group, key)
            self.windows[(group, key)].used += 1

    def record(self, rec: RequestRecord) -> None:
        with self.lock:
            self.requests.append(rec)
            if len(self.requests) > 100_000:
                del self.requests[:10_000]
