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
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from campaign.clock import now, to_db
from campaign.store import get_state

# The campaign account's X user id, recorded by whoever learns it (``XClient.me()``).
ACCOUNT_ID_KEY = "x_account_id"

TWITTER_EPOCH_MS = 1288834974657
_HASHTAG_RE = re.compile(r"(?<![\w&])#(\w+)")
_LINK_RE = re.compile(r"https?://", re.IGNORECASE)
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
    tweet_ids = frozenset(
        int(r[0])
        for r in db.execute("SELECT tweet_id FROM posts WHERE tweet_id IS NOT NULL").fetchall()
        if str(r[0]).isdigit()
    )
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
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def created_at_db(value: Any, tweet_id: int) -> str:
    """X's ``created_at`` (``2021-04-08T15:07:30.000Z``) as stored; from the snowflake if absent."""
    if isinstance(value, str):
        if len(value) == 24 and value.endswith("Z") and value[10] == "T":
            return value[:23] + "+00:00"  # the common case, without parsing
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)
            return to_db(dt)
        except ValueError:
            pass
    ms = (tweet_id >> 22) + TWITTER_EPOCH_MS
    return to_db(datetime.fromtimestamp(ms / 1000, UTC))


def hashtags_of(tweet: Mapping[str, Any]) -> set[str]:
    """Lower-cased hashtags (without '#') from the entities, or from the text if none were sent."""
    entities = tweet.get("entities")
    if isinstance(entities, Mapping) and "hashtags" in entities:
        tags = entities.get("hashtags") or []
        return {str(h["tag"]).lower() for h in tags if isinstance(h, Mapping) and h.get("tag")}
    return {m.lower() for m in _HASHTAG_RE.findall(str(tweet.get("text") or ""))}


def links_of(tweet: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(expanded url, domain)`` of each link a post shares (X's media and quoted posts left out)."""
    entities = tweet.get("entities")
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    out: list[tuple[str, str]] = []
    for u in urls or []:
        if not isinstance(u, Mapping) or u.get("media_key"):
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
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.source = source
        self.ours = ours if ours is not None else load_ours(db)

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
            if not isinstance(ref, Mapping):
                continue
            kind = ref.get("type")
            if kind == "replied_to":
                reply_to = _int(ref.get("id"))
            elif kind == "quoted":
                quote_of = _int(ref.get("id"))
            elif kind == "retweeted":
                retweet_of = _int(ref.get("id"))
        pm = tweet.get("public_metrics")
        pm = pm if isinstance(pm, Mapping) else {}
        entities = tweet.get("entities")
        urls = entities.get("urls") if isinstance(entities, Mapping) else None
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
            json.dumps(tweet, ensure_ascii=False, separators=(",", ":")),
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
            json.dumps(user, ensure_ascii=False, separators=(",", ":")),
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
            row = self.tweet_row(tweet, stamp, included) if isinstance(tweet, Mapping) else None
            if row is None:
                result.skipped += 1
                continue
            rows.append(row)
            tid = row[0]
            tags.extend((t, tid) for t in hashtags_of(tweet))
            links.extend((u, tid, d) for u, d in links_of(tweet))
        author_rows = [r for r in (self.author_row(u, stamp) for u in users) if r is not None]
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
            conn.executemany(UPSERT_MENTION, rows)
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
