"""Searching the collected conversation: full-text words plus filters, newest first.

Shared by ``campaign mentions`` and the web inbox. Text a person types never reaches FTS5
syntax: it is split on spaces and every word is quoted as a phrase, so ``c++``, ``covid-19``,
quotes, ``NEAR(``, ``AND``/``OR``/``NOT``, ``*`` and ``^`` are just words, and ``#tag`` /
``@user`` match whole tokens (the index keeps ``#`` and ``@`` inside tokens).

A search is bounded before it runs and while it runs: at most :data:`MAX_TOKENS` tokens as the
index splits them (``a-b-c`` is one word but three tokens, one phrase of three), at most
:data:`MAX_QUERY_CHARS` characters, and :data:`SEARCH_SECONDS` of SQLite's time, after which
it is interrupted and the person is asked for fewer words.

Newest first is rowid order (tweet ids grow with time), which both the table and the FTS5
index can walk backwards and stop after one page.
"""

from __future__ import annotations

import sqlite3
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import from_db, to_db
from campaign.errors import SearchError

MAX_TERMS = 32
MAX_TOKENS = 64
MAX_QUERY_CHARS = 1000
SEARCH_SECONDS = 3.0
MAX_LIMIT = 10_000

SELECT_COLUMNS = (
    "m.id, m.text, m.author_id, m.created_at, m.lang, m.review_status, m.note, m.is_ours, "
    "m.has_link, m.replies_to_ours, m.quotes_ours, m.retweet_count, m.reply_count, "
    "m.like_count, m.quote_count, m.impression_count, a.username, a.name, m.removed"
)


@dataclass(frozen=True)
class MentionFilter:
    """What to look for. Every field is optional; all given ones must hold."""

    text: str | None = None
    status: str | None = None
    author: str | None = None  # username with or without @, or the numeric user id
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    has_link: bool | None = None
    replies_to_ours: bool | None = None
    codes: tuple[tuple[str, str], ...] = ()  # (field, value): each must be coded on the post
    badge: str | None = None  # a watch-list badge the post carries
    ours: bool | None = None  # only the campaign's own posts (True), or hide them (False)
    campaign_id: int | None = None  # only the posts that belong to this campaign
    limit: int = 50
    offset: int = 0


def _is_token_char(ch: str) -> bool:
    # What unicode61 keeps inside a token: letters, numbers, private use, and our '#@'.
    return ch in "#@" or unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co"


def token_count(word: str) -> int:
    """How many tokens the index makes of ``word``: its runs of token characters (an upper
    bound: the index's Unicode 6.1 tables join a few newer symbols that Python separates)."""
    runs, inside = 0, False
    for ch in word:
        token = _is_token_char(ch)
        runs += token and not inside
        inside = token
    return runs


def fts_query(text: str) -> str | None:
    """The FTS5 query for typed ``text``: every word quoted as a phrase, all required.

    Returns None when nothing searchable was typed (only spaces). Raises :class:`SearchError`
    for a search with only punctuation or with too many words.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise SearchError("the search contains characters that are not valid text") from e
    words = text.split()
    if not words:
        return None
    terms = [w for w in words if any(_is_token_char(c) for c in w)]
    if not terms:
        raise SearchError(
            f"nothing to search for in {text[:40]!r}: type at least one word, #hashtag or @handle"
        )
    if len(terms) > MAX_TERMS:
        raise SearchError(
            f"the search has {len(terms)} words; use at most {MAX_TERMS} (the most telling ones)"
        )
    tokens = sum(token_count(t) for t in terms)
    if tokens > MAX_TOKENS:
        raise SearchError(
            f"the search has {tokens} words or parts of words (a hyphen, dot or other mark "
            f"splits a word in parts); use at most {MAX_TOKENS}"
        )
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(
            f"the search is {len(text)} characters long; use at most {MAX_QUERY_CHARS} "
            "(a few telling words)"
        )
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _where(f: MentionFilter) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``m`` (the mentions table) and their parameters."""
    where: list[str] = []
    params: list[Any] = []
    if f.status:
        from campaign.mentions.review import check_status

        where.append("m.review_status = ?")
        params.append(check_status(f.status))
    if f.author:
        who = f.author.strip().lstrip("@")
        if who.isdigit():
            where.append(
                "(m.author_id = ? OR m.author_id IN "
                "(SELECT id FROM authors WHERE username = ? COLLATE NOCASE))"
            )
            params += [int(who) if int(who) < 2**63 else -1, who]
        else:
            where.append(
                "m.author_id IN (SELECT id FROM authors WHERE username = ? COLLATE NOCASE)"
            )
            params.append(who)
    if f.lang:
        where.append("m.lang = ?")
        params.append(f.lang.strip().lower())
    if f.since is not None:
        where.append("m.created_at >= ?")
        params.append(_time(f.since))
    if f.until is not None:
        where.append("m.created_at < ?")
        params.append(_time(f.until))
    if f.has_link is not None:
        where.append("m.has_link = 1" if f.has_link else "m.has_link = 0")
    if f.replies_to_ours is not None:
        where.append("m.replies_to_ours = 1" if f.replies_to_ours else "m.replies_to_ours = 0")
    for field, value in f.codes:  # issue 16: codes (campaign.mentions.coding)
        where.append("m.id IN (SELECT mention_id FROM mention_codes WHERE field = ? AND value = ?)")
        params += [field.strip().lower(), value.strip()]
    if f.badge:  # issue 16: a watch list's or a rule's badge (campaign.mentions.rules)
        where.append(
            "(m.id IN (SELECT mention_id FROM mention_badges WHERE badge = ?) OR m.author_id IN "
            "(SELECT a.id FROM watchlist_accounts w JOIN authors a "
            "ON a.username = w.username COLLATE NOCASE WHERE w.list = ?))"
        )
        params += [f.badge.strip().lower().lstrip("@")] * 2
    if f.ours is not None:
        where.append("m.is_ours = 1" if f.ours else "m.is_ours = 0")
    if f.campaign_id is not None:
        where.append("m.id IN (SELECT mention_id FROM mention_campaigns WHERE campaign_id = ?)")
        params.append(f.campaign_id)
    return where, params


def _time(dt: datetime) -> str:
    try:
        return to_db(dt)
    except ValueError as e:
        raise SearchError("a time in the search has no time zone: add one") from e


def _page(f: MentionFilter) -> tuple[int, int]:
    if f.limit < 1 or f.offset < 0:
        raise SearchError("the page size must be at least 1 and the offset not negative")
    return min(f.limit, MAX_LIMIT), f.offset


@dataclass(frozen=True)
class Match:
    """The posts a filter matches, as SQL: the FROM clause, conditions on ``m`` and their
    parameters. ``key`` is the rowid walked for newest first (the FTS index's when it drives)."""

    source: str
    where: tuple[str, ...]
    params: tuple[Any, ...]

    @property
    def fts(self) -> bool:
        return self.source.startswith("mentions_fts")

    @property
    def key(self) -> str:
        return "mentions_fts.rowid" if self.fts else "m.id"

    def sql(
        self, columns: str, *, authors: bool = False, more: tuple[str, ...] = (), tail: str = ""
    ) -> str:
        """``SELECT columns`` of the matching posts (their author joined as ``a`` with
        ``authors``), ``more`` conditions added, ``tail`` (ORDER BY, LIMIT) after."""
        cond = [*self.where, *more]
        return (
            f"SELECT {columns} FROM {self.source}"
            + (" LEFT JOIN authors a ON a.id = m.author_id" if authors else "")
            + (f" WHERE {' AND '.join(cond)}" if cond else "")
            + (f" {tail}" if tail else "")
        )


def matching(f: MentionFilter) -> Match:
    """The SQL of what ``f`` matches (driven by the FTS index when there is text)."""
    text = fts_query(f.text) if f.text else None
    where, params = _where(f)
    if text is None:
        return Match("mentions m", tuple(where), tuple(params))
    # The full-text index drives: it yields rowids newest first and the join looks each up.
    return Match(
        "mentions_fts JOIN mentions m ON m.id = mentions_fts.rowid",
        ("mentions_fts MATCH ?", *where),
        (text, *params),
    )


def _run(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[Any]:
    """The rows of one search, interrupted after :data:`SEARCH_SECONDS`."""
    deadline = time.perf_counter() + SEARCH_SECONDS
    db.conn.set_progress_handler(lambda: time.perf_counter() > deadline, 10_000)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as e:  # never expected: typed text is always quoted
        if time.perf_counter() > deadline:
            raise SearchError(
                f"the search took more than {SEARCH_SECONDS:g} seconds and was stopped; "
                "search for fewer or more telling words, or narrow it with a filter"
            ) from e
        raise SearchError(f"the search could not be run ({e}); try fewer or simpler words") from e
    finally:
        db.conn.set_progress_handler(None, 0)


def search(db: sqlite_utils.Database, f: MentionFilter) -> list[dict[str, Any]]:
    """One page of posts matching ``f``, newest first, as plain dicts (ids as strings)."""
    m = matching(f)
    limit, offset = _page(f)
    sql = m.sql(SELECT_COLUMNS, authors=True, tail=f"ORDER BY {m.key} DESC LIMIT ? OFFSET ?")
    return [row_to_dict(r) for r in _run(db, sql, [*m.params, limit, offset])]


def count(db: sqlite_utils.Database, f: MentionFilter) -> int:
    """How many posts match ``f`` (all pages)."""
    m = matching(f)
    if m.fts and len(m.where) == 1:
        m = replace(m, source="mentions_fts")  # words only: the index alone knows how many match
    return int(_run(db, m.sql("count(*)"), list(m.params))[0][0])


def ids(db: sqlite_utils.Database, f: MentionFilter) -> list[int]:
    """Every id matching ``f`` (all pages, newest first): for marking what a search found."""
    m = matching(f)
    return [
        int(r[0]) for r in _run(db, m.sql("m.id", tail=f"ORDER BY {m.key} DESC"), list(m.params))
    ]


def url_for(username: str | None, tweet_id: int | str) -> str:
    """The post's address on X (``i`` stands in for an unknown author, as X itself accepts)."""
    return f"https://x.com/{username or 'i'}/status/{tweet_id}"


def row_to_dict(r: tuple[Any, ...] | sqlite3.Row) -> dict[str, Any]:
    """A result row (in :data:`SELECT_COLUMNS` order) as the shape the CLI and web print."""
    (
        tid,
        text,
        author_id,
        created_at,
        lang,
        review_status,
        note,
        is_ours,
        has_link,
        replies_to_ours,
        quotes_ours,
        retweets,
        replies,
        likes,
        quotes,
        impressions,
        username,
        name,
        removed,
    ) = tuple(r)
    return {
        "id": str(tid),
        "text": text,
        "author_id": str(author_id) if author_id is not None else None,
        "author_username": username,
        "author_name": name,
        "created_at": from_db(created_at).isoformat(),
        "lang": lang,
        "review_status": review_status,
        "note": note,
        "is_ours": bool(is_ours),
        "has_link": bool(has_link),
        "replies_to_ours": bool(replies_to_ours),
        "quotes_ours": bool(quotes_ours),
        "url": url_for(username, tid),
        # Why X no longer shows it (deleted, suspended, …): its content is gone from the store.
        "removed": removed,
        "metrics": {
            "retweet_count": retweets,
            "reply_count": replies,
            "like_count": likes,
            "quote_count": quotes,
            "impression_count": impressions,
        },
    }


def get(db: sqlite_utils.Database, tweet_id: int) -> dict[str, Any] | None:
    """One stored post by id, or None."""
    one = Match("mentions m", ("m.id = ?",), (tweet_id,))
    rows = db.execute(one.sql(SELECT_COLUMNS, authors=True), list(one.params)).fetchall()
    return row_to_dict(rows[0]) if rows else None
