"""Guarding the console's passwords against guessing: every wrong password is written down (the
``login_attempts`` table, owned here) and logged, and an address that gave
:data:`MAX_FAILURES` wrong ones within :data:`WINDOW` (or, for a team, a name given with that
many wrong ones from anywhere) is refused for a window from the last of them. Kept in SQLite, so the count holds across waitress's threads and across restarts."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.store import immediate

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
log = logging.getLogger(__name__)


def wait_before_trying(
    db: sqlite_utils.Database, address: str, name: str | None = None
) -> timedelta | None:
    """How long a sign-in from ``address`` (as ``name``, for a person of the team) must wait
    before its password is even checked, or None: :data:`MAX_FAILURES` wrong ones from that
    address, or for that name from anywhere, within :data:`WINDOW` lock it for a window from the
    last of them."""
    since = to_db(now() - WINDOW)
    waits = [_wait(db, "address = ?", address, since)]
    if name:
        waits.append(_wait(db, "username = ? COLLATE NOCASE", name, since))
    found = [w for w in waits if w is not None]
    return max(found) if found else None


def _wait(db: sqlite_utils.Database, where: str, value: str, since: str) -> timedelta | None:
    rows = db.execute(
        f"SELECT at FROM login_attempts WHERE {where} AND at > ? ORDER BY at DESC LIMIT ?",
        [value, since, MAX_FAILURES],
    ).fetchall()
    if len(rows) < MAX_FAILURES:
        return None
    newest = from_db(rows[0][0])
    return max(newest + WINDOW - now(), timedelta(seconds=1))


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


def succeeded(db: sqlite_utils.Database, address: str, name: str | None = None) -> None:
    """The right password from ``address``: its count starts again (for a person, the count of
    that name from that address), a read when there is none, so signed-in requests do not
    write."""
    where, params = "address = ?", [address]
    if name:
        where, params = "address = ? AND username = ? COLLATE NOCASE", [address, name]
    if db.execute(f"SELECT 1 FROM login_attempts WHERE {where} LIMIT 1", params).fetchone():
        db.execute(f"DELETE FROM login_attempts WHERE {where}", params)
