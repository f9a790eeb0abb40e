"""Importing what twarc2 collected: ``twarc2 search`` pages, or its flattened one-tweet lines.

twarc2 writes one API answer per line (``{"data": [...], "includes": {"users": [...]},
"meta": {...}, "__twarc": {...}}``; a stream writes ``"data": {...}``, one tweet), and
``twarc2 flatten`` writes one tweet per line with its ``author`` embedded. Both are read.
A broken line is skipped and its number reported; the rest is imported. Rows are written in
batches of :data:`BATCH` inside one transaction each, with statements prepared once; a batch
that cannot be stored is written again line by line, so only its bad lines are lost (and
reported), never the good lines beside them.

Reading is bounded in memory: a line longer than :data:`MAX_LINE` bytes is skipped (read in
chunks, never held whole), and input with no line break for :data:`MAX_SKIP` bytes (such as
``/dev/zero``) stops the import with the lines before it kept.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
import sqlite_utils

from campaign.clock import now, to_db
from campaign.mentions.store import Writer, WriteResult, _int, refresh_ours
from campaign.store import immediate

BATCH = 5_000
BATCH_BYTES = 32 * 1024 * 1024  # also write a batch once this much was read since the last
MAX_BROKEN_LISTED = 100
MAX_LINE = 8 * 1024 * 1024  # a twarc2 page of 100 posts with its includes is under 1 MiB
MAX_SKIP = 256 * 1024 * 1024
CHUNK = 1024 * 1024

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
    stopped_at: int | None = None  # the line with no end (MAX_SKIP bytes) where reading stopped

    def _broken(self, line_no: int) -> None:
        self.broken += 1
        if len(self.broken_lines) < MAX_BROKEN_LISTED:
            self.broken_lines.append(line_no)


_SKIP_KEYS = frozenset({"author", "__twarc", "matching_rules"})

# What a broken or unstorable line can raise on the way in: not JSON (ValueError, which covers
# UnicodeDecodeError), nested too deep (RecursionError), values SQLite cannot hold (an id or a
# count of 2**63 or more: OverflowError; a list where a number goes: sqlite3.Error), lone
# surrogates (UnicodeEncodeError is a ValueError), wrong shapes (TypeError, AttributeError).
_BAD_LINE = (
    ValueError,
    RecursionError,
    OverflowError,
    TypeError,
    AttributeError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
)


def _split(doc: Any) -> tuple[list[Any], list[Any], dict[str, Any]] | None:
    """(tweets, users, included tweets by id) of one line, or None if it is not twarc2 output."""
    if not isinstance(doc, Mapping):
        return None
    if "data" in doc or "includes" in doc or "meta" in doc:
        data = doc.get("data")
        if isinstance(data, Mapping):
            tweets = [data]
        elif isinstance(data, list):
            tweets = data
        elif data is None:
            tweets = []
        else:
            return None
        includes = doc.get("includes")
        includes = includes if isinstance(includes, Mapping) else {}
        listed_users = includes.get("users")
        users = list(listed_users) if isinstance(listed_users, list) else []
        listed_tweets = includes.get("tweets")
        included = {
            str(t.get("id")): t
            for t in (listed_tweets if isinstance(listed_tweets, list) else [])
            if isinstance(t, Mapping)
        }
        return tweets, users, included
    if "id" in doc and "text" in doc:  # flattened: one tweet, author embedded
        if _int(doc.get("id")) is None or not isinstance(doc.get("text"), str):
            return None  # the line is one post, and not one that can be stored
        author = doc.get("author")
        tweet = {k: v for k, v in doc.items() if k not in _SKIP_KEYS}
        return [tweet], [author] if isinstance(author, Mapping) else [], {}
    return None


def _without_lone_surrogates(doc: Any) -> Any:
    """``doc`` with each lone surrogate (half of an emoji's escape, cut in two) made U+FFFD,
    so its text can be stored; a pair that makes a character is kept."""
    text = json.dumps(doc, ensure_ascii=False)
    try:
        text.encode("utf-8")
        return doc
    except UnicodeEncodeError:
        return json.loads(_SURROGATE.sub("\ufffd", text))


_SURROGATE = re.compile("[\ud800-\udfff]")  # only lone ones are left once JSON is decoded


class _Endless(Exception):
    """The input went on for MAX_SKIP bytes without a line break."""


def read_lines(fh: BinaryIO, max_line: int = MAX_LINE) -> Iterator[bytes | None]:
    """The lines of ``fh``, each at most ``max_line`` bytes held at once; a longer line is
    read past in chunks and yielded as None."""
    while True:
        line = fh.readline(max_line + 1)
        if not line:
            return
        if len(line) <= max_line or line.endswith(b"\n"):
            yield line
            continue
        skipped = len(line)
        while True:
            chunk = fh.readline(CHUNK)
            skipped += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
            if skipped > MAX_SKIP:
                raise _Endless
        yield None


@dataclass
class _Line:
    """One line read and split, waiting to be written with its batch."""

    number: int
    tweets: list[Any]
    users: list[Any]
    included: dict[str, Any]


# A number orjson would read as a float where json reads an int (beyond 64 bits): such a line
# is read by json, so that it is kept or refused exactly as before.
# Found by mapping every digit to 0 (bytes.translate: many times faster than a regex here).
_DIGITS = bytes(48 if 48 <= b <= 57 else b for b in range(256))
_BIG_NUMBER_TEXT = re.compile(r"[0-9]{20}|-[0-9]{19}")


def _big_number(line: bytes | str) -> bool:
    """Whether ``line`` holds 20 digits in a row, or a minus and 19 (maybe inside a string)."""
    if isinstance(line, str):
        return _BIG_NUMBER_TEXT.search(line) is not None
    digits = line.translate(_DIGITS)
    return b"0" * 20 in digits or b"-" + b"0" * 19 in digits


def _loads(line: bytes | str) -> Any:
    """One line's JSON: orjson (about twice as fast), else json for what orjson refuses or reads
    otherwise (lone surrogates, NaN, numbers beyond 64 bits, a byte-order mark, UTF-16, depth
    over 1,024), with lone surrogates made U+FFFD."""
    if not _big_number(line):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass  # json decides: it reads more, or says what is wrong
    doc = json.loads(line)
    if ("\\ud" in line.lower()) if isinstance(line, str) else (b"\\ud" in line.lower()):
        doc = _without_lone_surrogates(doc)
    return doc


def _parse(line: bytes | str | None) -> _Line | None:
    if line is None:
        return None
    try:
        parts = _split(_loads(line))
    except (ValueError, RecursionError):
        return None
    if parts is None:
        return None
    tweets, users, included = parts
    return _Line(0, tweets, [u for u in users if isinstance(u, Mapping)], included)


def import_lines(
    db: sqlite_utils.Database,
    lines: Iterable[bytes | str] | BinaryIO,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> ImportResult:
    """Import twarc2 JSONL ``lines`` (bytes or text, or a binary file read in bounded lines)
    into the collection."""
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        return _import(db, lines, progress, batch)
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")


def _import(
    db: sqlite_utils.Database,
    lines: Iterable[bytes | str] | BinaryIO,
    progress: Progress | None,
    batch: int,
) -> ImportResult:
    result = ImportResult()
    writer = Writer(db, source="twarc")
    pending: list[_Line] = []
    pending_tweets = 0
    pending_bytes = 0
    read = 0
    stamp = to_db(now())

    def write(group: list[_Line]) -> None:
        users: dict[Any, Any] = {}
        included: dict[str, Any] = {}
        for item in group:
            for u in item.users:
                uid = u.get("id")
                kind = type(uid)  # json.dumps only for the odd id (a list, a float, …)
                users[(kind, uid) if kind is str or kind is int else json.dumps(uid)] = u
            included.update(item.included)
        tweets = [t for item in group for t in item.tweets]
        with immediate(db):
            result.add(writer.write(tweets, users.values(), included, stamp=stamp))

    def flush() -> None:
        nonlocal pending_tweets, pending_bytes
        if not pending:
            return
        try:
            write(pending)
        except _BAD_LINE:  # some line cannot be stored: write them one by one, keep the good
            for item in pending:
                try:
                    write([item])
                except _BAD_LINE:
                    result.posts -= len(item.tweets)
                    result._broken(item.number)
            result.broken_lines.sort()
        pending.clear()
        pending_tweets = pending_bytes = 0

    source: Iterable[bytes | str | None] = (
        read_lines(lines) if hasattr(lines, "readline") else lines  # type: ignore[arg-type]
    )
    try:
        for line_no, line in enumerate(source, start=1):
            result.lines = line_no
            size = len(line) if line is not None else MAX_LINE
            read += size
            if line is not None and not line.strip():
                continue
            item = _parse(line)
            if item is None:
                result._broken(line_no)
                continue
            item.number = line_no
            pending.append(item)
            result.posts += len(item.tweets)
            pending_tweets += len(item.tweets)
            pending_bytes += size
            if pending_tweets >= batch or pending_bytes >= BATCH_BYTES:
                flush()
                if progress:
                    progress(read, result.posts)
    except _Endless:
        result.stopped_at = result.lines + 1
    flush()
    with immediate(db):
        refresh_ours(db, writer.ours)
    if progress:
        progress(read, result.posts)
    return result
