"""The console's review-as-evidence pages (issue 16): coding posts from the inbox (by button or
keyboard, one post or the ticked ones) and a conversation read as a thread."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from flask import Blueprint, abort, flash, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign.errors import CampaignError
from campaign.web.db import actor, cached, get_db, on_own_db
from campaign.web.security import back, local_target

bp = Blueprint("evidence", __name__)


@bp.post("/inbox/code")
def code() -> Response:
    """Set (or, with ``unset``, remove) one ``field=value`` code on the ticked posts."""
    from campaign.mentions.coding import code as set_codes
    from campaign.mentions.coding import parse

    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    pair = (request.form.get("code") or request.form.get("code_text") or "").strip()
    unset = request.form.get("unset") == "yes"
    if not ids:
        flash("Tick at least one post first (or move to one with j/k).", "info")
    elif not pair:
        flash("Choose a code first, e.g. stance=opposes.", "info")
    else:
        try:
            assignments = parse([pair], unset=unset)
            changed = set_codes(
                get_db(),
                ids,
                sets=() if unset else assignments,
                unsets=assignments if unset else (),
                actor=actor(),
            )
        except CampaignError as e:
            flash(str(e), "error")
        else:
            what = "Removed" if unset else "Coded"
            flash(f"{what} {pair} on {len(ids)} post(s): {changed} change(s).", "ok")
    return back(url_for("inbox.inbox"))


@bp.get("/inbox/thread/<int:mention_id>")
def thread(mention_id: int) -> str:
    """The conversation the post belongs to, replies indented under what they answer."""
    from campaign.mentions.network import conversation_of
    from campaign.mentions.network import thread as read

    db = get_db()
    conv = conversation_of(db, mention_id)
    if conv is None:
        abort(404, description=f"no collected post with id {mention_id}")
    return render_template(
        "thread.html",
        posts=read(db, conv),
        here=mention_id,
        back=local_target(request.args.get("back", "")) or url_for("inbox.inbox"),
    )


def _drivers(db: sqlite_utils.Database) -> dict[str, Any]:
    from campaign.mentions.network import top_in_degree
    from campaign.mentions.signals import duplicates, stored_summary

    return {
        "duplicates": duplicates(db, top=20),
        "in_degree": top_in_degree(db, 15),
        "signals": stored_summary(db),
    }


@bp.get("/inbox/drivers")
def drivers() -> str:
    """Who drives it: identical texts collapsed, accounts most addressed, stored signals (a
    pass over the whole collection, kept until it changes)."""
    found = cached("drivers", on_own_db(_drivers), stale_ok=True)
    return render_template("drivers.html", **found)
