"""The daemon's health as the team needs it: heartbeat, next due post, counts, waits and holds,
and every post that failed, was missed or is being checked, with the reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, url_for
from werkzeug.wrappers import Response

from campaign.web.db import actor, get_db

bp = Blueprint("status", __name__)

# The page's problem list is posts.queue.problems (PROBLEMS_SQL, quoted in docs/benchmarks.md).


def publishing_stopped() -> dict[str, Any] | None:
    """``{"reason", "at"}`` when the daemon stopped publishing (X refused its credentials):
    the same record ``scheduler.status.snapshot`` reports, read once per request (the default
    account's, else the first other account stopped: its record names the ``account``)."""
    if "stopped" not in g:
        from scheduler.publish import stops

        g.stopped = next(iter(stops(get_db()).values()), None)
    found: dict[str, Any] | None = g.stopped
    return found


@bp.get("/status")
def status() -> str:
    from posts.queue import problems
    from scheduler.health import unreachable
    from scheduler.status import snapshot

    db = get_db()
    return render_template(
        "status.html", snap=snapshot(db), problems=problems(db), unreachable=unreachable(db)
    )


@bp.post("/status/resume")
def resume() -> Response:
    """Resume publishing after a stop (the running daemon goes on within a second or two)."""
    import logging

    from scheduler.publish import resume as clear_stop

    if clear_stop(get_db()):
        logging.getLogger("campaign.web").warning("publishing resumed by %s", actor())
        flash("Publishing resumed: the daemon goes on within a few seconds.", "ok")
    else:
        flash("Publishing was not stopped: nothing to resume.", "info")
    return redirect(url_for("status.status"))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """For monitors, with no login: the level and what is wrong, nothing private (no post text,
    host or reason). 200 when OK or a warning, 503 when critical."""
    from scheduler.health import public

    body = public(get_db())
    return jsonify(body), 503 if body["code"] == 2 else 200
