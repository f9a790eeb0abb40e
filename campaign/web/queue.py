"""The queue and the composer: the list of posts with filters, a post's page (text, live
weighted length, preview as it will go out, where it came from, audit trail) and every change a
person makes to a post: add, edit, reschedule, approve, cancel, back to draft."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign.clock import local, now, parse_when, zone
from campaign.errors import CampaignError
from campaign.web import inputs
from campaign.web.auth import by
from campaign.web.db import actor, get_db, rows, zone_name
from campaign.web.security import back

bp = Blueprint("queue", __name__)

PAGE_SIZE = 50
# The list page's query is posts.queue.LISTING_SQL (quoted in docs/benchmarks.md).


def preview(text: str, exclude: int | None = None, *, answers: bool = False) -> Any:
    """The composer's preview of ``text``: :func:`posts.editing.preview`, the library's own
    prepare step (the one ``add`` and ``edit`` store through), on this request's database;
    ``answers``: a reply or quote to a collected post (the inbox's reply box)."""
    from posts import editing

    return editing.preview(get_db(), text, exclude, answers=answers)


@bp.post("/api/length")
def api_length() -> Response:
    """The composer's live counter: JSON from :func:`preview` (POSTed so long texts fit)."""
    text = request.form.get("text", "")
    exclude = inputs.optional_id(request.form.get("post_id"))
    answers = request.form.get("answers") == "1"
    return jsonify(preview(text, exclude, answers=answers).to_json())


def _filters() -> tuple[dict[str, str], Any]:
    from posts.queue import STATUSES, Filter, PostStatus

    args = {k: request.args.get(k, "").strip() for k in ("status", "kind", "q", "from", "to")}
    if args["status"] and args["status"] not in STATUSES:
        raise CampaignError(f"unknown status {args['status']!r}: pick one from the list")

    def day(key: str) -> datetime | None:
        return parse_when(args[key] + "T00:00", zone_name()) if args[key] else None

    from campaign.web.db import current_campaign_id

    where = Filter(
        campaign_id=current_campaign_id(),
        status=PostStatus(args["status"]) if args["status"] else None,
        kind=args["kind"] or None,
        text=args["q"] or None,
        start=day("from"),
        end=day("to"),
    )
    return args, where


@bp.get("/queue")
def queue_list() -> str:
    from posts import queue
    from posts.queue import STATUSES

    db = get_db()
    args, where = _filters()
    page = inputs.page_number()
    found = queue.listing(db, where, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    counts = {status: n for status, n in queue.counts(db).items() if n}
    return render_template(
        "queue.html",
        posts=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        page=page,
        args=args,
        statuses=STATUSES,
        kinds=queue.kinds(db),
        counts=counts,
        today=local(now(), zone_name()).date().isoformat(),
        cost=_cost(where),
    )


def _cost(where: Any) -> dict[str, Any]:
    """What the posts matching the filters cost on X: still to go out, and already out."""
    from campaign.metadata import settings_for
    from posts import queue
    from posts.cost import TO_GO_OUT, estimate_tallied, usd
    from posts.queue import PostStatus

    db = get_db()
    settings = settings_for(db, where.campaign_id)
    found = queue.tallies(db, where)
    ahead = estimate_tallied(found, TO_GO_OUT, settings)
    spent = estimate_tallied(found, [PostStatus.PUBLISHED], settings)
    return {
        "ahead": ahead,
        "ahead_usd": usd(ahead.total),
        "spent": spent,
        "spent_usd": usd(spent.total),
    }


def _origin(post: Any) -> dict[str, Any]:
    """Where a post came from: its template, planner key, and the speaker or publication row."""
    found: list[dict[str, Any]] = []
    key = post.source_key or ""
    parts = [p for p in key.replace("/", ":").split(":") if p]
    for table, label in (("speakers", "Speaker"), ("publications", "Publication")):
        for part in parts:
            for row in rows(
                f"SELECT * FROM {table} WHERE key = ? AND campaign_id IS ?",
                [part, post.campaign_id],
            ):
                row["_label"] = label
                found.append(row)
    event = rows(
        "SELECT name, hashtag, timezone, source_file, loaded_at FROM campaigns WHERE id IS ?",
        [post.campaign_id],
    )
    return {"records": found, "campaign": event[0] if event else None}


def _post_page(
    post_id: int,
    *,
    text: str | None = None,
    at: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    from campaign.metadata import settings_for
    from campaign.web.auth import may
    from posts import media, queue, series
    from posts.cost import has_link, post_cost, usd
    from posts.editing import APPROVABLE, CANCELLABLE, EDITABLE, REDRAFTABLE, may_approve
    from posts.metrics import readings

    db = get_db()
    post = queue.get(db, post_id)
    shown_text = post.text if text is None else text
    cost = {
        "usd": usd(post_cost(post.text, settings_for(db))),
        "link": has_link(post.text),
    }
    return (
        render_template(
            "post.html",
            post=post,
            text=shown_text,
            at=at,
            error=error,
            preview=preview(shown_text, exclude=post.id),
            history=queue.history(db, post.id),
            images=media.of_post(db, post.id),
            replies=[r for r, _ in queue.replies_to(db, [post.id], queue.STATUSES)],
            series=series.of_post(db, post.id),
            readings=readings(db, post.id),
            origin=_origin(post),
            cost=cost,
            editable=post.status in EDITABLE,
            approvable=post.status in APPROVABLE and may("approve") and may_approve(db, post, by()),
            own_work=post.status in APPROVABLE and not may_approve(db, post, by()),
            cancellable=post.status in CANCELLABLE,
            can_redraft=post.status in REDRAFTABLE,
        ),
        status,
    )


@bp.get("/posts/<int:post_id>")
def post_page(post_id: int) -> tuple[str, int]:
    return _post_page(post_id)


def _when(field: str) -> datetime | None:
    raw = request.form.get(field, "").strip()
    if not raw:
        return None
    # strict: a time the clock skips or repeats (DST) is refused with both offsets named
    return parse_when(raw, zone_name(), strict=True)


@bp.post("/posts/<int:post_id>/edit")
def post_edit(post_id: int) -> Response | tuple[str, int]:
    """Save a new text and/or time; a refusal shows the page again with the text kept."""
    from campaign.web import images
    from posts import editing, media, queue

    db = get_db()
    post = queue.get(db, post_id)
    text = request.form.get("text")
    try:
        at = _when("at")
        new_text = text if text is not None and text.strip() != post.text.strip() else None
        new_at = at if at is not None and at != post.scheduled_at else None
        wanted = images.from_form(post_id)
        new_images = None if media.same(media.of_post(db, post_id), wanted) else wanted
        if new_text is None and new_at is None and new_images is None:
            flash("Nothing changed.", "info")
            return redirect(url_for("queue.post_page", post_id=post_id))
        editing.edit(
            db, post_id, actor=actor(), text=new_text, at=new_at, by=by(), images=new_images
        )
    except CampaignError as e:
        return _post_page(post_id, text=text, at=request.form.get("at"), error=str(e), status=422)
    flash("Saved.", "ok")
    return redirect(url_for("queue.post_page", post_id=post_id))


@bp.post("/posts/<int:post_id>/<action>")
def post_action(post_id: int, action: str) -> Response:
    """Approve, cancel or send back to draft one post, then go back where the person was."""
    from posts import editing, queue

    db = get_db()
    if action == "approve":
        editing.approve(db, [post_id], actor=actor(), by=by())
        message = f"Post {post_id} approved: it will go out when due."
    elif action == "cancel":
        editing.cancel(db, [post_id], actor=actor())
        message = f"Post {post_id} cancelled: it will not go out."
    elif action == "draft":
        queue.move(db, post_id, queue.PostStatus.DRAFT, actor(), "back to draft by hand")
        message = f"Post {post_id} is a draft again."
    else:
        abort(404)
    flash(message, "ok")
    return back(url_for("queue.post_page", post_id=post_id))


@bp.post("/series/<int:series_id>/approve")
def series_approve(series_id: int) -> Response:
    """Approve every draft of an evergreen series at once (four eyes holds for each)."""
    from posts import series

    done = series.approve(get_db(), series_id, actor=actor(), by=by())
    flash(f"Approved {len(done)} post(s) of series {series_id}.", "ok")
    return back(url_for("queue.queue_list"))


@bp.post("/queue/bulk")
def bulk() -> Response:
    """Approve or cancel the ticked posts of the list."""
    from posts import editing

    ids = inputs.ids(request.form.getlist("ids"))
    if not ids:
        flash("Tick at least one post first.", "info")
        return back(url_for("queue.queue_list"))
    action = request.form.get("action")
    if action == "approve":
        changed = editing.approve(get_db(), ids, actor=actor(), by=by())
        flash(f"Approved {len(changed)} post(s).", "ok")
    elif action == "cancel":
        changed = editing.cancel(get_db(), ids, actor=actor())
        flash(f"Cancelled {len(changed)} post(s).", "ok")
    else:
        abort(400, description="choose approve or cancel")
    return back(url_for("queue.queue_list"))


def _parents(limit: int = 200) -> list[Any]:
    """The posts a new post may reply to (a thread): the latest not cancelled, newest first."""
    from posts import queue
    from posts.queue import PostStatus

    alive = [s for s in queue.STATUSES if s != PostStatus.CANCELLED]
    return queue.list_posts(get_db(), alive, newest_first=True, limit=limit)


@bp.route("/posts/new", methods=["GET", "POST"])
def compose() -> Response | tuple[str, int]:
    """Write a new post by hand, with up to four images (each with its alt text)."""
    from campaign.web import images
    from posts import editing

    tz = zone(zone_name())
    default_at = local(now(), tz).replace(second=0, microsecond=0)
    parents = _parents()
    from campaign.web.db import current_campaign

    chosen = current_campaign()
    if request.method == "GET":
        reply_to = inputs.optional_id(request.args.get("reply_to"))
        return render_template(
            "compose.html",
            text="",
            at=default_at.strftime("%Y-%m-%dT%H:%M"),
            error=None,
            preview=preview(""),
            parents=parents,
            reply_to=reply_to,
            chosen=chosen.slug if chosen else "",
        ), 200
    text = request.form.get("text", "")
    at_raw = request.form.get("at", "")
    reply_to = inputs.optional_id(request.form.get("reply_to"))
    slug = request.form.get("campaign", "").strip()
    try:
        campaign_id = _composer_campaign(slug)
        if request.form.get("when") == "next-slot":  # "Add to queue": the next free slot
            from campaign.metadata import settings_for
            from posts.slots import next_free

            at: datetime | None = next_free(get_db(), settings_for(get_db(), campaign_id))
        else:
            at = _when("at")
        if at is None:
            raise CampaignError("give the post a date and time")
        post = editing.add(
            get_db(),
            text,
            at,
            actor=actor(),
            approve=request.form.get("approve") == "1",
            reply_to=reply_to,
            by=by(),
            images=images.from_form(),
            campaign_id=campaign_id,
        )
    except CampaignError as e:
        return render_template(
            "compose.html",
            text=text,
            at=at_raw,
            error=str(e),
            preview=preview(text),
            parents=parents,
            reply_to=reply_to,
            chosen=slug,
        ), 422
    flash(
        f"Post {post.id} added as {post.status} for {local(post.scheduled_at, tz):%Y-%m-%d %H:%M}.",
        "ok",
    )
    return redirect(url_for("queue.post_page", post_id=post.id))


def _composer_campaign(slug: str) -> int | None:
    """The campaign the composer's post belongs to: the one picked; the only one; none when
    none is loaded. With several and none picked it is refused, naming what to do."""
    from campaign.web.db import workspace

    all_ = workspace()
    if len(all_) <= 1:
        return all_[0].id if all_ else None
    found = next((c for c in all_ if c.slug == slug), None)
    if found is None:
        raise CampaignError("choose the campaign the post belongs to (it gets its hashtag)")
    return found.id
