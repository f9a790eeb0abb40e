"""``campaign report``: summarise the conversation as tables, a PNG chart and an HTML page.

Parses, calls :mod:`campaign.mentions.report`, prints. Exit codes: 0 done, 2 a problem you can
fix (message on stderr).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from campaign.cli.common import (
    CAMPAIGN_FILTER,
    CliContext,
    campaign_settings,
    check_folder,
    first_line,
    pass_ctx,
    print_json,
)
from campaign.store import write_private


@click.command()
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write report.png and report.html into this folder.",
)
@click.option(
    "--png",
    "png_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the volume chart to this PNG file.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the standalone HTML report to this file.",
)
@click.option("--json", "as_json", is_flag=True, help="The figures as JSON instead of tables.")
@CAMPAIGN_FILTER
@pass_ctx
def report(
    obj: CliContext,
    output_dir: str | None,
    png_path: str | None,
    html_path: str | None,
    as_json: bool,
    campaign_slug: str | None,
) -> None:
    """Summarise the conversation: text, PNG and HTML.

    Volume per hour and per day (in the campaign's time zone), top authors, hashtags used
    alongside the campaign's, most shared links and domains, replies and quotes of our posts,
    and review progress, printed as tables; with --png/--html/--output-dir also a chart of
    volume over time (our posts marked) and a standalone page to mail round.
    """
    from campaign.mentions.report import build_report, png_bytes, render_html

    for p in (png_path, html_path):
        if p:
            check_folder(p)  # before the report is built, not after
    from campaign.cli.common import some_campaign
    from campaign.mentions.signals import duplicates, scan

    db = obj.db()
    chosen = some_campaign(obj, campaign_slug)
    tz = chosen.timezone if chosen else campaign_settings(obj).timezone
    scan(db)  # the coordination signals, refreshed for the report and the inbox
    rep = build_report(db, tz, campaign_id=chosen.id if chosen else None)
    rep.extra["duplicates"] = duplicates(db, top=5)
    if output_dir:
        d = Path(output_dir)
        d.mkdir(parents=True, exist_ok=True)
        png_path = png_path or str(d / "report.png")
        html_path = html_path or str(d / "report.html")
    if as_json:
        print_json(_report_json(rep))
    else:
        _print_report(rep)
        _print_performance(db, campaign_settings(obj).timezone)
    png = png_bytes(rep) if (png_path or html_path) else None
    if png_path and png is not None:
        write_private(png_path, png)
        click.echo(f"Chart written to {png_path}", err=True)
    if html_path:
        write_private(html_path, render_html(rep, png=png))
        click.echo(f"Report written to {html_path}", err=True)


def _report_json(rep: Any) -> dict[str, Any]:
    return {
        "hashtag": rep.hashtag,
        "timezone": rep.timezone,
        "total": rep.total,
        "first_at": rep.first_at.isoformat() if rep.first_at else None,
        "last_at": rep.last_at.isoformat() if rep.last_at else None,
        "per_day": [[d.isoformat(), n] for d, n in rep.per_day],
        "per_hour": [[h.isoformat(), n] for h, n in rep.per_hour],
        "top_authors": [a.__dict__ for a in rep.top_authors],
        "hashtags": rep.hashtags,
        "links": rep.links,
        "domains": rep.domains,
        "replies_to_ours": rep.replies_to_ours,
        "quotes_of_ours": rep.quotes_of_ours,
        "our_posts": [
            {**p.__dict__, "at": p.at.isoformat() if p.at else None} for p in rep.our_posts
        ],
        "review": rep.review,
        "removed_by_authors": rep.extra["removed_by_authors"],
        "removed": rep.extra["removed"],
        "own_removed": rep.extra["own_removed"],
        "compliance_at": (
            rep.extra["compliance_at"].isoformat() if rep.extra["compliance_at"] else None
        ),
        "codes": rep.extra["codes"],
        "watchlists": rep.extra["watchlists"],
        "signals": rep.extra["signals"],
        "spikes": [{**sp, "hour": sp["hour"].isoformat()} for sp in rep.extra["spikes"]],
        "duplicates": [
            {"text": d.text, "posts": d.posts, "accounts": len(d.accounts)}
            for d in rep.extra["duplicates"]
        ],
    }


def _print_report(rep: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    console.print(
        f"[bold]{rep.hashtag}[/bold]: {rep.total} posts collected (times in {rep.timezone})"
    )
    if rep.first_at:
        console.print(
            f"from {rep.first_at:%Y-%m-%d %H:%M} to {rep.last_at:%Y-%m-%d %H:%M}; "
            f"busiest hour {rep.peak_hour[0]:%Y-%m-%d %H:00} with {rep.peak_hour[1]} posts"
        )
    console.print(
        f"replies to our posts: {rep.replies_to_ours}; quotes of our posts: {rep.quotes_of_ours}; "
        f"reviewed: {rep.reviewed_share:.0%}"
    )
    checked = rep.extra["compliance_at"]
    console.print(
        f"removed by their authors: {rep.extra['removed_by_authors']} "
        + (f"(checked with X {checked:%Y-%m-%d %H:%M})" if checked else "(never checked with X)")
    )
    for own in rep.extra["own_removed"]:
        console.print(f"our post (tweet {own['tweet_id']}) is no longer on X: {own['reason']}")

    def table(title: str, headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        t = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            numeric = bool(rows) and all(isinstance(r[i], int) for r in rows)
            t.add_column(h, justify="right" if numeric else "left")
        for r in rows:
            # Text, not markup: names and links from X may hold "[/…]", which rich would parse.
            t.add_row(*(Text(str(c)) if c is not None else "" for c in r))
        console.print(t)

    table("Posts per day", ("Day", "Posts"), [(f"{d:%a %d %b %Y}", n) for d, n in rep.per_day])
    table("Review", ("Status", "Posts"), list(rep.review.items()))
    table(
        "Top authors",
        ("Author", "Name", "Followers", "Posts"),
        [
            (f"@{a.username}" if a.username else a.id, a.name, a.followers, a.posts)
            for a in rep.top_authors
        ],
    )
    table("Hashtags alongside", ("Hashtag", "Posts"), rep.hashtags)
    table("Most shared links", ("Link", "Posts"), rep.links)
    table("Most shared domains", ("Domain", "Posts"), rep.domains)
    ex = rep.extra
    table(
        "Codes",
        ("Field", "Value", "Posts"),
        [
            (c["field"], c["value"] + (" (retired)" if c["retired"] else ""), c["posts"])
            for c in ex["codes"]
        ],
    )
    table(
        "Watch lists",
        ("List", "Account", "Posts"),
        [(w["list"], f"@{w['username']}", w["posts"]) for w in ex["watchlists"]],
    )
    table(
        "Signals of coordination (not verdicts)",
        ("Signal", "Groups", "Posts"),
        [(k, v["groups"], v["posts"]) for k, v in ex["signals"].items()],
    )
    table(
        "Identical texts",
        ("Posts", "Accounts", "Text"),
        [(d.posts, len(d.accounts), first_line(d.text, 60)) for d in ex["duplicates"]],
    )
    table(
        "Spikes (hours far above the 12 before)",
        ("Hour", "Posts", "Usual", "Terms", "Authors", "Links"),
        [
            (
                f"{sp['hour']:%d %b %H:00}",
                sp["posts"],
                sp["baseline"],
                ", ".join(t for t, _ in sp["terms"]),
                ", ".join(a for a, _ in sp["authors"]),
                ", ".join(u for u, _ in sp["links"][:2]),
            )
            for sp in ex["spikes"]
        ],
    )
    table(
        "Our posts",
        ("When", "Post", "Replies", "Quotes"),
        [
            (f"{p.at:%d %b %H:%M}" if p.at else "", first_line(p.text, 50), p.replies, p.quotes)
            for p in rep.our_posts
        ],
    )


def _print_performance(db: Any, timezone: str) -> None:
    """How our posts did (`campaign metrics`), once they have metrics."""
    from campaign.cli.metrics import print_performance
    from posts.performance import report as performance

    perf = performance(db, timezone)
    if perf.ranked:
        click.echo()
        print_performance(perf)
