"""Backups of the campaign database: a consistent copy while the daemon runs, and a restore.

- :func:`backup`: SQLite's online backup API copies the database page by page from a read
  transaction, so the copy is consistent however busy the daemon is. It is written to a
  ``.partial`` file beside the target, checked with ``PRAGMA integrity_check``, then renamed
  into place: a copy killed halfway (``kill -9``, a power cut) never looks like a backup and
  never replaces a good one.
- :func:`daily`: a backup into a folder when the newest there is a day old, keeping the newest
  :data:`KEEP` (the daemon's daily job).
- :func:`restore`: puts a backup in place of the database, refused while a daemon holds the
  publishing lease; the file it replaces is kept beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from campaign.clock import now
from campaign.errors import CampaignError

KEEP = 14
PARTIAL = ".partial"
NAME_RE = re.compile(r"campaign-(\d{8}T\d{6}Z)\.db")
COUNTED = ("posts", "post_audit", "mentions", "incidents")


class BackupError(CampaignError):
    "A backup could not be made, checked or restored"


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds: where, how big, its integrity check and row counts."""

    path: Path
    size: int
    integrity: str
    counts: dict[str, int]

    def summary(self) -> str:
        counts = ", ".join(f"{n:,} {table}" for table, n in self.counts.items())
        return f"{self.path}: {self.size:,} bytes, integrity {self.integrity}; {counts}"


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def inspect(path: str | os.PathLike[str]) -> BackupInfo:
    """Check the database file at ``path``: integrity and row counts (read-only)."""
    p = Path(path)
    if not p.is_file():
        raise BackupError(f"{p} does not exist: give the path of a backup file")
    try:
        conn = _connect(p, readonly=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            integrity = "ok" if result == [("ok",)] else "; ".join(str(r[0]) for r in result[:3])
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            counts = {
                t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in COUNTED
                if t in tables
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{p} is not a usable database ({e}): choose another backup") from e
    if "posts" not in counts:
        raise BackupError(f"{p} is not a campaign database (it has no posts table)")
    return BackupInfo(p, p.stat().st_size, integrity, counts)


def backup(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> BackupInfo:
    """Copy the database ``source`` to ``target`` (a new file, or a folder to put a dated file
    in), consistently while other processes write, and check the copy."""
    src = Path(source)
    if not src.is_file():
        raise BackupError(f"there is no database at {src}: check --db or CAMPAIGN_DB")
    dest = Path(target)
    if dest.is_dir():
        dest = dest / f"campaign-{now():%Y%m%dT%H%M%SZ}.db"
    if dest.exists():
        raise BackupError(f"{dest} already exists: give a new file name, or a folder")
    if not dest.parent.is_dir():
        raise BackupError(f"cannot write {dest}: the folder {dest.parent} does not exist")
    partial = dest.with_name(dest.name + PARTIAL)
    partial.unlink(missing_ok=True)  # left by a copy that was killed
    try:
        conn = _connect(src, readonly=True)
        out = sqlite3.connect(str(partial))
        try:
            # One step, inside one read transaction: in WAL mode it never blocks the daemon's
            # writes, and a copy made in steps would start again after each of them.
            conn.backup(out, pages=-1)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            out.close()
            conn.close()
    except sqlite3.Error as e:
        partial.unlink(missing_ok=True)
        raise BackupError(f"could not copy {src} to {dest}: {e}") from e
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise BackupError(f"could not write {dest}: {e.strerror}") from e
    info = inspect(partial)
    if info.integrity != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy of {src} failed its integrity check: {info.integrity}")
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    partial.rename(dest)
    _sync_folder(dest.parent)
    return BackupInfo(dest, info.size, info.integrity, info.counts)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def backups_in(folder: str | os.PathLike[str]) -> list[tuple[datetime, Path]]:
    """The dated backups in ``folder``, oldest first."""
    found = []
    for p in Path(folder).glob("campaign-*.db"):
        m = NAME_RE.fullmatch(p.name)
        if m:
            found.append((datetime.strptime(m.group(1), "%Y%m%dT%H%M%S%z"), p))
    return sorted(found)


def daily(
    source: str | os.PathLike[str], folder: str | os.PathLike[str], *, keep: int = KEEP
) -> BackupInfo | None:
    """A backup into ``folder`` if its newest is a day old (or there is none), then only the
    newest ``keep`` are kept. None if no backup was due."""
    dest = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob("campaign-*.db" + PARTIAL):
        stale.unlink(missing_ok=True)
    existing = backups_in(dest)
    if existing and now() - existing[-1][0] < timedelta(hours=23, minutes=50):
        return None
    info = backup(source, dest)
    for _, old in backups_in(dest)[:-keep]:
        old.unlink(missing_ok=True)
    return info


def restore(
    target: str | os.PathLike[str], backup_file: str | os.PathLike[str]
) -> tuple[BackupInfo, Path | None]:
    """Put ``backup_file`` in place of the database ``target``; returns what was restored and
    where the replaced database was kept (None if there was none).

    The caller refuses first while a daemon holds the publishing lease (it would go on
    writing to the old file): the command line does, with :mod:`scheduler.lease`.
    """
    info = inspect(backup_file)
    if info.integrity != "ok":
        raise BackupError(
            f"{backup_file} failed its integrity check ({info.integrity}): choose another backup"
        )
    dest = Path(target)
    kept: Path | None = None
    if dest.exists():
        kept = dest.with_name(f"{dest.name}.replaced-{now():%Y%m%dT%H%M%SZ}")
        conn = _connect(dest)
        try:  # fold the write-ahead log into the file, so the kept copy is whole
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        dest.rename(kept)
        for suffix in ("-wal", "-shm"):
            Path(str(dest) + suffix).unlink(missing_ok=True)
    partial = dest.with_name(dest.name + PARTIAL)
    partial.unlink(missing_ok=True)
    src = _connect(Path(backup_file), readonly=True)
    out = sqlite3.connect(str(partial))
    try:
        src.backup(out)
    finally:
        out.close()
        src.close()
    partial.rename(dest)
    _sync_folder(dest.parent)
    return info, kept
