"""Is publishing healthy? One answer for monitors, people and the alerts, read from the database.

- :func:`x_failed` / :func:`x_answered`: the publisher's hooks when a call to X got no answer at
  all, or any answer. The first failure's time is kept (``state`` key ``x_unreachable``), so the
  status can say "X unreachable since 10:42" and the alerts can wait two minutes before telling.
- :func:`check`: the Nagios convention — one line and a level: 0 OK, 1 warning, 2 critical
  (``campaign status --check``).
- :func:`public`: the same as JSON with nothing private in it (``GET /healthz``): no post text,
  no host, no process, no reason that X gave.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.store import get_json_state, get_state, set_state
from posts import queue
from posts.queue import PostStatus

UNREACHABLE_KEY = "x_unreachable"  # {"since", "last", "count", "detail"}
UNREACHABLE_ALERT = timedelta(minutes=2)  # X unreachable this long is an incident
DUE_SOON = timedelta(minutes=15)  # an approved post due this soon needs a running daemon


class Level(IntEnum):
    """Nagios exit codes."""

    OK = 0
    WARNING = 1
    CRITICAL = 2


# -- hooks for the publisher ------------------------------------------------------------------


def x_failed(db: sqlite_utils.Database, detail: str) -> int:
    """Record that a call to X got no answer; how many calls in a row have failed so far."""
    stamp = to_db(now())
    was = unreachable(db)
    count = (int(was.get("count", 0)) if was else 0) + 1
    since = str(was["since"]) if was else stamp
    value = {"since": since, "last": stamp, "count": count, "detail": detail}
    set_state(db, UNREACHABLE_KEY, json.dumps(value))
    return count


def x_answered(db: sqlite_utils.Database) -> bool:
    """Record that X answered (whatever it said); True if it had been unreachable."""
    if get_state(db, UNREACHABLE_KEY) is None:
        return False
    set_state(db, UNREACHABLE_KEY, None)
    return True


def unreachable(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """``{"since", "last", "count", "detail"}`` while X has not answered, else None."""
    value = get_json_state(db, UNREACHABLE_KEY)
    return value if value is not None and "since" in value else None


def unreachable_since(db: sqlite_utils.Database) -> datetime | None:
    """Since when X has not answered, or None."""
    u = unreachable(db)
    return from_db(str(u["since"])) if u else None


def stop_reason(stop: dict[str, Any]) -> str:
    """Why publishing stopped, in plain words: X's refusal (its status and words) without the
    list of variables to check (the account locked or suspended, else its keys refused), else
    the reason as recorded."""
    if stop.get("status"):
        detail = f": {stop['detail']}" if stop.get("detail") else ""
        if stop.get("account_state") in ("locked", "suspended"):
            return (
                f"X says the campaign account is {stop['account_state']} ({stop['status']}{detail})"
            )
        return f"X refused the campaign account’s keys ({stop['status']}{detail})"
    return str(stop.get("reason") or "X refused the campaign account’s keys")


# -- the check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing found wrong (or right): its level, a stable name and a sentence."""

    level: Level
    name: str
    message: str


@dataclass(frozen=True)
class Check:
    """The overall level and every finding, worst first."""

    level: Level
    findings: list[Finding] = field(default_factory=list)

    @property
    def line(self) -> str:
        """One line for a monitor: ``CRITICAL: …; …`` or ``OK: …``."""
        worst = [f.message for f in self.findings if f.level == self.level]
        rest = [f.message for f in self.findings if f.level != self.level and f.level > Level.OK]
        return f"{self.level.name}: " + "; ".join(worst + rest)


def _scalar(db: sqlite_utils.Database, sql: str, params: list[Any] | None = None) -> Any:
    return db.execute(sql, params or []).fetchone()[0]


def check(db: sqlite_utils.Database) -> Check:
    """What a monitor needs to know, from the database alone."""
    from campaign.metadata import settings_for
    from scheduler import lease
    from scheduler.publish import DEFAULT_ACCOUNT, cap_until, stops

    at = now()
    found: list[Finding] = []
    running = lease.running(db) is not None
    stopped = stops(db)
    if stopped:
        which = ""  # the default account alone, as before accounts
        if list(stopped) != [DEFAULT_ACCOUNT]:
            which = f" for account{'s' if len(stopped) > 1 else ''} {', '.join(stopped)}"
        states = {str(s.get("account_state")) for s in stopped.values()} & {"locked", "suspended"}
        why = f": the X account is {' or '.join(sorted(states))}" if states else ""
        found.append(
            Finding(Level.CRITICAL, "publishing_stopped", f"publishing is stopped{which}{why}")
        )
    since = unreachable_since(db)
    if since is not None:
        level = Level.CRITICAL if at - since >= UNREACHABLE_ALERT else Level.WARNING
        found.append(Finding(level, "x_unreachable", f"X unreachable since {to_db(since)[:16]}Z"))
    due_soon = queue.approved_due_by(db, at + DUE_SOON)
    if not running and due_soon:
        found.append(
            Finding(
                Level.CRITICAL,
                "no_daemon",
                f"no daemon is running and {due_soon} approved post(s) are due within 15 minutes",
            )
        )
    elif not running:
        found.append(Finding(Level.WARNING, "no_daemon", "no daemon is running"))
    troubled = queue.counts(db)
    for status in (PostStatus.FAILED, PostStatus.MISSED, PostStatus.UNKNOWN):
        if troubled[status]:
            found.append(Finding(Level.WARNING, f"posts_{status}", f"{troubled[status]} {status}"))
    if get_state(db, "collect_last_error"):
        found.append(Finding(Level.WARNING, "collect_failed", "collecting failed"))
    if cap_until(db, settings_for(db).daily_cap, at) is not None:
        found.append(Finding(Level.WARNING, "daily_cap", "daily cap reached"))
    failing = _scalar(
        db, "SELECT count(*) FROM notifications WHERE sent_at IS NULL AND attempts > 0"
    )
    if failing:
        found.append(Finding(Level.WARNING, "notify_failing", f"{failing} alert(s) not delivered"))
    if not found:
        found.append(Finding(Level.OK, "ok", "publishing is healthy"))
    found.sort(key=lambda f: -f.level)
    level = max(f.level for f in found)
    if level == Level.OK and running:
        found = [Finding(Level.OK, "ok", "daemon running, publishing is healthy")]
    return Check(level, found)


def public(db: sqlite_utils.Database) -> dict[str, Any]:
    """``GET /healthz``: the level, the names of what is wrong, the heartbeat; nothing private."""
    from scheduler import lease

    result = check(db)
    info = lease.running(db) or lease.current(db)
    since = unreachable_since(db)
    return {
        "status": result.level.name.lower(),
        "code": int(result.level),
        "checks": {f.name: f.level.name.lower() for f in result.findings},
        "daemon_running": info is not None and info.alive,
        "heartbeat_at": to_db(info.heartbeat_at) if info is not None else None,
        "x_unreachable_since": to_db(since) if since else None,
        "at": to_db(now()),
    }
