"""Who drives it: identical texts, signals of coordination, and spikes. Signals, never verdicts.

- **Identical texts** (:func:`duplicates`): posts whose text is the same once links, case,
  spacing and a leading ``RT @x:`` are set aside, collapsed into one row with a count and the
  accounts that posted it.
- **Coordination signals** (:func:`scan`): different accounts posting the same text, or the
  same link, within 60 seconds of each other; and reply bursts, many accounts replying to one
  post within a few minutes. Stored per post in ``mention_signals`` (this module owns it) so the
  inbox shows them on the post; the report and ``campaign mentions signals`` refresh them.
- **Spikes** (:func:`spikes`): hours whose volume is far above the 12 before, with the terms,
  authors and links that drive them.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean, pstdev
from typing import Any

import sqlite_utils

from campaign.clock import UTC, from_db
from campaign.store import immediate

WINDOW = timedelta(seconds=60)
BURST_WINDOW = timedelta(minutes=10)
BURST_ACCOUNTS = 5
SPIKE_BASELINE_HOURS = 12
SPIKE_MIN_POSTS = 10
SPIKE_FACTOR = 3.0

_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_RT = re.compile(r"^rt @\w+:\s*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[#@]?\w[\w'-]{2,}", re.UNICODE)
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "this",
        "that",
        "from",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "not",
        "but",
        "you",
        "your",
        "our",
        "their",
        "they",
        "its",
        "about",
        "into",
        "over",
        "under",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "how",
        "all",
        "any",
        "can",
        "will",
        "just",
        "than",
        "then",
        "them",
        "there",
        "these",
        "those",
        "been",
        "being",
        "more",
        "most",
        "some",
        "such",
        "only",
        "also",
        "very",
        "via",
        "amp",
        "http",
        "https",
        "tco",
        "les",
        "des",
        "une",
        "pour",
        "dans",
        "que",
        "qui",
        "por",
        "para",
        "con",
        "los",
        "las",
        "del",
    ]
)


def text_key(text: str) -> str:
    """What makes two texts "identical": links, case, spacing and ``RT @x:`` set aside."""
    t = _RT.sub("", text.strip())
    t = _LINK.sub("", t)
    t = _SPACE.sub(" ", t).strip().casefold()
    return hashlib.blake2b(t.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class Duplicate:
    """Posts with one text: how many, by whom, when, and one of them to read."""

    key: str
    text: str
    posts: int
    accounts: list[str]
    first_at: datetime
    last_at: datetime
    ids: list[int] = field(default_factory=list)


def _rows(db: sqlite_utils.Database) -> Iterable[tuple[int, int | None, str, str, str | None]]:
    return db.execute(  # type: ignore[no-any-return]
        "SELECT m.id, m.author_id, m.created_at, m.text, a.username FROM mentions m "
        "LEFT JOIN authors a ON a.id = m.author_id WHERE m.removed IS NULL AND m.text != ''"
    )


def duplicates(db: sqlite_utils.Database, *, top: int = 20, least: int = 2) -> list[Duplicate]:
    """Texts posted at least ``least`` times, most repeated first."""
    groups: dict[str, Duplicate] = {}
    for mid, _author, at, text, username in _rows(db):
        key = text_key(text)
        when = from_db(at)
        who = f"@{username}" if username else str(_author)
        d = groups.get(key)
        if d is None:
            groups[key] = Duplicate(key, text, 1, [who], when, when, [mid])
            continue
        d.posts += 1
        d.ids.append(mid)
        if who not in d.accounts:
            d.accounts.append(who)
        d.first_at, d.last_at = min(d.first_at, when), max(d.last_at, when)
    found = [d for d in groups.values() if d.posts >= least]
    found.sort(key=lambda d: (-d.posts, d.first_at))
    return found[:top]


@dataclass
class Signal:
    """One group of posts that move together: the kind, its key, the posts and accounts."""

    kind: str  # same-text, same-link, reply-burst
    key: str
    ids: list[int]
    accounts: list[str]
    first_at: datetime
    example: str = ""


def _close_groups(
    items: Sequence[tuple[datetime, int, str]], window: timedelta, least_accounts: int
) -> Iterable[list[tuple[datetime, int, str]]]:
    """Runs of posts (sorted by time) each within ``window`` of the one before, by at least
    ``least_accounts`` different accounts."""
    run: list[tuple[datetime, int, str]] = []
    for item in items:
        if run and item[0] - run[-1][0] > window:
            if len({a for _, _, a in run}) >= least_accounts:
                yield run
            run = []
        run.append(item)
    if run and len({a for _, _, a in run}) >= least_accounts:
        yield run


def scan(db: sqlite_utils.Database, *, store: bool = True) -> list[Signal]:
    """Find every coordination signal in the store (and keep them in ``mention_signals``)."""
    signals: list[Signal] = []
    by_text: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    texts: dict[str, str] = {}
    for mid, author, at, text, username in _rows(db):
        key = text_key(text)
        by_text[key].append((from_db(at), mid, username or str(author)))
        texts.setdefault(key, text)
    for key, items in by_text.items():
        if len(items) < 2:
            continue
        items.sort()
        for run in _close_groups(items, WINDOW, 2):
            signals.append(_signal("same-text", key, run, texts[key]))
    by_link: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    for url, mid, author, at, username in db.execute(
        "SELECT l.url, m.id, m.author_id, m.created_at, a.username FROM mention_links l "
        "JOIN mentions m ON m.id = l.mention_id LEFT JOIN authors a ON a.id = m.author_id "
        "WHERE m.removed IS NULL"
    ):
        by_link[url].append((from_db(at), mid, username or str(author)))
    for url, items in by_link.items():
        if len(items) < 2:
            continue
        items.sort()
        for run in _close_groups(items, WINDOW, 2):
            signals.append(_signal("same-link", url, run, url))
    for parent, _n in db.execute(
        "SELECT reply_to_id, count(*) FROM mentions WHERE reply_to_id IS NOT NULL "
        "AND removed IS NULL GROUP BY reply_to_id HAVING count(*) >= ?",
        [BURST_ACCOUNTS],
    ).fetchall():
        items = sorted(
            (from_db(at), mid, username or str(author))
            for mid, author, at, username in db.execute(
                "SELECT m.id, m.author_id, m.created_at, a.username FROM mentions m "
                "LEFT JOIN authors a ON a.id = m.author_id WHERE m.reply_to_id = ? "
                "AND m.removed IS NULL",
                [parent],
            )
        )
        for run in _close_groups(items, BURST_WINDOW, BURST_ACCOUNTS):
            signals.append(_signal("reply-burst", str(parent), run, f"replies to {parent}"))
    if store:
        _store(db, signals)
    return signals


def _signal(kind: str, key: str, run: list[tuple[datetime, int, str]], example: str) -> Signal:
    accounts = list(dict.fromkeys(a for _, _, a in run))
    return Signal(kind, key, [mid for _, mid, _ in run], accounts, run[0][0], example)


def _store(db: sqlite_utils.Database, signals: Sequence[Signal]) -> None:
    with immediate(db):
        db.conn.execute("DELETE FROM mention_signals")
        db.conn.executemany(
            "INSERT OR IGNORE INTO mention_signals (mention_id, kind, group_key, accounts) "
            "VALUES (?, ?, ?, ?)",
            [(mid, s.kind, s.key, len(s.accounts)) for s in signals for mid in s.ids],
        )


def signals_for(db: sqlite_utils.Database, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The stored signals of each of ``ids``: ``[{kind, accounts}]``."""
    import json

    out: dict[int, list[dict[str, Any]]] = {}
    for mid, kind, accounts in db.execute(
        "SELECT mention_id, kind, accounts FROM mention_signals "
        "WHERE mention_id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(ids))],
    ):
        out.setdefault(int(mid), []).append({"kind": kind, "accounts": accounts})
    return out


def stored_summary(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """Per kind, the groups and posts the last :func:`scan` found (for the report)."""
    return {
        str(kind): {"groups": int(groups), "posts": int(posts)}
        for kind, groups, posts in db.execute(
            "SELECT kind, count(DISTINCT group_key), count(DISTINCT mention_id) "
            "FROM mention_signals GROUP BY kind ORDER BY kind"
        )
    }


@dataclass
class Spike:
    """An hour far above the 12 before it, and what drove it."""

    hour: datetime  # UTC
    posts: int
    baseline: float
    terms: list[tuple[str, int]]
    authors: list[tuple[str, int]]
    links: list[tuple[str, int]]


def spikes(
    db: sqlite_utils.Database,
    *,
    own_tag: str = "",
    top: int = 5,
    hours: Sequence[tuple[datetime, int]] | None = None,
) -> list[Spike]:
    """Hours with at least ``SPIKE_MIN_POSTS`` posts and above mean + 3 standard deviations
    (and three times the mean) of the 12 hours before; with their top terms, authors, links.
    ``hours`` (aware hour starts and counts, e.g. the report's) saves reading the volume."""
    if hours is None:
        hours = [
            (from_db(h + ":00:00+00:00"), int(n))
            for h, n in db.execute(
                "SELECT substr(created_at, 1, 13), count(*) FROM mentions GROUP BY 1 ORDER BY 1"
            )
        ]
    per_hour = {h.astimezone(UTC): n for h, n in hours}
    found: list[Spike] = []
    for hour, n in sorted(per_hour.items()):
        before = [
            per_hour.get(hour - timedelta(hours=i), 0) for i in range(1, SPIKE_BASELINE_HOURS + 1)
        ]
        base = mean(before)
        if n < SPIKE_MIN_POSTS or n <= SPIKE_FACTOR * max(base, 1.0):
            continue
        if n <= base + 3 * pstdev(before):
            continue
        found.append(_explain(db, hour, n, base, own_tag.lower().lstrip("#"), top))
    return found


def _explain(
    db: sqlite_utils.Database, hour: datetime, n: int, base: float, own_tag: str, top: int
) -> Spike:
    start = hour.strftime("%Y-%m-%dT%H")
    terms: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    ids: list[int] = []
    for mid, text, author, username in db.execute(
        "SELECT m.id, m.text, m.author_id, a.username FROM mentions m "
        "LEFT JOIN authors a ON a.id = m.author_id WHERE m.created_at >= ? AND m.created_at < ? "
        "AND m.removed IS NULL",
        [start, (hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H")],
    ):
        ids.append(mid)
        if author is not None:
            authors[f"@{username}" if username else str(author)] += 1
        words = {w.casefold() for w in _WORD.findall(_LINK.sub("", text))}
        terms.update(
            w for w in words if w.lstrip("#@") not in STOPWORDS and w.lstrip("#") != own_tag
        )
    import json

    links = Counter(
        {
            url: c
            for url, c in db.execute(
                "SELECT url, count(*) FROM mention_links WHERE mention_id IN "
                "(SELECT value FROM json_each(?)) GROUP BY url",
                [json.dumps(ids)],
            )
        }
    )
    return Spike(hour, n, base, _top(terms, top), _top(authors, top), _top(links, top))


def _top(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` most frequent, ties in alphabetical order (a set's order is not a ranking)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
