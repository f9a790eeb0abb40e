"""Helpers shared by the publishing tests: queue rows written straight into the database (so a
test controls status and time exactly), and waiting for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import now, to_db


def add_post(
    db: sqlite_utils.Database,
    text: str,
    at: datetime,
    *,
    status: str = "approved",
    reply_to: int | None = None,
    campaign_id: int | None = None,
) -> int:
    """Insert one queue row and return its id."""
    stamp = to_db(now())
    cur = db.execute(
        "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, reply_to_post_id, "
        "created_at, updated_at, campaign_id) VALUES ('manual', ?, ?, ?, ?, ?, ?, ?, ?)",
        [text, len(text), to_db(at), status, reply_to, stamp, stamp, campaign_id],
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every post row, by id."""
    cur = db.execute("SELECT * FROM posts ORDER BY id")
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
