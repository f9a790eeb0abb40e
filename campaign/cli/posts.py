"""``campaign posts …``: list, show, add, edit, approve, cancel and check posts.

Parses, calls :mod:`posts.editing` and :mod:`posts.queue`, prints. Lines that report a change go
to stdout, one per post; warnings and "nothing to do" notes go to stderr.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import click

from campaign.cli.common import (
    CAMPAIGN,
    CAMPAIGN_FILTER,
    POST_ID,
    CliContext,
    one_campaign,
    pass_ctx,
    print_json,
    some_campaign,
)


def _zone(obj: CliContext) -> str:
    from campaign.metadata import settings_for

    return settings_for(obj.db()).timezone


def _when(text: str, tz: str) -> datetime:
    from campaign.clock import parse_when

    return parse_when(text, tz, strict=True)


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _warn_if_past(post: Any, tz: str, overdue_minutes: int) -> None:
    from campaign.clock import show
    from posts.editing import is_past
    from posts.queue import PostStatus

    if post.status == PostStatus.APPROVED and is_past(post):
        click.echo(
            f"Warning: post {post.id} is approved for {show(post.scheduled_at, tz)}, which has "
            f"already passed: the daemon sends it as soon as it runs, or marks it missed if it is "
            f"more than {overdue_minutes} minutes late. To move it: "
            f"campaign posts edit {post.id} --at WHEN",
            err=True,
        )
    elif post.status == PostStatus.DRAFT and is_past(post):
        click.echo(
            f"Warning: post {post.id} is set for {show(post.scheduled_at, tz)}, which has already "
            f"passed: move it with `campaign posts edit {post.id} --at WHEN` before approving it "
            "(approved late, it goes out at once, or is marked missed).",
            err=True,
        )


class _InOrder(click.Group):
    """A group that lists its commands in the order they are defined, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=_InOrder)
def posts() -> None:
    """List, add, edit, approve and cancel posts.

    Times you type are ISO 8601 (2026-12-06T09:00-05:00); without an offset they are read in
    the campaign's time zone.
    """


# How many posts the table shows unless --limit says otherwise (--json lists every post).
TABLE_ROWS = 100


@posts.command("list")
@click.option("--status", "status", metavar="STATUS", help="Only posts in this status.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    metavar="N",
    help=f"Show the first N posts (0: all). Default: the table shows {TABLE_ROWS}, --json all.",
)
@CAMPAIGN_FILTER
@pass_ctx
def list_posts(
    obj: CliContext,
    status: str | None,
    as_json: bool,
    limit: int | None,
    campaign_slug: str | None,
) -> None:
    """List posts in time order, with their status, time and length (every campaign's, or
    --campaign's). The table shows the first 100 (--limit N for more, 0 for all), with the
    counts and cost of every post listed; --json gives every post unless --limit is given."""
    from campaign.metadata.store import campaigns
    from posts import queue

    if status is not None:
        queue.check_status(status)
    db = obj.db()
    chosen = some_campaign(obj, campaign_slug)
    if limit is None:
        limit = 0 if as_json else TABLE_ROWS
    found = queue.list_posts(
        db, status, campaign_id=chosen.id if chosen else None, limit=limit or None
    )
    if as_json:
        from campaign.metadata import settings_for
        from posts.cost import post_cost, unit
        from posts.metrics import latest

        slugs: dict[int | None, str] = {c.id: c.slug for c in campaigns(db)}
        prices = {cid: settings_for(db, cid) for cid in slugs}
        default = settings_for(db)
        read = latest(db, (p.id for p in found))
        print_json(
            [
                {
                    **p.to_json(),
                    "campaign": slugs.get(p.campaign_id),
                    "cost_usd": unit(
                        post_cost(p.text, prices.get(p.campaign_id, default), p.has_link)
                    ),
                    "metrics": read[p.id].counts() if p.id in read else None,
                    "metrics_at": read[p.id].at.isoformat() if p.id in read else None,
                }
                for p in found
            ]
        )
        return
    if not found:
        if status:
            click.echo(f"No {status} posts.")
        else:
            click.echo(
                "No posts yet: generate drafts with `campaign plan` or add one with "
                "`campaign posts add --text TEXT --at WHEN`."
            )
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from campaign.clock import show
    from campaign.metadata import settings_for
    from posts.length import LIMIT

    settings = settings_for(db)
    tz = settings.timezone
    rows = [
        (str(p.id), p.status, show(p.scheduled_at, tz), p.kind, str(p.weighted_length))
        for p in found
    ]
    headers = ("ID", "Status", f"Time ({tz})", "Kind", f"Len/{LIMIT}")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    console = Console(highlight=False, markup=False, emoji=False)
    # The short columns keep their full width; only the text gives way on a narrow screen.
    room = max(12, console.width - sum(widths) - 2 * len(widths))
    text_width = min(room, max(4, *(len(_first_line(p.text, room)) for p in found)))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for i, (header, width) in enumerate(zip(headers, widths, strict=True)):
        justify: Literal["left", "right"] = "right" if i in (0, 4) else "left"
        table.add_column(header, justify=justify, no_wrap=True, width=width)
    table.add_column("Text", no_wrap=True, overflow="ellipsis", width=text_width)
    for p, row in zip(found, rows, strict=True):
        table.add_row(*row, Text(_first_line(p.text, text_width)))
    console.print(table)
    # Counts and costs are of every post the filters match, shown or not (grouped in SQL).
    tallies = queue.tallies(
        db,
        queue.Filter(
            status=queue.PostStatus(status) if status else None,
            campaign_id=chosen.id if chosen else None,
        ),
    )
    counts: dict[str, int] = {}
    for (_, s), tally in tallies.items():
        counts[s] = counts.get(s, 0) + tally.count
    total = sum(counts.values())
    parts = [f"{counts[s]} {s}" for s in queue.STATUSES if s in counts]
    noun = "post" if total == 1 else "posts"
    click.echo(f"{total} {noun}: {', '.join(parts)}")
    _cost_footer(tallies, settings)
    if total > len(found):
        click.echo(
            f"Showing the first {len(found)} of {total} in time order: --limit N for more "
            "(0: all), or narrow with --status and --campaign.",
            err=True,
        )


def _cost_footer(tallies: Any, settings: Any) -> None:
    """What the listed posts cost on X: those still to go out, and those already out."""
    from posts.cost import TO_GO_OUT, estimate_tallied, usd
    from posts.queue import PostStatus

    ahead = estimate_tallied(tallies, TO_GO_OUT, settings)
    spent = estimate_tallied(tallies, [PostStatus.PUBLISHED], settings)
    click.echo(
        f"Cost on X: {usd(ahead.total)} for the {ahead.count} listed drafts and approved posts "
        f"if they go out ({ahead.with_link} with links); {usd(spent.total)} for the "
        f"{spent.count} published"
    )


# Posts that may still go out (and be billed): drafts and the approved ones on their way.


@posts.command("show")
@click.argument("post_id", metavar="ID", type=POST_ID)
@click.option("--json", "as_json", is_flag=True, help="JSON, with the audit trail as `history`.")
@pass_ctx
def show_post(obj: CliContext, post_id: int, as_json: bool) -> None:
    """Everything about one post, with its history of changes."""
    from campaign.clock import from_db, show
    from posts import media, queue
    from posts.length import LIMIT
    from posts.metrics import readings

    db = obj.db()
    post = queue.get(db, post_id)
    trail = queue.history(db, post_id)
    images = media.of_post(db, post_id)
    read = readings(db, post_id)
    if as_json:
        data = post.to_json()
        data["images"] = [a.to_json() for a in images]
        data["history"] = [
            {k: (from_db(v).isoformat() if k == "at" else v) for k, v in row.items()}
            for row in trail
        ]
        data["metrics"] = [r.to_json() for r in read]
        print_json(data)
        return
    tz = _zone(obj)

    def field(label: str, value: object) -> None:
        click.echo(f"  {label + ':':<14}{value}")

    click.echo(f"Post {post.id}: {post.kind}, {post.status}")
    field("Time", f"{show(post.scheduled_at, tz)}  ({post.scheduled_at.isoformat()})")
    field("Length", f"{post.weighted_length}/{LIMIT} weighted characters")
    field("Tweet id", post.tweet_id or "-")
    if post.published_at:
        field("Published", show(post.published_at, tz))
    field("Hand-edited", "yes" if post.hand_edited else "no")
    if post.reply_to_post_id is not None:
        field("Reply to", f"post {post.reply_to_post_id}")
    if post.reply_to_tweet_id is not None:
        field("Reply to", f"collected post {post.reply_to_tweet_id}")
    if post.quote_tweet_id is not None:
        field("Quotes", f"collected post {post.quote_tweet_id}")
    if post.source_key:
        field("Source", post.source_key + (f" (template {post.template})" if post.template else ""))
    if post.attempts:
        field("Attempts", post.attempts)
    if post.last_error:
        field("Last error", post.last_error)
    if post.claimed_at:
        field("Claimed", f"{show(post.claimed_at, tz)} by {post.claimed_by or '?'}")
    field("Created", show(post.created_at, tz))
    field("Updated", show(post.updated_at, tz))
    click.echo("Text:")
    for line in post.text.splitlines() or [""]:
        click.echo(f"  {line}")
    if images:
        click.echo("Images:")
        for a in images:
            size = f"{a.mime_type}, {a.width}×{a.height}, {a.size / 1024:.0f} KB"
            click.echo(f"  {a.position}. {a.name} ({size})")
            click.echo(f"     alt: {a.alt_text}")
    if read:
        click.echo(
            "Metrics (impressions, likes, reposts, replies, quotes, bookmarks, link clicks):"
        )
        for r in read:
            clicks = "-" if r.link_clicks is None else r.link_clicks
            click.echo(
                f"  {show(r.at, tz)}  {r.impressions or 0} · {r.likes or 0} · {r.reposts or 0} · "
                f"{r.replies or 0} · {r.quotes or 0} · {r.bookmarks or 0} · {clicks}"
            )
    click.echo("History:")
    for row in trail:
        change = (
            f"{row['from_status']} -> {row['to_status']}"
            if row["from_status"] and row["from_status"] != row["to_status"]
            else row["to_status"]
        )
        detail = f"  {row['detail']}" if row["detail"] else ""
        if row.get("repeats", 1) > 1:  # identical tries folded into one row (posts.repeats)
            detail += f"  (×{row['repeats']}, the last at {show(row['last_at'], tz)})"
        click.echo(f"  {show(row['at'], tz)}  {row['actor']}  {change}{detail}")


@posts.command("history")
@click.argument("post_id", metavar="ID", type=POST_ID)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of the changes.")
@pass_ctx
def history(obj: CliContext, post_id: int, as_json: bool) -> None:
    """Every change to one post, oldest first: when, who, from and to, and why."""
    from campaign.clock import from_db, show
    from posts import queue

    db = obj.db()
    queue.get(db, post_id)
    trail = queue.history(db, post_id)
    if as_json:
        print_json(
            [
                {
                    "at": from_db(row["at"]).isoformat(),
                    "actor": row["actor"],
                    "from_status": row["from_status"],
                    "to_status": row["to_status"],
                    "detail": row["detail"],
                }
                for row in trail
            ]
        )
        return
    tz = _zone(obj)
    for row in trail:
        change = (
            f"{row['from_status']} -> {row['to_status']}"
            if row["from_status"] and row["from_status"] != row["to_status"]
            else row["to_status"]
        )
        detail = f"  {row['detail']}" if row["detail"] else ""
        click.echo(f"{show(row['at'], tz)}  {row['actor']}  {change}{detail}")


_IMAGE = click.option(
    "--image",
    "images",
    multiple=True,
    metavar="FILE",
    help="Attach an image (PNG, JPEG, GIF or WebP, up to 5 MB; up to 4). Each needs an --alt.",
)
_ALT = click.option(
    "--alt",
    "alts",
    multiple=True,
    metavar="TEXT",
    help="The alt text of the --image before it (required; up to 1,000 characters).",
)


def _images(paths: tuple[str, ...], alts: tuple[str, ...]) -> list[Any]:
    from posts.media import pair

    return pair(paths, alts)


@posts.command("add")
@click.option("--text", required=True, help="What the post says (the hashtag is added if missing).")
@click.option("--at", "when", metavar="WHEN", help="When to publish (ISO 8601).")
@click.option(
    "--next-slot",
    is_flag=True,
    help="Publish at the next free queue slot (queue_slots on queue_days) instead of --at.",
)
@click.option("--approve", is_flag=True, help="Approve it at once instead of leaving a draft.")
@click.option("--reply-to", type=POST_ID, metavar="ID", help="Publish it as a reply to post ID.")
@_IMAGE
@_ALT
@CAMPAIGN
@pass_ctx
def add(
    obj: CliContext,
    text: str,
    when: str | None,
    next_slot: bool,
    approve: bool,
    reply_to: int | None,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    campaign_slug: str | None,
) -> None:
    """Add a post written by hand to a campaign (with its hashtag); prints only its new id.

    Images go with --image FILE --alt TEXT, once for each image, in the order X shows them.
    """
    from campaign.metadata import settings_for
    from posts import editing

    db = obj.db()
    chosen = one_campaign(obj, campaign_slug)
    if approve:
        obj.require("approve", "approving posts")
    elif reply_to is not None:
        obj.require("reply", "drafting replies")
    else:
        obj.require("edit", "adding posts")
    settings = settings_for(db, chosen.id if chosen else None)
    if (when is None) == (not next_slot):
        from campaign.errors import CampaignError

        raise CampaignError("say when: give --at WHEN or --next-slot (not both)")
    if next_slot:
        from posts.slots import next_free

        at = next_free(db, settings)
    else:
        assert when is not None
        at = _when(when, settings.timezone)
    post = editing.add(
        db,
        text,
        at,
        actor=obj.actor,
        approve=approve,
        reply_to=reply_to,
        by=obj.acting().name,
        images=_images(images, alts),
        campaign_id=chosen.id if chosen else None,
    )
    click.echo(str(post.id))
    _warn_if_past(post, settings.timezone, settings.overdue_limit_minutes)


@posts.command("edit")
@click.argument("post_id", metavar="ID", type=POST_ID)
@click.option("--text", help="The new text (checked again; the hashtag is added if missing).")
@click.option("--at", "when", metavar="WHEN", help="The new time (ISO 8601).")
@click.option("--reply-to", type=POST_ID, metavar="ID", help="Publish it as a reply to post ID.")
@_IMAGE
@_ALT
@click.option("--no-images", is_flag=True, help="Take every image off the post.")
@pass_ctx
def edit(
    obj: CliContext,
    post_id: int,
    text: str | None,
    when: str | None,
    reply_to: int | None,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    no_images: bool,
) -> None:
    """Change the text, the time, the reply target or the images of a post.

    --image FILE --alt TEXT (repeated) replaces all the post's images; --no-images removes them.

    A new text is checked again (hashtag, tracking, length, duplicates). The post keeps its
    status and `campaign plan` never overwrites it afterwards; with a team (four eyes) an
    approved post goes back to draft for another approval. Posts being published or already
    published cannot be edited.
    """
    from campaign.clock import show
    from campaign.metadata import settings_for
    from posts import editing, queue

    db = obj.db()
    obj.require("edit", "editing posts")
    settings = settings_for(db)
    tz = settings.timezone
    at = _when(when, tz) if when is not None else None
    from campaign.errors import CampaignError
    from posts import media

    if no_images and images:
        raise CampaignError("give --image or --no-images, not both")
    new_images = [] if no_images else (_images(images, alts) if images or alts else None)
    before = queue.get(db, post_id)
    images_before = media.of_post(db, post_id)
    after = editing.edit(
        db,
        post_id,
        actor=obj.actor,
        text=text,
        at=at,
        reply_to=reply_to,
        by=obj.acting().name,
        images=new_images,
    )
    changed = [
        what
        for what, differs in (
            ("text", after.text != before.text),
            ("time", after.scheduled_at != before.scheduled_at),
            ("reply target", after.reply_to_post_id != before.reply_to_post_id),
            ("images", new_images is not None and not media.same(images_before, new_images)),
        )
        if differs
    ]
    if not changed:
        click.echo(f"Post {post_id} already has that text and time: nothing changed.", err=True)
        return
    line = f"Edited post {post_id} ({' and '.join(changed)}): {show(after.scheduled_at, tz)}"
    line += f", {after.weighted_length} weighted characters"
    if before.status == queue.PostStatus.APPROVED and after.status == queue.PostStatus.DRAFT:
        line += "; it is a draft again: another approver must approve it (four eyes)"
    elif after.status == queue.PostStatus.APPROVED:
        line += "; it is still approved and goes out as edited"
    elif after.status in (queue.PostStatus.FAILED, queue.PostStatus.MISSED):
        line += f"; it is still {after.status}: approve it to send it"
    click.echo(line)
    _warn_if_past(after, tz, settings.overdue_limit_minutes)


@posts.command("import")
@click.argument("file", metavar="FILE.csv", type=click.Path(dir_okay=False))
@click.option("--approve", is_flag=True, help="Approve every imported post at once.")
@pass_ctx
def import_csv(obj: CliContext, file: str, approve: bool) -> None:
    """Add posts from a CSV file (as Excel or Google Sheets save it), all or nothing.

    Columns: text, at (ISO 8601, or YYYY-MM-DD HH:MM in the campaign's zone), and optionally
    image (a file beside the CSV), alt (its alt text, required with an image), campaign and
    reply_to (the row number of the post it answers; the header is row 1). Any bad row refuses
    the whole file, listing every bad row by its number and why. Prints the new ids.
    """
    from pathlib import Path

    from posts import csvimport, editing

    db = obj.db()
    obj.require("approve" if approve else "edit", "importing posts")
    by = obj.acting().name
    if approve and editing.four_eyes(db):
        from campaign.people import AccessError, Role

        raise AccessError(
            f"{by} cannot approve posts they import: import them as drafts, and another "
            "approver must approve them (four eyes)",
            Role.APPROVER,
        )
    checked = csvimport.check(db, csvimport.read_file(file), folder=Path(file).resolve().parent)
    ids = csvimport.insert(db, checked, actor=obj.actor, by=by)
    if approve:
        editing.approve(db, ids, actor=obj.actor, by=by)
    for post_id in ids:
        click.echo(str(post_id))
    state = "approved" if approve else "drafts"
    click.echo(f"Imported {len(ids)} posts from {Path(file).name} ({state}).", err=True)


@posts.command("approve")
@click.argument("ids", metavar="ID...", nargs=-1, type=POST_ID)
@click.option("--all", "all_drafts", is_flag=True, help="Approve every draft.")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="With --all: only the drafts of this day (campaign's time zone).",
)
@pass_ctx
def approve(obj: CliContext, ids: tuple[int, ...], all_drafts: bool, day: datetime | None) -> None:
    """Approve posts by id, or every draft with --all.

    The daemon publishes approved posts when they are due. Approving a post whose time has
    passed warns you: the daemon sends it at once, or marks it missed if it is too late.
    """
    from campaign.clock import show
    from campaign.errors import CampaignError
    from campaign.metadata import settings_for
    from posts import editing

    if all_drafts and ids:
        raise CampaignError("give post ids or --all, not both")
    if day is not None and not all_drafts:
        raise CampaignError("--day only works with --all: `campaign posts approve --all --day DAY`")
    if not all_drafts and not ids:
        raise CampaignError(
            "say which posts to approve: `campaign posts approve ID...` or `--all` for every draft"
        )
    db = obj.db()
    obj.require("approve", "approving posts")
    by = obj.acting().name
    settings = settings_for(db)
    tz = settings.timezone
    if all_drafts:
        result = editing.approve_drafts(db, actor=obj.actor, day=day.date() if day else None, by=by)
        done = result.approved
        where = f" on {day.date().isoformat()}" if day else ""
        if result.skipped:
            n = len(result.skipped)
            click.echo(
                f"Skipped {n} draft{'s' if n != 1 else ''}{where} that {by} wrote or last edited "
                f"(ids {', '.join(str(p.id) for p in result.skipped)}): another approver must "
                "approve them (four eyes).",
                err=True,
            )
        elif not done:
            click.echo(f"No drafts{where} to approve.", err=True)
    else:
        done = editing.approve(db, ids, actor=obj.actor, by=by)
        changed = {p.id for p in done}
        for post_id in dict.fromkeys(ids):
            if post_id not in changed:
                click.echo(f"Post {post_id} was already approved.", err=True)
    for post in done:
        click.echo(
            f"Approved post {post.id} for {show(post.scheduled_at, tz)}: {_first_line(post.text)}"
        )
        _warn_if_past(post, tz, settings.overdue_limit_minutes)
    if done:
        from posts import queue
        from posts.cost import COMMITTED, estimate, usd

        these = estimate((p.text for p in done), settings)
        waiting = estimate((p.text for p in queue.list_posts(db, COMMITTED)), settings)
        goes = (
            "post: {} on X when it goes out"
            if these.count == 1
            else "posts: {} on X when they go out"
        )
        click.echo(
            f"Approved {these.count} {goes.format(usd(these.total))}; "
            f"approved and not yet published in all: {usd(waiting.total)}",
            err=True,
        )


@posts.command("cancel")
@click.argument("ids", metavar="ID...", nargs=-1, type=POST_ID, required=True)
@pass_ctx
def cancel(obj: CliContext, ids: tuple[int, ...]) -> None:
    """Cancel posts so they are never published."""
    from posts import editing, queue

    db = obj.db()
    obj.require("edit", "cancelling posts")
    before = {post_id: queue.get(db, post_id).status for post_id in dict.fromkeys(ids)}
    done = editing.cancel(db, ids, actor=obj.actor)
    changed = {p.id for p in done}
    for post in done:
        click.echo(f"Cancelled post {post.id} (was {before[post.id]}).")
    for orphan, parent in editing.replies_to(db, [p.id for p in done]):
        click.echo(
            f"Warning: post {orphan} replies to post {parent}, so it can never go out now: "
            f"cancel it too (`campaign posts cancel {orphan}`) or add it again without "
            "--reply-to.",
            err=True,
        )
    for post_id in before:
        if post_id not in changed:
            click.echo(f"Post {post_id} was already cancelled.", err=True)


@posts.command("check")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help='{"weighted_length": N, "valid": bool}')
def check(text: str, as_json: bool) -> None:
    """X's weighted length of TEXT exactly as given (no hashtag added)."""
    from posts.length import check as length_check

    result = length_check(text)
    if as_json:
        print_json({"weighted_length": result.weighted_length, "valid": result.valid})
        return
    n, limit = result.weighted_length, result.limit
    if result.valid:
        verdict = f"fits ({limit - n} to spare)"
    elif n > limit:
        verdict = f"too long by {n - limit}"
    elif not text.strip():
        verdict = "empty: X needs some text"
    else:
        verdict = "not accepted: it contains a character X refuses"
    click.echo(f"{n}/{limit} weighted characters: {verdict}")


def _series() -> None:
    from campaign.cli.series import series

    posts.add_command(series)


_series()
