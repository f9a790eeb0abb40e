"""Where a campaign is kept: one SQLite file, opened the same way everywhere.

WAL, a busy timeout, foreign keys on, migrations applied on open. A sqlite3 connection cannot
cross threads: every thread (and process) calls :func:`open_db` for its own.

The database holds the team's notes and the collected conversation, so it is created readable
by its owner only (0600; SQLite gives its ``-wal`` and ``-shm`` files the same mode), and so is
every file the tool writes (:func:`open_private`, :func:`write_private`). A file that already
exists keeps the permissions it has (share one with a group by ``chmod 640`` and ``chgrp``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from campaign.errors import CampaignError, NoDatabaseError

DEFAULT_DB = "campaign.db"
BUSY_TIMEOUT_MS = 10_000
PRIVATE = 0o600  # owner read and write: the mode of every file the tool creates


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing, creating the file readable by its owner only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE)
    try:
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path``, created readable by its owner only."""
    if isinstance(data, str):
        with open_private(path, "w", encoding="utf-8") as fh:
            fh.write(data)
    else:
        with open_private(path, "wb") as fh:
            fh.write(data)


def _create_private(p: Path) -> None:
    """Create the database file empty, owner-only, if it is not there (SQLite fills it)."""
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    except FileExistsError:
        pass
    except OSError:
        pass  # a folder we may not write in: sqlite3.connect says so in its own words


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database to use: ``--db``, else ``CAMPAIGN_DB``, else ``./campaign.db``.

    A leading ``~`` is the home folder even when the shell did not expand it (a quoted value,
    or a systemd ``Environment=`` line)."""
    return Path(explicit or os.environ.get("CAMPAIGN_DB") or DEFAULT_DB).expanduser()


def open_db(
    path: str | os.PathLike[str] | None = None, *, migrate: bool = True, create: bool = True
) -> sqlite_utils.Database:
    """Open the campaign database at ``path`` and bring its schema up to date.

    ``:memory:`` is a database with no file (SQLite's name). A missing file is created, unless
    ``create`` is false: then it is a :class:`NoDatabaseError`
    that names the path and ``campaign init`` (the command line creates a database only there,
    so a mistyped ``--db`` is not a new, empty campaign)."""
    p = db_path(path)
    if str(p) != ":memory:":  # SQLite's own name for a database with no file
        _ensure_file(p, create)
    try:
        # Autocommit at the driver: every statement commits on its own unless we open a
        # transaction ourselves (db.atomic() or immediate()), so nothing is left uncommitted.
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        # Without sqlite-utils' plugins: the tool's SQL needs none, and finding them reads the
        # metadata of every installed package (about 30 ms at every start).
        db = sqlite_utils.Database(conn, execute_plugins=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as e:
        raise CampaignError(explain(e, p)) from e
    if migrate:
        from campaign.migrations import apply_all

        apply_all(db)
    return db


def _ensure_file(p: Path, create: bool) -> None:
    """The database file exists, or is created now (owner-only) when ``create``."""
    if not create and not p.exists():
        raise NoDatabaseError(
            f"there is no campaign database at {p}: run `campaign init` to create it, or check "
            "the name given with --db or CAMPAIGN_DB"
        )
    if p.parent and not p.parent.exists():
        raise CampaignError(f"cannot create the database {p}: the folder {p.parent} does not exist")
    if not p.exists():
        _create_private(p)


def explain(e: sqlite3.Error, path: str | os.PathLike[str]) -> str:
    """What a SQLite error on the database at ``path`` means for a person, and what to do."""
    db_path = str(path)
    name = getattr(e, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(e):
        return (
            f"the database {db_path} is busy: another campaign command, the daemon or the web "
            f"console kept it locked for more than {BUSY_TIMEOUT_MS / 1000:g} seconds; run the "
            "command again in a moment (nothing is left half-saved)"
        )
    if name.startswith("SQLITE_READONLY") or name == "SQLITE_PERM":
        return (
            f"cannot change the database {db_path}: it is read-only for you (check the "
            "permissions of the file and of its folder, which must be writable too), or use "
            "another database with --db"
        )
    if name.startswith("SQLITE_FULL"):
        return f"the disk holding {db_path} is full: free some space, then run the command again"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return (
            f"cannot open {db_path}: it is damaged or is not a campaign database; restore it "
            "from a backup, or use another file with --db"
        )
    if name.startswith("SQLITE_CANTOPEN"):
        where = Path(db_path).absolute()
        if not where.parent.is_dir():
            return f"cannot create the database {db_path}: {where.parent} is a file, not a folder"
        if not where.exists():
            return (
                f"cannot create the database {db_path}: you may not write in the folder "
                f"{where.parent}; work in a folder of yours, or use --db"
            )
        return f"cannot open the database {db_path}: check that you may read and write it"
    if name.startswith("SQLITE_IOERR"):
        return (
            f"cannot read or write the database {db_path} (a disk or file-system error): check "
            "that the disk is there and the file can be opened, then run the command again"
        )
    return (
        f"the database {db_path} could not be used ({e}): if it was made by another program "
        "or another version of campaign, use another file with --db"
    )


@contextmanager
def immediate(
    db: sqlite_utils.Database, *, durable: bool = False
) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    ``durable=True`` makes this commit reach the disk before it returns (``synchronous=FULL``):
    used for the publishing claim, which must survive a power cut before the network call.
    """
    conn = db.conn
    if durable:
        conn.execute("PRAGMA synchronous=FULL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
    finally:
        if durable:
            conn.execute("PRAGMA synchronous=NORMAL")


def get_state(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    """A value from the small key/value ``state`` table (daemon flags, cursors)."""
    row = db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def get_json_state(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    """A JSON object kept in the ``state`` table, or None (unset, or not such an object)."""
    raw = get_state(db, key)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def set_state(db: sqlite_utils.Database, key: str, value: str | None) -> None:
    """Set (or with ``None``, clear) a value in the ``state`` table."""
    from campaign.clock import now, to_db

    if value is None:
        db.execute("DELETE FROM state WHERE key = ?", [key])
    else:
        db.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [key, value, to_db(now())],
        )
