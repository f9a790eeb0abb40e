"""``campaign plan`` and ``campaign calendar``: the schedule, generated and shown."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from campaign.cli.common import CliContext, pass_ctx

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
    type=int,
    metavar="N",
    help="Only today and the following days, N in all (campaign's time zone).",
)
@pass_ctx
def calendar(obj: CliContext, ics_file: str | None, days: int | None) -> None:
    """Show the schedule by day, or export it as iCalendar (one event per post)."""
    from campaign.clock import local, show
    from posts import calendar as cal
    from posts.editing import settings_for

    db = obj.db()
    settings = settings_for(db)
    found = cal.scheduled(db, settings, days=days)
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
    click.echo(f"{settings.name} {settings.hashtag}: times in {tz}")
    for day, group in cal.by_day(found, tz):
        click.echo("")
        click.echo(f"{day:%A} {day.day} {day:%B %Y}")
        for post in group:
            when = local(post.scheduled_at, tz).strftime("%H:%M")
            click.echo(
                f"  {when}  #{post.id:<4} {post.status:<10} {post.kind:<13} "
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

    if not path.parent.exists():
        raise CampaignError(
            f"cannot write {path}: the folder {path.parent} does not exist; create it first"
        )
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise CampaignError(f"cannot write {path}: {e.strerror or e}") from e
