"""The daemon's health as the team needs it: heartbeat, next due post, counts, waits and holds,
and every post that failed, was missed or is being checked, with the reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from campaign.web.db import get_db

bp = Blueprint("status", __name__)

# The page's problem list is posts.queue.problems (PROBLEMS_SQL, quoted in docs/benchmarks.md).


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
    from posts.queue import problems
    from scheduler.status import snapshot

    db = get_db()
    return render_template("status.html", snap=snapshot(db), problems=problems(db))
