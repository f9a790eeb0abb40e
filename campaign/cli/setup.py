"""``campaign init``, ``load`` and ``import-page``: getting metadata into the store."""

from __future__ import annotations

import sys

import click

from campaign.cli.common import CliContext, pass_ctx


@click.command()
@pass_ctx
def init(obj: CliContext) -> None:
    """Create the campaign database (safe to run again).

    Creates the database, or brings an existing one up to date. Safe to run any number of
    times: it never removes anything.
    """
    obj.db(create=True)
    click.echo(f"Campaign database ready: {obj.db_path}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_ctx
def load(obj: CliContext, file: str) -> None:
    """Load or update campaign metadata from a YAML file.

    Reads FILE, checks it, and stores it in the database as the campaign its `slug:` names
    (default: the hashtag without #, lower case): a new slug adds a campaign beside the others,
    whose posts are never touched. Loading the same file again changes nothing; speakers and
    publications removed from the file are removed from the campaign. Every problem in the file is listed with its line.
    The bundled sample is campaign/data/policing-in-conflict.yaml.
    """
    from campaign.metadata import parse_file, save, summary
    from campaign.metadata.store import campaigns
    from posts.queue import adopt_unassigned

    md = parse_file(file)
    obj.require("admin", "loading the campaign's settings")
    db = obj.db()
    saved = save(db, md, file)
    workspace = campaigns(db)
    if saved.created and len(workspace) == 1:
        adopt_unassigned(db, saved.id)  # posts added before any campaign: the first one's
    click.echo(f"Loaded {summary(md)}")
    if len(workspace) > 1:
        what = "Added" if saved.created else "Updated"
        click.echo(
            f"{what} the campaign {md.campaign.key}; this workspace has {len(workspace)} "
            f"campaigns: {', '.join(c.slug for c in workspace)}"
        )


@click.command("import-page")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--year",
    type=click.IntRange(1900, 2200),
    help="The event's year, when the page gives only month and day (default: the next one).",
)
@click.option(
    "--hashtag",
    metavar="TAG",
    help="The campaign's hashtag when the page names none, e.g. '#PeaceTech2027'.",
)
def import_page(file: str, year: int | None, hashtag: str | None) -> None:
    """Turn a pasted event page into metadata YAML to check.

    Reads the page from FILE (or - for standard input): the text copied from a browser in any
    layout, or the page saved as HTML. Prints the YAML on stdout. Facts the page does not give
    (the year, the time, URLs, handles) are filled with defaults marked `# CONFIRM:`, and lines
    it could not place are listed at the end as `# not used:`; check them, save the output and
    run `campaign load` on it.
    """
    from campaign.errors import CampaignError
    from campaign.importpage import decode_page, parse_page, to_yaml
    from campaign.limits import MAX_PAGE_BYTES, read_bounded

    if file == "-":
        data = read_bounded(sys.stdin.buffer, MAX_PAGE_BYTES, "standard input", "an event page")
    else:
        try:
            data = read_bounded(file, MAX_PAGE_BYTES, file, "an event page")
        except OSError as e:
            raise CampaignError(f"cannot read {file}: {e.strerror}; check the file name") from e
    source = "standard input" if file == "-" else file
    page = parse_page(decode_page(data, source), year, hashtag)
    click.echo(to_yaml(page), nl=False)
    if not page.speakers:
        click.echo(
            f"Note: found no speakers in {source}: add them under `speakers:` (name, role, "
            "organisation) before `campaign load`, or leave the list empty.",
            err=True,
        )
    if page.year_source == "none":
        click.echo(
            f"Warning: found no date in {source} (the importer reads English event pages, "
            "e.g. 'December 6'): the event's start above is a placeholder; write the real "
            "date before `campaign load`.",
            err=True,
        )
