"""The inbox: the collected conversation newest first, the CLI's safe search and filters, and
review marks (one or many at once, by checkbox or keyboard) with notes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign.errors import CampaignError
from campaign.web import inputs
from campaign.web.db import actor, cached, get_db, on_own_db
from campaign.web.security import back, local_target

bp = Blueprint("inbox", __name__)

PAGE_SIZE = 50
FILTER_KEYS = ("q", "status", "author", "lang", "has_link", "replies", "ours")


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _args() -> dict[str, str]:
    return {k: request.args.get(k, "").strip() for k in FILTER_KEYS}


@bp.get("/inbox")
def inbox() -> str:
    from campaign.mentions.review import STATUSES
    from campaign.mentions.search import MentionFilter, search

    args = _args()
    page = inputs.page_number()
    from campaign.web.db import current_campaign_id

    f = MentionFilter(
        campaign_id=current_campaign_id(),
        text=args["q"] or None,
        status=args["status"] or None,
        author=args["author"] or None,
        lang=args["lang"] or None,
        has_link=_flag(args["has_link"]),
        replies_to_ours=_flag(args["replies"]),
        ours=_flag(args["ours"]),
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    from campaign.mentions.coding import scheme_of
    from campaign.mentions.evidence import annotate

    error: str | None = None
    try:
        found = annotate(get_db(), search(get_db(), f))  # codes, badges, signals
    except CampaignError as e:
        found, error = [], str(e)
    from posts.replies import replied

    query = {k: v for k, v in args.items() if v}
    shown = found[:PAGE_SIZE]
    return render_template(
        "inbox.html",
        mentions=shown,
        replied=replied(get_db(), (m["id"] for m in shown)),
        more=len(found) > PAGE_SIZE,
        page=page,
        args=args,
        query=query,
        here=url_for("inbox.inbox", page=page, **query),  # type: ignore[arg-type]
        statuses=STATUSES,
        counts=review_counts(),
        error=error,
        scheme=scheme_of(get_db()),
    )


@bp.post("/inbox/mark")
def mark() -> Response:
    """Set the review status (and optionally a note) of the ticked posts."""
    from campaign.mentions.review import mark as mark_ids

    ids = inputs.ids(request.form.getlist("ids"))
    status = request.form.get("status", "")
    note = request.form.get("note")
    if not ids:
        flash("Tick at least one post first (or move to one with j/k and press x).", "info")
    else:
        # A note box sent empty clears the note; the list's buttons send none and keep it.
        changed = mark_ids(
            get_db(), ids, status, actor=actor(), note=None if note is None else note.strip()
        )
        flash(f"Marked {changed} post(s) {status}.", "ok")
        review_counts(now=True)  # the reviewer sees their own marks counted at once
    return back(url_for("inbox.inbox"))


@bp.post("/inbox/reply")
def reply() -> Response:
    """Queue a reply to (or, with ``quote``, a quote of) a collected post; back to the page it
    was written on (the inbox keeps its filters)."""
    from campaign.clock import now
    from campaign.errors import RuleError
    from campaign.mentions.search import get
    from campaign.mentions.store import first_campaign_of
    from campaign.web.auth import by
    from posts import editing

    mention_id = inputs.optional_id(request.form.get("mention_id"))
    if mention_id is None:
        abort(400, description="say which collected post to reply to")
    db = get_db()
    if get(db, mention_id) is None:
        abort(404, description=f"no collected post with id {mention_id}")
    quote = request.form.get("quote") == "1"
    noun = "Quote" if quote else "Reply"
    try:
        post = editing.reply(
            db,
            str(mention_id),
            request.form.get("text", ""),
            now(),
            actor=actor(),
            quote=quote,
            approve=request.form.get("approve") == "1",
            by=by(),
            campaign_id=first_campaign_of(db, mention_id),
        )
    except RuleError as e:  # length, duplicate text, no text: say it, keep the page
        flash(f"{noun} not queued: {e}", "error")
    else:
        flash(f"{noun} queued as post {post.id} ({post.status}).", "ok")
    return back(url_for("inbox.inbox"))


def review_counts(*, now: bool = False) -> dict[str, int]:
    """Posts per review status. A pass over the whole collection (50 ms over a million), so
    kept until it changes; after a change the kept counts are shown while new ones are made in
    the background, except with ``now`` (after this console's own marks)."""
    from campaign.mentions.review import counts_by_status

    return cached("review-counts", on_own_db(counts_by_status), stale_ok=not now)


@bp.get("/inbox/<int:mention_id>")
def detail(mention_id: int) -> str:
    from campaign.mentions.review import STATUSES, history
    from campaign.mentions.search import get
    from posts.replies import replied

    mention = get(get_db(), mention_id)
    if mention is None:
        abort(404, description=f"no collected post with id {mention_id}")
    from campaign.mentions.evidence import detail

    return render_template(
        "mention.html",
        m=mention,
        ours=replied(get_db(), [mention_id]).get(str(mention_id)),
        evidence=detail(get_db(), mention_id),
        statuses=STATUSES,
        history=history(get_db(), mention_id),
        back=local_target(request.args.get("back", "")) or url_for("inbox.inbox"),
    )
