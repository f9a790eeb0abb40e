"""``campaign plan`` and ``campaign calendar``: the schedule, generated and shown."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from campaign.cli.common import CAMPAIGN_FILTER, CliContext, check_folder, pass_ctx, some_campaign
from campaign.store import write_private


@click.command()
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="A folder of your own templates (<kind>.j2 overrides a default, <kind>-<name>.j2 adds a variant).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change without writing anything.")
@click.option(
    "--campaign",
    "campaign_slug",
    metavar="SLUG",
    help="Only this campaign (see `campaign campaigns list`); default: every active campaign.",
)
@pass_ctx
def plan(
    obj: CliContext, templates_dir: str | None, dry_run: bool, campaign_slug: str | None
) -> None:
    """Generate draft posts from the loaded campaign, or refresh them after a change.

    Without --campaign every active campaign is planned (an archived one, or one more than
    collect_days_after days past its event, is not, unless it is the workspace's only one).
    Safe to run again: it updates drafts whose source changed and never touches posts that are
    approved, published, cancelled or edited by hand.
    """
    from campaign.metadata import require
    from campaign.metadata.store import working_campaigns

    db = obj.db()
    if not dry_run:
        obj.require("edit", "planning drafts")
    chosen = some_campaign(obj, campaign_slug)
    if chosen is not None:
        targets = [chosen.id]
    else:
        targets = [c.id for c in working_campaigns(db)]
        if not targets:
            require(db)  # none loaded: says how to load one
            click.echo("No active campaign to plan: every campaign is archived or ended.")
            return
    for campaign_id in targets:
        _plan_one(obj, campaign_id, templates_dir, dry_run)


def _plan_one(obj: CliContext, campaign_id: int, templates_dir: str | None, dry_run: bool) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from campaign.clock import now, show
    from campaign.metadata import require
    from campaign.metadata.store import same_account
    from posts.planner import refresh

    db = obj.db()
    if not dry_run:
        obj.require("edit", "planning drafts")
    from pathlib import Path

    from campaign.metadata.store import source_file

    md = require(db, campaign_id)
    loaded_from = source_file(
        db, campaign_id
    )  # photos and covers are named relative to the YAML's folder
    planned, result = refresh(
        db,
        md,
        templates_dir=templates_dir,
        actor="planner",
        dry_run=dry_run,
        images_dir=Path(loaded_from).parent if loaded_from else None,
        campaign_id=campaign_id,
        neighbours=same_account(db, campaign_id),
    )
    tz = md.campaign.timezone
    labels = {"skipped_protected": "kept"}
    table = Table(
        title=f"{md.campaign.name} {md.campaign.hashtag} (times in {tz})",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("When", no_wrap=True, min_width=22)
    table.add_column("Kind", no_wrap=True, min_width=12)
    table.add_column("Len", justify="right", no_wrap=True, min_width=3)
    table.add_column("Plan", no_wrap=True, min_width=9)
    table.add_column("Text", no_wrap=True, overflow="ellipsis", ratio=1)
    past = 0
    current = now()
    for p in planned:
        outcome = result.outcomes.get(p.source_key, "")
        when = show(p.scheduled_at, tz)
        if p.scheduled_at < current:
            past += 1
            when += " *"
        first = p.text.splitlines()[0]
        table.add_row(when, p.kind, str(p.weighted_length), labels.get(outcome, outcome), first)
    Console(markup=False).print(table)  # post texts may hold '[/…]', not markup
    counts = (
        f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
        f"kept {result.skipped_protected} (approved, published, cancelled or edited by hand)"
    )
    if dry_run:
        click.echo(f"Dry run, nothing written. It would be: {counts}.")
    else:
        click.echo(f"Drafts {counts}.")
    _cost_line(db, md.campaign, planned, result.outcomes, dry_run, campaign_id)
    if past:
        click.echo(
            f"* {past} of these times have already passed: change them with "
            "`campaign posts edit ID --at WHEN` or cancel them (an approved late post is marked missed)."
        )


def _cost_line(
    db: Any,
    settings: Any,
    planned: list[Any],
    outcomes: dict[str, str],
    dry_run: bool,
    campaign_id: int,
) -> None:
    """What the drafts cost on X if they all go out (dry run: the drafts the plan would leave)."""
    from posts.cost import dollars, estimate, estimate_tallied, usd
    from posts.queue import Filter, PostStatus, tallies

    if dry_run:
        texts = [p.text for p in planned if outcomes.get(p.source_key) != "skipped_protected"]
        cost = estimate(texts, settings)
    else:
        drafts = tallies(db, Filter(status=PostStatus.DRAFT, campaign_id=campaign_id))
        cost = estimate_tallied(drafts, [PostStatus.DRAFT], settings)
    noun = "draft" if cost.count == 1 else "drafts"
    click.echo(
        f"Estimated cost on X if all {cost.count} {noun} go out: {usd(cost.total)} "
        f"({cost.with_link} with links at {usd(dollars(settings.price_post_with_link))}, "
        f"{cost.without_link} without at {usd(dollars(settings.price_post))})"
    )


# `campaign plan` (owned by the planner's author) goes above this line.


@click.command()
@click.option(
    "--ics",
    "ics_file",
    metavar="FILE",
    help="Write an iCalendar file for staff calendars instead (- for stdout).",
)
@click.option(
    "--days",
    type=click.IntRange(max=36_500),  # a hundred years; more overflows the calendar
    metavar="N",
    help="Only today and the following days, N in all (campaign's time zone).",
)
@CAMPAIGN_FILTER
@pass_ctx
def calendar(
    obj: CliContext, ics_file: str | None, days: int | None, campaign_slug: str | None
) -> None:
    """Show the schedule, or export it as iCalendar.

    Without --ics: the posts that are not cancelled, grouped by day in the campaign's time zone.
    With --ics FILE: one 5-minute event per post, which calendar programs update on re-import.
    Every campaign's posts (each line names its campaign when there are several), or
    --campaign's.
    """
    from campaign.clock import local, show
    from campaign.metadata import settings_for
    from campaign.metadata.store import campaigns
    from posts import calendar as cal

    db = obj.db()
    chosen = some_campaign(obj, campaign_slug)
    settings = settings_for(db, chosen.id if chosen else None)
    found = cal.scheduled(db, settings, days=days, campaign_id=chosen.id if chosen else None)
    workspace = campaigns(db)
    slugs: dict[int | None, str] = (
        {c.id: c.slug for c in workspace} if chosen is None and len(workspace) > 1 else {}
    )
    if ics_file is not None:
        data = cal.to_ics(found, settings, revisions=cal.revisions(db))
        if ics_file == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        _write_atomically(Path(ics_file), data)
        noun = "post" if len(found) == 1 else "posts"
        click.echo(f"Wrote {len(found)} {noun} to {ics_file}")
        return
    tz = settings.timezone
    if not found:
        within = f" in the next {days} days" if days else ""
        click.echo(f"Nothing scheduled{within}: see `campaign posts list` or run `campaign plan`.")
        return
    if slugs:
        click.echo(f"All {len(slugs)} campaigns: times in {tz}")
    else:
        click.echo(f"{settings.name} {settings.hashtag}: times in {tz}")
    for day, group in cal.by_day(found, tz):
        click.echo("")
        click.echo(f"{day:%A} {day.day} {day:%B %Y}")
        for post in group:
            when = local(post.scheduled_at, tz).strftime("%H:%M")
            tag = f"{slugs.get(post.campaign_id, '-')}  " if slugs else ""
            click.echo(
                f"  {when}  #{post.id:<4} {tag}{post.status:<10} {post.kind:<13} "
                f"{cal.first_words(post.text, 10)}"
            )
    counts = f"{len(found)} post" + ("" if len(found) == 1 else "s")
    click.echo("")
    click.echo(
        f"{counts}; first {show(found[0].scheduled_at, tz)}, last {show(found[-1].scheduled_at, tz)}"
    )


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a reader never sees half of it."""
    from campaign.errors import CampaignError

    check_folder(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write_private(tmp, data)
        tmp.replace(path)
    except OSError as e:
        with contextlib.suppress(OSError):  # in a folder we may not write, unlink fails too
            tmp.unlink(missing_ok=True)
        raise CampaignError(f"cannot write {path}: {e.strerror or e}") from e
