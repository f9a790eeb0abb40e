"""Importing what twarc2 collected: ``twarc2 search`` pages, or its flattened one-tweet lines.

twarc2 writes one API answer per line (``{"data": [...], "includes": {"users": [...]},
"meta": {...}, "__twarc": {...}}``; a stream writes ``"data": {...}``, one tweet), and
``twarc2 flatten`` writes one tweet per line with its ``author`` embedded. Both are read.
A broken line is skipped and its number reported; the rest is imported. Rows are written in
batches of :data:`BATCH` inside one transaction each, with statements prepared once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from campaign.clock import now, to_db
from campaign.mentions.store import Writer, WriteResult, refresh_ours
from campaign.store import immediate

BATCH = 5_000
MAX_BROKEN_LISTED = 100
# SQLite's page cache while importing, in KiB (the default is 2 MiB): each post writes to the
# mentions table, its indexes, the full-text index and the side tables, whose pages then stay
# in memory between batches instead of being read back.
IMPORT_CACHE_KIB = 65_536

# progress(bytes_read, posts_read)
Progress = Callable[[int, int], None]


@dataclass
class ImportResult(WriteResult):
    """What an import did: the sum of its writes (new, updated, skipped, authors) and what it
    read."""

    lines: int = 0
    posts: int = 0  # tweets read
    broken: int = 0  # lines that are not JSON or not twarc2 output
    broken_lines: list[int] = field(default_factory=list)  # the first MAX_BROKEN_LISTED

    def _broken(self, line_no: int) -> None:
        self.broken += 1
        if len(self.broken_lines) < MAX_BROKEN_LISTED:
            self.broken_lines.append(line_no)


_SKIP_KEYS = frozenset({"author", "__twarc", "matching_rules"})


def _split(doc: Any) -> tuple[list[Any], list[Any], dict[str, Any]] | None:
    """(tweets, users, included tweets by id) of one line, or None if it is not twarc2 output."""
    if not isinstance(doc, Mapping):
        return None
    if "data" in doc or "includes" in doc or "meta" in doc:
        data = doc.get("data")
        tweets = [data] if isinstance(data, Mapping) else list(data or [])
        includes = doc.get("includes")
        includes = includes if isinstance(includes, Mapping) else {}
        users = list(includes.get("users") or [])
        included = {
            str(t.get("id")): t for t in includes.get("tweets") or [] if isinstance(t, Mapping)
        }
        return tweets, users, included
    if "id" in doc and "text" in doc:  # flattened: one tweet, author embedded
        author = doc.get("author")
        tweet = {k: v for k, v in doc.items() if k not in _SKIP_KEYS}
        return [tweet], [author] if isinstance(author, Mapping) else [], {}
    return None


def import_lines(
    db: sqlite_utils.Database,
    lines: Iterable[bytes | str],
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> ImportResult:
    """Import twarc2 JSONL ``lines`` (bytes or text) into the collection."""
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        return _import(db, lines, progress, batch)
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")


def _import(
    db: sqlite_utils.Database,
    lines: Iterable[bytes | str],
    progress: Progress | None,
    batch: int,
) -> ImportResult:
    result = ImportResult()
    writer = Writer(db, source="twarc")
    tweets: list[Any] = []
    users: dict[Any, Any] = {}
    included: dict[str, Any] = {}
    read = 0

    def flush() -> None:
        if not tweets and not users:
            return
        with immediate(db):
            result.add(writer.write(tweets, users.values(), included, stamp=to_db(now())))
        tweets.clear()
        users.clear()
        included.clear()

    for line_no, line in enumerate(lines, start=1):
        result.lines = line_no
        read += len(line)
        if not line.strip():
            continue
        try:
            parts = _split(json.loads(line))
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
            parts = None
        if parts is None:
            result._broken(line_no)
            continue
        page_tweets, page_users, page_included = parts
        tweets.extend(page_tweets)
        result.posts += len(page_tweets)
        for u in page_users:
            if type(u) is dict or isinstance(u, Mapping):
                users[u.get("id")] = u
        included.update(page_included)
        if len(tweets) >= batch:
            flush()
            if progress:
                progress(read, result.posts)
    flush()
    with immediate(db):
        refresh_ours(db, writer.ours)
    if progress:
        progress(read, result.posts)
    return result
