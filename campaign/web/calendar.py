"""The calendar: every post by day in the campaign's zone, a week or a month at a time, with
approval of one draft or of a whole day's drafts in place."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import Blueprint, flash, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign.clock import local, now, zone
from campaign.web import inputs
from campaign.web.auth import by
from campaign.web.db import actor, get_db, zone_name
from campaign.web.security import back
from posts import queue
from posts.queue import PostStatus, Scheduled

bp = Blueprint("calendar", __name__)

# The page's query is posts.queue.CALENDAR_SQL (quoted in docs/benchmarks.md).

# The most posts a day of the month view shows; the rest are a link to that day's week. Fifty
# campaigns put dozens of posts on one day, which no month cell can show (nor a page render
# quickly); the week view shows them all.
MONTH_DAY_POSTS = 10


@dataclass
class Day:
    """One day cell: its date, whether it is in the month shown, and its posts (``limit``: how
    many of them it shows, all if None)."""

    day: date
    in_range: bool
    today: bool
    posts: list[Scheduled] = field(default_factory=list)
    load: list[tuple[str, int, int]] = field(default_factory=list)  # (account, posts, daily cap)
    limit: int | None = None

    @property
    def drafts(self) -> int:
        return sum(1 for p in self.posts if p.status == PostStatus.DRAFT)

    @property
    def shown(self) -> list[Scheduled]:
        return self.posts if self.limit is None else self.posts[: self.limit]

    @property
    def more(self) -> int:
        """How many of its posts the cell does not show."""
        return len(self.posts) - len(self.shown)


# Posts that may still go out or went out: what counts against an account's daily cap.
_LOADED = frozenset(
    {PostStatus.DRAFT, PostStatus.APPROVED, PostStatus.PUBLISHING, PostStatus.PUBLISHED}
)


def _load(posts: list[Scheduled]) -> list[tuple[str, int, int]]:
    """Each account's posts of one day against its daily cap (the smallest its campaigns set)."""
    from campaign.web.db import workspace

    accounts = {c.id: c.account for c in workspace()}
    caps: dict[str, int] = {}
    for c in workspace():
        caps[c.account] = min(c.daily_cap, caps.get(c.account, c.daily_cap))
    count: dict[str, int] = defaultdict(int)
    for p in posts:
        if p.status in _LOADED:
            count[accounts.get(p.campaign_id or 0, "default")] += 1
    return [(a, n, caps.get(a, 100)) for a, n in sorted(count.items())]


def _range(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day shown, day after the last shown, previous anchor, next anchor)."""
    if view == "month":
        first = anchor.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        prev = (first - timedelta(days=1)).replace(day=1)
        start = first - timedelta(days=first.weekday())
        end = nxt + timedelta(days=(7 - nxt.weekday()) % 7)
        return start, end, prev, nxt
    start = anchor - timedelta(days=anchor.weekday())
    return start, start + timedelta(days=7), start - timedelta(days=7), start + timedelta(days=7)


@bp.get("/calendar")
def calendar() -> str:
    view = request.args.get("view", "week")
    if view not in ("week", "month"):
        view = "week"
    tz = zone(zone_name())
    today = local(now(), tz).date()
    anchor = inputs.day(request.args.get("date"), today)
    start, end, prev, nxt = _range(view, anchor)

    def utc(d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=tz)

    days = {
        start + timedelta(days=i): Day(
            day=start + timedelta(days=i),
            in_range=(view == "week" or (start + timedelta(days=i)).month == anchor.month),
            today=(start + timedelta(days=i)) == today,
            limit=MONTH_DAY_POSTS if view == "month" else None,
        )
        for i in range((end - start).days)
    }
    from campaign.web.db import current_campaign_id, workspace
    from campaign.web.workspace import colour_of
    from posts import media

    by_day: dict[date, list[Scheduled]] = defaultdict(list)
    shown = queue.between(get_db(), utc(start), utc(end), current_campaign_id())
    for post in shown:
        by_day[local(post.scheduled_at, tz).date()].append(post)
    several = len(workspace()) > 1
    for d, posts in by_day.items():
        if d in days:
            days[d].posts = posts
            if several:
                days[d].load = _load(posts)
    slugs = {c.id: c.slug for c in workspace()} if several else {}
    weeks = [list(days.values())[i : i + 7] for i in range(0, len(days), 7)]
    title = (
        anchor.strftime("%B %Y")
        if view == "month"
        else f"Week of {start.strftime('%d %B %Y').lstrip('0')}"
    )
    return render_template(
        "calendar.html",
        view=view,
        weeks=weeks,
        title=title,
        anchor=anchor,
        prev=prev,
        next=nxt,
        today=today,
        images=media.of_posts(get_db(), (p.id for d in days.values() for p in d.shown)),
        slugs=slugs,
        colour_of=colour_of,
    )


@bp.post("/calendar/approve-day")
def approve_day() -> Response:
    """Approve every draft of one day (in the campaign's zone)."""
    from posts.editing import approve_drafts

    day = inputs.day(request.form.get("day"), local(now(), zone_name()).date())
    result = approve_drafts(get_db(), actor=actor(), day=day, by=by())
    message = f"Approved {len(result.approved)} draft(s) for {day.isoformat()}."
    if result.skipped:
        message += (
            f" Skipped {len(result.skipped)} you wrote or last edited: another approver must "
            "approve them (four eyes)."
        )
    flash(message, "ok")
    return back(url_for("calendar.calendar"))
