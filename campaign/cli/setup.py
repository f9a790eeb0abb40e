"""``campaign init``, ``load`` and ``import-page``: getting metadata into the store."""

from __future__ import annotations

import click

from campaign.cli.common import CliContext, pass_ctx


@click.command()
@pass_ctx
def init(obj: CliContext) -> None:
    """Create the campaign database, or bring an existing one up to date.

    Safe to run any number of times: it never removes anything.
    """
    obj.db()
    click.echo(f"Campaign database ready: {obj.db_path}")
