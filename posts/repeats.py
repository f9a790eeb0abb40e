"""Repeated identical failures are one history row with a count, not hundreds.

With the network to X cut, every try of a post writes the same rows to ``post_audit`` (claimed,
then "not sent: …"; or claimed, unknown, "not on the timeline"). :func:`fold` is called after
such a move: when the newest few rows of a post repeat, row for row, the ones just before them,
the newest are deleted and the earlier ones count one more repeat (``repeats``) and keep the
time of the last (``last_at``), so the history says "×91, last at 10:44" in two lines.

(To be merged into :mod:`posts.queue`, which owns ``post_audit``, with the other statements on it.)
"""

from __future__ import annotations

import sqlite_utils

from campaign.store import immediate

LONGEST = 3  # the longest block of rows a try writes (claim, unknown, back to approved)


def fold(db: sqlite_utils.Database, post_id: int) -> bool:
    """Fold the newest rows of ``post_id``'s history into the block before them if they repeat
    it exactly (same moves, same actor, same details); True if they did."""
    with immediate(db):
        rows = db.execute(
            "SELECT id, actor, from_status, to_status, detail, at FROM post_audit "
            "WHERE post_id = ? ORDER BY id DESC LIMIT ?",
            [post_id, 2 * LONGEST],
        ).fetchall()
        rows.reverse()
        for size in range(2, LONGEST + 1):
            if len(rows) < 2 * size:
                break
            earlier, newest = rows[-2 * size : -size], rows[-size:]
            if [r[1:5] for r in earlier] != [r[1:5] for r in newest]:
                continue
            for old, new in zip(earlier, newest, strict=True):
                db.execute(
                    "UPDATE post_audit SET repeats = repeats + 1, last_at = ? WHERE id = ?",
                    [new[5], old[0]],
                )
                db.execute("DELETE FROM post_audit WHERE id = ?", [new[0]])
            return True
    return False
