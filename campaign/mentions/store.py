"""Storing collected posts: each tweet once, its author in ``authors``, its hashtags and links.

Used by the collector (one API page at a time) and the twarc2 importer (batches of thousands).
A tweet seen again refreshes its metrics, raw JSON and ``last_seen``; its review status and
note are never touched. The caller owns the transaction: :meth:`Writer.write` runs inside it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import orjson
import sqlite_utils

from campaign.clock import EARLIEST, LATEST, now, plausible, to_db
from campaign.mentions.schema import SOURCES
from campaign.store import get_state

# The campaign account's X user id, recorded by whoever learns it (``XClient.me()``).
ACCOUNT_ID_KEY = "x_account_id"

TWITTER_EPOCH_MS = 1288834974657
_HASHTAG_RE = re.compile(r"(?<![\w&])#(\w+)")
_LINK_RE = re.compile(r"https?://", re.IGNORECASE)
_X_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
# The raw JSON kept with each post and author: real Unicode, no spaces. orjson writes the same
# text several times faster; json (one encoder for all: json.dumps with these options builds a
# new one at every call) writes what orjson refuses: an integer beyond 64 bits, a dict that is
# not a dict, and so on.
_json_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _compact_json(doc: Any) -> str:
    """``doc`` as compact JSON text with real Unicode (as ``json.dumps(doc, ensure_ascii=False,
    separators=(",", ":"))``; NaN and infinities, which JSON has not, are written as null)."""
    try:
        return orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        return _json_compact(doc)


_X_HOSTS = frozenset({"twitter.com", "x.com", "mobile.twitter.com", "mobile.x.com"})

_COLUMNS = (
    "id",
    "text",
    "author_id",
    "created_at",
    "lang",
    "conversation_id",
    "in_reply_to_user_id",
    "reply_to_id",
    "quote_of_id",
    "retweet_of_id",
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "impression_count",
    "has_link",
    "is_ours",
    "replies_to_ours",
    "quotes_ours",
    "raw",
    "first_seen",
    "last_seen",
    "source",
)
_REFRESHED = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "impression_count",
    "raw",
    "last_seen",
)
UPSERT_MENTION = (
    f"INSERT INTO mentions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _REFRESHED)
    + ", is_ours = max(is_ours, excluded.is_ours)"
    ", replies_to_ours = max(replies_to_ours, excluded.replies_to_ours)"
    ", quotes_ours = max(quotes_ours, excluded.quotes_ours)"
)
UPSERT_AUTHOR = (
    "INSERT INTO authors (id, username, name, followers_count, raw, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET username = excluded.username, "
    "name = excluded.name, followers_count = excluded.followers_count, raw = excluded.raw, "
    "updated_at = excluded.updated_at"
)
INSERT_HASHTAG = "INSERT OR IGNORE INTO mention_hashtags (tag, mention_id) VALUES (?, ?)"
INSERT_LINK = "INSERT OR IGNORE INTO mention_links (url, mention_id, domain) VALUES (?, ?, ?)"


@dataclass(frozen=True)
class Ours:
    """What counts as the campaign's own: its published tweet ids and its account id(s)."""

    tweet_ids: frozenset[int] = frozenset()
    account_ids: frozenset[int] = frozenset()


def load_ours(db: sqlite_utils.Database) -> Ours:
    """The campaign's own tweet ids (``posts.tweet_id``) and account id (state ``x_account_id``)."""
    from posts.queue import tweet_ids as recorded

    tweet_ids = frozenset(int(t) for t in recorded(db) if str(t).isdigit())
    account = get_state(db, ACCOUNT_ID_KEY)
    accounts = frozenset({int(account)}) if account and account.isdigit() else frozenset()
    return Ours(tweet_ids, accounts)


@dataclass
class WriteResult:
    """What one write did."""

    new: int = 0
    updated: int = 0
    skipped: int = 0  # tweets without a usable id or text
    authors: int = 0

    def add(self, other: WriteResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.skipped += other.skipped
        self.authors += other.authors


def _int(value: Any) -> int | None:
    """An id as X writes it (a number or a string of digits) that SQLite can hold, else None."""
    if value is None:  # most optional ids (in_reply_to_user_id, …) are absent
        return None
    kind = type(value)  # exact types first: this runs several times for every imported post
    if kind is str:
        if not (value.isascii() and value.isdigit() and len(value) <= 19):
            return None
        value = int(value)
    elif kind is not int:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
            value = int(value)
        elif not isinstance(value, int) or isinstance(value, bool):
            return None
    number = int(value)
    return number if 0 <= number < 2**63 else None


def _is_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``value`` is a JSON object (a dict, checked first: the ABC check is slow)."""
    return type(value) is dict or isinstance(value, Mapping)


def created_at_db(value: Any, tweet_id: int) -> str:
    """X's ``created_at`` (``2021-04-08T15:07:30.000Z``) as stored; from the snowflake (the id
    holds the time it was made) if absent, unreadable or impossible (before 2000 or after 2999,
    so every stored date can be shown and counted)."""
    if type(value) is str and _X_TIME.fullmatch(value):  # as X writes it: checked, kept
        try:
            year = datetime.fromisoformat(value).year
        except ValueError:
            year = 0
        if EARLIEST.year < year < LATEST.year:
            return value[:23] + "+00:00"
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)
            if plausible(dt):
                return to_db(dt)
        except (ValueError, OverflowError):
            pass
    ms = (tweet_id >> 22) + TWITTER_EPOCH_MS
    return to_db(min(max(datetime.fromtimestamp(ms / 1000, UTC), EARLIEST), LATEST))


def hashtags_of(tweet: Mapping[str, Any]) -> set[str]:
    """Lower-cased hashtags (without '#') from the entities, or from the text if none were sent."""
    entities = tweet.get("entities")
    if _is_map(entities) and "hashtags" in entities:
        tags = entities.get("hashtags") or []
        return {str(h["tag"]).lower() for h in tags if _is_map(h) and h.get("tag")}
    return {m.lower() for m in _HASHTAG_RE.findall(str(tweet.get("text") or ""))}


def links_of(tweet: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(expanded url, domain)`` of each link a post shares (X's media and quoted posts left out)."""
    entities = tweet.get("entities")
    urls = entities.get("urls") if _is_map(entities) else None
    out: list[tuple[str, str]] = []
    for u in urls or []:
        if not _is_map(u) or u.get("media_key"):
            continue
        display = str(u.get("display_url") or "")
        if display.startswith(("pic.twitter.com", "pic.x.com")):
            continue
        url = str(u.get("unwound_url") or u.get("expanded_url") or u.get("url") or "")
        if not url:
            continue
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            continue
        if host.startswith("www."):
            host = host[4:]
        if host in _X_HOSTS and "/status/" in url:
            continue  # a quoted post, counted as a quote, not a shared link
        if host:
            out.append((url, host))
    return out


class Writer:
    """Turns v2 tweets and users into rows and writes them with prepared ``executemany``."""

    def __init__(self, db: sqlite_utils.Database, *, source: str, ours: Ours | None = None):
        if source not in SOURCES:  # the mentions table's CHECK, which write() does not run
            raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.source = source
        self.ours = ours if ours is not None else load_ours(db)
        # The users already written by this writer, as sent: twarc2 repeats each author on
        # every page they post on, and an unchanged one need not be encoded and written again.
        self._authors_written: dict[int, Mapping[str, Any]] = {}

    def tweet_row(
        self,
        tweet: Mapping[str, Any],
        stamp: str,
        included: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> tuple[Any, ...] | None:
        """The ``mentions`` row of one tweet, or None when it has no usable id or text."""
        tid = _int(tweet.get("id"))
        text = tweet.get("text")
        if tid is None or not isinstance(text, str):
            return None
        author = _int(tweet.get("author_id"))
        reply_to = quote_of = retweet_of = None
        for ref in tweet.get("referenced_tweets") or ():
            if not _is_map(ref):
                continue
            kind = ref.get("type")
            if kind == "replied_to":
                reply_to = _int(ref.get("id"))
            elif kind == "quoted":
                quote_of = _int(ref.get("id"))
            elif kind == "retweeted":
                retweet_of = _int(ref.get("id"))
        pm = tweet.get("public_metrics")
        pm = pm if _is_map(pm) else {}
        entities = tweet.get("entities")
        urls = entities.get("urls") if _is_map(entities) else None
        has_link = bool(urls) or bool(_LINK_RE.search(text))
        ours = self.ours
        reply_user = _int(tweet.get("in_reply_to_user_id"))
        is_ours = tid in ours.tweet_ids or (author is not None and author in ours.account_ids)
        replies_ours = (reply_to is not None and reply_to in ours.tweet_ids) or (
            reply_to is not None and reply_user is not None and reply_user in ours.account_ids
        )
        quotes_ours = quote_of is not None and quote_of in ours.tweet_ids
        if quote_of is not None and not quotes_ours and included and ours.account_ids:
            quoted = included.get(str(quote_of))
            quoted_author = _int(quoted.get("author_id")) if isinstance(quoted, Mapping) else None
            quotes_ours = quoted_author is not None and quoted_author in ours.account_ids
        return (
            tid,
            text,
            author,
            created_at_db(tweet.get("created_at"), tid),
            tweet.get("lang"),
            _int(tweet.get("conversation_id")),
            reply_user,
            reply_to,
            quote_of,
            retweet_of,
            pm.get("retweet_count") or 0,
            pm.get("reply_count") or 0,
            pm.get("like_count") or 0,
            pm.get("quote_count") or 0,
            pm.get("impression_count"),
            int(has_link),
            int(is_ours),
            int(replies_ours),
            int(quotes_ours),
            _compact_json(tweet),
            stamp,
            stamp,
            self.source,
        )

    @staticmethod
    def author_row(user: Mapping[str, Any], stamp: str) -> tuple[Any, ...] | None:
        """The ``authors`` row of one v2 user object."""
        uid = _int(user.get("id"))
        if uid is None:
            return None
        pm = user.get("public_metrics")
        followers = pm.get("followers_count") if isinstance(pm, Mapping) else None
        return (
            uid,
            user.get("username"),
            user.get("name"),
            followers,
            _compact_json(user),
            stamp,
        )

    def write(
        self,
        tweets: Sequence[Mapping[str, Any]],
        users: Iterable[Mapping[str, Any]] = (),
        included: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        stamp: str | None = None,
    ) -> WriteResult:
        """Store ``tweets`` (each once) and ``users``; run inside the caller's transaction."""
        stamp = stamp or to_db(now())
        result = WriteResult()
        rows: list[tuple[Any, ...]] = []
        tags: list[tuple[str, int]] = []
        links: list[tuple[str, int, str]] = []
        for tweet in tweets:
            row = self.tweet_row(tweet, stamp, included) if _is_map(tweet) else None
            if row is None:
                result.skipped += 1
                continue
            rows.append(row)
            tid = row[0]
            tags.extend((t, tid) for t in hashtags_of(tweet))
            links.extend((u, tid, d) for u, d in links_of(tweet))
        author_rows = []
        written = self._authors_written
        for user in users:
            uid = _int(user.get("id")) if _is_map(user) else None
            if uid is None or written.get(uid) == user:
                continue
            row = self.author_row(user, stamp)
            if row is not None:
                author_rows.append(row)
                written[uid] = user
        conn = self.conn
        if rows:
            # Posts removed for compliance (deleted on X, …) are never stored again.
            gone = {
                r[0]
                for r in conn.execute(
                    "SELECT tweet_id FROM mention_removals "
                    "WHERE tweet_id IN (SELECT value FROM json_each(?))",
                    [json.dumps([r[0] for r in rows])],
                )
            }
            if gone:
                result.skipped += len([r for r in rows if r[0] in gone])
                rows = [r for r in rows if r[0] not in gone]
                tags = [t for t in tags if t[1] not in gone]
                links = [x for x in links if x[1] not in gone]
        if rows:
            seen = {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM mentions WHERE id IN (SELECT value FROM json_each(?))",
                    [json.dumps([r[0] for r in rows])],
                )
            }
            seen_before = set(seen)
            for r in rows:
                if r[0] in seen:
                    result.updated += 1
                else:
                    result.new += 1
                    seen.add(r[0])
            # The CHECKs of mentions guard review_status (left at its default, 'new'), removed
            # (left NULL) and source (checked in __init__): none can fail for these rows, and
            # skipping them takes about a tenth off the insert. Back on for every other statement.
            conn.execute("PRAGMA ignore_check_constraints = ON")
            try:
                conn.executemany(UPSERT_MENTION, rows)
            finally:
                conn.execute("PRAGMA ignore_check_constraints = OFF")
            fresh = [r[0] for r in rows if r[0] not in seen_before]
        if author_rows:
            conn.executemany(UPSERT_AUTHOR, author_rows)
            result.authors = len(author_rows)
        if tags:
            conn.executemany(INSERT_HASHTAG, tags)
        if links:
            conn.executemany(INSERT_LINK, links)
        if rows:
            # Saved rules act on each new post as it arrives (campaign.mentions.rules).
            from campaign.mentions.rules import apply_to_new

            apply_to_new(conn, fresh)
        return result


def refresh_ours(db: sqlite_utils.Database, ours: Ours | None = None) -> int:
    """Mark posts as ours / replies to ours / quotes of ours after our own posts went out.

    Returns how many rows changed. Cheap: each update reads an index, never the whole table.
    """
    ours = ours if ours is not None else load_ours(db)
    ids = json.dumps(sorted(ours.tweet_ids))
    accounts = json.dumps(sorted(ours.account_ids))
    conn = db.conn
    changed = 0
    statements = (
        (
            "UPDATE mentions SET is_ours = 1 WHERE is_ours = 0 AND id IN (SELECT value FROM json_each(?))",
            ids,
        ),
        (
            "UPDATE mentions SET is_ours = 1 WHERE is_ours = 0 AND author_id IN (SELECT value FROM json_each(?))",
            accounts,
        ),
        (
            "UPDATE mentions SET replies_to_ours = 1 WHERE replies_to_ours = 0 AND reply_to_id IS NOT NULL "
            "AND (reply_to_id IN (SELECT value FROM json_each(?)) "
            "OR reply_to_id IN (SELECT id FROM mentions WHERE is_ours = 1))",
            ids,
        ),
        (
            "UPDATE mentions SET quotes_ours = 1 WHERE quotes_ours = 0 AND quote_of_id IS NOT NULL "
            "AND (quote_of_id IN (SELECT value FROM json_each(?)) "
            "OR quote_of_id IN (SELECT id FROM mentions WHERE is_ours = 1))",
            ids,
        ),
    )
    for sql, param in statements:
        changed += conn.execute(sql, [param]).rowcount
    return changed


def link_campaigns(
    db: sqlite_utils.Database,
    mention_ids: Iterable[int],
    campaigns: Iterable[tuple[int, str | None]],
) -> None:
    """Link the stored posts ``mention_ids`` to each campaign they belong to: ``(campaign id,
    tag)`` takes those carrying the tag (lower case, without '#'), ``(campaign id, None)`` all
    of them (a campaign collected with its own query). A post is stored once and may belong to
    several campaigns; linking again changes nothing."""
    ids = json.dumps([int(i) for i in mention_ids])
    for campaign_id, tag in campaigns:
        if tag is None:
            db.execute(
                "INSERT OR IGNORE INTO mention_campaigns (campaign_id, mention_id) "
                "SELECT ?, m.id FROM mentions m WHERE m.id IN (SELECT value FROM json_each(?))",
                [campaign_id, ids],
            )
        else:
            db.execute(
                "INSERT OR IGNORE INTO mention_campaigns (campaign_id, mention_id) "
                "SELECT ?, mention_id FROM mention_hashtags WHERE tag = ? "
                "AND mention_id IN (SELECT value FROM json_each(?))",
                [campaign_id, tag, ids],
            )


def newest_linked(db: sqlite_utils.Database, campaign_id: int) -> int | None:
    """The newest post collected by search for ``campaign_id``, if any."""
    row = db.execute(
        "SELECT max(m.id) FROM mention_campaigns mc JOIN mentions m ON m.id = mc.mention_id "
        "WHERE mc.campaign_id = ? AND m.source = 'search'",
        [campaign_id],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def campaign_counts(db: sqlite_utils.Database) -> dict[int, int]:
    """How many collected posts each campaign holds."""
    return {
        int(cid): int(n)
        for cid, n in db.execute(
            "SELECT campaign_id, count(*) FROM mention_campaigns GROUP BY campaign_id"
        )
    }


def first_campaign_of(db: sqlite_utils.Database, mention_id: int) -> int | None:
    """The first campaign the collected post ``mention_id`` belongs to (a reply to it goes
    out for that campaign), or None."""
    found = campaigns_of(db, [mention_id]).get(mention_id)
    return found[0] if found else None


def campaigns_of(db: sqlite_utils.Database, mention_ids: Iterable[int]) -> dict[int, list[int]]:
    """The campaign ids each of ``mention_ids`` belongs to (in campaign order)."""
    out: dict[int, list[int]] = {}
    for mid, cid in db.execute(
        "SELECT mention_id, campaign_id FROM mention_campaigns "
        "WHERE mention_id IN (SELECT value FROM json_each(?)) ORDER BY campaign_id",
        [json.dumps([int(i) for i in mention_ids])],
    ):
        out.setdefault(int(mid), []).append(int(cid))
    return out
