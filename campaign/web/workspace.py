"""The campaign switcher and the comparison of campaigns: which campaign the console shows
(kept in the session; none chosen is every campaign), and each campaign's posts, cost and
conversation side by side."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, request, session, url_for
from werkzeug.wrappers import Response

from campaign.web.db import SWITCH_KEY, cached, get_db, workspace
from campaign.web.security import local_target

bp = Blueprint("workspace", __name__)

# Colours of the campaigns on the all-campaigns calendar (classes camp-0 … camp-7 in app.css).
COLOURS = 8


@bp.get("/campaign")
def switch() -> Response:
    """Show one campaign (``slug``) or, with an empty one, every campaign; then go back."""
    slug = request.args.get("slug", "").strip()
    if slug and any(c.slug == slug for c in workspace()):
        session[SWITCH_KEY] = slug
    else:
        session.pop(SWITCH_KEY, None)
    return redirect(local_target(request.args.get("next") or "") or url_for("calendar.calendar"))


def colour_of(campaign_id: int | None) -> str:
    """The colour class of a campaign on the calendar."""
    return f"camp-{(campaign_id or 0) % COLOURS}"


@dataclass(frozen=True)
class Compared:
    """One campaign's line in the comparison."""

    slug: str
    name: str
    hashtag: str
    account: str
    published: int
    to_go: int
    spent_usd: str
    ahead_usd: str
    collected: int


def compare() -> list[Compared]:
    """Every campaign's posts (out, still to go), their cost on X and its collected posts."""
    from campaign.mentions.store import campaign_counts
    from campaign.metadata import settings_for
    from posts import queue
    from posts.cost import TO_GO_OUT, estimate_tallied, usd
    from posts.queue import PostStatus

    db = get_db()
    # A pass over every link of the collection: kept, like the report, until it changes.
    collected = cached("campaign-counts", lambda: campaign_counts(db))
    found = queue.tallies(db)
    out = []
    for c in workspace():
        settings = settings_for(db, c.id)
        ahead = estimate_tallied(found, TO_GO_OUT, settings, {c.id})
        spent = estimate_tallied(found, [PostStatus.PUBLISHED], settings, {c.id})
        out.append(
            Compared(
                c.slug,
                c.name,
                c.hashtag,
                c.account,
                spent.count,
                ahead.count,
                usd(spent.total),
                usd(ahead.total),
                collected.get(c.id, 0),
            )
        )
    return out
