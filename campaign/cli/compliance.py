"""``campaign compliance``: ask X which stored posts it no longer shows, and remove them.

Parses, calls :mod:`scheduler.compliance`, prints. Exit codes: 0 done, 2 a problem you can fix
(message on stderr), 3 stopped at X's rate limit (what was learnt is applied; run it again after
the time it prints).
"""

from __future__ import annotations

import sys

import click

from campaign.cli.common import CliContext, UserError, campaign_settings, pass_ctx

EXIT_RATE_LIMITED = 3


@click.command()
@click.option(
    "--method",
    type=click.Choice(["auto", "batch", "lookup"]),
    default="auto",
    show_default=True,
    help="batch: X's compliance job (needs X_BEARER_TOKEN); lookup: 100 ids a request; "
    "auto: batch, else lookup.",
)
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0),
    default=15.0,
    show_default=True,
    help="Seconds between two looks at the job's status.",
)
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False),
    default=None,
    help="A file of KEY=VALUE lines (X_BEARER_TOKEN=…) instead of the environment.",
)
@pass_ctx
def compliance(obj: CliContext, method: str, poll_seconds: float, credentials: str | None) -> None:
    """Ask X which stored posts were deleted, protected or suspended, and remove them.

    X's developer terms require it, and authors in conflict zones may delete posts for their
    safety. Each such post, and every stored repost or quote of it, loses its text, author,
    links and hashtags everywhere (lists, searches, exports, reports); its id, time, the reason
    and date of removal, and your review status, note and codes stay, marked "removed on X".
    The campaign's own posts deleted on X are listed. Running it again changes nothing new.
    The daemon runs it once a day.
    """
    from campaign.clock import show
    from campaign.errors import CredentialsError
    from campaign.mentions.compliance import own_removed
    from scheduler.compliance import run_compliance
    from scheduler.xclient import Credentials, XClient

    db = obj.db()
    tz = campaign_settings(obj).timezone
    creds = Credentials.from_env(file=credentials)
    if not creds.can_search:
        raise CredentialsError(
            "X credentials are missing: set X_BEARER_TOKEN in the environment"
            + (f" or in {credentials}" if credentials else "")
        )
    client = XClient(creds)
    try:
        result = run_compliance(
            db,
            client,
            method=method,
            poll_seconds=poll_seconds,
            progress=lambda msg: click.echo(msg, err=True),
        )
    finally:
        client.close()
    how = "a batch compliance job" if result.method == "batch" else "the post lookup"
    if result.fallback_why:
        click.echo(f"Batch compliance job not available ({result.fallback_why}).", err=True)
    applied = result.applied
    click.echo(
        f"Checked {result.checked} posts with {how} in {result.requests} "
        f"request{'s' if result.requests != 1 else ''}."
    )
    click.echo(
        f"Removed {applied.removed} posts X no longer shows and {applied.cascaded} reposts or "
        f"quotes of them ({applied.already} named again were already removed)."
    )
    for own in own_removed(db):
        post = f"post {own['post_id']} " if own["post_id"] is not None else ""
        click.echo(
            f"Our own {post}(tweet {own['tweet_id']}) is no longer on X: {own['reason']}, "
            f"noticed {show(own['found_at'], tz)}."
        )
    if result.status == "rate-limited":
        click.echo(
            f"Stopped at X's rate limit: run `campaign compliance` again after "
            f"{show(result.rate_reset_at, tz)} (what was learnt is applied).",
            err=True,
        )
        sys.exit(EXIT_RATE_LIMITED)
    if result.status == "failed":
        raise UserError(
            f"the compliance check with X failed: {result.error}; what was learnt before is "
            "applied, run `campaign compliance` again later"
        )
