"""What every command shares: the context object, errors, output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
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

    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            from campaign.store import open_db

            self._db = open_db(self.db_path)
        return self._db

    @property
    def actor(self) -> str:
        """Who is acting, for the audit trail: ``cli:<user>`` (``CAMPAIGN_USER`` overrides)."""
        from campaign.actors import local_user

        return f"cli:{local_user()}"


pass_ctx = click.make_pass_decorator(CliContext)


def print_json(data: Any) -> None:
    """JSON on stdout, real Unicode, one document."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
