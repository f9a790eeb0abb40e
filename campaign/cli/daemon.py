"""``campaign daemon``, ``publish`` and ``status``: publishing the queue and watching it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from campaign.cli.common import INSECURE, CliContext, UserError, pass_ctx, print_json

if TYPE_CHECKING:
    from scheduler.publisher import Publisher
    from scheduler.xclient import Credentials

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _logging(verbose: bool) -> None:
    """Timestamped lines on stderr (journald keeps them); library chatter kept down."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT
    )
    # APScheduler logs every run of the one-second watch job (and a warning each time that job
    # waits behind a long publishing round); tweepy logs request headers (the bearer token) at
    # DEBUG: none of that belongs in the daemon's log. A job's exception is still an ERROR.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # Apprise logs each delivery at INFO (the alerts worker logs its own line, the URL masked).
    for name in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "apprise"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _publishing_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``daemon`` and ``publish``."""
    options = [
        click.option(
            "--credentials",
            type=click.Path(dir_okay=False),
            default=None,
            help="A file of KEY=VALUE lines with the X_* credentials (else the environment).",
        ),
        click.option(
            "--overdue-limit",
            type=click.IntRange(min=0),
            default=None,
            metavar="MIN",
            help="A post later than this many minutes is marked missed, not sent "
            "(default: the campaign's overdue_limit_minutes, 120).",
        ),
        click.option(
            "--daily-cap",
            type=click.IntRange(min=1),
            default=None,
            help="At most this many posts in any 24 hours (default: the campaign's daily_cap).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=10.0,
            show_default=True,
            envvar="CAMPAIGN_X_TIMEOUT",
            help="Seconds to wait for X's answer to each call (also CAMPAIGN_X_TIMEOUT).",
        ),
        click.option(
            "--settle",
            type=click.FloatRange(min=0),
            default=2.0,
            show_default=True,
            envvar="CAMPAIGN_SETTLE",
            help="Extra seconds after a call's timeout before checking the timeline for it.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0),
            default=3,
            show_default=True,
            envvar="CAMPAIGN_RETRIES",
            help="How many times a post is tried again after X server errors (5xx).",
        ),
        click.option(
            "--backoff",
            type=click.FloatRange(min=0),
            default=1.0,
            show_default=True,
            envvar="CAMPAIGN_BACKOFF",
            hidden=True,
            help="First pause after a server error, doubled each time (tests shorten it).",
        ),
        INSECURE,
        click.option("-v", "--verbose", is_flag=True, help="Log more detail."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _config(
    overdue_limit: int | None,
    daily_cap: int | None,
    timeout: float,
    settle: float,
    retries: int,
    backoff: float,
) -> Any:
    from scheduler.publish import PublishConfig

    return PublishConfig(
        x_timeout=timeout,
        settle=settle,
        retries=retries,
        backoff=backoff,
        overdue_limit_minutes=overdue_limit,
        daily_cap=daily_cap,
    )


@click.command()
@_publishing_options
@click.option(
    "--collect/--no-collect",
    default=None,
    help="Collect the conversation every collect_every_minutes (default: on when the "
    "credentials allow search).",
)
@click.option(
    "--collect-minute",
    type=click.FloatRange(min=0.01),
    default=60.0,
    envvar="CAMPAIGN_COLLECT_MINUTE",
    hidden=True,
    help="Seconds in a minute of collect_every_minutes (tests shorten it).",
)
@click.option(
    "--lease-ttl",
    type=click.FloatRange(min=0.5),
    default=15.0,
    show_default=True,
    envvar="CAMPAIGN_LEASE_TTL",
    help="Seconds without a heartbeat after which a stand-by daemon takes over.",
)
@click.option(
    "--backup-dir",
    type=click.Path(file_okay=False),
    default=None,
    envvar="CAMPAIGN_BACKUP_DIR",
    help="Folder for the daily backup, 14 kept (default: `backups` beside the database; "
    "also CAMPAIGN_BACKUP_DIR).",
)
@click.option("--no-backups", is_flag=True, help="Make no daily backup.")
@click.option(
    "--alerts-interval",
    type=click.FloatRange(min=0),
    default=10.0,
    envvar="CAMPAIGN_ALERTS_INTERVAL",
    hidden=True,
    help="Seconds between looks for incidents (tests shorten it; 0: no alerts).",
)
@pass_ctx
def daemon(
    obj: CliContext,
    credentials: str | None,
    overdue_limit: int | None,
    daily_cap: int | None,
    timeout: float,
    settle: float,
    retries: int,
    backoff: float,
    insecure: bool,
    verbose: bool,
    collect: bool | None,
    collect_minute: float,
    lease_ttl: float,
    backup_dir: str | None,
    no_backups: bool,
    alerts_interval: float,
) -> None:
    """Publish due posts and collect, until stopped.

    Publishes approved posts when they are due and collects the conversation. Needs X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET (and
    X_BEARER_TOKEN to collect) in the environment or in --credentials FILE; a campaign on
    another account (campaign.account: events) posts with that account's keys
    (X_EVENTS_API_KEY …). One daemon publishes for each account; a second one stands by and
    takes over if the first dies.
    Alerts go to the campaign's `notify:` URLs and CAMPAIGN_NOTIFY; a backup is made daily.
    SIGTERM or Ctrl-C finishes the post in flight and exits. See docs/daemon.md.
    """
    _logging(verbose)
    from scheduler.daemon import Daemon, DaemonConfig
    from scheduler.xclient import XClient

    # The file is read once, so its warnings print once; posting needs the four user keys.
    creds, publisher, missing = _default_publisher(obj, credentials, timeout, insecure)
    if collect is None:
        collect = creds.can_search
    if collect and not creds.can_search:
        raise UserError(
            "--collect needs X_BEARER_TOKEN (or the posting keys) to search X: set it, "
            "or use --no-collect"
        )

    def search() -> XClient:
        return XClient(creds, timeout=timeout)

    config = DaemonConfig(
        publish=_config(overdue_limit, daily_cap, timeout, settle, retries, backoff),
        lease_ttl=lease_ttl,
        collect=bool(collect),
        alerts_interval=alerts_interval,
        backup_dir=None
        if no_backups
        else (backup_dir or str(Path(obj.db_path).absolute().parent / "backups")),
        minute=collect_minute,
    )
    obj.db()  # migrate the database (a missing one is refused) before the jobs start
    code = Daemon(
        obj.db_path,
        publisher,
        config,
        search_client=search if collect else None,
        publishers=_account_publishers(credentials, timeout, insecure),
        missing_default=missing,
    ).run()
    sys.exit(code)


def _default_publisher(
    obj: CliContext, credentials: str | None, timeout: float, insecure: bool
) -> tuple[Credentials, Publisher | None, str]:
    """The default account's credentials, publisher and, when its keys are missing, why.

    Missing keys are refused as they always were, unless another account of the workspace
    (``campaign.account``) has its keys: that one publishes and the default account's posts
    wait (its stop names the variables)."""
    from campaign.errors import CampaignError, CredentialsError
    from scheduler.publish import DEFAULT_ACCOUNT, accounts
    from scheduler.xclient import Credentials

    try:
        creds = Credentials.from_env(need_user=True, file=credentials, insecure=insecure)
    except CredentialsError as e:
        try:
            others = [a for a in accounts(obj.db()) if a != DEFAULT_ACCOUNT]
        except CampaignError:
            raise e from None  # no database yet: the credentials are what to fix first
        if not any(_can_post(a, credentials, insecure) for a in others):
            raise
        creds = Credentials.from_env(file=credentials, insecure=insecure)
        return creds, None, str(e)
    return creds, _publisher(creds, timeout, insecure), ""


def _can_post(account: str, credentials: str | None, insecure: bool) -> bool:
    from scheduler.xclient import Credentials

    return Credentials.from_env(file=credentials, insecure=insecure, account=account).can_post


def _account_publishers(
    credentials: str | None, timeout: float, insecure: bool
) -> Callable[[str], Publisher]:
    """The publisher of another account than the default, with its own keys (``events``:
    X_EVENTS_API_KEY …, from the environment or the credentials file); CredentialsError
    names the variables it lacks."""
    from scheduler.xclient import Credentials

    def make(account: str) -> Publisher:
        creds = Credentials.from_env(
            need_user=True, file=credentials, insecure=insecure, account=account
        )
        return _publisher(creds, timeout, insecure)

    return make


def _publisher(creds: Credentials, timeout: float, insecure: bool) -> Publisher:
    """The X publisher for credentials already read (a file is read once, its warnings print
    once): from the backend registry, or, with --insecure, built here, since the registry's
    factories read the credentials again and refuse plain http to another machine."""
    from scheduler.publisher import XPublisher, create
    from scheduler.xclient import XClient

    if insecure:
        return XPublisher(XClient(creds, timeout=timeout))
    return create("x", environ=_environ(creds), timeout=timeout)


def _environ(creds: Credentials) -> dict[str, str]:
    """The ``X_*`` variables of credentials already read (so a file is not read twice)."""
    from scheduler.xclient import BASE_URL_KEY, BEARER_KEY, USER_KEYS

    values = (creds.api_key, creds.api_secret, creds.access_token, creds.access_token_secret)
    found = dict(zip(USER_KEYS, values, strict=True))
    found[BEARER_KEY] = creds.bearer_token
    found[BASE_URL_KEY] = creds.base_url
    return {k: v for k, v in found.items() if v}


@click.command()
@_publishing_options
@click.option("--resume", is_flag=True, help="Clear a stop caused by refused credentials first.")
@click.option("--json", "as_json", is_flag=True, help="Print what happened as JSON.")
@pass_ctx
def publish(
    obj: CliContext,
    credentials: str | None,
    overdue_limit: int | None,
    daily_cap: int | None,
    timeout: float,
    settle: float,
    retries: int,
    backoff: float,
    insecure: bool,
    verbose: bool,
    resume: bool,
    as_json: bool,
) -> None:
    """Publish what is due now, then exit (for cron).

    Same guarantees as the daemon: each post at most once, unclear outcomes checked against
    the account's timeline. Every account publishes with its own keys (campaign.account:
    events uses X_EVENTS_API_KEY …). Refuses to run while a daemon holds a publishing lease.
    """
    _logging(verbose)
    from posts.queue import PostStatus
    from scheduler.publish import publish_now

    _, publisher, missing = _default_publisher(obj, credentials, timeout, insecure)
    run = publish_now(
        obj.db(),
        publisher,
        config=_config(overdue_limit, daily_cap, timeout, settle, retries, backoff),
        resume_first=resume,
        publishers=_account_publishers(credentials, timeout, insecure),
        missing_default=missing,
    )
    if as_json:
        print_json(
            {
                "outcomes": [o.to_json() for o in run.outcomes],
                "publishing_stopped": run.stopped,
                "waiting": run.waiting,
                "unsettled": run.unsettled,
                "accounts": run.accounts,
            }
        )
    else:
        for o in run.outcomes:
            if o.status == PostStatus.PUBLISHED:
                click.echo(f"post {o.post_id}: published as {o.tweet_id}")
            else:
                click.echo(f"post {o.post_id}: {o.status}: {o.detail}")
        if not run.outcomes:
            click.echo("Nothing was due.")
        if run.waiting:
            click.echo(f"Waiting until {run.waiting['until']}: {run.waiting['reason']}")
        if run.unsettled:
            ids = ", ".join(str(i) for i in run.unsettled)
            click.echo(f"Not settled yet (run again to check them): {ids}")
        for name, state in run.accounts.items():
            if name != "default" and state.get("waiting"):
                w = state["waiting"]
                click.echo(f"Account {name} waits until {w['until']}: {w['reason']}")
    if run.stopped:
        if run.stopped.get("account_state"):  # locked or suspended: the reason names the fix
            raise UserError(f"publishing is stopped: {run.stopped['reason']}")
        raise UserError(
            f"publishing is stopped: {run.stopped['reason']}. Fix the credentials, then run "
            "`campaign publish --resume`"
        )
    others = {
        name: state["stopped"]
        for name, state in run.accounts.items()
        if name != "default" and state.get("stopped")
    }
    if others:
        raise UserError(
            "; ".join(
                f"publishing for account {name} is stopped: {s['reason']}"
                for name, s in others.items()
            )
            + ". The other accounts' posts went out. Fix the credentials, then run "
            "`campaign publish --resume`"
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the snapshot as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="For monitors: one line, exit 0 OK, 1 warning, 2 critical (Nagios convention).",
)
@pass_ctx
def status(obj: CliContext, as_json: bool, check: bool) -> None:
    """Daemon heartbeat, next post, counts and errors.

    Also whether publishing is stopped and why, a rate-limit wait, posts held by the daily cap
    and replies waiting for their parent. --json prints the same as one JSON document.
    """
    if check:
        from campaign.cli.alerts import status_check

        status_check(obj)
    from scheduler.status import snapshot

    snap = snapshot(obj.db())
    if as_json:
        print_json(snap)
        return
    _show(snap, obj)


def _show(snap: dict[str, Any], obj: CliContext) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from campaign.clock import show
    from campaign.metadata import settings_for
    from scheduler.health import stop_reason

    tz = settings_for(obj.db()).timezone
    console = Console(highlight=False)
    d = snap["daemon"]
    if d is None:
        console.print("Daemon: [bold]not running[/] (no publishing lease held)")
    elif d["alive"] and snap.get("x_unreachable"):
        u = snap["x_unreachable"]
        console.print(
            f"Daemon: [bold red]X unreachable since {show(u['since'], tz)}[/] "
            f"({u['count']} tries; last: {escape(str(u.get('detail', '')))}) — "
            f"{escape(str(d['holder']))}, last heartbeat {show(d['heartbeat_at'], tz)}\n"
            "  Posts wait and go out in order as soon as X answers; check this machine's "
            "network if it lasts."
        )
    elif d["alive"]:
        console.print(
            f"Daemon: [green]running[/] — {escape(str(d['holder']))} (pid {d['pid']} on "
            f"{escape(str(d['host']))}), "
            f"last heartbeat {show(d['heartbeat_at'], tz)}"
        )
    else:
        console.print(
            f"Daemon: [red]not heard from since {show(d['heartbeat_at'], tz)}[/] "
            f"({escape(str(d['holder']))}, lease expired {show(d['expires_at'], tz)})"
        )
    if snap["publishing_stopped"]:
        s = snap["publishing_stopped"]
        console.print(
            f"[bold red]Publishing STOPPED[/] since {show(s['at'], tz)}: {escape(stop_reason(s))}\n"
            + {
                "locked": "  Log in to the X account in the X app (or on x.com) and follow X's "
                "steps to unlock it; new keys do not help.\n",
                "suspended": "  The account's owner must appeal the suspension in the X app (or "
                "at help.x.com); new keys do not help.\n",
            }.get(
                str(s.get("account_state")),
                "  If X locked the account, unlock it on x.com; if the keys were revoked or "
                "changed, put the new keys in the daemon's credentials file and restart the "
                "daemon.\n",
            )
            + "  Then run `campaign resume` (or press Resume publishing on the console's status page)."
        )
    for a in snap.get("accounts", []):
        if a["account"] == "default":
            continue  # shown above, as before accounts
        if a["publishing_stopped"]:
            s = a["publishing_stopped"]
            console.print(
                f"[bold red]Publishing STOPPED for account {escape(a['account'])}[/] since "
                f"{show(s['at'], tz)}: {escape(stop_reason(s))}\n"
                f"  The other accounts keep publishing. Fix it, then run `campaign resume "
                f"--account {escape(a['account'])}` (or restart the daemon)."
            )
        if a["waiting"]:
            w = a["waiting"]
            console.print(
                f"[yellow]Waiting[/] for account {escape(a['account'])} until "
                f"{show(w['until'], tz)}: {escape(w['reason'])}"
            )
    for i in snap.get("incidents", []):
        console.print(f"[red]Incident[/] since {show(i['opened_at'], tz)}: {escape(i['summary'])}")
    if snap["waiting"]:
        w = snap["waiting"]
        console.print(f"[yellow]Waiting[/] until {show(w['until'], tz)}: {escape(w['reason'])}")
    n = snap["next_due"]
    if n:
        first = n["text"].splitlines()[0] if n["text"] else ""
        console.print(
            f"Next post: #{n['id']} at {show(n['scheduled_at'], tz)} — {escape(first[:70])}"
        )
    else:
        console.print("Next post: none approved")
    counts = Table(show_header=True, header_style="bold", box=None)
    for key in snap["counts"]:
        counts.add_column(key, justify="right")
    counts.add_row(*(str(v) for v in snap["counts"].values()))
    console.print(counts)
    several = len(snap.get("accounts", [])) > 1
    for a in snap.get("accounts", []) if several else [{"account": "", **snap}]:
        cap = a["daily_cap"]  # each account's own: X counts posts per account
        of = f" for account {escape(a['account'])}" if several else ""
        held = f"; holding until {show(cap['held_until'], tz)}" if cap["held_until"] else ""
        console.print(
            f"Daily cap{of}: {cap['published_last_24h']} of {cap['cap']} in the last 24 hours"
            + held
        )
    for h in snap["held_by_daily_cap"]:
        console.print(f"  post {h['id']} held by daily cap until {show(h['until'], tz)}")
    for w in snap["waiting_for_parent"]:
        console.print(f"  post {w['id']} {escape(w['why'])}")
    if snap["last_errors"]:
        console.print("Last errors (newest first):")
        for e in snap["last_errors"]:
            console.print(
                f"  {show(e['at'], tz)} post {e['post_id']} → {e['to']}: {escape(e['message'] or '')}"
            )
    c = snap["last_collection"]
    if c:
        when = c.get("finished_at") or c.get("started_at")
        console.print(
            f"Last collection: {c.get('status', '?')} at {show(when, tz) if when else '?'} — "
            f"{c.get('new', 0)} new, {c.get('updated', 0)} updated, "
            f"{c.get('requests', 0)} requests"
        )
    if snap["collect_last_error"]:
        ce = snap["collect_last_error"]
        console.print(f"[red]Collect failed[/] {show(ce['at'], tz)}: {escape(ce['message'])}")
    _show_cost(console, snap["cost"], tz)


def _show_cost(console: Any, cost: dict[str, Any], tz: str) -> None:
    """The campaign's cost on X: spent, committed, reads, and today's reads against the budget."""
    from decimal import Decimal

    from campaign.clock import show
    from posts.cost import usd

    def money(text: str) -> str:
        return usd(Decimal(text))

    spent, committed, reads = cost["spent"], cost["committed"], cost["reads"]
    console.print(
        f"Cost on X (estimated): spent {money(spent['total_usd'])} on {spent['count']} published"
        f"; committed {money(committed['total_usd'])} for {committed['count']} approved "
        f"and not yet published; {reads['count']:,} posts read ({money(reads['total_usd'])})"
    )
    if reads["max_per_day"] is None:
        console.print(f"Collection budget: none ({reads['last_24h']:,} read in the last 24 hours)")
    else:
        line = (
            f"Collection budget: {reads['last_24h']:,} of {reads['max_per_day']:,} reads "
            f"({money(reads['max_per_day_usd'])}) in the last 24 hours"
        )
        if reads["budget_until"]:
            line += f"; used up until {show(reads['budget_until'], tz)}"
        console.print(line)
