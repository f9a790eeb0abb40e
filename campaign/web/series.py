"""The console's "New series" page: an evergreen post and its variants repeated every N days
until a date, each occurrence its own draft in the queue (:func:`posts.series.create`, the same
checks as ``campaign posts series add``), approved at once or later with "Approve the whole
series" on any of its posts. Needs the editor role (approving at once: the approver role)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign.clock import local, now, parse_when, zone
from campaign.errors import CampaignError
from campaign.web.auth import by, four_eyes
from campaign.web.db import actor, get_db, zone_name

bp = Blueprint("series", __name__)

FIRST_SLOTS = 5  # text boxes shown at first; "Add a variant" shows one more
# posts.series words its refusals for the command line; here they name the form's fields.
FIELD_WORDS = (
    ("give --text once for each variant", "write it in the first text box"),
    ("(--text once each)", "(one text box each)"),
    ("give a later --at", "choose a later first post"),
    ("give a later --until", "choose a later last day"),
    ("--every must be", "“Every” must be"),
)


def _texts() -> list[str]:
    """The variants typed, in order, blank boxes left out."""
    return [t for t in (v.strip() for v in request.form.getlist("texts")) if t]


def _every(raw: str) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 365:
        raise CampaignError(f"“Every” must be a whole number of days from 1 to 365, not {raw!r}")
    return int(text)


def _until(raw: str, tz: str) -> datetime:
    text = raw.strip()
    if not text:
        raise CampaignError("give the series' last day")
    # a day: up to the end of it, as `campaign posts series add --until DAY` reads it
    return parse_when(text if ("T" in text or " " in text) else text + "T23:59", tz)


def _plain(message: str) -> str:
    for cli, form in FIELD_WORDS:
        message = message.replace(cli, form)
    return message


def _page(form: dict[str, Any], error: str | None, status: int) -> tuple[str, int]:
    texts: list[str] = form["texts"]
    from posts.series import MAX_VARIANTS

    slots = min(MAX_VARIANTS, max(FIRST_SLOTS, len(texts) + (1 if form.get("more") else 0)))
    return render_template(
        "series_new.html",
        form=form,
        boxes=texts + [""] * (slots - len(texts)),
        max_variants=MAX_VARIANTS,
        error=error,
    ), status


@bp.route("/series/new", methods=["GET", "POST"])
def new_series() -> Response | tuple[str, int]:
    """GET: the form. POST ``more``: the same form with one more text box. POST: queue it."""
    from campaign.web import images
    from campaign.web.queue import _composer_campaign
    from posts import series

    tz = zone_name()
    if request.method == "GET":
        from campaign.web.db import current_campaign

        first = local(now(), zone(tz)).replace(second=0, microsecond=0) + timedelta(days=1)
        chosen = current_campaign()
        return _page(
            {
                "texts": [],
                "at": first.strftime("%Y-%m-%dT%H:%M"),
                "every": "7",
                "until": (first + timedelta(days=28)).strftime("%Y-%m-%d"),
                "campaign": chosen.slug if chosen else "",
            },
            None,
            200,
        )
    form: dict[str, Any] = {
        "texts": _texts(),
        "at": request.form.get("at", ""),
        "every": request.form.get("every", ""),
        "until": request.form.get("until", ""),
        "campaign": request.form.get("campaign", "").strip(),
        "more": request.form.get("action") == "more",
    }
    if form["more"]:
        return _page(form, None, 200)
    approve = request.form.get("approve") == "1"
    try:
        if approve and four_eyes():
            raise CampaignError(
                "the four-eyes rule holds: someone else approves the series once it is queued"
            )
        campaign_id = _composer_campaign(form["campaign"])
        at_raw = form["at"].strip()
        if not at_raw:
            raise CampaignError("give the time of the first post")
        made = series.create(
            get_db(),
            form["texts"],
            parse_when(at_raw, tz, strict=True),
            every_days=_every(form["every"]),
            until_at=_until(form["until"], tz),
            actor=actor(),
            by=by(),
            images=images.from_form(),
            campaign_id=campaign_id,
        )
        if approve:
            series.approve(get_db(), made.id, actor=actor(), by=by())
    except CampaignError as e:
        return _page(form, _plain(str(e)), 422)
    shown = local(made.first_at, zone(tz))
    state = "approved" if approve else "drafts"
    flash(
        f"Series {made.id}: {len(made.post_ids)} posts ({state}), every {made.every_days} days "
        f"from {shown:%Y-%m-%d %H:%M} until {local(made.until_at, zone(tz)):%Y-%m-%d}.",
        "ok",
    )
    return redirect(url_for("queue.post_page", post_id=made.post_ids[0]))
