"""The daemon's health as the team needs it: heartbeat, next due post, counts, waits and holds,
and every post that failed, was missed or is being checked, with the reason."""

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


def publishing_stopped() -> dict[str, Any] | None:
    """``{"reason", "at"}`` when the daemon stopped publishing (X refused its credentials):
    the same record ``scheduler.status.snapshot`` reports, read once per request."""
    if "stopped" not in g:
        from scheduler.publish import stopped

        g.stopped = stopped(get_db())
    found: dict[str, Any] | None = g.stopped
    return found


@bp.get("/status")
def status() -> str:
    from scheduler.status import snapshot

    return render_template("status.html", snap=snapshot(get_db()), problems=rows(PROBLEMS_SQL))
