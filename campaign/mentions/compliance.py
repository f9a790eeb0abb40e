"""Honouring deletions: what X no longer shows leaves the store, the index, exports and reports.

X's developer terms require removing a post's content once its author deleted it, made the
account protected, or the account was suspended or closed. :func:`apply_removals` takes what a
compliance run learnt (:mod:`scheduler.compliance` asks X) and, for each post and every stored
repost or quote of it:

- blanks its text (the full-text index follows through its trigger), its raw JSON, author,
  language and metrics, and deletes its hashtags and links;
- keeps its id, its time, our review status, note, codes and audit trail, and records the
  reason and the date of removal in ``mention_removals`` (``mentions.removed`` says why);
- scrubs the author's profile when the account itself is gone (suspended, protected, closed).

It is idempotent (a post already removed is left alone) and never touches a post X did not
name, but for reposts and quotes of one it did. The campaign's own published posts are checked
too: one deleted on X (by someone in the X app) is recorded with ``ours = 1`` and shown by
:func:`own_removed`. This module owns ``mention_removals`` and ``compliance_runs``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError
from campaign.mentions.schema import REMOVAL_REASONS
from campaign.store import immediate

# What X's compliance result and lookups say, mapped to our reasons.
X_REASONS = ("deleted", "suspended", "protected", "deactivated")
ACCOUNT_GONE = ("suspended", "protected", "deactivated")
_CHUNK = 5_000

SCRUB_POST = (
    "UPDATE mentions SET text = '', author_id = NULL, lang = NULL, in_reply_to_user_id = NULL, "
    "retweet_count = 0, reply_count = 0, like_count = 0, quote_count = 0, "
    "impression_count = NULL, has_link = 0, raw = json_object('id', CAST(id AS TEXT)), "
    "removed = ? WHERE id = ? AND removed IS NULL"
)


@dataclass(frozen=True)
class Removal:
    """One post X no longer shows: its id, why, and when X redacted it (None: unknown)."""

    tweet_id: int
    reason: str
    removed_at: datetime | None = None


@dataclass
class ApplyResult:
    """What one :func:`apply_removals` changed."""

    removed: int = 0  # collected posts whose content was removed now
    cascaded: int = 0  # reposts and quotes of them, removed with them
    ours: int = 0  # the campaign's own posts newly found deleted on X
    already: int = 0  # named again, already removed before (idempotent)


def reason_of(value: Any) -> str:
    """Our reason for X's ``reason`` (anything unknown counts as deleted: remove, not keep)."""
    text = str(value or "").strip().lower()
    return text if text in X_REASONS else "deleted"


def ids_to_check(db: sqlite_utils.Database) -> list[int]:
    """Every stored post still on X, and the campaign's own published posts, ascending."""
    stored = [
        int(r[0])
        for r in db.execute("SELECT id FROM mentions WHERE removed IS NULL ORDER BY id").fetchall()
    ]
    from campaign.mentions.store import load_ours

    gone = {int(r[0]) for r in db.execute("SELECT tweet_id FROM mention_removals WHERE ours = 1")}
    own = sorted(set(load_ours(db).tweet_ids) - gone - set(stored))
    return sorted([*stored, *own]) if own else stored


def start_run(db: sqlite_utils.Database, method: str, job_id: str | None = None) -> int:
    """Record the start of a compliance run; its id."""
    with immediate(db):
        cur = db.conn.execute(
            "INSERT INTO compliance_runs (started_at, method, job_id, status) "
            "VALUES (?, ?, ?, 'running')",
            [to_db(now()), method, job_id],
        )
    return int(cur.lastrowid or 0)


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    method: str,
    checked: int,
    removed: int,
    status: str,
    job_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record how a compliance run ended."""
    with immediate(db):
        db.conn.execute(
            "UPDATE compliance_runs SET finished_at = ?, method = ?, job_id = ?, checked = ?, "
            "removed = ?, status = ?, error = ? WHERE id = ?",
            [to_db(now()), method, job_id, checked, removed, status, error, run_id],
        )


def apply_removals(
    db: sqlite_utils.Database, removals: Iterable[Removal], *, run_id: int | None = None
) -> ApplyResult:
    """Remove the content of every post in ``removals`` (and its reposts and quotes)."""
    found_at = to_db(now())
    wanted: dict[int, Removal] = {}
    for r in removals:
        if r.reason not in REMOVAL_REASONS:
            raise CampaignError(f"unknown removal reason {r.reason!r}")
        wanted.setdefault(int(r.tweet_id), r)
    result = ApplyResult()
    if not wanted:
        return result
    from campaign.mentions.store import load_ours

    ours = load_ours(db).tweet_ids
    with immediate(db):
        conn = db.conn
        ids = list(wanted)
        known: set[int] = set()
        for chunk in _chunks(ids):
            known |= {
                int(r[0])
                for r in conn.execute(
                    "SELECT tweet_id FROM mention_removals "
                    "WHERE tweet_id IN (SELECT value FROM json_each(?))",
                    [json.dumps(chunk)],
                )
            }
        result.already = len(known)
        fresh = [wanted[i] for i in ids if i not in known]
        conn.executemany(
            "INSERT INTO mention_removals (tweet_id, reason, removed_at, found_at, run_id, ours) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    r.tweet_id,
                    r.reason,
                    to_db(r.removed_at) if r.removed_at else found_at,
                    found_at,
                    run_id,
                    int(r.tweet_id in ours),
                )
                for r in fresh
            ],
        )
        result.ours = sum(1 for r in fresh if r.tweet_id in ours)
        result.removed = _scrub(conn, [(r.reason, r.tweet_id) for r in fresh])
        # Reposts and quotes of a removed post go with it (and theirs, until none is left).
        causes = [r.tweet_id for r in fresh]
        while causes:
            found: list[tuple[int, str, int]] = []
            for chunk in _chunks(causes):
                found += [
                    (int(mid), kind, int(cause))
                    for mid, kind, cause in conn.execute(
                        "SELECT id, 'repost-of-removed', retweet_of_id FROM mentions "
                        "WHERE retweet_of_id IN (SELECT value FROM json_each(?1)) "
                        "AND removed IS NULL "
                        "UNION ALL SELECT id, 'quote-of-removed', quote_of_id FROM mentions "
                        "WHERE quote_of_id IN (SELECT value FROM json_each(?1)) "
                        "AND removed IS NULL",
                        [json.dumps(chunk)],
                    )
                ]
            unique = {mid: (kind, cause) for mid, kind, cause in found}
            conn.executemany(
                "INSERT OR IGNORE INTO mention_removals "
                "(tweet_id, reason, removed_at, found_at, run_id, cause_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(mid, k, found_at, found_at, run_id, c) for mid, (k, c) in unique.items()],
            )
            result.cascaded += _scrub(conn, [(k, mid) for mid, (k, _) in unique.items()])
            causes = list(unique)
    return result


def _scrub(conn: Any, rows: Sequence[tuple[str, int]]) -> int:
    """Blank the posts ``(reason, id)`` still kept; scrub authors whose account is gone."""
    if not rows:
        return 0
    ids = [mid for _, mid in rows]
    gone_accounts: set[int] = set()
    for chunk in _chunks([mid for reason, mid in rows if reason in ACCOUNT_GONE]):
        gone_accounts |= {
            int(r[0])
            for r in conn.execute(
                "SELECT DISTINCT author_id FROM mentions WHERE author_id IS NOT NULL "
                "AND id IN (SELECT value FROM json_each(?))",
                [json.dumps(chunk)],
            )
        }
    changed = conn.executemany(SCRUB_POST, rows).rowcount  # the posts' own rows, not triggers
    for chunk in _chunks(ids):
        param = [json.dumps(chunk)]
        conn.execute(
            "DELETE FROM mention_hashtags WHERE mention_id IN (SELECT value FROM json_each(?))",
            param,
        )
        conn.execute(
            "DELETE FROM mention_links WHERE mention_id IN (SELECT value FROM json_each(?))",
            param,
        )
    if gone_accounts:
        conn.execute(
            "UPDATE authors SET username = NULL, name = NULL, followers_count = NULL, "
            "raw = '{}' WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(gone_accounts))],
        )
    return int(changed)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def removed_ids(db: sqlite_utils.Database, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` were removed: the collector and importer never store them again."""
    out: set[int] = set()
    for chunk in _chunks(ids):
        out |= {
            int(r[0])
            for r in db.execute(
                "SELECT tweet_id FROM mention_removals "
                "WHERE tweet_id IN (SELECT value FROM json_each(?))",
                [json.dumps(chunk)],
            )
        }
    return out


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many collected posts were removed, by reason (only reasons present)."""
    return {
        str(reason): int(n)
        for reason, n in db.execute(
            "SELECT removed, count(*) FROM mentions WHERE removed IS NOT NULL "
            "GROUP BY removed ORDER BY removed"
        ).fetchall()
    }


def removed_by_authors(db: sqlite_utils.Database) -> int:
    """Collected posts removed because X no longer shows them (retention not counted)."""
    return sum(n for reason, n in counts(db).items() if reason != "retention")


def own_removed(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The campaign's own published posts found deleted on X, newest first, with the queue's
    post id (``post_id``) when the post is in the queue."""
    from posts.queue import ids_by_tweet

    rows = db.execute(
        "SELECT tweet_id, reason, removed_at, found_at FROM mention_removals WHERE ours = 1 "
        "ORDER BY tweet_id DESC"
    ).fetchall()
    queued = ids_by_tweet(db) if rows else {}
    return [
        {
            "tweet_id": str(t),
            "reason": reason,
            "removed_at": from_db(at).isoformat(),
            "found_at": from_db(found).isoformat(),
            "post_id": queued.get(str(t)),
        }
        for t, reason, at, found in rows
    ]


def removal(db: sqlite_utils.Database, tweet_id: int) -> dict[str, Any] | None:
    """Why and when one post was removed, or None while it is kept."""
    row = db.execute(
        "SELECT reason, removed_at, found_at, cause_id FROM mention_removals WHERE tweet_id = ?",
        [tweet_id],
    ).fetchone()
    if row is None:
        return None
    return {
        "reason": row[0],
        "removed_at": from_db(row[1]).isoformat(),
        "found_at": from_db(row[2]).isoformat(),
        "cause_id": str(row[3]) if row[3] is not None else None,
    }


def last_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The newest compliance run that finished well, or None."""
    row = db.execute(
        "SELECT id, finished_at, method, checked, removed FROM compliance_runs "
        "WHERE status = 'done' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return {
        "id": row[0],
        "finished_at": from_db(row[1]),
        "method": row[2],
        "checked": row[3],
        "removed": row[4],
    }
