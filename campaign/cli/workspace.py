"""``campaign campaigns …`` and ``campaign accounts …``: the workspace's campaigns and accounts."""

from __future__ import annotations

import os

import click

from campaign.cli.common import CliContext, pass_ctx, print_json


@click.group()
def campaigns() -> None:
    """The workspace's campaigns: list them, archive one."""


@campaigns.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
@pass_ctx
def list_campaigns(obj: CliContext, as_json: bool) -> None:
    """Every campaign: slug, name, hashtag, account, event start, state, posts by status and
    posts collected."""
    from campaign.clock import now, show
    from campaign.mentions.store import campaign_counts
    from campaign.metadata.store import campaigns as all_campaigns
    from posts.queue import counts_by_campaign

    db = obj.db()
    found = all_campaigns(db)
    by_campaign = counts_by_campaign(db)
    collected = campaign_counts(db)
    at = now()

    def state(c: object) -> str:
        from campaign.metadata.store import Campaign

        assert isinstance(c, Campaign)
        if c.archived_at is not None:
            return "archived"
        return "active" if c.active(at) else "ended"

    if as_json:
        print_json(
            [
                {
                    **c.to_json(),
                    "state": state(c),
                    "posts": {str(k): v for k, v in by_campaign.get(c.id, {}).items() if v},
                    "collected": collected.get(c.id, 0),
                }
                for c in found
            ]
        )
        return
    if not found:
        click.echo("No campaign loaded yet: run `campaign load FILE`.")
        return
    for c in found:
        counts = by_campaign.get(c.id, {})
        posts = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no posts"
        start = show(c.event_start, c.timezone) if c.event_start else "-"
        click.echo(
            f"{c.slug}  {c.name} ({c.hashtag})  account {c.account}  event {start}  "
            f"{state(c)}  {posts}  {collected.get(c.id, 0):,} collected"
        )


@campaigns.command("archive")
@click.argument("slug")
@pass_ctx
def archive(obj: CliContext, slug: str) -> None:
    """Stop planning and collecting for SLUG; everything it holds is kept."""
    from campaign.metadata.store import archive as archive_campaign

    obj.require("admin", "archiving a campaign")
    c = archive_campaign(obj.db(), slug)
    click.echo(f"Archived {c.slug} ({c.hashtag}): no more planning or collecting; all kept.")


@click.group()
def accounts() -> None:
    """The X accounts the campaigns post from."""


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of lines.")
@pass_ctx
def list_accounts(obj: CliContext, as_json: bool) -> None:
    """Each account: which of its variables are set (never their values) and its campaigns."""
    from campaign.accounts import DEFAULT_ACCOUNT, found
    from campaign.metadata.store import campaigns as all_campaigns

    by_account: dict[str, list[str]] = {DEFAULT_ACCOUNT: []}
    for c in all_campaigns(obj.db()):
        by_account.setdefault(c.account, []).append(c.slug)
    rows = [
        {"account": name, "variables": found(name, os.environ), "campaigns": slugs}
        for name, slugs in by_account.items()
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        variables = row["variables"]
        assert isinstance(variables, dict)
        have = [k for k, v in variables.items() if v]
        missing = [k for k, v in variables.items() if not v]
        click.echo(f"{row['account']}: campaigns {', '.join(row['campaigns']) or '-'}")  # type: ignore[arg-type]
        click.echo(f"  set: {', '.join(have) or 'none'}")
        click.echo(f"  missing: {', '.join(missing) or 'none'}")
