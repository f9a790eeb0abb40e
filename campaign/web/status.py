"""The daemon's health as the team needs it: heartbeat, next due post, counts, and every post
that failed, was missed or is being checked, with the reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from campaign.web.db import get_db, rows

bp = Blueprint("status", __name__)

# The bare query of the page's problem list (also quoted in docs/benchmarks.md).
PROBLEMS_SQL = (
    "SELECT p.id, p.status, p.text, p.scheduled_at, p.attempts, p.last_error, "
    "(SELECT detail FROM post_audit a WHERE a.post_id = p.id ORDER BY a.id DESC LIMIT 1) AS detail "
    "FROM posts p WHERE p.status IN ('failed', 'missed', 'unknown') "
    "ORDER BY p.scheduled_at DESC, p.id DESC LIMIT 200"
)


def snapshot() -> dict[str, Any]:
    """The daemon's status (``scheduler.status.snapshot``), read once per request."""
    if "snapshot" not in g:
        try:  # TEMPORARY until scheduler.status lands (H4)
            from scheduler.status import snapshot as take
        except ImportError:
            g.snapshot = {}
        else:
            g.snapshot = take(get_db())
    snap: dict[str, Any] = g.snapshot
    return snap


def publishing_stopped() -> str | None:
    """Why the daemon stopped publishing (X refused its credentials), or ``None``."""
    stopped = snapshot().get("publishing_stopped")
    if not stopped:
        return None
    return stopped if isinstance(stopped, str) else "X refused the account's credentials"


@bp.get("/status")
def status() -> str:
    return render_template("status.html", snap=snapshot(), problems=rows(PROBLEMS_SQL))
