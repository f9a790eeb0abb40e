"""Reviewing collected posts: a status and a note on each, every change in the audit trail."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlite_utils

from campaign.clock import now, to_db
from campaign.errors import CampaignError, NotFoundError
from campaign.store import immediate

if TYPE_CHECKING:
    from campaign.mentions.search import MentionFilter


class ReviewStatus(enum.StrEnum):
    """A reviewer's verdict on a collected post; the value is what the database stores."""

    NEW = "new"
    REVIEWED = "reviewed"
    FLAGGED = "flagged"
    NEEDS_REPLY = "needs-reply"
    IGNORED = "ignored"


# The schema's CHECK (campaign.mentions.schema.REVIEW_STATUSES) lists the same values, in order.
STATUSES: tuple[ReviewStatus, ...] = tuple(ReviewStatus)

_CHUNK = 5_000


def check_status(status: str) -> ReviewStatus:
    """``status`` as a review status, else an error listing them."""
    s = status.strip().lower()
    if s not in STATUSES:
        raise CampaignError(f"unknown review status {status!r}: use one of {', '.join(STATUSES)}")
    return ReviewStatus(s)


def mark(
    db: sqlite_utils.Database,
    ids: Iterable[int],
    status: str,
    *,
    actor: str,
    note: str | None = None,
) -> int:
    """Set the review status (and the note, when given) of the posts ``ids``.

    Returns how many posts changed. Every change gets an audit row (who, when, from, to, note).
    A post already in ``status`` with the same note is left alone. Unknown ids are refused
    before anything changes.
    """
    status = check_status(status)
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return 0
    stamp = to_db(now())
    changed = 0
    with immediate(db):
        conn = db.conn
        found: dict[int, tuple[str, str | None]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for mid, st, old_note in conn.execute(
                "SELECT id, review_status, note FROM mentions "
                "WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(chunk)],
            ):
                found[mid] = (st, old_note)
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing[:5]) + (" …" if len(missing) > 5 else "")
            raise NotFoundError(
                f"no collected post with id {shown}: see `campaign mentions list` for the ids"
            )
        updates: list[tuple[Any, ...]] = []
        audits: list[tuple[Any, ...]] = []
        for mid in wanted:
            old_status, old_note = found[mid]
            new_note = old_note if note is None else note
            if old_status == status and new_note == old_note:
                continue
            updates.append((status, new_note, mid))
            audits.append((mid, stamp, actor, old_status, status, note))
        conn.executemany("UPDATE mentions SET review_status = ?, note = ? WHERE id = ?", updates)
        conn.executemany(
            "INSERT INTO mention_audit (mention_id, at, actor, from_status, to_status, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            audits,
        )
        changed = len(updates)
    return changed


def mark_matching(
    db: sqlite_utils.Database,
    f: MentionFilter,
    status: str,
    *,
    actor: str,
    note: str | None = None,
) -> int:
    """Mark every post a search matches (all pages of ``f``, whatever its limit)."""
    from campaign.mentions.search import ids

    status = check_status(status)
    return mark(db, ids(db, f), status, actor=actor, note=note)


def counts_by_status(db: sqlite_utils.Database) -> dict[str, int]:
    """How many posts are in each review status (every status present, zeros included), keyed
    by :class:`ReviewStatus`."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for status, n in db.execute(
        "SELECT review_status, count(*) FROM mentions GROUP BY review_status"
    ).fetchall():
        counts[ReviewStatus(status)] = n
    return counts


def history(db: sqlite_utils.Database, mention_id: int) -> list[dict[str, Any]]:
    """The audit trail of one post, oldest first."""
    return list(
        db.query(
            "SELECT at, actor, from_status, to_status, note FROM mention_audit "
            "WHERE mention_id = ? ORDER BY id",
            [mention_id],
        )
    )
