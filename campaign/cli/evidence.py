"""``campaign mentions code | codes | …``: review as evidence (issue 16), as subcommands of
``campaign mentions``. Parses, calls :mod:`campaign.mentions`, prints."""

from __future__ import annotations

import sys
from typing import Any

import click

from campaign.cli.common import MENTION_ID, CliContext, UserError, pass_ctx, print_json
from campaign.cli.mentions import _filter, _has_filter, filter_options


def register(group: click.Group) -> None:
    """Add these subcommands to ``campaign mentions``."""
    for command in (code, codes):
        group.add_command(command)


@click.command("code")
@click.argument("ids", nargs=-1, type=MENTION_ID)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A code to set, e.g. --set stance=opposes (repeat for more).",
)
@click.option(
    "--unset",
    "unsets",
    multiple=True,
    metavar="FIELD[=VALUE]",
    help="A code to remove (FIELD alone: every value of it).",
)
@filter_options
@click.option("--yes", is_flag=True, help="Code everything the search matches without asking.")
@pass_ctx
def code(
    obj: CliContext,
    /,
    ids: tuple[int, ...],
    sets: tuple[str, ...],
    unsets: tuple[str, ...],
    yes: bool,
    **opts: Any,
) -> None:
    """Code posts with the campaign's coding scheme: by ID, or everything a search matches.

    campaign mentions code 1866… 1867… --set stance=opposes --set theme=accountability
    campaign mentions code --search "#un_police" --set actor=official --yes

    The fields and values are the campaign's `coding:` (see `campaign mentions codes`). Each
    code records who set it and when.
    """
    from campaign.mentions.coding import check, code, parse, scheme_of
    from campaign.mentions.search import count
    from campaign.mentions.search import ids as matching_ids

    db = obj.db()
    set_list, unset_list = parse(sets), parse(unsets, unset=True)
    if not set_list and not unset_list:
        raise UserError("say what to code: --set FIELD=VALUE or --unset FIELD[=VALUE]")
    scheme = scheme_of(db)
    check(scheme, set_list)
    if ids and _has_filter(opts):
        raise UserError("give post ids or a search, not both")
    if not ids:
        if not _has_filter(opts):
            raise UserError(
                "say which posts to code: their ids (see `campaign mentions list`), or a search "
                "such as --search WORDS or --status new"
            )
        f = _filter(obj, opts)
        n = count(db, f)
        if n == 0:
            click.echo("No posts match: nothing coded.")
            return
        if n > 1 and not yes:
            if not sys.stdin.isatty():
                raise UserError(f"{n} posts match: add --yes to code them all")
            click.confirm(f"Code {n} posts?", abort=True)
        ids = tuple(matching_ids(db, f))
    changed = code(db, ids, sets=set_list, unsets=unset_list, actor=obj.actor, scheme=scheme)
    click.echo(
        f"Coded {len(ids)} post{'s' if len(ids) != 1 else ''}: {changed} "
        f"code{'s' if changed != 1 else ''} changed."
    )


@click.command("codes")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@pass_ctx
def codes(obj: CliContext, as_json: bool) -> None:
    """The coding scheme with how many posts carry each value (retired values included)."""
    from campaign.mentions.coding import counts, scheme_of

    db = obj.db()
    rows = counts(db)
    if as_json:
        print_json(rows)
        return
    if not scheme_of(db) and not rows:
        click.echo(
            "The campaign has no coding scheme: add `coding:` under `campaign:` in its YAML "
            "(e.g. stance: [supports, opposes, neutral, unclear]) and load it again."
        )
        return
    for r in rows:
        retired = "  (retired)" if r["retired"] else ""
        click.echo(f"{r['field']:<14} {r['value']:<24} {r['posts']:>8}{retired}")
