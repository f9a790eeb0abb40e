"""``campaign collect``, ``campaign mentions …`` and ``campaign report``: the conversation.

Parses, calls :mod:`campaign.mentions` and :mod:`scheduler.collect`, prints. Exit codes: 0 done,
2 a problem you can fix (message on stderr), 3 ``collect`` stopped at X's rate limit (what was
fetched is kept; run it again after the time it prints to continue where it stopped).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from campaign.cli.common import (
    MENTION_ID,
    CliContext,
    UserError,
    check_folder,
    pass_ctx,
    print_json,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_RATE_LIMITED = 3


def _settings(obj: CliContext) -> Any:
    from posts.editing import settings_for

    return settings_for(obj.db())


def filter_options(func: F, status_option: str = "--status") -> F:
    """The search and filter options shared by list, mark and export."""
    options = [
        click.option("--search", "-q", "text", metavar="WORDS", help="Words, #hashtags or @handles the post contains (all of them)."),
        click.option(status_option, "status", metavar="STATUS", help="Only posts in this review status: new, reviewed, flagged, needs-reply, ignored."),
        click.option("--author", metavar="USER", help="Author's username (with or without @) or user id."),
        click.option("--lang", metavar="CODE", help="Language code X detected, e.g. en, fr, ar."),
        click.option("--since", metavar="WHEN", help="Posted at or after this time (ISO 8601; campaign zone if no offset)."),
        click.option("--until", metavar="WHEN", help="Posted before this time."),
        click.option("--has-link/--no-link", "has_link", default=None, help="Only posts with (or without) links."),
        click.option("--replies-to-ours", "replies_to_ours", is_flag=True, default=None, help="Only replies to the campaign's own posts."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _filter(obj: CliContext, opts: dict[str, Any], *, limit: int = 50, offset: int = 0) -> Any:
    from campaign.clock import parse_when
    from campaign.mentions.search import MentionFilter

    tz = None
    if opts.get("since") or opts.get("until"):
        tz = _settings(obj).timezone
    return MentionFilter(
        text=opts.get("text"),
        status=opts.get("status"),
        author=opts.get("author"),
        lang=opts.get("lang"),
        since=parse_when(opts["since"], tz) if opts.get("since") else None,
        until=parse_when(opts["until"], tz) if opts.get("until") else None,
        has_link=opts.get("has_link"),
        replies_to_ours=opts.get("replies_to_ours"),
        limit=limit,
        offset=offset,
    )


def _has_filter(opts: dict[str, Any]) -> bool:
    return any(v is not None and v != "" for v in opts.values())


def _first_line(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


# --------------------------------------------------------------------------------------------
# campaign collect


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
@click.option("--quiet", is_flag=True, help="No progress display.")
@pass_ctx
def collect(
    obj: CliContext, max_requests: int | None, credentials: str | None, quiet: bool
) -> None:
    """Fetch new posts under the campaign's query from X's recent search, once.

    Asks only for posts newer than the newest one stored (since_id), 100 a request, and pages
    until X has no more. Each page is stored as it arrives, so an interruption loses nothing:
    the next run continues where this one stopped. Credentials: X_BEARER_TOKEN (or the four
    user keys) in the environment, or --credentials FILE; X_API_BASE_URL points it at the
    simulator.

    Exit code 3 means X's rate limit stopped the run: what was fetched is kept, and running it
    again after the time printed continues from where it stopped.
    """
    from campaign.clock import show
    from campaign.errors import CredentialsError
    from scheduler.collect import collect_once, collect_settings
    from scheduler.xclient import Credentials, XClient

    db = obj.db()
    settings = collect_settings(db)  # refuses when no campaign is loaded
    creds = Credentials.from_env(file=credentials)  # read once: its warnings print once
    if not creds.can_search:  # the bearer token, or the user keys, can search
        raise CredentialsError(
            "X search credentials are missing: set X_BEARER_TOKEN in the environment"
            + (f" or in {credentials}" if credentials else "")
            + " (for the daemon: in its EnvironmentFile, see docs/daemon.md)"
        )
    client = XClient(creds)
    progress_cb, stop = _collect_progress(quiet)
    try:
        result = collect_once(db, client, settings, progress=progress_cb, max_requests=max_requests)
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
        client.close()
    click.echo(
        f"Collected {result.fetched} posts ({result.new} new, {result.updated} seen before) "
        f"in {result.requests} request{'s' if result.requests != 1 else ''} "
        f"for {settings.search_query!r}."
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


# --------------------------------------------------------------------------------------------
# campaign mentions …


@click.group()
def mentions() -> None:
    """Search, review and export the conversation.

    Everything collected with `campaign collect` or imported from twarc2.

    Searches match whole words, #hashtags and @handles (all the words you type, in any order);
    anything you type is searched as text, never as a command.
    """


@mentions.command("list")
@filter_options
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="At most this many posts.",
)
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, help="Skip this many (for the next page)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON array (newest first) instead of lines."
)
@pass_ctx
def list_mentions(obj: CliContext, /, limit: int, offset: int, as_json: bool, **opts: Any) -> None:
    """List collected posts, newest first."""
    from campaign.clock import show
    from campaign.mentions.search import count, search

    db = obj.db()
    f = _filter(obj, opts, limit=limit, offset=offset)
    found = search(db, f)
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo(
            "No posts match." if _has_filter(opts) else
            "No posts collected yet: run `campaign collect` or `campaign mentions import FILE`."
        )  # fmt: skip
        return
    tz = _settings(obj).timezone
    for m in found:
        who = f"@{m['author_username']}" if m["author_username"] else m["author_id"] or "?"
        if m["is_ours"]:
            who += " (ours)"
        note = f"  [{m['note']}]" if m["note"] else ""
        click.echo(
            f"{m['id']}  {show(m['created_at'], tz)}  {m['review_status']:<11}  {who}: "
            f"{_first_line(m['text'])}{note}"
        )
    total = count(db, f)
    if total > offset + len(found):
        click.echo(
            f"… {total - offset - len(found)} more: add --offset {offset + len(found)}", err=True
        )


@mentions.command("show")
@click.argument("mention_id", type=MENTION_ID)
@pass_ctx
def show_mention(obj: CliContext, mention_id: int) -> None:
    """Show one post in full, with its review history."""
    from campaign.errors import NotFoundError
    from campaign.mentions.review import history
    from campaign.mentions.search import get

    db = obj.db()
    m = get(db, mention_id)
    if m is None:
        raise NotFoundError(
            f"no collected post with id {mention_id}: see `campaign mentions list` for the ids"
        )
    print_json({**m, "history": history(db, mention_id)})


@mentions.command("mark")
@click.argument("ids", nargs=-1, type=MENTION_ID)
@click.option(
    "--status",
    "new_status",
    required=True,
    metavar="STATUS",
    help="new, reviewed, flagged, needs-reply or ignored.",
)
@click.option("--note", default=None, help="A note kept with the post (replaces the old one).")
@lambda f: filter_options(f, status_option="--from-status")
@click.option("--yes", is_flag=True, help="Mark everything the search matches without asking.")
@pass_ctx
def mark_mentions(
    obj: CliContext,
    /,
    ids: tuple[int, ...],
    new_status: str,
    note: str | None,
    yes: bool,
    **opts: Any,
) -> None:
    """Set the review status (and note) of posts: by ID, or everything a search matches.

    campaign mentions mark 1866… 1867… --status reviewed
    campaign mentions mark --search "#police spam" --from-status new --status ignored --yes

    The search form takes the filters of `campaign mentions list` (--from-status filters by
    the current status) and asks for --yes before marking more than one post.
    """
    from campaign.mentions.review import check_status, mark
    from campaign.mentions.search import count
    from campaign.mentions.search import ids as matching_ids

    status = check_status(new_status)
    db = obj.db()
    if ids and _has_filter(opts):
        raise UserError("give post ids or a search, not both")
    if ids:
        changed = mark(db, ids, status, actor=obj.actor, note=note)
        click.echo(f"Marked {changed} post{'s' if changed != 1 else ''} {status}.")
        return
    if not _has_filter(opts):
        raise UserError(
            "say which posts to mark: their ids (see `campaign mentions list`), or a search "
            "such as --search WORDS or --status new"
        )
    f = _filter(obj, opts)
    n = count(db, f)
    if n == 0:
        click.echo("No posts match: nothing marked.")
        return
    if n > 1 and not yes:
        if not sys.stdin.isatty():
            raise UserError(f"{n} posts match: add --yes to mark them all {status}")
        click.confirm(f"Mark {n} posts {status}?", abort=True)
    changed = mark(db, matching_ids(db, f), status, actor=obj.actor, note=note)
    click.echo(f"{n} posts matched; marked {changed} {status}.")


@mentions.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="CSV for spreadsheets, JSONL with the raw posts.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default="-",
    help="The file to write (default: standard output).",
)
@filter_options
@pass_ctx
def export(obj: CliContext, /, fmt: str, output: str, **opts: Any) -> None:
    """Export all collected posts, or those a search matches, newest first."""
    from campaign.mentions.export import write_csv, write_jsonl

    db = obj.db()
    f = _filter(obj, opts)
    writer: Callable[[Any, Any, Any], int] = write_jsonl
    if fmt == "csv":
        writer = write_csv
    if output == "-":
        stream = sys.stdout
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", newline="")
        n = writer(db, f, stream)
        stream.flush()
    else:
        path = check_folder(output)
        with path.open("w", encoding="utf-8", newline="") as out:
            n = writer(db, f, out)
        click.echo(f"Wrote {n} posts to {path}.", err=True)


@mentions.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_ctx
def import_file(obj: CliContext, file: str, quiet: bool) -> None:
    """Import posts collected with twarc2 (JSONL: its search pages, or flattened tweets).

    Use - to read standard input. Broken lines are skipped and listed; the rest is imported.
    Posts already stored are updated (metrics) and keep their review status and notes.
    """
    from campaign.mentions.importer import import_lines

    path = Path(file)
    if file != "-":
        if path.is_dir():
            raise UserError(f"cannot import {path}: it is a folder; give the .jsonl file in it")
        if not path.exists():
            raise UserError(f"cannot import {path}: no such file; check the name")
        if path.is_file() and path.stat().st_size == 0:  # not a pipe such as /dev/stdin
            raise UserError(
                f"{path} is empty: nothing to import (twarc2 writes one JSON page per line)"
            )
    db = obj.db()
    try:
        if file == "-":
            result = import_lines(db, sys.stdin.buffer)
        else:
            with path.open("rb") as fh:
                cb, stop = _import_progress(quiet, path.stat().st_size)
                try:
                    result = import_lines(db, fh, progress=cb)
                finally:
                    stop()
    except KeyboardInterrupt:
        click.echo(
            "Interrupted: the posts imported before the stop are kept (each batch is saved "
            f"whole); run `campaign mentions import {file}` again to finish: posts already "
            "stored are only updated.",
            err=True,
        )
        sys.exit(130)
    if result.posts == 0 and result.broken:
        raise UserError(_nothing_imported(path, file, result.broken))

    def n(count: int, word: str) -> str:
        return f"{count:,} {word}{'' if count == 1 else 's'}"

    click.echo(
        f"Imported {n(result.posts, 'post')} from {n(result.lines, 'line')}: {result.new:,} new, "
        f"{result.updated:,} already stored, {n(result.authors, 'author record')}."
    )
    if result.skipped:
        click.echo(f"Skipped {result.skipped} posts without an id or text.", err=True)
    if result.broken:
        shown = ", ".join(str(n) for n in result.broken_lines)
        more = "" if result.broken <= len(result.broken_lines) else " …"
        click.echo(
            f"Skipped {result.broken} broken line{'s' if result.broken != 1 else ''} "
            f"(not twarc2 JSON): line {shown}{more}",
            err=True,
        )


def _nothing_imported(path: Path, file: str, broken: int) -> str:
    """Why not one post came out of the file, and what to do."""
    first = b""
    if file != "-":
        with path.open("rb") as fh:
            first = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if first.startswith(b"["):
        return (
            f"{file} is one JSON array, not JSON Lines (one post or twarc2 page per line): "
            f"convert it with `jq -c '.[]' {file} > posts.jsonl` and import that"
        )
    lines = "its only line is" if broken == 1 else f"its {broken} lines are"
    return (
        f"nothing imported from {file}: {lines} not twarc2 JSON; import the output "
        "of `twarc2 search` (or `twarc2 flatten`), one JSON document per line"
    )


def _import_progress(
    quiet: bool, total: int
) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[posts]} posts"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("import", total=total, posts=0)
    progress.start()

    def update(done: int, posts: int) -> None:
        progress.update(task, completed=done, posts=posts)

    return update, progress.stop


# --------------------------------------------------------------------------------------------
# campaign report


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
@pass_ctx
def report(
    obj: CliContext,
    output_dir: str | None,
    png_path: str | None,
    html_path: str | None,
    as_json: bool,
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
    db = obj.db()
    rep = build_report(db, _settings(obj).timezone)
    if output_dir:
        d = Path(output_dir)
        d.mkdir(parents=True, exist_ok=True)
        png_path = png_path or str(d / "report.png")
        html_path = html_path or str(d / "report.html")
    if as_json:
        print_json(_report_json(rep))
    else:
        _print_report(rep)
    png = png_bytes(rep) if (png_path or html_path) else None
    if png_path and png is not None:
        Path(png_path).write_bytes(png)
        click.echo(f"Chart written to {png_path}", err=True)
    if html_path:
        Path(html_path).write_text(render_html(rep, png=png), encoding="utf-8")
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
    table(
        "Our posts",
        ("When", "Post", "Replies", "Quotes"),
        [
            (f"{p.at:%d %b %H:%M}" if p.at else "", _first_line(p.text, 50), p.replies, p.quotes)
            for p in rep.our_posts
        ],
    )
