"""``campaign notify``, ``resume``, ``backup``, ``restore`` and ``status --check``: hearing about
trouble at once, getting publishing going again, and never losing the database."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from campaign.cli.common import CliContext, UserError, pass_ctx
from campaign.errors import CampaignError


def status_check(obj: CliContext) -> None:
    """``campaign status --check``: one line, exit 0 OK, 1 warning, 2 critical."""
    from campaign.store import explain

    try:
        from scheduler.health import check

        result = check(obj.db())
    except sqlite3.Error as e:
        click.echo(f"CRITICAL: database: {explain(e, obj.db_path)}")
        sys.exit(2)
    except CampaignError as e:
        click.echo(f"CRITICAL: database: {e}")
        sys.exit(2)
    click.echo(result.line)
    sys.exit(int(result.level))


@click.group()
def notify() -> None:
    """Alerts to the team: test them, or look for incidents once (for cron).

    Alerts go to the Apprise URLs in the campaign's `notify:` list and in CAMPAIGN_NOTIFY
    (space-separated; the place for URLs that hold a secret). The daemon sends them by itself.
    """


@notify.command("test")
@pass_ctx
def notify_test(obj: CliContext) -> None:
    """Send a test message to every notifier now, and say which ones took it."""
    from scheduler.alerts import test_message

    results = test_message(obj.db())
    if not results:
        raise UserError(
            "no notifier is set: add Apprise URLs to `notify:` in the campaign's YAML file "
            "(then `campaign load FILE`), or to CAMPAIGN_NOTIFY in the environment, e.g. "
            "CAMPAIGN_NOTIFY='json://127.0.0.1:8080/alerts'"
        )
    failed = 0
    for target, error in results:
        if error is None:
            click.echo(f"Sent a test message to {target.label}")
        else:
            failed += 1
            click.echo(f"Not delivered to {target.label}: {error}", err=True)
    if failed:
        raise UserError(
            f"{failed} of {len(results)} notifiers did not take the test message: check those "
            "URLs (see https://github.com/caronc/apprise/wiki)"
        )


@notify.command("watch")
@pass_ctx
def notify_watch(obj: CliContext) -> None:
    """Look for incidents once and send what is due (run it every minute from cron or a systemd
    timer: it notices a post due soon while no daemon runs, which no daemon can)."""
    from campaign.cli.daemon import _logging
    from scheduler.alerts import watch_once

    _logging(verbose=False)  # timestamped lines on stderr, as the daemon's
    obj.db()
    opened, cleared = watch_once(obj.db_path)
    click.echo(f"Incidents opened: {len(opened)}, cleared: {len(cleared)}")


@click.command()
@click.option(
    "--account",
    "account",
    default=None,
    metavar="NAME",
    help="Resume only this account's publishing (default: every account's).",
)
@pass_ctx
def resume(obj: CliContext, account: str | None) -> None:
    """Resume publishing after it stopped (works while the daemon runs).

    Fix the cause first (unlock the account on x.com, or put new keys in the daemon's
    credentials file and restart the daemon). Every account's publishing is resumed, or only
    that of --account NAME.
    """
    from scheduler import lease
    from scheduler.publish import accounts
    from scheduler.publish import resume as clear_stop

    db = obj.db()
    if account is not None and account not in accounts(db):
        raise UserError(
            f"no campaign posts from the account {account!r}: use one of "
            f"{', '.join(accounts(db))} (`campaign accounts list` shows them)"
        )
    if not clear_stop(db, account):
        which = "" if account is None else f" for account {account}"
        click.echo(f"Publishing{which} was not stopped: nothing to resume.")
        return
    info = lease.running(db)
    if info is not None and info.alive:
        click.echo("Publishing resumed: the running daemon goes on within a second or two.")
    else:
        click.echo(
            "Publishing resumed. No daemon is running: start it (`sudo systemctl start "
            "campaign-daemon`, or `campaign daemon`)."
        )


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
def backup(obj: CliContext, path: Path) -> None:
    """Copy the database to PATH (a new file, or a folder), safely while the daemon runs.

    The copy is checked (PRAGMA integrity_check) before it gets its name; its size and row
    counts are printed. Restore it with `campaign restore PATH`.
    """
    from campaign.backup import backup as make

    obj.db()  # a clear error for a database that is missing or unusable
    info = make(obj.db_path, path)
    click.echo(f"Backup written: {info.summary()}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
def restore(obj: CliContext, path: Path) -> None:
    """Put the backup PATH in place of the database (stop the daemon first).

    The database it replaces is kept beside it, named `….replaced-<time>`.
    """
    from campaign.backup import restore as put_back
    from campaign.errors import LeaseHeldError

    target = Path(obj.db_path)
    if target.exists():
        from scheduler import lease

        info = lease.running(obj.db())
        obj.db().close()
        if info is not None and info.alive:
            raise LeaseHeldError(
                f"a daemon (pid {info.pid} on {info.host}) is running on {target}: stop it first "
                "(`sudo systemctl stop campaign-daemon`), then restore"
            )
    restored, kept = put_back(target, path)
    click.echo(f"Restored {restored.summary()}")
    if kept is not None:
        click.echo(f"The database it replaced is kept as {kept}")
