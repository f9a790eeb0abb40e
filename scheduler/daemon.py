"""``campaign daemon``: publish due posts on time and collect the conversation, until stopped.

One process, APScheduler 3.x ``BackgroundScheduler`` with jobs in memory only (no job store, no
pickling); the SQLite queue is the only truth. Jobs:

- ``wake``: a one-off ``DateTrigger`` job at the next moment a round has something to do (the
  earliest due post, a claim to reconcile, the end of a rate-limit wait). After each round it is
  put back at the next such moment: the daemon sleeps until then, it does not poll.
- ``watch`` (every second): ``PRAGMA data_version`` on the publishing connection changes when
  another process commits (staff adding, editing, approving or cancelling posts): the wake-up is
  then recomputed, so a change is noticed within about a second.
- ``heartbeat`` (every ``ttl / 3``): renew the publishing lease, or, standing by, take it once
  it has expired.
- ``collect`` (every ``collect_every_minutes``): :func:`scheduler.collect.collect_once`; its
  failures are logged and never stop publishing.
- ``compliance`` (once a day, with collecting): :func:`scheduler.compliance.run_compliance`
  removes what X no longer shows, then the campaign's retention period is applied
  (:func:`campaign.mentions.privacy.redact_if_due`); first due a day after the last run (or at
  start).

``misfire_grace_time=None`` (run however late) and ``coalesce=True`` on every job: APScheduler's
default grace of 1 s would silently drop a late one-off job. SIGTERM/SIGINT: the post in flight
is finished, the lease released, exit 0.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

import sqlite_utils

from campaign.clock import now, to_db
from campaign.errors import CampaignError
from campaign.metadata import settings_for
from campaign.store import open_db, set_state
from scheduler import lease
from scheduler.publish import PublishConfig, Publishing, resume, stopped
from scheduler.publisher import Publisher
from scheduler.xerrors import AuthFailed, XError

if TYPE_CHECKING:
    from scheduler.collect import CollectResult

log = logging.getLogger("scheduler.daemon")

PUBLISH_EXECUTOR = "publish"
LEASE_EXECUTOR = "lease"
COLLECT_EXECUTOR = "collect"
RETRY_ROUND = 5  # seconds before another round after one failed unexpectedly
SLOW_STOP = 10.0  # seconds of stopping after which every thread's stack goes to the log
CLOCK_STEP = 2.0  # seconds the wall clock may go back before the interval jobs are re-timed


@dataclass(frozen=True)
class DaemonConfig:
    """How the daemon runs; defaults for real use, tests shorten the times."""

    publish: PublishConfig = field(default_factory=PublishConfig)
    lease_ttl: float = lease.DEFAULT_TTL
    watch_interval: float = 1.0
    collect: bool = False
    collect_every_minutes: float | None = None  # None: the campaign's setting
    compliance_every_hours: float = 24.0  # X's terms: honour deletions within a day


class Daemon:
    """The publishing (and collecting) daemon over the database at ``db_path``."""

    def __init__(
        self,
        db_path: str,
        publisher: Publisher,
        config: DaemonConfig | None = None,
        *,
        search_client: Callable[[], Any] | None = None,
    ) -> None:
        self.db_path = db_path
        self.publisher = publisher
        self.config = config or DaemonConfig()
        self.search_client = search_client
        self.holder = lease.new_holder("daemon")
        self.stop_event = threading.Event()
        self.active = False  # holds the lease
        self._local = threading.local()
        self._data_version: int | None = None
        self._wake_at: datetime | None = None
        self._reported: str | None = None  # the other holder last logged while standing by
        self._lock = threading.Lock()
        self.scheduler: Any = None

    # -- per-thread state ------------------------------------------------------------------

    def db(self) -> sqlite_utils.Database:
        """This thread's own connection (a sqlite3 connection cannot cross threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_db(self.db_path)
            self._local.db = db
        return db

    def publishing(self) -> Publishing:
        run = getattr(self._local, "publishing", None)
        if run is None:
            run = Publishing(self.db(), self.publisher, self.holder, self.config.publish)
            self._local.publishing = run
        return run

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Check the account, try the lease, and start the jobs (returns at once)."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        db = self.db()
        was = stopped(db)
        if was is not None:
            resume(db)
            log.warning(
                "publishing had been stopped (%s); restarting clears it", was.get("reason", "")
            )
        self._check_account(db)
        defaults = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
        self.scheduler = BackgroundScheduler(
            executors={
                PUBLISH_EXECUTOR: ThreadPoolExecutor(1),
                LEASE_EXECUTOR: ThreadPoolExecutor(1),
                COLLECT_EXECUTOR: ThreadPoolExecutor(1),
            },
            job_defaults=defaults,
            timezone="UTC",
        )
        ttl = self.config.lease_ttl
        self.scheduler.add_job(
            self._heartbeat,
            "interval",
            seconds=max(0.2, ttl / 3),
            id="heartbeat",
            executor=LEASE_EXECUTOR,
            next_run_time=now(),
        )
        self.scheduler.add_job(
            self._watch,
            "interval",
            seconds=self.config.watch_interval,
            id="watch",
            executor=PUBLISH_EXECUTOR,
        )
        if self.config.collect and self.search_client is not None:
            minutes = self.config.collect_every_minutes or settings_for(db).collect_every_minutes
            self.scheduler.add_job(
                self._collect,
                "interval",
                seconds=max(1.0, minutes * 60),
                id="collect",
                executor=COLLECT_EXECUTOR,
                next_run_time=now() + timedelta(seconds=1),
            )
            log.info("collecting every %s minutes", minutes)
            self._add_compliance_job(db)
        self.scheduler.start()
        threading.Thread(target=self._watch_clock, name="clock", daemon=True).start()
        log.info("daemon started as %s (lease ttl %.1f s)", self.holder, ttl)

    def _watch_clock(self) -> None:
        """Re-time the interval jobs when the wall clock steps back (NTP, a VM resumed).

        APScheduler times interval jobs by the wall clock: after a step back of ten minutes the
        watch, the heartbeat and collecting would not run for ten minutes. This loop sleeps on
        the monotonic clock, so it notices the step and makes each of them run at once.
        """
        wall, mono = now(), time.monotonic()
        while not self.stop_event.wait(1.0):
            wall_now, mono_now = now(), time.monotonic()
            step = (wall_now - wall).total_seconds() - (mono_now - mono)
            wall, mono = wall_now, mono_now
            if step >= -CLOCK_STEP or self.scheduler is None or not self.scheduler.running:
                continue
            log.warning("the clock went back %.0f s: running the periodic jobs now", -step)
            from apscheduler.jobstores.base import JobLookupError

            for job in self.scheduler.get_jobs():
                if job.id != "wake":
                    with contextlib.suppress(JobLookupError):  # shutting down meanwhile
                        job.modify(next_run_time=wall_now)

    def _check_account(self, db: sqlite_utils.Database) -> None:
        account = getattr(self.publisher, "account", None)
        if account is None:
            return
        try:
            me = account()
            log.info("publishing as @%s on %s", me.get("username"), self.publisher.name)
        except AuthFailed as e:
            Publishing(db, self.publisher, self.holder, self.config.publish)._stop(str(e))
        except XError as e:
            log.warning("could not check the account yet: %s", e)

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; exit code 0."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.shutdown()
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info(
            "%s received: finishing the post in flight, then stopping", signal.Signals(signum).name
        )
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop the jobs (waiting for the one in flight) and release the lease."""
        self.stop_event.set()
        # Should stopping ever take long, the log says where every thread is.
        faulthandler.dump_traceback_later(SLOW_STOP, exit=False)
        try:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            db = open_db(self.db_path)
            if lease.release(db, self.holder):
                log.info("lease released")
            db.close()
        finally:
            faulthandler.cancel_dump_traceback_later()
        log.info("daemon stopped")

    # -- jobs ------------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        if self.stop_event.is_set():
            return
        db = self.db()
        ttl = self.config.lease_ttl
        if self.active:
            if not lease.renew(db, self.holder, ttl=ttl):
                self.active = False
                log.warning("lost the publishing lease: standing by")
            return
        if lease.acquire(db, self.holder, ttl=ttl):
            self.active = True
            log.info("took the publishing lease")
            self._schedule_wake(now())
        else:
            info = lease.current(db)
            if info is not None and self._reported != info.holder:
                self._reported = info.holder
                log.info(
                    "standing by: %s (pid %s on %s) holds the publishing lease until %s",
                    info.holder,
                    info.pid,
                    info.host,
                    to_db(info.expires_at),
                )

    def _watch(self) -> None:
        """Notice other processes' changes within a second and move the wake-up."""
        if self.stop_event.is_set() or not self.active:
            return
        version = self.db().execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self._reschedule(did_something=True)

    def _round(self) -> None:
        if self.stop_event.is_set() or not self.active:
            return
        run = self.publishing()
        log.debug("round starts")
        try:
            outcomes = run.run_due(should_stop=self.stop_event.is_set)
        except CampaignError as e:
            log.error("publishing round failed: %s; trying again in %s s", e, RETRY_ROUND)
            self._schedule_wake(now() + timedelta(seconds=RETRY_ROUND))
            return
        except Exception:  # a bug in one round must not end the daemon's wake-ups
            log.exception("publishing round failed; trying again in %s s", RETRY_ROUND)
            self._schedule_wake(now() + timedelta(seconds=RETRY_ROUND))
            return
        if run.lease_lost:
            run.lease_lost = False
            self.active = False
            return
        self._data_version = self.db().execute("PRAGMA data_version").fetchone()[0]
        self._reschedule(did_something=bool(outcomes))

    def _reschedule(self, *, did_something: bool) -> None:
        if self.stop_event.is_set() or not self.active:
            return
        nxt = self.publishing().next_action_at()
        current = now()
        if nxt is not None and nxt <= current and not did_something:
            nxt = current + timedelta(seconds=1)  # nothing could be done: do not spin
        self._schedule_wake(nxt)

    def _schedule_wake(self, at: datetime | None) -> None:
        with self._lock:
            if at == self._wake_at and self.scheduler.get_job("wake") is not None:
                return
            self._wake_at = at
            log.debug("next wake-up: %s", to_db(at) if at else "none")
            if at is None:
                if self.scheduler.get_job("wake") is not None:
                    self.scheduler.remove_job("wake")
                return
            self.scheduler.add_job(
                self._round,
                "date",
                run_date=at,
                id="wake",
                executor=PUBLISH_EXECUTOR,
                replace_existing=True,
                # Called from inside a round, the new wake-up can fire before that round's
                # thread has returned; with one instance allowed APScheduler would skip it (and
                # drop the one-off job). The executor has one thread: they still run in turn.
                max_instances=2,
            )

    def _collect(self) -> None:
        if self.stop_event.is_set() or self.search_client is None:
            return
        from scheduler.collect import collect_once

        db = self.db()
        client = getattr(self._local, "search", None)
        if client is None:
            client = self.search_client()
            self._local.search = client
        try:
            result = collect_once(db, client, settings_for(db), stop=self.stop_event)
            error = result.error
            if error:
                log.error("collect: %s (%s)", error, _describe(result))
                set_state(
                    db, "collect_last_error", json.dumps({"at": to_db(now()), "message": error})
                )
            elif result.budget_until is not None:
                # The daily read budget is used up: each run until then sends nothing.
                log.info("collect: the daily read budget is used up until %s", result.budget_until)
                set_state(db, "collect_last_error", None)
            else:
                log.info("collected: %s", _describe(result))
                set_state(db, "collect_last_error", None)
        except Exception as e:  # noqa: BLE001 - a collect failure must never stop publishing
            log.error("collect failed: %s", e)
            set_state(
                db,
                "collect_last_error",
                json.dumps({"at": to_db(now()), "message": str(e)}),
            )

    def _add_compliance_job(self, db: sqlite_utils.Database) -> None:
        from campaign.mentions.compliance import last_run

        every = timedelta(hours=self.config.compliance_every_hours)
        last = last_run(db)
        first = now() + timedelta(seconds=2)
        if last is not None:
            first = max(first, last["finished_at"] + every)
        self.scheduler.add_job(
            self._compliance,
            "interval",
            seconds=max(1.0, every.total_seconds()),
            id="compliance",
            executor=COLLECT_EXECUTOR,
            next_run_time=first,
        )

    def _compliance(self) -> None:
        if self.stop_event.is_set() or self.search_client is None:
            return
        from scheduler.compliance import run_compliance

        client = getattr(self._local, "search", None)
        if client is None:
            client = self.search_client()
            self._local.search = client
        try:
            result = run_compliance(self.db(), client, stop=self.stop_event)
            applied = result.applied
            log.info(
                "compliance: status=%s method=%s checked=%s removed=%s cascaded=%s ours=%s",
                result.status,
                result.method,
                result.checked,
                applied.removed,
                applied.cascaded,
                applied.ours,
            )
            from campaign.mentions.privacy import redact_if_due

            redacted = redact_if_due(self.db(), now())
            if redacted is not None:
                log.info("retention: redacted the text of %s posts", redacted)
        except Exception as e:  # noqa: BLE001 - a compliance failure must never stop publishing
            log.error("compliance failed: %s", e)


def _describe(result: CollectResult) -> str:
    fields = ("status", "requests", "fetched", "new", "updated")
    return ", ".join(f"{f}={getattr(result, f)}" for f in fields)
