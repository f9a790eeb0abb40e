"""``campaign posts series …``: evergreen posts repeated every N days, approved once."""

from __future__ import annotations

import click

from campaign.cli.common import CAMPAIGN, CliContext, one_campaign, pass_ctx


@click.group("series")
def series() -> None:
    """Evergreen posts: a text and its variants repeated every N days until a date."""


@series.command("add")
@click.option(
    "--text", "texts", multiple=True, required=True, help="A variant (repeat for each variant)."
)
@click.option("--at", "when", required=True, metavar="WHEN", help="The first time (ISO 8601).")
@click.option(
    "--every",
    "every_days",
    type=click.IntRange(1, 365),
    required=True,
    metavar="DAYS",
    help="Days between two posts.",
)
@click.option(
    "--until", "until", required=True, metavar="WHEN", help="No post after this (a date or time)."
)
@click.option(
    "--image", "images", multiple=True, metavar="FILE", help="An image on every post (with --alt)."
)
@click.option(
    "--alt", "alts", multiple=True, metavar="TEXT", help="The alt text of the --image before it."
)
@click.option("--approve", is_flag=True, help="Approve the whole series at once.")
@CAMPAIGN
@pass_ctx
def add(
    obj: CliContext,
    texts: tuple[str, ...],
    when: str,
    every_days: int,
    until: str,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    approve: bool,
    campaign_slug: str | None,
) -> None:
    """Queue a series: one post every DAYS days from --at until --until, rotating the variants
    so no text comes back while X would refuse it as a duplicate. Prints the series id and the
    id of each post."""
    from campaign.clock import parse_when, show
    from campaign.metadata import settings_for
    from posts import media
    from posts import series as evergreen

    db = obj.db()
    chosen = one_campaign(obj, campaign_slug)
    obj.require("approve" if approve else "edit", "adding a series")
    settings = settings_for(db, chosen.id if chosen else None)
    tz = settings.timezone
    first = parse_when(when, tz, strict=True)
    end = parse_when(until if ("T" in until or " " in until) else until + "T23:59", tz)
    by = obj.acting().name
    made = evergreen.create(
        db,
        texts,
        first,
        every_days=every_days,
        until_at=end,
        actor=obj.actor,
        by=by,
        images=media.pair(images, alts),
        campaign_id=chosen.id if chosen else None,
    )
    if approve:
        evergreen.approve(db, made.id, actor=obj.actor, by=by)
    click.echo(
        f"Series {made.id}: {len(made.post_ids)} posts, every {every_days} days, "
        f"{show(made.first_at, tz)} until {show(made.until_at, tz)}"
    )
    for post_id in made.post_ids:
        click.echo(str(post_id))


@series.command("approve")
@click.argument("series_id", metavar="ID", type=click.IntRange(1))
@pass_ctx
def approve_series(obj: CliContext, series_id: int) -> None:
    """Approve every post of a series that is still a draft."""
    from posts import series as evergreen

    db = obj.db()
    obj.require("approve", "approving posts")
    done = evergreen.approve(db, series_id, actor=obj.actor, by=obj.acting().name)
    click.echo(f"Approved {len(done)} posts of series {series_id}.")


@series.command("list")
@pass_ctx
def list_series(obj: CliContext) -> None:
    """Every series: how often, until when, and its posts' statuses."""
    from campaign.clock import show
    from campaign.metadata import settings_for
    from posts import queue
    from posts import series as evergreen

    db = obj.db()
    tz = settings_for(db).timezone
    found = evergreen.all_series(db)
    if not found:
        click.echo("No series yet: add one with `campaign posts series add`.")
        return
    for s in found:
        statuses: dict[str, int] = {}
        for post_id in s.post_ids:
            status = queue.get(db, post_id).status
            statuses[status] = statuses.get(status, 0) + 1
        counts = ", ".join(f"{n} {st}" for st, n in statuses.items())
        click.echo(
            f"Series {s.id}: every {s.every_days} days from {show(s.first_at, tz)} until "
            f"{show(s.until_at, tz)}, {s.variants} variants; {counts}"
        )
