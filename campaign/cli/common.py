"""What every command shares: the context object, errors, output helpers."""

from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import sqlite_utils


class UserError(click.ClickException):
    """A problem the user can fix: one line on stderr, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


@dataclass
class CliContext:
    """Carried in ``ctx.obj``: where the database is, opened on first use."""

    db_path: str
    _db: sqlite_utils.Database | None = field(default=None, repr=False)

    def db(self, *, create: bool = False) -> sqlite_utils.Database:
        """The database, opened and migrated; a missing file is refused (exit 2, naming the
        path and `campaign init`) unless ``create``: only `campaign init` creates one."""
        if self._db is None:
            from campaign.store import open_db

            self._db = open_db(self.db_path, create=create)
        return self._db

    @property
    def actor(self) -> str:
        """Who is acting, for the audit trail: ``cli:<user>`` (``CAMPAIGN_USER`` overrides)."""
        from campaign.actors import local_user

        return f"cli:{local_user()}"


pass_ctx = click.make_pass_decorator(CliContext)

SQLITE_MAX_ID = 2**63 - 1


class RecordId(click.ParamType[int, Any]):
    """A post's or collected post's id: a whole number SQLite can hold, else a clear refusal."""

    name = "id"

    def __init__(self, what: str, listing: str) -> None:
        self.what = what
        self.listing = listing

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(
                    f"{value!r} is not a {self.what} id: use the number shown by `{self.listing}`",
                    param,
                    ctx,
                )
        if not 0 < number <= SQLITE_MAX_ID:
            self.fail(
                f"there is no {self.what} with id {value}: see `{self.listing}` for the ids",
                param,
                ctx,
            )
        return number


POST_ID = RecordId("post", "campaign posts list")
MENTION_ID = RecordId("collected post", "campaign mentions list")


_OS_ADVICE = {
    errno.ENOENT: "the file or its folder does not exist; check the name",
    errno.EACCES: "permission denied; choose a place you may write to",
    errno.EPERM: "permission denied; choose a place you may write to",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOTDIR: "part of the path is a file, not a folder; check the path",
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EROFS: "the disk is read-only; choose another place",
}


def explain_os_error(e: OSError) -> str:
    """A failed file operation in a person's words: which file, why, what to do."""
    advice = _OS_ADVICE.get(e.errno or 0, e.strerror or "it failed")
    return f"cannot use {e.filename}: {advice}"


def check_folder(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, once the folder it goes in is known to exist (else a clear refusal)."""
    p = Path(path)
    if not p.parent.exists():
        raise UserError(f"cannot write {p}: the folder {p.parent} does not exist; create it first")
    return p


def cannot_listen(host: str, port: int, e: OSError, command: str) -> UserError:
    """The refusal when ``command`` (e.g. ``campaign web``) cannot listen on ``host:port``: why,
    and what to do instead."""
    why = (
        "ports below 1024 need administrator rights"
        if e.errno == errno.EACCES
        else f"another program (perhaps another `{command}`) may be using that port"
    )
    return UserError(
        f"cannot listen on {host}:{port} ({e.strerror or e}): {why}; pick another --port, "
        "or 0 for any free one"
    )


def print_json(data: Any) -> None:
    """JSON on stdout, real Unicode, one document."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
