"""Guarding the console's password against guessing: every wrong password is written down (the
``login_attempts`` table, owned here) and logged, and an address that gave
:data:`MAX_FAILURES` wrong ones within :data:`WINDOW` is refused until the oldest of them is
that old. Kept in SQLite, so the count holds across waitress's threads and across restarts."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.store import immediate

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
log = logging.getLogger(__name__)


def wait_before_trying(db: sqlite_utils.Database, address: str) -> timedelta | None:
    """How long ``address`` must wait before its next password is even checked, or None."""
    since = to_db(now() - WINDOW)
    rows = db.execute(
        "SELECT at FROM login_attempts WHERE address = ? AND at > ? ORDER BY at DESC LIMIT ?",
        [address, since, MAX_FAILURES],
    ).fetchall()
    if len(rows) < MAX_FAILURES:
        return None
    oldest = from_db(rows[-1][0])
    return max(oldest + WINDOW - now(), timedelta(seconds=1))


def failed(db: sqlite_utils.Database, address: str, username: str) -> None:
    """Write down (and log) a wrong password from ``address``; forget ones older than the
    window."""
    at = now()
    with immediate(db):
        db.execute("DELETE FROM login_attempts WHERE at <= ?", [to_db(at - WINDOW)])
        db.execute(
            "INSERT INTO login_attempts (address, username, at) VALUES (?, ?, ?)",
            [address, username[:200], to_db(at)],
        )
        count = db.execute(
            "SELECT count(*) FROM login_attempts WHERE address = ?", [address]
        ).fetchone()[0]
    log.warning(
        "console login failed address=%s name=%r failures=%d window_minutes=%d",
        address,
        username[:200],
        count,
        WINDOW.total_seconds() // 60,
    )


def succeeded(db: sqlite_utils.Database, address: str) -> None:
    """The right password from ``address``: its count starts again (a read when there is none,
    so signed-in requests do not write)."""
    if db.execute("SELECT 1 FROM login_attempts WHERE address = ? LIMIT 1", [address]).fetchone():
        db.execute("DELETE FROM login_attempts WHERE address = ?", [address])
