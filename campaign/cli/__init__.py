"""The ``campaign`` command line: parses, calls library code, prints. Nothing below it imports click.

Command modules load only when their command runs (``campaign --help`` stays fast), so each
command's one-line help lives in :data:`COMMANDS` beside the module that implements it.
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

import click

from campaign import __version__
from campaign.cli.common import CliContext, UserError, explain_os_error
from campaign.errors import CampaignError

# name -> ("module:attribute", one-line help). Order is the order `campaign --help` shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("campaign.cli.setup:init", "Create the campaign database (safe to run again)."),
    "load": ("campaign.cli.setup:load", "Load or update campaign metadata from a YAML file."),
    "campaigns": (
        "campaign.cli.workspace:campaigns",
        "The workspace's campaigns: list them, archive one.",
    ),
    "accounts": ("campaign.cli.workspace:accounts", "The X accounts the campaigns post from."),
    "import-page": (
        "campaign.cli.setup:import_page",
        "Turn a pasted event page into metadata YAML to check.",
    ),
    "plan": (
        "campaign.cli.plan:plan",
        "Generate draft posts from the loaded campaign, or refresh them after a change.",
    ),
    "posts": ("campaign.cli.posts:posts", "List, add, edit, approve and cancel posts."),
    "calendar": ("campaign.cli.plan:calendar", "Show the schedule, or export it as iCalendar."),
    "daemon": ("campaign.cli.daemon:daemon", "Publish due posts and collect, until stopped."),
    "publish": ("campaign.cli.daemon:publish", "Publish what is due now, then exit (for cron)."),
    "status": ("campaign.cli.daemon:status", "Daemon heartbeat, next post, counts and errors."),
    "resume": (
        "campaign.cli.alerts:resume",
        "Resume publishing after it stopped (works while the daemon runs).",
    ),
    "notify": (
        "campaign.cli.alerts:notify",
        "Alerts to the team: test them, or look for incidents once (for cron).",
    ),
    "backup": (
        "campaign.cli.alerts:backup",
        "Copy the database to PATH (a new file, or a folder), safely while the daemon runs.",
    ),
    "restore": (
        "campaign.cli.alerts:restore",
        "Put the backup PATH in place of the database (stop the daemon first).",
    ),
    "collect": (
        "campaign.cli.collect:collect",
        "Fetch new posts under the campaign's query from X's recent search, once.",
    ),
    "mentions": ("campaign.cli.mentions:mentions", "Search, review and export the conversation."),
    "metrics": (
        "campaign.cli.metrics:metrics",
        "Read how our posts did on X now, then rank them.",
    ),
    "compliance": (
        "campaign.cli.compliance:compliance",
        "Ask X which stored posts were deleted, protected or suspended, and remove them.",
    ),
    "report": ("campaign.cli.report:report", "Summarise the conversation: text, PNG and HTML."),
    "web": ("campaign.cli.web:web", "Serve the web console for staff and reviewers."),
    "users": ("campaign.cli.users:users", "The team: people, roles and passwords."),
    "fake-x": (
        "campaign.cli.fakex:fake_x",
        "Run the local X API simulator for rehearsals and tests.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[cmd_name][0].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as e:
            # click suggests from the commands already loaded, and this group loads them lazily
            raise click.exceptions.NoSuchCommand(
                e.command_name, possibilities=COMMANDS, ctx=ctx
            ) from e

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as e:
            raise UserError(str(e)) from e
        except click.NoSuchOption as e:
            if e.option_name == "--db" and e.ctx is not None:  # `posts list --db x.db`
                command = e.ctx.command_path.split(" ", 1)[-1]
                raise click.UsageError(
                    f"--db goes before the command: `campaign --db FILE {command} …` "
                    "(or set CAMPAIGN_DB)",
                    ctx=e.ctx,
                ) from e
            raise
        # The daemon is left alone: systemd restarts it after a crash, but not after exit code 2.
        except sqlite3.Error as e:
            if ctx.invoked_subcommand == "daemon" or not isinstance(ctx.obj, CliContext):
                raise
            from campaign.store import explain  # not at start-up: it loads sqlite-utils

            raise UserError(explain(e, ctx.obj.db_path)) from e
        except OSError as e:
            if ctx.invoked_subcommand == "daemon" or not e.filename:
                raise
            raise UserError(explain_os_error(e)) from e


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="CAMPAIGN_DB",
    default="campaign.db",
    show_default=True,
    help="The campaign database (also CAMPAIGN_DB).",
)
@click.version_option(__version__, prog_name="campaign")
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """Run a social-media campaign on X.

    Event and publication metadata become posts through templates; the posts wait in a queue
    for approval; a daemon publishes them on schedule with the campaign hashtag and collects
    the conversation under it for review.

    Start with `campaign init`, `campaign load campaign.yaml` and `campaign plan`.
    """
    ctx.obj = CliContext(db_path=db)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="campaign")
