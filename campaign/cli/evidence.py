"""``campaign mentions code | codes | …``: review as evidence (issue 16), as subcommands of
``campaign mentions``. Parses, calls :mod:`campaign.mentions`, prints."""

from __future__ import annotations

import sys
from typing import Any

import click

from campaign.cli.common import MENTION_ID, CliContext, UserError, pass_ctx, print_json
from campaign.cli.mentions import _filter, chosen_posts, filter_options


def register(group: click.Group) -> None:
    """Add these subcommands to ``campaign mentions``."""
    for command in (code, codes, rules, watch, duplicates, signals, thread, network, redact):
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

    db = obj.db()
    set_list, unset_list = parse(sets), parse(unsets, unset=True)
    if not set_list and not unset_list:
        raise UserError("say what to code: --set FIELD=VALUE or --unset FIELD[=VALUE]")
    scheme = scheme_of(db)
    check(scheme, set_list)
    chosen = chosen_posts(obj, ids, opts, yes, "code", "coded")
    if chosen is None:
        return
    ids = tuple(chosen[0])
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


# -- rules and watch lists ------------------------------------------------------------------


@click.group("rules")
def rules() -> None:
    """Saved searches that mark, code or badge every matching post, old and new."""


@rules.command("add")
@click.argument("name")
@filter_options
@click.option(
    "--set-status", "set_status", metavar="STATUS", help="Review status to give posts still new."
)
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A code to set (repeat for more)."
)
@click.option("--set-badge", "set_badge", metavar="NAME", help="A badge to show on the posts.")
@pass_ctx
def rules_add(
    obj: CliContext,
    /,
    name: str,
    set_status: str | None,
    sets: tuple[str, ...],
    set_badge: str | None,
    **opts: Any,
) -> None:
    """Save a rule and apply it to every stored post it matches; new posts get it as they
    arrive.

    campaign mentions rules add officials --author un_police --set actor=official --set-status flagged
    """
    from dataclasses import replace

    from campaign.mentions.coding import parse
    from campaign.mentions.rules import Rule, add_rule, describe

    rule = Rule(
        name=name,
        filter=replace(_filter(obj, opts), limit=1),
        status=set_status,
        codes=tuple(parse(sets)),
        badge=set_badge,
    )
    saved, changed = add_rule(obj.db(), rule, actor=obj.actor)
    click.echo(f"Rule {saved.name}: {describe(saved)}")
    click.echo(f"Applied to the stored posts: {changed} changed.")


@rules.command("list")
@pass_ctx
def rules_list(obj: CliContext) -> None:
    """Every saved rule."""
    from campaign.mentions.rules import describe
    from campaign.mentions.rules import rules as saved

    found = saved(obj.db())
    if not found:
        click.echo("No rules: add one with `campaign mentions rules add NAME --search … --set …`.")
    for r in found:
        click.echo(f"{r.name}: {describe(r)}")


@rules.command("remove")
@click.argument("name")
@pass_ctx
def rules_remove(obj: CliContext, name: str) -> None:
    """Forget a rule (the marks and codes it set stay; its badges go)."""
    from campaign.mentions.rules import remove_rule

    remove_rule(obj.db(), name)
    click.echo(f"Removed rule {name}.")


@click.command("watch")
@click.argument("name", required=False)
@click.argument("accounts", nargs=-1)
@click.option("--remove", is_flag=True, help="Take the accounts off the list instead.")
@pass_ctx
def watch(obj: CliContext, name: str | None, accounts: tuple[str, ...], remove: bool) -> None:
    """Watch lists of accounts, shown as badges: add (or --remove) accounts, or list them.

    campaign mentions watch officials @un_police @nato
    campaign mentions watch            (every list)
    """
    from campaign.mentions.rules import unwatch, watchlists
    from campaign.mentions.rules import watch as add

    db = obj.db()
    if name and accounts:
        if remove:
            n = unwatch(db, name, accounts)
            click.echo(f"Took {n} account{'s' if n != 1 else ''} off {name}.")
        else:
            n = add(db, name, accounts)
            click.echo(f"Added {n} account{'s' if n != 1 else ''} to {name}.")
        return
    lists = watchlists(db)
    if name:
        lists = {name.lower(): lists.get(name.lower(), [])}
    if not lists:
        click.echo("No watch lists: add one with `campaign mentions watch NAME @account …`.")
    for list_name, users in lists.items():
        click.echo(f"{list_name}: {', '.join('@' + u for u in users) or '(empty)'}")


# -- who drives it --------------------------------------------------------------------------


@click.command("duplicates")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of lines.")
@pass_ctx
def duplicates(obj: CliContext, top: int, as_json: bool) -> None:
    """Identical texts collapsed: one row per text with its count and accounts."""
    from campaign.cli.common import first_line
    from campaign.mentions.signals import duplicates as find

    found = find(obj.db(), top=top)
    if as_json:
        print_json(
            [
                {
                    "text": d.text,
                    "posts": d.posts,
                    "accounts": d.accounts,
                    "first_at": d.first_at.isoformat(),
                    "last_at": d.last_at.isoformat(),
                    "ids": [str(i) for i in d.ids],
                }
                for d in found
            ]
        )
        return
    if not found:
        click.echo("No text was posted more than once.")
    for d in found:
        who = ", ".join(d.accounts[:5]) + (
            f" and {len(d.accounts) - 5} more" if len(d.accounts) > 5 else ""
        )
        click.echo(f"{d.posts:>6}× by {len(d.accounts)} accounts ({who}): {first_line(d.text, 70)}")


@click.command("signals")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of lines.")
@pass_ctx
def signals(obj: CliContext, as_json: bool) -> None:
    """Signals of coordination (never verdicts): the same text or link from different accounts
    within 60 seconds, and reply bursts at one post. Refreshes what the inbox shows."""
    from campaign.cli.common import first_line
    from campaign.mentions.signals import scan

    found = scan(obj.db())
    if as_json:
        print_json(
            [
                {
                    "kind": s.kind,
                    "key": s.key,
                    "accounts": s.accounts,
                    "ids": [str(i) for i in s.ids],
                    "first_at": s.first_at.isoformat(),
                }
                for s in found
            ]
        )
        return
    if not found:
        click.echo("No signals of coordination.")
    for s in found:
        click.echo(
            f"{s.kind:<11} {len(s.ids)} posts by {len(s.accounts)} accounts "
            f"({', '.join(s.accounts[:4])}{' …' if len(s.accounts) > 4 else ''}) "
            f"from {s.first_at:%Y-%m-%d %H:%M:%S} UTC: {first_line(s.example, 60)}"
        )


@click.command("thread")
@click.argument("mention_id", type=MENTION_ID)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of an indented thread.")
@pass_ctx
def thread(obj: CliContext, mention_id: int, as_json: bool) -> None:
    """The conversation a post belongs to, as a thread (replies under what they answer)."""
    from campaign.cli.common import campaign_settings, first_line
    from campaign.clock import show
    from campaign.errors import NotFoundError
    from campaign.mentions.network import conversation_of
    from campaign.mentions.network import thread as read

    db = obj.db()
    conv = conversation_of(db, mention_id)
    if conv is None:
        raise NotFoundError(
            f"no collected post with id {mention_id}: see `campaign mentions list` for the ids"
        )
    posts = read(db, conv)
    if as_json:
        print_json(posts)
        return
    tz = campaign_settings(obj).timezone
    for p in posts:
        who = f"@{p['author_username']}" if p["author_username"] else "?"
        text = f"(removed on X: {p['removed']})" if p["removed"] else first_line(p["text"], 80)
        click.echo(f"{'  ' * p['depth']}{p['id']}  {show(p['created_at'], tz)}  {who}: {text}")


@click.command("network")
@click.option("--gexf", type=click.Path(dir_okay=False), help="Write the network for Gephi.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the edges as CSV.")
@click.option(
    "--pseudonymise", is_flag=True, help="Accounts as keyed hashes (a new key per export)."
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
@pass_ctx
def network(
    obj: CliContext, gexf: str | None, csv_path: str | None, pseudonymise: bool, top: int
) -> None:
    """The reply / quote / mention network: top accounts by in-degree, or an export.

    campaign mentions network --gexf conversation.gexf --csv edges.csv
    """
    from campaign.cli.common import check_folder
    from campaign.mentions import network as net
    from campaign.mentions.privacy import Pseudonyms
    from campaign.mentions.search import MentionFilter

    db = obj.db()
    name = None
    if pseudonymise:
        pseudo = Pseudonyms()

        def name(user_id: int, label: str) -> str:
            return pseudo.account(user_id, label if label.startswith("@") else None)

    note = (
        ("- Accounts pseudonymised with a key made for this export and not kept.",)
        if pseudonymise
        else ()
    )
    if gexf:
        path = check_folder(gexf)
        with path.open("wb") as out:
            nodes, edges = net.write_gexf(db, out, name=name)
        click.echo(f"Wrote {nodes} accounts and {edges} edges to {path}.", err=True)
        _readme(obj, MentionFilter(), "gexf", edges, gexf, note)
    if csv_path:
        path = check_folder(csv_path)
        with path.open("w", encoding="utf-8", newline="") as out_text:
            n = net.write_csv(db, out_text, name=name)
        click.echo(f"Wrote {n} edges to {path}.", err=True)
        _readme(obj, MentionFilter(), "csv edges", n, csv_path, note)
    if gexf or csv_path:
        return
    rows = net.top_in_degree(db, top)
    if not rows:
        click.echo("No replies, quotes or mentions between accounts yet.")
    for r in rows:
        shown = Pseudonyms().account(r["id"], r["account"]) if pseudonymise else r["account"]
        click.echo(
            f"{shown:<24} addressed by {r['in_degree']:>5} accounts in {r['posts']:>6} posts"
        )


def _readme(obj: CliContext, f: Any, fmt: str, n: int, output: str, extra: tuple[str, ...]) -> None:
    from campaign.cli.mentions import write_readme

    write_readme(obj, f, fmt, n, output + ".README.md", extra)


@click.command("redact")
@click.option("--if-due", is_flag=True, help="Only when the campaign's retention_days have passed.")
@click.option("--yes", is_flag=True, help="Redact without asking.")
@pass_ctx
def redact(obj: CliContext, if_due: bool, yes: bool) -> None:
    """Redact collected post text (retention): counts, times, review, notes and codes stay.

    With --if-due (what the daemon does daily) only once `retention_days` after the event.
    """
    from campaign.clock import now
    from campaign.mentions.privacy import redact_expired, redact_if_due

    db = obj.db()
    if if_due:
        n = redact_if_due(db, now())
        click.echo(
            "Retention not due: nothing redacted."
            if n is None
            else f"Redacted the text of {n} posts."
        )
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UserError("this removes every collected post's text for good: add --yes")
        click.confirm("Redact the text of every collected post for good?", abort=True)
    click.echo(f"Redacted the text of {redact_expired(db)} posts.")
