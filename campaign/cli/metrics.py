"""``campaign metrics``: read how our posts did on X, and report it.

Parses, calls :mod:`scheduler.metrics` and :mod:`posts.performance`, prints. Exit codes: 0 done,
2 a problem you can fix (message on stderr).
"""

from __future__ import annotations

from typing import Any

import click

from campaign.cli.common import (
    INSECURE,
    POST_ID,
    X_TIMEOUT,
    CliContext,
    campaign_settings,
    check_folder,
    first_line,
    pass_ctx,
    print_json,
)
from campaign.store import write_private


@click.command()
@click.option("--post", "post_id", type=POST_ID, metavar="ID", help="Only this published post.")
@click.option(
    "--no-read", "no_read", is_flag=True, help="Report what is stored; read nothing from X."
)
@click.option("--json", "as_json", is_flag=True, help="The reading and the report as JSON.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the performance table as CSV to this file (- for stdout).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Write the performance report as a standalone HTML page.",
)
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False),
    default=None,
    help="A file of KEY=VALUE lines instead of the environment.",
)
@X_TIMEOUT
@INSECURE
@pass_ctx
def metrics(
    obj: CliContext,
    post_id: int | None,
    no_read: bool,
    as_json: bool,
    csv_path: str | None,
    html_path: str | None,
    credentials: str | None,
    timeout: float,
    insecure: bool,
) -> None:
    """Read how our posts did on X now, then rank them.

    Reads impressions, likes, reposts, replies, quotes and bookmarks of every published post
    under 30 days old (or only --post ID) with X's post lookup, 100 posts a request, and the
    link and profile clicks where X allows them (our own posts, user keys). Every post read
    counts against the campaign's daily read budget and costs what a read costs; the line
    printed says how much. The daemon reads each post 1 hour, 24 hours and 7 days after it
    went out, then stops.
    """
    from campaign.clock import now
    from campaign.errors import CampaignError
    from posts import metrics as stored
    from posts import performance, queue
    from posts.cost import usd

    for p in (html_path, csv_path):
        if p and p != "-":
            check_folder(p)
    db = obj.db()
    settings = campaign_settings(obj)
    run_json: dict[str, Any] | None = None
    if not no_read:
        if post_id is not None:
            post = queue.get(db, post_id)
            if post.status != queue.PostStatus.PUBLISHED or not post.tweet_id:
                raise CampaignError(
                    f"post {post_id} is {post.status}, not published: X has no metrics for it "
                    "yet (see `campaign posts list --status published`)"
                )
            posts = [post]
        else:
            posts = stored.readable(db, now())
        run = _read(posts, settings, credentials, timeout, insecure, db)
        run_json = run.to_json()
        if not as_json:
            if not posts:
                click.echo("No published posts under 30 days old: nothing to read.")
            else:
                noun = "lookup" if run.lookups == 1 else "lookups"
                click.echo(
                    f"Read the metrics of {run.stored} post{'s' if run.stored != 1 else ''} in "
                    f"{run.lookups} {noun} ({run.read} reads, {usd(run.cost)})"
                    + (f"; {len(run.missing)} no longer on X" if run.missing else "")
                )
            if run.status == "budget":
                click.echo(
                    "The daily read budget is used up"
                    + (f" until {run.budget_until.isoformat()}" if run.budget_until else "")
                    + ": the rest was not read (collect_max_reads_per_day)",
                    err=True,
                )
    perf = performance.report(db, settings.timezone)
    if csv_path:
        text = performance.to_csv(perf)
        if csv_path == "-":
            click.echo(text, nl=False)
        else:
            write_private(csv_path, text.encode("utf-8"))
    if html_path:
        from campaign.web.performance import standalone_html

        write_private(html_path, standalone_html(perf, settings.name).encode("utf-8"))
    if as_json:
        print_json({"read": run_json, "report": perf.to_json()})
    elif csv_path != "-":
        print_performance(perf)


def _read(
    posts: list[Any],
    settings: Any,
    credentials: str | None,
    timeout: float,
    insecure: bool,
    db: Any,
) -> Any:
    from campaign.errors import CredentialsError
    from scheduler.metrics import read_metrics
    from scheduler.xclient import Credentials, XClient

    creds = Credentials.from_env(file=credentials, insecure=insecure)
    if not (creds.can_search or creds.can_post):
        raise CredentialsError(
            "reading metrics needs X credentials: the four user keys (X_API_KEY, X_API_SECRET, "
            "X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET; they also read link clicks) or X_BEARER_TOKEN"
        )
    client = XClient(creds, timeout=timeout)
    try:
        return read_metrics(db, client, settings, posts, non_public=creds.can_post)
    finally:
        client.close()


def print_performance(perf: Any) -> None:
    """The performance report as text (also under `campaign report` once posts have metrics)."""
    if not perf.ranked:
        click.echo("No metrics yet: run `campaign metrics` once posts are published.")
        return
    click.echo("Our posts, by impressions:")
    for i, r in enumerate(perf.ranked[:20], 1):
        m = r.reading
        click.echo(
            f"{i:>3}. post {r.post.id} ({r.post.kind})  {m.impressions or 0} impressions, "
            f"{m.likes or 0} likes, {m.reposts or 0} reposts, {m.replies or 0} replies, "
            f"{m.link_clicks if m.link_clicks is not None else '-'} link clicks, "
            f"{r.rate:.1%} engaged  {first_line(r.post.text)}"
        )
    for title, groups in (("By kind", perf.kinds), ("By template", perf.templates)):
        click.echo(f"{title} (engagement rate, mean impressions):")
        for g in groups:
            click.echo(
                f"  {g.name:<16} {g.posts:>3} post{'s' if g.posts != 1 else ' '}  {g.rate:6.1%}  "
                f"{g.mean_impressions:8.0f}"
            )
    click.echo("By hour of day (engagement rate):")
    for g in perf.hours:
        click.echo(f"  {g.name}:00  {g.rate:6.1%}  ({g.posts} post{'s' if g.posts != 1 else ''})")
    if perf.over_time:
        at, total = perf.over_time[-1]
        n = len(perf.over_time)
        click.echo(
            f"Impressions over time: {total} at {at.isoformat()} "
            f"({n} reading{'s' if n != 1 else ''}; the chart: --html FILE, or the console)"
        )
