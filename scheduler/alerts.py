"""The alerts worker: notices incidents and delivers their messages, in a thread of its own.

It never delays publishing: the publishing thread only calls :meth:`Alerts.kick` (set an event)
or :meth:`Alerts.database_error` / :meth:`Alerts.database_ok` (append to a list in memory);
everything slow (reading conditions, Apprise's HTTP calls and their timeouts) happens here, on
this thread's own connection. A message that cannot be delivered stays in the outbox and is
tried again later (:func:`scheduler.incidents.retry_delay`).

A database that cannot be written (a full disk) cannot hold its own incident, so that one is
kept in memory, told at once and told again when the daemon's next round succeeds.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from campaign.clock import now, show
from campaign.errors import CampaignError
from campaign.metadata import settings_for
from campaign.notify import NotifyError, Target, send, targets
from campaign.store import open_db
from scheduler import incidents

log = logging.getLogger("scheduler.alerts")

INTERVAL = 10.0  # seconds between looks at the database (incidents are told within a minute)


@dataclass
class _Held:
    """A message kept in memory (the database could not take it)."""

    target: Target
    title: str
    body: str
    attempts: int = 0
    next_at: datetime | None = None


class Alerts:
    """Incidents and their delivery for the database at ``db_path``."""

    def __init__(
        self,
        db_path: str,
        *,
        interval: float = INTERVAL,
        environ: Mapping[str, str] | None = None,
        in_daemon: bool = False,
    ) -> None:
        self.db_path = db_path
        self.in_daemon = in_daemon
        self.interval = interval
        self.environ = environ
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._held: list[_Held] = []
        self._db_problem: str | None = None  # the open database incident's summary
        self._targets: list[Target] = []
        self._name = "campaign"
        self._tz = "UTC"
        self._db: sqlite_utils.Database | None = None
        self._thread: threading.Thread | None = None

    # -- for the publishing thread (never blocks) -----------------------------------------------

    def kick(self) -> None:
        """Look at the database now rather than at the next interval."""
        self._kick.set()

    def database_error(self, detail: str) -> None:
        """The daemon's round failed on the database: tell once, until :meth:`database_ok`."""
        with self._lock:
            if self._db_problem is not None:
                return
            self._db_problem = detail
            title = f"{self._name}: {incidents.TITLES['database']}"
            body = (
                f"Campaign: {self._name}\nThe daemon cannot write to its database: "
                f"{incidents.redact(detail)}. Publishing is paused; every approved post stays "
                "approved and nothing claimed is lost.\nWhat to do: free disk space on the "
                "campaign machine (or fix what the message names). The daemon tries again every "
                "few seconds and resumes by itself."
            )
            self._held += [_Held(t, title, body) for t in self._targets]
        log.error("alert: the database cannot be written: %s", detail)
        self._kick.set()

    def database_ok(self) -> None:
        """The daemon's round succeeded: clear a database incident, if one is open."""
        with self._lock:
            if self._db_problem is None:
                return
            was, self._db_problem = self._db_problem, None
            title = f"Resolved — {self._name}: {incidents.TITLES['database']}"
            body = (
                f"Campaign: {self._name}\nResolved at {show(now(), self._tz)}: the database can "
                f"be written again and publishing goes on.\nIt was: {incidents.redact(was)}\n"
                "Nothing more to do."
            )
            self._held += [_Held(t, title, body) for t in self._targets]
        log.info("alert cleared: the database can be written again")
        self._kick.set()

    # -- the worker ------------------------------------------------------------------------------

    def start(self) -> Alerts:
        """Run the worker in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._loop, name="alerts", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker (it finishes the message in hand)."""
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._kick.clear()
            try:
                self.run_once()
            except Exception:
                log.exception("the alerts worker failed; trying again")
            self._kick.wait(self.interval)

    def _conn(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = open_db(self.db_path)
        return self._db

    def run_once(self) -> tuple[list[str], list[str]]:
        """Open and clear incidents from what the database shows, then deliver what is due;
        returns the kinds opened and cleared."""
        opened: list[str] = []
        cleared: list[str] = []
        try:
            db = self._conn()
            self._refresh(db)
            opened, cleared = incidents.sync(
                db, incidents.conditions(db, in_daemon=self.in_daemon), self._targets
            )
            for kind in opened:
                log.warning("incident: %s", incidents.TITLES.get(kind, kind))
            for kind in cleared:
                log.info("incident cleared: %s", incidents.TITLES.get(kind, kind))
            self._deliver_stored(db)
        except (sqlite3.Error, CampaignError) as e:
            log.error("alerts: could not read or write the database: %s", e)
        self._deliver_held()
        return opened, cleared

    def _refresh(self, db: sqlite_utils.Database) -> None:
        s = settings_for(db)
        self._name, self._tz = s.name, s.timezone
        self._targets = targets(s.notify, self.environ)

    def _deliver_stored(self, db: sqlite_utils.Database) -> None:
        by_id = {t.id: t for t in self._targets}
        for p in incidents.due(db):
            if self._stop.is_set() and p.attempts:
                return
            if not incidents.claim(db, p):
                continue  # another process is sending it
            target = by_id.get(p.target)
            if target is None:
                incidents.mark_failed(db, p, "this notifier is no longer in the settings")
                continue
            try:
                send(target, p.title, p.body)
            except NotifyError as e:
                again = incidents.mark_failed(db, p, str(e))
                log.warning("alert not delivered: %s; trying again at %s", e, again)
                continue
            incidents.mark_sent(db, p.id)
            log.info("alert sent to %s: %s", target.label, p.title)

    def _deliver_held(self) -> None:
        with self._lock:
            held = list(self._held)
        for h in held:
            if h.next_at is not None and h.next_at > now():
                continue
            try:
                send(h.target, h.title, h.body)
            except NotifyError as e:
                h.attempts += 1
                h.next_at = now() + incidents.retry_delay(h.attempts)
                log.warning("alert not delivered: %s; trying again at %s", e, h.next_at)
                continue
            log.info("alert sent to %s: %s", h.target.label, h.title)
            with self._lock:
                self._held.remove(h)


def watch_once(
    db_path: str, environ: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """One look and one delivery round (``campaign notify watch``, from cron or a timer)."""
    alerts = Alerts(db_path, environ=environ)
    try:
        return alerts.run_once()
    finally:
        if alerts._db is not None:
            alerts._db.close()


def test_message(
    db: sqlite_utils.Database, environ: Mapping[str, str] | None = None
) -> list[tuple[Target, str | None]]:
    """Send a test message to every notifier now; each with None (delivered) or why not."""
    s = settings_for(db)
    found = targets(s.notify, environ)
    title = f"{s.name}: {incidents.TITLES['test']}"
    body = (
        f"Campaign: {s.name} ({s.hashtag})\nThis is a test from `campaign notify test` at "
        f"{show(now(), s.timezone)}: alerts about publishing reach you here.\n"
        "What to do: nothing."
    )
    results: list[tuple[Target, str | None]] = []
    for t in found:
        try:
            send(t, title, body)
            results.append((t, None))
        except NotifyError as e:
            results.append((t, str(e)))
    return results
