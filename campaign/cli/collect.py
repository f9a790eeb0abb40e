"""``campaign collect``: fetch the conversation under the campaign's query from X, once.

Parses, calls :mod:`scheduler.collect`, prints. Exit codes: 0 done, 2 a problem you can fix
(message on stderr), 3 stopped at X's rate limit (what was fetched is kept; run it again after
the time it prints to continue where it stopped).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from campaign.cli.common import (
    CAMPAIGN_FILTER,
    INSECURE,
    X_TIMEOUT,
    CliContext,
    UserError,
    pass_ctx,
)

EXIT_RATE_LIMITED = 3


@click.command()
@click.option(
    "--max-requests",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many search requests (each costs money on X's pay-per-use plan).",
)
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False),
    default=None,
    help="A file of KEY=VALUE lines (X_BEARER_TOKEN=…) instead of the environment.",
)
@X_TIMEOUT
@INSECURE
@click.option("--quiet", is_flag=True, help="No progress display.")
@CAMPAIGN_FILTER
@pass_ctx
def collect(
    obj: CliContext,
    max_requests: int | None,
    credentials: str | None,
    timeout: float,
    insecure: bool,
    quiet: bool,
    campaign_slug: str | None,
) -> None:
    """Fetch new posts under the campaign's query from X's recent search, once.

    Without --campaign it collects for every active campaign, each account's hashtags in one
    query ((#A OR #B) -is:retweet, split only where X's query length forces it); a post that
    carries two campaigns' hashtags is stored once and belongs to both.

    Asks only for posts newer than the newest one stored (since_id), 100 a request, and pages
    until X has no more. Each page is stored as it arrives, so an interruption loses nothing:
    the next run continues where this one stopped. Credentials: X_BEARER_TOKEN (or the four
    user keys) in the environment, or --credentials FILE; X_API_BASE_URL points it at the
    simulator.

    Exit code 3 means X's rate limit stopped the run: what was fetched is kept, and running it
    again after the time printed continues from where it stopped.
    """
    from campaign.accounts import variable
    from campaign.clock import show
    from campaign.errors import CredentialsError
    from campaign.metadata.store import find, settings_for
    from scheduler.collect import budget_settings, collect_workspace, searches, workspace_settings
    from scheduler.xclient import Credentials, XClient

    db = obj.db()
    active = workspace_settings(db)  # refuses when no campaign is loaded
    if campaign_slug is not None:
        chosen = find(db, campaign_slug)
        active = [(chosen.id, chosen.account, settings_for(db, chosen.id))]
    if not active:
        click.echo("Nothing to collect: every campaign is archived or ended.")
        return
    settings = budget_settings(active)
    clients: dict[str, XClient] = {}
    for account in dict.fromkeys(a for _, a, _ in active):
        # read once: warns once
        creds = Credentials.from_env(file=credentials, insecure=insecure, account=account)
        if not creds.can_search:  # the bearer token, or the user keys, can search
            raise CredentialsError(
                f"X search credentials are missing: set {variable(account, 'X_BEARER_TOKEN')} "
                "in the environment"
                + (f" or in {credentials}" if credentials else "")
                + " (for the daemon: in its EnvironmentFile, see docs/daemon.md)"
            )
        clients[account] = XClient(creds, timeout=timeout)
    queries = [s.query for s in searches(active)]
    progress_cb, stop = _collect_progress(quiet)
    try:
        result = collect_workspace(
            db,
            clients.__getitem__,
            active,
            progress=progress_cb,
            max_requests=max_requests,
        ).total
    except KeyboardInterrupt:
        stop()
        click.echo(
            "Interrupted: the pages fetched before the stop are kept; run `campaign collect` "
            "again to continue where it stopped.",
            err=True,
        )
        sys.exit(130)
    finally:
        stop()
        for client in clients.values():
            client.close()
    click.echo(
        f"Collected {result.fetched} posts ({result.new} new, {result.updated} seen before) "
        f"in {result.requests} request{'s' if result.requests != 1 else ''} "
        f"for {' and '.join(repr(q) for q in queries)}."
    )
    if result.status == "rate-limited":
        when = show(result.rate_reset_at, settings.timezone) if result.rate_reset_at else "later"
        click.echo(
            f"X's rate limit was reached: run `campaign collect` again after {when} to continue "
            "where it stopped.",
            err=True,
        )
        sys.exit(EXIT_RATE_LIMITED)
    if result.status == "waiting":
        when = show(result.rate_reset_at, settings.timezone) if result.rate_reset_at else "later"
        click.echo(
            f"Nothing fetched: X's rate limit from the last run lasts until {when}; "
            "run `campaign collect` again after that.",
            err=True,
        )
        sys.exit(EXIT_RATE_LIMITED)
    from posts.cost import read_cost, usd

    click.echo(f"Estimated cost on X of these reads: {usd(read_cost(result.fetched, settings))}.")
    if result.status == "budget" and result.budget_until is not None:
        limit = settings.collect_max_reads_per_day or 0
        click.echo(
            f"Stopped: the collection budget of {limit:,} reads a day "
            f"({usd(read_cost(limit, settings))}) is used up until "
            f"{show(result.budget_until, settings.timezone)}; raise collect_max_reads_per_day "
            "in the YAML to collect more."
        )
    elif result.status == "budget":
        click.echo(
            f"Stopped after {result.requests} requests (--max-requests); run `campaign collect` "
            "again to fetch the rest.",
            err=True,
        )
    elif result.status == "interrupted":
        raise UserError(
            f"X did not answer properly ({result.error}); what was fetched is kept: run "
            "`campaign collect` again later to continue"
        )


def _collect_progress(quiet: bool) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A rich progress display on stderr for long runs (requests made, posts fetched)."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("collecting…")
    progress.start()

    def update(requests: int, fetched: int) -> None:
        progress.update(task, description=f"collecting: {fetched} posts in {requests} requests")

    return update, progress.stop
