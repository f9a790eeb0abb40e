"""Every command explains itself, and `campaign --help` loads nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from campaign.cli import COMMANDS, cli


def all_commands() -> Iterator[tuple[str, ...]]:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None, name
        yield (name,)
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                yield (name, sub)


@pytest.mark.parametrize("path", list(all_commands()), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    """`campaign … --help` works for every command and subcommand and says what it does."""
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="campaign")
    assert 0 == result.exit_code, result.output
    assert "Usage: campaign " + " ".join(path) in result.output
    body = result.output.split("\n\n", 2)
    assert len(body) > 1 and body[1].strip(), f"{path} has no description"


def test_registry_help_matches_command_help() -> None:
    """The one-line help `campaign --help` shows is the command's own first line."""
    ctx = click.Context(cli)
    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None
        first = (command.help or "").strip().splitlines()[0]
        assert first == short, name


def test_top_level_help_imports_nothing_heavy() -> None:
    """`campaign --help` does not import tweepy, APScheduler, Jinja2, matplotlib or Flask."""
    code = (
        "import sys; from campaign.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='campaign')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tweepy', 'apscheduler', 'jinja2', 'matplotlib', 'flask', 'rich')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in out.stdout
