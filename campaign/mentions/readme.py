"""The README every export carries: what was asked, what time it covers, when X was last asked
about deletions, and how many posts were removed (so a reader knows what the file is evidence of).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.mentions.compliance import last_run
from campaign.mentions.search import MentionFilter, _run, matching


def describe_filter(f: MentionFilter) -> str:
    """The search in words (``everything collected`` when nothing narrows it)."""
    parts: list[str] = []
    if f.text:
        parts.append(f"words {f.text!r}")
    if f.status:
        parts.append(f"review status {f.status}")
    if f.author:
        parts.append(f"author {f.author}")
    if f.lang:
        parts.append(f"language {f.lang}")
    if f.since is not None:
        parts.append(f"posted at or after {to_db(f.since)}")
    if f.until is not None:
        parts.append(f"posted before {to_db(f.until)}")
    if f.has_link is not None:
        parts.append("with links" if f.has_link else "without links")
    if f.replies_to_ours:
        parts.append("replies to our posts")
    return "; ".join(parts) if parts else "everything collected"


def readme(
    db: sqlite_utils.Database,
    f: MentionFilter,
    *,
    title: str,
    fmt: str,
    written: int,
    extra: tuple[str, ...] = (),
) -> str:
    """The README text for an export of what ``f`` matches (``written`` rows, as ``fmt``)."""
    m = matching(f)
    first, last, removed = _run(
        db,
        m.sql("min(m.created_at), max(m.created_at), count(m.removed)"),
        list(m.params),
    )[0]
    queries = [
        str(r[0]) for r in db.execute("SELECT DISTINCT query FROM collect_runs ORDER BY query")
    ]
    run = last_run(db)
    lines = [
        f"# {title}: exported conversation",
        "",
        f"- Written: {_utc(now())} ({fmt}, {written} rows)",
        f"- Search: {describe_filter(f)}",
        f"- Collected with X's query: {', '.join(queries) if queries else 'imported from files'}",
        "- Time range of the posts: "
        + (f"{_utc(from_db(first))} to {_utc(from_db(last))}" if first else "no posts"),
        "- Compliance date (last check with X for deleted, protected and suspended posts): "
        + (f"{_utc(run['finished_at'])} ({run['method']})" if run else "never checked"),
        f"- Removed by their authors or X: {removed or 0} of these posts. Their text, author, "
        "links and hashtags are not in this file; their id, time, reason (`removed_on_x`) and "
        "our review are.",
        *extra,
        "",
    ]
    return "\n".join(lines)


def _utc(dt: datetime | Any) -> str:
    return f"{to_db(dt)[:16].replace('T', ' ')} UTC"
