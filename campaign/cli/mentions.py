"""``campaign mentions …``: search, review, export and import the conversation.

Parses, calls :mod:`campaign.mentions`, prints. Exit codes: 0 done, 2 a problem you can fix
(message on stderr).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from campaign.cli.common import (
    CAMPAIGN_FILTER,
    MENTION_ID,
    CliContext,
    UserError,
    campaign_settings,
    check_folder,
    first_line,
    pass_ctx,
    print_json,
)
from campaign.store import open_private

F = TypeVar("F", bound=Callable[..., Any])


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
        CAMPAIGN_FILTER,
        click.option("--code", "codes", multiple=True, metavar="FIELD=VALUE", help="Only posts coded so, e.g. --code stance=opposes (repeat: all must hold)."),
        click.option("--badge", metavar="LIST", help="Only posts by an account on this watch list (or badged by a rule)."),
        click.option("--ours/--not-ours", "ours", default=None, help="Only the campaign's own posts, or (--not-ours) hide them."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _filter(obj: CliContext, opts: dict[str, Any], *, limit: int = 50, offset: int = 0) -> Any:
    from campaign.cli.common import some_campaign
    from campaign.clock import parse_when
    from campaign.mentions.search import MentionFilter

    tz = None
    if opts.get("since") or opts.get("until"):
        tz = campaign_settings(obj).timezone
    chosen = some_campaign(obj, opts.get("campaign_slug"))
    return MentionFilter(
        text=opts.get("text"),
        status=opts.get("status"),
        author=opts.get("author"),
        lang=opts.get("lang"),
        since=parse_when(opts["since"], tz) if opts.get("since") else None,
        until=parse_when(opts["until"], tz) if opts.get("until") else None,
        has_link=opts.get("has_link"),
        replies_to_ours=opts.get("replies_to_ours"),
        codes=_code_filter(opts.get("codes") or ()),
        badge=opts.get("badge"),
        ours=opts.get("ours"),
        campaign_id=chosen.id if chosen else None,
        limit=limit,
        offset=offset,
    )


def _code_filter(pairs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from campaign.mentions.coding import parse

    return tuple((a.field, a.value or "") for a in parse(pairs))


def _has_filter(opts: dict[str, Any]) -> bool:
    return any(v is not None and v != "" and v != () for v in opts.values())


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
    from campaign.mentions.evidence import annotate
    from campaign.mentions.search import count, search

    db = obj.db()
    f = _filter(obj, opts, limit=limit, offset=offset)
    found = annotate(db, search(db, f))  # codes, badges, signals (issue 16)
    if as_json:
        from campaign.mentions.store import campaigns_of
        from campaign.metadata.store import campaigns

        slugs = {c.id: c.slug for c in campaigns(db)}
        linked = campaigns_of(db, (int(m["id"]) for m in found))
        print_json(
            [{**m, "campaigns": [slugs[c] for c in linked.get(int(m["id"]), [])]} for m in found]
        )
        return
    if not found:
        click.echo(
            "No posts match." if _has_filter(opts) else
            "No posts collected yet: run `campaign collect` or `campaign mentions import FILE`."
        )  # fmt: skip
        return
    from posts.replies import replied

    tz = campaign_settings(obj).timezone
    answered = replied(db, (m["id"] for m in found))
    for m in found:
        who = f"@{m['author_username']}" if m["author_username"] else m["author_id"] or "?"
        if m["is_ours"]:
            who += " (ours)"
        note = f"  [{m['note']}]" if m["note"] else ""
        text = first_line(m["text"])
        if m["removed"]:
            who, text = "?", f"(removed on X: {m['removed']})"
        marks = "".join(f"  {{{k}={', '.join(v)}}}" for k, v in m["codes"].items())
        marks += "".join(f"  <{b}>" for b in m["badges"])
        ours = answered.get(str(m["id"]))
        answer = (f"  [{ours.label}: {ours.url or f'post {ours.post_id}'}]") if ours else ""
        click.echo(
            f"{m['id']}  {show(m['created_at'], tz)}  {m['review_status']:<11}  {who}: "
            f"{text}{note}{marks}{answer}"
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
    from campaign.mentions.evidence import detail  # removal, codes, badges, signals (issue 16)
    from posts.replies import replied

    ours = replied(db, [mention_id]).get(str(mention_id))
    print_json(
        {
            **m,
            **detail(db, mention_id),
            "history": history(db, mention_id),
            "replied": ours.to_json() if ours else None,
        }
    )


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

    status = check_status(new_status)
    db = obj.db()
    obj.require("review", "marking collected posts")
    chosen = chosen_posts(obj, ids, opts, yes, "mark", "marked", f" {status}")
    if chosen is None:
        return
    targets, matched = chosen
    changed = mark(db, targets, status, actor=obj.actor, note=note)
    if matched is None:
        click.echo(f"Marked {changed} post{'s' if changed != 1 else ''} {status}.")
    else:
        click.echo(f"{matched} posts matched; marked {changed} {status}.")


def chosen_posts(
    obj: CliContext,
    ids: tuple[int, ...],
    opts: dict[str, Any],
    yes: bool,
    verb: str,
    done: str,
    what: str = "",
) -> tuple[list[int], int | None] | None:
    """The collected posts a command acts on: the ``ids`` given, or everything the search in
    ``opts`` matches (asking for --yes, or a confirmation, before more than one), with how many
    the search matched (None for ids). None when the search matches nothing (said so)."""
    from campaign.mentions.search import count
    from campaign.mentions.search import ids as matching_ids

    if ids and _has_filter(opts):
        raise UserError("give post ids or a search, not both")
    if ids:
        return list(ids), None
    if not _has_filter(opts):
        raise UserError(
            f"say which posts to {verb}: their ids (see `campaign mentions list`), or a search "
            "such as --search WORDS or --status new"
        )
    db = obj.db()
    f = _filter(obj, opts)
    n = count(db, f)
    if n == 0:
        click.echo(f"No posts match: nothing {done}.")
        return None
    if n > 1 and not yes:
        if not sys.stdin.isatty():
            raise UserError(f"{n} posts match: add --yes to {verb} them all{what}")
        click.confirm(f"{verb.capitalize()} {n} posts{what}?", abort=True)
    return list(matching_ids(db, f)), n


@mentions.command("reply")
@click.argument("mention_id", type=MENTION_ID)
@click.option(
    "--text",
    required=True,
    help="What the reply says (the hashtag is not added unless the campaign sets replies_carry_hashtag).",
)
@click.option(
    "--at",
    "when",
    metavar="WHEN",
    help="When to publish (ISO 8601; campaign zone if no offset). Default: now.",
)
@click.option("--approve", is_flag=True, help="Approve it at once instead of leaving a draft.")
@click.option("--quote", is_flag=True, help="Quote the post instead of replying to it.")
@pass_ctx
def reply(
    obj: CliContext, mention_id: int, text: str, when: str | None, approve: bool, quote: bool
) -> None:
    """Queue a reply to a collected post (or a quote of it); prints only the new post's id.

    campaign mentions reply 1866… --text "Thanks, the recording is online" --approve

    The reply is a post like any other: X's length, no duplicate text, approval (and four
    eyes); the daemon publishes it once, as a reply to that post on X.
    """
    from campaign.clock import now, parse_when
    from campaign.errors import NotFoundError
    from campaign.mentions.search import get
    from campaign.mentions.store import first_campaign_of
    from campaign.metadata import settings_for
    from posts import editing

    db = obj.db()
    obj.require(
        "approve" if approve else "reply", "approving posts" if approve else "drafting replies"
    )
    if get(db, mention_id) is None:
        raise NotFoundError(
            f"no collected post with id {mention_id}: see `campaign mentions list` for the ids"
        )
    campaign_id = first_campaign_of(db, mention_id)
    settings = settings_for(db, campaign_id)
    at = parse_when(when, settings.timezone, strict=True) if when else now()
    post = editing.reply(
        db,
        str(mention_id),
        text,
        at,
        actor=obj.actor,
        quote=quote,
        approve=approve,
        by=obj.acting().name,
        campaign_id=campaign_id,
    )
    click.echo(str(post.id))


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
@click.option(
    "--readme",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the export's README (default: FILE.README.md beside --output).",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Authors (and @handles in texts) as keyed hashes, with a new key for this export.",
)
@filter_options
@pass_ctx
def export(
    obj: CliContext, /, fmt: str, output: str, readme: str | None, pseudonymise: bool, **opts: Any
) -> None:
    """Export all collected posts, or those a search matches, newest first.

    A README goes with every file: the search, the time range, when X was last asked about
    deleted posts (`campaign compliance`) and how many were removed.
    """
    from functools import partial

    from campaign.mentions.export import write_csv, write_jsonl
    from campaign.mentions.privacy import Pseudonyms

    db = obj.db()
    f = _filter(obj, opts)
    pseudo = Pseudonyms() if pseudonymise else None
    writer: Callable[[Any, Any, Any], int] = partial(
        write_csv if fmt == "csv" else write_jsonl, pseudo=pseudo
    )
    if output == "-":
        stream = sys.stdout
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", newline="")
        n = writer(db, f, stream)
        stream.flush()
    else:
        path = check_folder(output)
        with open_private(path, "w", encoding="utf-8", newline="") as out:
            n = writer(db, f, out)
        click.echo(f"Wrote {n} posts to {path}.", err=True)
    target = readme or (None if output == "-" else output + ".README.md")
    if target:
        note = "- Authors pseudonymised with a key made for this export and not kept."
        write_readme(obj, f, fmt, n, target, (note,) if pseudonymise else ())


def write_readme(
    obj: CliContext, f: Any, fmt: str, n: int, target: str, extra: tuple[str, ...] = ()
) -> None:
    """An export's README (search, time range, compliance date, count removed) at ``target``."""
    from campaign.mentions.readme import readme

    settings = campaign_settings(obj)
    text = readme(
        obj.db(), f, title=f"{settings.name} {settings.hashtag}", fmt=fmt, written=n, extra=extra
    )
    path = check_folder(target)
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote its README to {path}.", err=True)


@mentions.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_ctx
def import_file(obj: CliContext, file: str, quiet: bool) -> None:
    """Import posts collected with twarc2 (JSONL: its search pages, or flattened tweets).

    Use - to read standard input. Broken lines are skipped and listed; the rest is imported.
    Posts already stored are updated (metrics) and keep their review status and notes.
    """
    from campaign.mentions.importer import MAX_SKIP, import_lines

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
    if result.posts == 0 and result.stopped_at is not None:
        raise UserError(
            f"nothing imported from {file}: line {result.stopped_at:,} runs on for more than "
            f"{MAX_SKIP // 2**20} MiB without a line break, so this is not twarc2 output "
            "(JSON Lines: one page or post per line)"
        )
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
    if result.stopped_at is not None:
        click.echo(
            f"Stopped at line {result.stopped_at:,}: it runs on for more than "
            f"{MAX_SKIP // 2**20} MiB without a line break, so the rest is not twarc2 output; "
            "the lines before it were imported.",
            err=True,
        )
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


# Issue 16's subcommands (coding, rules, watch lists, threads, duplicates, network) live in
# their own module and join this group here.
from campaign.cli.evidence import register  # noqa: E402

register(mentions)
