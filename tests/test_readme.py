"""The README stays true: its command table matches the program, and its transcripts of
commands whose output does not depend on the day are the program's real output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
from click.testing import CliRunner

from campaign.cli import COMMANDS, cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths() -> set[str]:
    ctx = click.Context(cli)
    paths = set()
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            paths.update(f"{name} {sub}" for sub in command.list_commands(ctx))
        else:
            paths.add(name)
    return paths


def test_command_table_lists_every_command() -> None:
    """Every command and subcommand has a row in the README's command table, and no row is stale."""
    rows = set()
    for line in README.splitlines():
        m = re.match(r"\| `campaign ([a-z-]+(?: [a-z-]+)?)", line)
        if m:
            words = m.group(1).split()
            rows.add(" ".join(words) if " ".join(words) in command_paths() else words[0])
    assert command_paths() == rows


def test_transcript_commands_exist() -> None:
    """Every `$ campaign …` line in the README names a real command."""
    known = command_paths() | set(COMMANDS)
    for line in README.splitlines():
        if line.startswith("$ campaign "):
            words = [w for w in shlex.split(line[2:])[1:] if not w.startswith("-")]
            assert words[0] in known, line
            if words[0] in {p.split()[0] for p in known if " " in p}:
                assert f"{words[0]} {words[1]}" in known, line


def test_posts_check_transcript_is_real_output() -> None:
    """The README's `campaign posts check` transcript is what the program prints."""
    lines = README.splitlines()
    checked = 0
    for i, line in enumerate(lines):
        if line.startswith("$ campaign posts check "):
            args = shlex.split(line[2:])[1:]
            result = CliRunner().invoke(cli, args, prog_name="campaign")
            assert lines[i + 1] == result.output.rstrip("\n")
            checked += 1
    assert checked >= 1


def test_length_error_transcript_is_real_output() -> None:
    """The README's too-long error is the message the program gives for 60 words."""
    expected = next(line for line in README.splitlines() if line.startswith("Error: 319/280"))
    runner = CliRunner()
    runner.invoke(cli, ["init"])
    result = runner.invoke(
        cli, ["posts", "add", "--text", "word " * 60, "--at", "2030-01-01T10:00+00:00"]
    )
    assert 2 == result.exit_code
    assert expected == result.output.strip().splitlines()[-1]
