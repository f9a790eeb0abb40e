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

    from campaign.metadata.store import Campaign
    from campaign.models import CampaignSettings
    from campaign.people import Acting


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
        return f"cli:{self.person}"

    @property
    def person(self) -> str:
        """The name of whoever runs the command: ``CAMPAIGN_USER``, else the login name."""
        from campaign.actors import local_user

        return local_user()

    def acting(self) -> Acting:
        """Who is acting, as the workspace's team sees them (see :func:`campaign.people.on_cli`)."""
        from campaign.people import on_cli

        return on_cli(self.db(), self.person, self.db_path)

    def require(self, work: str, what: str) -> None:
        """Refuse (exit code 2) unless the person running the command may do ``work``
        (a key of :data:`campaign.people.NEEDS`); ``what`` says it in words."""
        from campaign.people import require

        acting = self.acting()
        if acting.person is not None:
            require(acting.person, work, what)


pass_ctx = click.make_pass_decorator(CliContext)


def campaign_settings(obj: CliContext) -> CampaignSettings:
    """The loaded campaign's settings, or the defaults when none is loaded."""
    from campaign.metadata import settings_for

    return settings_for(obj.db())


# For every command about one campaign of the workspace (with one campaign it may be left out).
CAMPAIGN = click.option(
    "--campaign",
    "campaign_slug",
    metavar="SLUG",
    help="The campaign (see `campaign campaigns list`); may be left out when there is one.",
)
# For commands that cover every campaign unless told one.
CAMPAIGN_FILTER = click.option(
    "--campaign",
    "campaign_slug",
    metavar="SLUG",
    help="Only this campaign (see `campaign campaigns list`); default: every campaign.",
)


def one_campaign(obj: CliContext, slug: str | None) -> Campaign | None:
    """The campaign a command about one campaign works on: ``--campaign``'s, else the only one
    (``None`` when none is loaded); several without ``--campaign`` is refused, listing them."""
    from campaign.metadata.store import resolve

    return resolve(obj.db(), slug)


def some_campaign(obj: CliContext, slug: str | None) -> Campaign | None:
    """``--campaign``'s campaign for a command that otherwise covers them all (``None``)."""
    from campaign.metadata.store import find

    return find(obj.db(), slug) if slug is not None else None


# For every command that talks to X (daemon, publish, collect).
# For the commands that call X once and exit (collect, metrics): the whole call's deadline.
X_TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    envvar="CAMPAIGN_X_TIMEOUT",
    help="Seconds each call to X may take in all (also CAMPAIGN_X_TIMEOUT).",
)
INSECURE = click.option(
    "--insecure",
    is_flag=True,
    help="Allow a plain-http X_API_BASE_URL on another machine (the keys then cross the "
    "network unencrypted); http to this machine needs no flag.",
)

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


def first_line(text: str, width: int = 70) -> str:
    """``text`` on one line, cut with an ellipsis at ``width`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def print_json(data: Any) -> None:
    """JSON on stdout, real Unicode, one document: exactly ``json.dump(data, indent=2,
    ensure_ascii=False)`` (see :func:`indented_json`)."""
    sys.stdout.write(indented_json(data))
    sys.stdout.write("\n")


def indented_json(data: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, indent=2)``'s layout, written by orjson (its
    ``OPT_INDENT_2``) several times as fast as the standard library, which uses its pure-Python
    encoder whenever output is indented. Unlike json, NaN and the infinities (which JSON cannot
    hold) are null and floats with an exponent are in their shortest form (``1e-7``). What
    orjson will not write (keys that are not strings, integers beyond 64 bits, dates,
    dataclasses, ...) goes to ``json.dumps``, which writes it or raises TypeError as before."""
    import orjson

    try:
        return orjson.dumps(
            data,
            option=orjson.OPT_INDENT_2
            | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS,
        ).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(data, ensure_ascii=False, indent=2)
