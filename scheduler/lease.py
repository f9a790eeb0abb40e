"""Who may publish from a database: one lease row per account with a heartbeat (:func:`name_for`).

The holder renews the lease every few seconds; it expires ``ttl`` seconds after the last
heartbeat. Another process takes it over once it has expired, or at once when it was held by a
process on this host that no longer exists (a daemon killed and restarted by systemd need not
wait). Every change happens inside ``BEGIN IMMEDIATE``, so two processes never both succeed.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.store import immediate

PUBLISHER = "publisher"  # the default account's lease (the name every release has used)
DEFAULT_TTL = 15.0


def name_for(account: str = "default") -> str:
    """The publishing lease of ``account``: one per account, so one process publishes for each
    (``publisher`` for the default account, ``publisher:events`` for the account events)."""
    return PUBLISHER if account == "default" else f"{PUBLISHER}:{account}"


def new_holder(role: str = "daemon") -> str:
    """A name for this process that no other process, now or later, will share."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class LeaseInfo:
    """The lease row as it stands."""

    name: str
    holder: str
    pid: int | None
    host: str | None
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    @property
    def alive(self) -> bool:
        """The lease has not expired (its holder heart-beat recently)."""
        return self.expires_at > now()

    def to_json(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "pid": self.pid,
            "host": self.host,
            "acquired_at": to_db(self.acquired_at),
            "heartbeat_at": to_db(self.heartbeat_at),
            "expires_at": to_db(self.expires_at),
            "alive": self.alive,
        }


def current(db: sqlite_utils.Database, name: str = PUBLISHER) -> LeaseInfo | None:
    """The lease ``name``, or None if nobody has held it (or it was released)."""
    row = db.execute(
        "SELECT name, holder, pid, host, acquired_at, heartbeat_at, expires_at "
        "FROM lease WHERE name = ?",
        [name],
    ).fetchone()
    if row is None:
        return None
    return LeaseInfo(
        name=row[0],
        holder=row[1],
        pid=row[2],
        host=row[3],
        acquired_at=from_db(row[4]),
        heartbeat_at=from_db(row[5]),
        expires_at=from_db(row[6]),
    )


def publishing(db: sqlite_utils.Database) -> list[LeaseInfo]:
    """Every account's publishing lease that is held (the default account's first)."""
    rows = db.execute(
        "SELECT name FROM lease WHERE name = ? OR name LIKE ? ORDER BY name = ? DESC, name",
        [PUBLISHER, PUBLISHER + ":%", PUBLISHER],
    ).fetchall()
    found = [current(db, row[0]) for row in rows]
    return [info for info in found if info is not None]


def running(db: sqlite_utils.Database) -> LeaseInfo | None:
    """The default account's lease if it is alive, else any account's live lease: a daemon is
    running (one that publishes only for another account holds only that account's lease)."""
    alive = [info for info in publishing(db) if info.alive]
    return alive[0] if alive else None


def _pid_gone(info: LeaseInfo) -> bool:
    """The holder ran on this host and its process no longer exists."""
    if info.host != socket.gethostname() or not info.pid or info.pid == os.getpid():
        return False
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(
    db: sqlite_utils.Database, holder: str, *, ttl: float = DEFAULT_TTL, name: str = PUBLISHER
) -> bool:
    """Take (or keep) the lease for ``holder``. False if another live holder has it."""
    with immediate(db):
        info = current(db, name)
        stamp = now()
        if (
            info is not None
            and info.holder != holder
            and info.expires_at > stamp
            and not _pid_gone(info)
        ):
            return False
        acquired = info.acquired_at if info is not None and info.holder == holder else stamp
        db.execute(
            "INSERT INTO lease (name, holder, pid, host, acquired_at, heartbeat_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
            "pid = excluded.pid, host = excluded.host, acquired_at = excluded.acquired_at, "
            "heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at",
            [
                name,
                holder,
                os.getpid(),
                socket.gethostname(),
                to_db(acquired),
                to_db(stamp),
                to_db(stamp + timedelta(seconds=ttl)),
            ],
        )
    return True


def renew(
    db: sqlite_utils.Database, holder: str, *, ttl: float = DEFAULT_TTL, name: str = PUBLISHER
) -> bool:
    """Heartbeat: push the expiry on. False if ``holder`` no longer holds the lease."""
    stamp = now()
    with immediate(db):
        cur = db.execute(
            "UPDATE lease SET heartbeat_at = ?, expires_at = ? WHERE name = ? AND holder = ?",
            [to_db(stamp), to_db(stamp + timedelta(seconds=ttl)), name, holder],
        )
        return cur.rowcount == 1


def release(db: sqlite_utils.Database, holder: str, *, name: str = PUBLISHER) -> bool:
    """Give the lease up (only if ``holder`` has it), so a stand-by can take over at once."""
    with immediate(db):
        cur = db.execute("DELETE FROM lease WHERE name = ? AND holder = ?", [name, holder])
        return cur.rowcount == 1


def guard(holder: str, name: str = PUBLISHER) -> tuple[str, list[Any]]:
    """SQL that returns a row only while ``holder`` holds a live lease, for use inside the
    claim transaction (:func:`posts.queue.claim`)."""
    return (
        "SELECT 1 FROM lease WHERE name = ? AND holder = ? AND expires_at > ?",
        [name, holder, to_db(now())],
    )
