"""``campaign daemon``: publish due posts on time and collect the conversation, until stopped.

One process, APScheduler 3.x ``BackgroundScheduler`` with jobs in memory only (no job store, no
pickling); the SQLite queue is the only truth. Jobs:

- ``wake`` (``wake:NAME`` for the account NAME): one per account, a one-off ``DateTrigger`` job
  at the next moment that account's round has something to do (the earliest due post, a claim
  to reconcile, the end of its rate-limit wait). After each round it is put back at the next
  such moment: the daemon sleeps until then, it does not poll.
- ``watch`` (every second): ``PRAGMA data_version`` on the publishing connection changes when
  another process commits (staff adding, editing, approving or cancelling posts): the wake-up is
  then recomputed, so a change is noticed within about a second.
- ``heartbeat`` (every ``ttl / 3``): renew each account's publishing lease, or, standing by,
  take it once it has expired. It does not renew while a call to X has outlived its timeout by
  :data:`STUCK_GRACE`: a stuck daemon must not look alive, or no stand-by could take over.

**Accounts.** Each account the workspace posts from (``campaign.account``; the default one
always) has its own publisher (its own keys), its own lease (:func:`scheduler.lease.name_for`),
rate-limit wait, stop and wake-up; the rounds run in turn on one thread. An account whose
credentials are missing is stopped (the stop names the variables it needs) once it has approved
posts; the others keep publishing.
- ``collect`` (every ``collect_every_minutes``): :func:`scheduler.collect.collect_workspace`,
  every active campaign of the workspace in the fewest searches; its
  failures are logged and never stop publishing. A change of the setting (``campaign load``) is
  noticed like any other change (``PRAGMA data_version``) and re-times the job, no restart
  needed. With no campaign loaded nothing is collected (there is no query to spend reads on).
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
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

import sqlite_utils

from campaign.clock import now, to_db
from campaign.errors import CampaignError
from campaign.metadata import settings_for
from campaign.store import explain, open_db, set_state
from scheduler import health, lease
from scheduler.alerts import Alerts
from scheduler.events import event
from scheduler.publish import (
    DEFAULT_ACCOUNT,
    PublishConfig,
    Publishing,
    account_campaign_ids,
    accounts,
    resume,
    stop,
    stopped,
    stops,
)
from scheduler.publisher import ImagePublisher, Publisher
from scheduler.xerrors import AuthFailed, XError

if TYPE_CHECKING:
    from scheduler.collect import CollectResult

log = logging.getLogger("scheduler.daemon")

PUBLISH_EXECUTOR = "publish"
LEASE_EXECUTOR = "lease"
COLLECT_EXECUTOR = "collect"
COMPLIANCE_EXECUTOR = "compliance"  # its own thread: a compliance job polls X for minutes
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
    collect_every_minutes: float | None = None  # None: the campaign's setting, followed live
    minute: float = 60.0  # seconds in a minute of collect_every_minutes (tests shorten it)
    alerts_interval: float = 10.0  # seconds between the alerts worker's looks (0: no alerts)
    backup_dir: str | None = None  # daily backups here (None: none)
    backup_keep: int = 14
    compliance_every_hours: float = 24.0  # X's terms: honour deletions within a day
    metrics_every: float = 300.0  # seconds between looks for posts whose metrics are due


# The publisher of an account other than the default (its own keys); raises CampaignError
# (credentials missing: the message names the variables, never their values).
PublisherFor = Callable[[str], Publisher]

STUCK_GRACE = 2.0  # seconds past its timeout after which a call to X counts as stuck
TIMELINE_REQUESTS = 32  # reading the timeline: a request a page, 32 pages at most (X's 3,200)
STOP_LIMIT = 60.0  # seconds stopping waits for the jobs in flight (systemd allows 90)


class _Watched:
    """The publisher, noting when the call in flight began, so the heartbeat can tell a
    daemon at work from one stuck in a call (which must not keep the lease alive)."""

    def __init__(self, publisher: Publisher) -> None:
        self.inner = publisher
        self.name = publisher.name
        self.since: float | None = None  # time.monotonic() when the call in flight began
        self.requests = 1  # how many requests (each with its own timeout) that call may make

    def _timed(self, call: Callable[[], Any], requests: int = 1) -> Any:
        self.since, self.requests = time.monotonic(), requests
        try:
            return call()
        finally:
            self.since = None

    def publish(self, text: str, reply_to: str | None = None, *, quote: str | None = None) -> str:
        if quote is None:
            return str(self._timed(lambda: self.inner.publish(text, reply_to)))
        return str(self._timed(lambda: self.inner.publish(text, reply_to, quote=quote)))

    def recent_own_posts(self, since: datetime) -> list[dict[str, Any]]:
        posts: list[dict[str, Any]] = self._timed(
            lambda: self.inner.recent_own_posts(since), TIMELINE_REQUESTS
        )
        return posts

    def account(self) -> dict[str, Any]:
        account = getattr(self.inner, "account", None)
        if account is None:
            return {}
        me: dict[str, Any] = self._timed(account)
        return me

    def overdue(self, timeout: float) -> float:
        """Seconds the call in flight has run past the time its requests may take, each
        within ``timeout`` (negative or 0 when there is no call or it is within its time)."""
        since = self.since
        if since is None:
            return 0.0
        return time.monotonic() - since - self.requests * timeout


class _WatchedImages(_Watched):
    """:class:`_Watched` for a publisher that attaches images (scheduler.uploads): the uploads
    are timed like any call (each upload is two requests: the file, then its alt text)."""

    def __init__(self, publisher: ImagePublisher) -> None:
        super().__init__(publisher)
        self.images: ImagePublisher = publisher

    def upload_image(self, data: bytes, mime_type: str, alt_text: str) -> tuple[str, int]:
        result: tuple[str, int] = self._timed(
            lambda: self.images.upload_image(data, mime_type, alt_text), 2
        )
        return result

    def publish_with_images(
        self,
        text: str,
        reply_to: str | None,
        media_ids: Sequence[str],
        *,
        quote: str | None = None,
    ) -> str:
        return str(
            self._timed(
                lambda: self.images.publish_with_images(text, reply_to, media_ids, quote=quote)
            )
        )


def _watch(publisher: Publisher) -> _Watched:
    return (
        _WatchedImages(publisher) if isinstance(publisher, ImagePublisher) else _Watched(publisher)
    )


@dataclass(eq=False)
class _Account:
    """One account's publishing in the daemon: its publisher (None: credentials missing), its
    lease and its wake-up."""

    name: str
    watched: _Watched | None
    missing: str = ""  # why there is no publisher (names of variables, never values)
    active: bool = False  # holds the account's lease
    wake_at: datetime | None = None
    reported: str | None = None  # the other holder last logged while standing by
    stuck_since: float | None = None  # the stuck call last logged

    @property
    def lease_name(self) -> str:
        return lease.name_for(self.name)

    @property
    def job_id(self) -> str:
        return "wake" if self.name == DEFAULT_ACCOUNT else f"wake:{self.name}"

    def of(self) -> str:
        """`` for account events`` in log lines (nothing for the default account)."""
        return "" if self.name == DEFAULT_ACCOUNT else f" for account {self.name}"


class Daemon:
    """The publishing (and collecting) daemon over the database at ``db_path``.

    ``publisher`` posts as the default account (None: its credentials are missing);
    ``publishers(name)`` makes the publisher of any other account (without it, only the default
    account's posts are sent).
    """

    def __init__(
        self,
        db_path: str,
        publisher: Publisher | None,
        config: DaemonConfig | None = None,
        *,
        search_client: Callable[[], Any] | None = None,
        publishers: PublisherFor | None = None,
        missing_default: str = "",
    ) -> None:
        self.db_path = db_path
        self.units: dict[str, _Account] = {}
        self._units_lock = threading.Lock()
        self._publishers = publishers
        default = _Account(
            DEFAULT_ACCOUNT,
            _watch(publisher) if publisher is not None else None,
            missing=missing_default or "no publisher for the default account",
        )
        self.units[DEFAULT_ACCOUNT] = default
        # The default account's publisher, as before accounts (None when its keys are missing).
        self.watched: _Watched | None = default.watched
        self.publisher: Publisher | None = default.watched
        self.config = config or DaemonConfig()
        self.search_client = search_client
        self.holder = lease.new_holder("daemon")
        self.stop_event = threading.Event()
        self._local = threading.local()
        self._data_version: int | None = None
        self._running = 0  # jobs in flight
        self._jobs_cv = threading.Condition()
        self._collect_minutes: float | None = None  # the collect job's interval, once started
        self._no_campaign_logged = False
        self._lock = threading.Lock()
        self._closing = False  # set under _lock by shutdown: no job adds a wake-up after it
        self.scheduler: Any = None
        self.alerts: Alerts | None = (
            Alerts(db_path, interval=self.config.alerts_interval, in_daemon=True)
            if self.config.alerts_interval > 0
            else None
        )

    # -- per-thread state ------------------------------------------------------------------

    def db(self) -> sqlite_utils.Database:
        """This thread's own connection (a sqlite3 connection cannot cross threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_db(self.db_path)
            self._local.db = db
        return db

    @property
    def active(self) -> bool:
        """The daemon holds a publishing lease (of any account)."""
        return any(u.active for u in list(self.units.values()))

    def publishing(self, unit: _Account | None = None) -> Publishing:
        """This thread's rounds for ``unit``'s account (default: the default account)."""
        unit = unit or self.units[DEFAULT_ACCOUNT]
        runs: dict[str, Publishing] | None = getattr(self._local, "publishing", None)
        if runs is None:
            runs = self._local.publishing = {}
        run = runs.get(unit.name)
        if run is None:
            assert unit.watched is not None
            run = Publishing(
                self.db(), unit.watched, self.holder, self.config.publish, account=unit.name
            )
            runs[unit.name] = run
        return run

    def _sync_accounts(self, db: sqlite_utils.Database) -> None:
        """A unit for every account the workspace posts from (campaigns loaded while running
        included); an account without a publisher is stopped once it has approved posts."""
        with self._units_lock:
            for name in accounts(db):
                if name in self.units:
                    continue
                if self._publishers is None:
                    continue  # only the default account's posts are sent (older callers)
                try:
                    unit = _Account(name, _watch(self._publishers(name)))
                except CampaignError as e:
                    unit = _Account(name, None, missing=str(e))
                self.units[name] = unit
                if unit.watched is not None:
                    self._check_account(db, unit)
                    log.info("publishing for account %s", name)
        for unit in list(self.units.values()):
            if unit.watched is None:
                self._report_missing(db, unit)

    def _report_missing(self, db: sqlite_utils.Database, unit: _Account) -> None:
        """Stop an account that cannot publish (no credentials) while it has approved posts,
        unless a live daemon that can holds its lease: the stop names the variables it needs."""
        if stopped(db, unit.name) is not None:
            return
        from posts.queue import sendable

        ids = account_campaign_ids(db, unit.name)
        if not sendable(db, None, 1, campaign_ids=ids, unassigned=unit.name == DEFAULT_ACCOUNT):
            return
        info = lease.current(db, unit.lease_name)
        if info is not None and info.alive and info.holder != self.holder:
            return  # another daemon publishes for it
        stop(db, unit.name, f"account {unit.name}: {unit.missing}", missing=True)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Check the account, try the lease, and start the jobs (returns at once)."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        db = self.db()
        for name, was in stops(db).items():
            resume(db, name)
            log.warning(
                "publishing%s had been stopped (%s); restarting clears it",
                "" if name == DEFAULT_ACCOUNT else f" for account {name}",
                was.get("reason", ""),
            )
        default = self.units[DEFAULT_ACCOUNT]
        if default.watched is not None:
            self._check_account(db, default)
        self._sync_accounts(db)
        defaults = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
        self.scheduler = BackgroundScheduler(
            executors={
                PUBLISH_EXECUTOR: ThreadPoolExecutor(1),
                LEASE_EXECUTOR: ThreadPoolExecutor(1),
                COLLECT_EXECUTOR: ThreadPoolExecutor(1),
                COMPLIANCE_EXECUTOR: ThreadPoolExecutor(1),
            },
            job_defaults=defaults,
            timezone="UTC",
        )
        ttl = self.config.lease_ttl
        self.scheduler.add_job(
            self._job(self._heartbeat),
            "interval",
            seconds=max(0.2, ttl / 3),
            id="heartbeat",
            executor=LEASE_EXECUTOR,
            next_run_time=now(),
        )
        self.scheduler.add_job(
            self._job(self._watch),
            "interval",
            seconds=self.config.watch_interval,
            id="watch",
            executor=PUBLISH_EXECUTOR,
        )
        if self.config.collect and self.search_client is not None:
            minutes = self.config.collect_every_minutes or settings_for(db).collect_every_minutes
            self.scheduler.add_job(
                self._job(self._collect),
                "interval",
                seconds=self._collect_seconds(minutes),
                id="collect",
                executor=COLLECT_EXECUTOR,
                next_run_time=now() + timedelta(seconds=1),
            )
            self._collect_minutes = minutes
            log.info("collecting every %s minutes", minutes)
            self._add_compliance_job(db)
            # Our posts' metrics, 1 h, 24 h and 7 days after each went out (posts.metrics).
            self.scheduler.add_job(
                self._job(self._metrics),
                "interval",
                seconds=self.config.metrics_every,
                id="metrics",
                executor=COLLECT_EXECUTOR,
                next_run_time=now() + timedelta(seconds=2),
            )
        if self.config.backup_dir:
            self.scheduler.add_job(
                self._backup,
                "interval",
                hours=1,
                id="backup",
                executor=COLLECT_EXECUTOR,
                next_run_time=now() + timedelta(minutes=1),
            )
        if self.alerts is not None:
            self.alerts.start()
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
                if not job.id.startswith("wake"):
                    with contextlib.suppress(JobLookupError):  # shutting down meanwhile
                        job.modify(next_run_time=wall_now)

    def _check_account(self, db: sqlite_utils.Database, unit: _Account) -> None:
        watched = unit.watched
        if watched is None or getattr(watched.inner, "account", None) is None:
            return
        try:
            me = watched.account()
            health.x_answered(db)  # X answers: an "unreachable since" left from before is over
            log.info("publishing%s as @%s on %s", unit.of(), me.get("username"), watched.name)
        except AuthFailed as e:
            stop(db, unit.name, str(e), e)
        except XError as e:
            log.warning("could not check the account%s yet: %s", unit.of(), e)

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; exit code 0. If a call is stuck past its timeout, the
        process ends at once with exit code 1 instead of waiting for it."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.start()
        clean = False
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            clean = self.shutdown()
        if not clean:
            # The stuck thread would hold the interpreter's exit for as long as it is stuck.
            logging.shutdown()
            os._exit(1)
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info(
            "%s received: finishing the post in flight, then stopping", signal.Signals(signum).name
        )
        self.stop_event.set()

    def shutdown(self) -> bool:
        """Stop the jobs (waiting for the one in flight) and release the lease. A call stuck
        past its timeout is not waited for: the lease is then left to expire (a stand-by takes
        over; the post in flight is checked against the timeline) and False returned."""
        self.stop_event.set()
        # APScheduler's shutdown holds its job-store lock while it waits for the running jobs:
        # a job adding a wake-up then would wait for that lock for ever. Once _closing is set
        # (under the lock _schedule_wake holds), none does.
        with self._lock:
            self._closing = True
        # Should stopping ever take long, the log says where every thread is.
        faulthandler.dump_traceback_later(SLOW_STOP, exit=False)
        try:
            if self.scheduler is not None and self.scheduler.running:
                # APScheduler's shutdown marks the scheduler stopped before it takes the job-store
                # lock; a one-off wake-up firing at that moment is then not found when its round
                # of due jobs removes it, and JobLookupError ends the scheduler's thread with a
                # traceback. Paused, then emptied (which waits for that round under the lock),
                # no job is due any more when it stops.
                self.scheduler.pause()
                self.scheduler.remove_all_jobs()
                self.scheduler.shutdown(wait=False)
            if not self._jobs_done():
                log.error(
                    "a call to %s is stuck past its timeout: stopping without it; the lease is "
                    "left to expire and the post in flight is checked against the timeline",
                    self._stuck_name(),
                )
                faulthandler.dump_traceback(all_threads=True)
                return False
            if self.alerts is not None:
                self.alerts.stop()
            db = open_db(self.db_path)
            for unit in list(self.units.values()):
                if lease.release(db, self.holder, name=unit.lease_name):
                    event(
                        log,
                        logging.INFO,
                        f"lease released{unit.of()}",
                        event="lease_released",
                        holder=self.holder,
                        account=unit.name,
                    )
            db.close()
        finally:
            faulthandler.cancel_dump_traceback_later()
            log.info("daemon stopped")
        return True

    def _jobs_done(self) -> bool:
        """Wait for the jobs in flight to end; False if the publishing call is stuck (or the
        jobs run past :data:`STOP_LIMIT`)."""
        limit = time.monotonic() + STOP_LIMIT
        with self._jobs_cv:
            while self._running:
                stuck = self._stuck() > STUCK_GRACE
                if stuck or time.monotonic() > limit:
                    return False
                self._jobs_cv.wait(0.1)
        return True

    def _stuck(self) -> float:
        """How long the call in flight (of any account: the rounds share one thread) has run
        past its time (0 when none has)."""
        timeout = self.config.publish.x_timeout
        return max(
            [u.watched.overdue(timeout) for u in list(self.units.values()) if u.watched] or [0.0]
        )

    def _stuck_name(self) -> str:
        timeout = self.config.publish.x_timeout
        for u in list(self.units.values()):
            if u.watched is not None and u.watched.overdue(timeout) > 0:
                return u.watched.name
        return "X"

    def _job(self, job: Callable[..., None]) -> Callable[..., None]:
        """``job``, counted while it runs (so stopping knows what is in flight)."""

        def run(*args: Any) -> None:
            with self._jobs_cv:
                self._running += 1
            try:
                job(*args)
            finally:
                with self._jobs_cv:
                    self._running -= 1
                    self._jobs_cv.notify_all()

        run.__name__ = getattr(job, "__name__", "job")
        return run

    # -- jobs ------------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        if self.stop_event.is_set():
            return
        try:
            self._beat()
        except sqlite3.Error as e:  # a full disk: told at once; the next beat tries again
            log.error("heartbeat failed on the database: %s", e)
            if self.alerts is not None:
                self.alerts.database_error(explain(e, self.db_path))
            return
        if self.alerts is not None:
            self.alerts.database_ok()

    def _beat(self) -> None:
        db = self.db()
        self._sync_accounts(db)
        # The rounds of every account share one thread: a call stuck past its deadline holds
        # them all, so no lease is renewed and a stand-by can take every account over.
        stuck = self._stuck()
        for unit in list(self.units.values()):
            self._beat_account(db, unit, stuck)

    def _beat_account(self, db: sqlite_utils.Database, unit: _Account, stuck: float) -> None:
        ttl = self.config.lease_ttl
        name = unit.lease_name
        if unit.active:
            if stuck > STUCK_GRACE:
                # A call that outlives its own deadline is stuck: a heartbeat now would keep a
                # dead daemon's lease alive for ever. Let it expire, so a stand-by takes over.
                since = next(
                    (u.watched.since for u in self.units.values() if u.watched and u.watched.since),
                    None,
                )
                if unit.stuck_since == since:
                    return
                unit.stuck_since = since
                log.error(
                    "a call to %s has run %.0f s past its timeout (%g s a request): not "
                    "renewing the publishing lease%s, so a stand-by can take over",
                    self._stuck_name(),
                    stuck,
                    self.config.publish.x_timeout,
                    unit.of(),
                )
                return
            if not lease.renew(db, self.holder, ttl=ttl, name=name):
                unit.active = False
                event(
                    log,
                    logging.WARNING,
                    f"lost the publishing lease{unit.of()}: standing by",
                    event="lease_lost",
                    holder=self.holder,
                    account=unit.name,
                )
            return
        if unit.watched is None:
            return  # no credentials: a daemon that has them may publish for this account
        if lease.acquire(db, self.holder, ttl=ttl, name=name):
            unit.active = True
            event(
                log,
                logging.INFO,
                f"took the publishing lease{unit.of()}",
                event="lease_taken",
                holder=self.holder,
                account=unit.name,
            )
            self._schedule_wake(unit, now())
        else:
            info = lease.current(db, name)
            if info is not None and unit.reported != info.holder:
                unit.reported = info.holder
                log.info(
                    "standing by: %s (pid %s on %s) holds the publishing lease%s until %s",
                    info.holder,
                    info.pid,
                    info.host,
                    unit.of(),
                    to_db(info.expires_at),
                )

    def _watch(self) -> None:
        """Notice other processes' changes within a second: follow the collect setting and, when
        publishing, move the wake-up."""
        if self.stop_event.is_set():
            return
        version = self.db().execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self._follow_collect_setting()
            for unit in list(self.units.values()):
                if unit.active:
                    self._reschedule(unit, did_something=True)

    def _collect_seconds(self, minutes: float) -> float:
        return max(1.0, minutes * self.config.minute)

    def _follow_collect_setting(self) -> None:
        """Re-time the collect job when the campaign's ``collect_every_minutes`` has changed
        (unless the daemon was given its own interval)."""
        if self._collect_minutes is None or self.config.collect_every_minutes is not None:
            return
        try:
            minutes = settings_for(self.db()).collect_every_minutes
        except CampaignError as e:  # a campaign stored by another version: keep the interval
            log.warning("could not read collect_every_minutes: %s", e)
            return
        if minutes == self._collect_minutes:
            return
        from apscheduler.jobstores.base import JobLookupError

        try:
            self.scheduler.reschedule_job(
                "collect", trigger="interval", seconds=self._collect_seconds(minutes)
            )
        except JobLookupError:  # shutting down meanwhile
            return
        log.info(
            "collect_every_minutes changed from %s to %s: collecting every %s minutes",
            self._collect_minutes,
            minutes,
            minutes,
        )
        self._collect_minutes = minutes

    def _round(self, unit: _Account | None = None) -> None:
        """One account's round (default: the default account's)."""
        unit = unit or self.units[DEFAULT_ACCOUNT]
        if self.stop_event.is_set() or not unit.active or unit.watched is None:
            return
        run = self.publishing(unit)
        log.debug("round starts%s", unit.of())
        try:
            outcomes = run.run_due(should_stop=self.stop_event.is_set)
        except CampaignError as e:
            event(
                log,
                logging.ERROR,
                f"publishing round{unit.of()} failed: {e}; trying again in {RETRY_ROUND} s",
                event="round_failed",
                account=unit.name,
            )
            self._schedule_wake(unit, now() + timedelta(seconds=RETRY_ROUND))
            return
        except sqlite3.Error as e:  # a full disk, a read-only file: told at once, retried
            log.error(
                "publishing round failed on the database: %s; trying again in %s s", e, RETRY_ROUND
            )
            if self.alerts is not None:
                self.alerts.database_error(explain(e, self.db_path))
            self._schedule_wake(unit, now() + timedelta(seconds=RETRY_ROUND))
            return
        except Exception:  # a bug in one round must not end the daemon's wake-ups
            log.exception("publishing round failed; trying again in %s s", RETRY_ROUND)
            self._schedule_wake(unit, now() + timedelta(seconds=RETRY_ROUND))
            return
        if self.alerts is not None:
            self.alerts.database_ok()
            if outcomes:
                self.alerts.kick()  # a post failed, was missed or went out: look now
        if run.lease_lost:
            run.lease_lost = False
            unit.active = False
            return
        version = self.db().execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self._follow_collect_setting()  # a change during the round is not missed
            # another account's posts may have changed too (the watch saw this version)
            for other in list(self.units.values()):
                if other is not unit and other.active:
                    self._reschedule(other, did_something=True)
        self._reschedule(unit, did_something=bool(outcomes))

    def _reschedule(self, unit: _Account, *, did_something: bool) -> None:
        if self.stop_event.is_set() or not unit.active or unit.watched is None:
            return
        nxt = self.publishing(unit).next_action_at()
        current = now()
        if nxt is not None and nxt <= current and not did_something:
            nxt = current + timedelta(seconds=1)  # nothing could be done: do not spin
        self._schedule_wake(unit, nxt)

    def _schedule_wake(self, unit: _Account, at: datetime | None) -> None:
        with self._lock:
            if self._closing:
                return
            job = unit.job_id
            if at == unit.wake_at and self.scheduler.get_job(job) is not None:
                return
            unit.wake_at = at
            log.debug("next wake-up%s: %s", unit.of(), to_db(at) if at else "none")
            if at is None:
                if self.scheduler.get_job(job) is not None:
                    self.scheduler.remove_job(job)
                return
            self.scheduler.add_job(
                self._job(self._round),
                "date",
                args=[] if unit.name == DEFAULT_ACCOUNT else [unit],
                run_date=at,
                id=job,
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
        from scheduler.collect import NoCampaignError, collect_workspace, workspace_settings

        db = self.db()
        try:
            active = workspace_settings(db)
        except NoCampaignError as e:
            if not self._no_campaign_logged:  # said once, not every interval
                log.warning("collect: %s", e)
                self._no_campaign_logged = True
            return
        self._no_campaign_logged = False
        client = getattr(self._local, "search", None)
        if client is None:
            client = self.search_client()
            self._local.search = client
        try:
            # Every active campaign, each account's hashtags in as few searches as X allows.
            # The search client is the app's (its bearer token): one for every account.
            result = collect_workspace(
                db, lambda _account: client, active, stop=self.stop_event
            ).total
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

    def _metrics(self) -> None:
        """Read the metrics of the posts whose checkpoint has passed (none: no request)."""
        if self.stop_event.is_set() or self.search_client is None:
            return
        from campaign.metadata import settings_for
        from posts.metrics import due
        from scheduler.metrics import read_metrics

        db = self.db()
        gone: set[int] = getattr(self._local, "metrics_gone", set())
        posts = [p for p in due(db, now()) if p.id not in gone]
        if not posts:
            return
        client = getattr(self._local, "search", None)
        if client is None:
            client = self.search_client()
            self._local.search = client
        try:
            run = read_metrics(
                db, client, settings_for(db), posts, non_public=client.creds.can_post
            )
        except Exception as e:  # noqa: BLE001 - a metrics failure must never stop publishing
            log.error("metrics: %s", e)
            return
        gone.update(run.missing)  # no longer on X: not asked again by this process
        self._local.metrics_gone = gone
        log.info(
            "metrics: read %s post(s) in %s lookup(s), %s (%s)",
            run.read,
            run.lookups,
            run.cost,
            run.status,
        )

    def _backup(self) -> None:
        """The daily backup (the job runs hourly; a backup is made when the newest is a day
        old), keeping the newest ``backup_keep``."""
        if self.stop_event.is_set() or not self.config.backup_dir:
            return
        from campaign.backup import daily

        try:
            info = daily(self.db_path, self.config.backup_dir, keep=self.config.backup_keep)
        except CampaignError as e:
            log.error("daily backup failed: %s", e)
            return
        if info is not None:
            log.info("daily backup written: %s", info.summary())

    def _add_compliance_job(self, db: sqlite_utils.Database) -> None:
        from campaign.mentions.compliance import last_run

        every = timedelta(hours=self.config.compliance_every_hours)
        last = last_run(db)
        first = now() + timedelta(seconds=2)
        if last is not None:
            first = max(first, last["finished_at"] + every)
        self.scheduler.add_job(
            self._job(self._compliance),
            "interval",
            seconds=max(1.0, every.total_seconds()),
            id="compliance",
            executor=COMPLIANCE_EXECUTOR,
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
