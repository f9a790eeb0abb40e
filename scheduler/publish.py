"""Publishing due posts: at most once, then reconcile (DESIGN.md), for the daemon and for
``campaign publish`` alike.

For each due post, in time order:

1. claim it (``approved → publishing``, durable, inside the transaction that checks that we
   still hold the publishing lease) before any network call;
2. call the publisher, with the client's timeout;
3. an answer: ``published`` with the id, or ``failed`` with X's words;
4. no answer (timeout, dropped connection, crash): ``unknown``. Nothing more is sent until the
   post is reconciled against the account's timeline, and not before the claim's call timeout
   plus a settling margin has passed (a request can still land after we gave up on it). Found:
   ``published`` with that id. Absent: back to ``approved`` and sent again;
5. ``403 duplicate content``: reconciled at once; absent, ``failed``. ``429``: the post goes back
   to ``approved`` and nothing is sent before X's reset time. ``5xx``: treated as ambiguous —
   a gateway error can hide a post that was made — so the post is reconciled after a backoff of
   1, 2, 4 s (+ jitter) and only then sent again, at most ``retries`` times, then ``failed``.
   ``401``, an authentication ``403`` or a ``403`` saying the account is locked or suspended:
   publishing stops (state ``publishing_stopped``) until a person runs ``campaign resume`` (or
   ``campaign publish --resume``) or restarts the daemon; the post stays ``approved``.

Any trouble stops the round, so posts keep their order. A post later than the overdue limit
becomes ``missed`` instead of going out; a reply waits for its parent to be published; at most
``daily_cap`` posts go out in any 24 hours. Everything is decided from the database, so a new
process picks up exactly where a killed one stopped.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError, LeaseHeldError
from campaign.metadata import settings_for
from campaign.models import CampaignSettings
from campaign.store import get_json_state, set_state
from posts import queue
from posts.queue import Post, PostStatus, Reason
from scheduler import health, lease
from scheduler.events import event
from scheduler.publisher import ImagePublisher, Publisher
from scheduler.reconcile import DEFAULT_SLACK, first_claim, match_posts, taken_ids
from scheduler.xerrors import (
    AuthFailed,
    DuplicateContent,
    NoAnswer,
    RateLimited,
    Refused,
    ReplyRefused,
    ServerError,
    XError,
)

log = logging.getLogger("scheduler.publish")

# The default account's keys; another account's add ``:NAME`` (``publishing_wait:events``).
STOPPED_KEY = "publishing_stopped"  # {"reason", "at"}: set on an auth failure
WAIT_KEY = "publishing_wait"  # {"until", "reason"}: nothing is sent before "until"
DEFAULT_ACCOUNT = "default"

# The first words of ``last_error`` for each way a post becomes unknown (for people: code reads
# the post's ``reason`` instead).
DUPLICATE = "duplicate content: "
SERVER = "server error: "
NO_ANSWER = "no answer: "

_S = PostStatus


@dataclass(frozen=True)
class PublishConfig:
    """How publishing behaves; defaults are for real use, tests shorten the times."""

    x_timeout: float = 10.0  # the client's timeout on each call
    settle: float = 2.0  # extra wait after a claim's timeout before reconciling it
    retries: int = 3  # further tries after a 5xx
    backoff: float = 1.0  # first 5xx backoff (then doubled), plus up to half of it as jitter
    backoff_cap: float = 60.0  # no backoff longer than this (X unreachable for long: once a minute)
    overdue_limit_minutes: int | None = None  # None: the campaign's setting
    daily_cap: int | None = None  # None: the campaign's setting
    slack: timedelta = DEFAULT_SLACK  # clock difference with X tolerated by reconcile


@dataclass(frozen=True)
class Outcome:
    """What happened to one post in a round."""

    post_id: int
    status: PostStatus
    tweet_id: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "status": self.status,
            "tweet_id": self.tweet_id,
            "detail": self.detail,
        }


def cap_until(
    db: sqlite_utils.Database,
    cap: int,
    at: datetime | None = None,
    campaign_ids: list[int] | None = None,
    unassigned: bool = True,
) -> datetime | None:
    """When the daily cap lets the next post out, if it is full at ``at`` (else None); with
    ``campaign_ids``, the cap of the account those campaigns post from."""
    return queue.cap_usage(db, cap, at or now(), campaign_ids, unassigned).until


def account_key(key: str, account: str = DEFAULT_ACCOUNT) -> str:
    """The state key ``key`` (:data:`STOPPED_KEY`, :data:`WAIT_KEY`) of ``account``: the default
    account keeps the key it always had, another adds its name (``publishing_wait:events``)."""
    return key if account == DEFAULT_ACCOUNT else f"{key}:{account}"


def accounts(db: sqlite_utils.Database) -> list[str]:
    """Every account the workspace publishes from: the default one (posts of no campaign, and
    a workspace with none loaded), then each other account its campaigns name."""
    from campaign.metadata.store import campaigns

    others = sorted({c.account for c in campaigns(db)} - {DEFAULT_ACCOUNT})
    return [DEFAULT_ACCOUNT, *others]


def account_campaign_ids(db: sqlite_utils.Database, account: str) -> list[int]:
    """The campaigns posting from ``account``."""
    from campaign.metadata.store import campaigns

    return [c.id for c in campaigns(db) if c.account == account]


def stopped(db: sqlite_utils.Database, account: str = DEFAULT_ACCOUNT) -> dict[str, Any] | None:
    """``{"reason", "at"}`` when ``account``'s publishing is stopped, else None."""
    return get_json_state(db, account_key(STOPPED_KEY, account))


def stops(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Every stopped account and its stop (``{"reason", "at", …}``), the default one first."""
    found = {a: stopped(db, a) for a in accounts(db)}
    return {a: s for a, s in found.items() if s is not None}


def resume(db: sqlite_utils.Database, account: str | None = None) -> bool:
    """Clear a stop (``account``'s, or with None every account's); True if one was stopped."""
    names = accounts(db) if account is None else [account]
    was = False
    for name in names:
        was = stopped(db, name) is not None or was
        set_state(db, account_key(STOPPED_KEY, name), None)
    return was


def waiting(db: sqlite_utils.Database, account: str = DEFAULT_ACCOUNT) -> dict[str, Any] | None:
    """``{"until", "reason"}`` while ``account``'s publishing waits (rate limit, backoff), else
    None."""
    w = get_json_state(db, account_key(WAIT_KEY, account))
    if w is None:
        return None
    try:
        if from_db(str(w["until"])) <= now():
            return None
    except (KeyError, ValueError):
        return None
    return w


def waits(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Every account whose publishing waits, and its wait, the default one first."""
    found = {a: waiting(db, a) for a in accounts(db)}
    return {a: w for a, w in found.items() if w is not None}


def stop(
    db: sqlite_utils.Database,
    account: str,
    reason: str,
    refused: AuthFailed | None = None,
    missing: bool = False,
) -> None:
    """Stop ``account``'s publishing (the other accounts' go on). ``refused``: X's refusal,
    kept as data (its status and words); ``missing``: the account has no credentials (the
    reason names the variables it needs, never their values)."""
    value: dict[str, Any] = {"reason": reason, "at": to_db(now())}
    if account != DEFAULT_ACCOUNT:
        value["account"] = account
    if refused is not None:
        value.update(status=refused.status, detail=refused.detail)
        if refused.account_state:  # locked or suspended: the account, not the keys
            value["account_state"] = refused.account_state
    if missing:
        value["missing_credentials"] = True
    set_state(db, account_key(STOPPED_KEY, account), json.dumps(value))
    of = "" if account == DEFAULT_ACCOUNT else f" for account {account}"
    which = "" if account == DEFAULT_ACCOUNT else f" --account {account}"
    then = (
        f" (`campaign resume{which}` works while the daemon runs; restarting the daemon also does)"
        if refused is not None and refused.account_state  # the reason names the fix
        else f". Fix the credentials, then run `campaign resume{which}` (it works while the "
        "daemon runs) or restart the daemon"
    )
    event(
        log, logging.ERROR, f"publishing{of} STOPPED: {reason}{then}", event="stop", account=account
    )


def _after_reset(e: RateLimited) -> datetime:
    """When to try again after a 429: X's reset time is in whole seconds (rounded down), so a
    second after it, and never less than a second from now (no spinning on a stale reset)."""
    return from_db(to_db(max(e.reset_at, now()) + timedelta(seconds=1)))


@dataclass
class Publishing:
    """One publisher's rounds over one database connection (one thread)."""

    db: sqlite_utils.Database
    publisher: Publisher
    holder: str
    config: PublishConfig = field(default_factory=PublishConfig)
    lease_name: str = ""  # "": the account's lease (lease.name_for)
    account: str = DEFAULT_ACCOUNT  # the X account its publisher posts as: its campaigns' posts
    lease_lost: bool = False
    retry_at: dict[int, datetime] = field(default_factory=dict)
    _unreachable: int = 0  # calls in a row that got no answer from X

    def __post_init__(self) -> None:
        if not self.lease_name:
            self.lease_name = lease.name_for(self.account)

    @property
    def actor(self) -> str:
        return self.holder

    @property
    def unassigned(self) -> bool:
        """Whether posts of no campaign are this publisher's: the default account's only."""
        return self.account == DEFAULT_ACCOUNT

    def stopped(self) -> dict[str, Any] | None:
        return stopped(self.db, self.account)

    def pending(self) -> list[Post]:
        """This account's posts whose fate is not known yet (claimed or unknown)."""
        return queue.pending(self.db, campaign_ids=self.campaign_ids(), unassigned=self.unassigned)

    # -- limits and waits --------------------------------------------------------------------

    def settings(self) -> CampaignSettings:
        return settings_for(self.db)

    def campaign_ids(self) -> list[int]:
        """The campaigns posting from this publisher's account (posts of no campaign too: the
        workspace with none loaded): never another account's post under these keys."""
        return account_campaign_ids(self.db, self.account)

    def limits(self) -> tuple[int, int]:
        """``(overdue limit in minutes, daily cap)`` from the config, else the campaign."""
        s = self.settings()
        overdue = self.config.overdue_limit_minutes
        cap = self.config.daily_cap
        return (
            s.overdue_limit_minutes if overdue is None else overdue,
            s.daily_cap if cap is None else cap,
        )

    def blocked_until(self) -> datetime | None:
        w = waiting(self.db, self.account)
        return from_db(str(w["until"])) if w else None

    def _wait(self, until: datetime, reason: str) -> None:
        current = self.blocked_until()
        if current is not None and current >= until:
            return
        value = json.dumps({"until": to_db(until), "reason": reason})
        set_state(self.db, account_key(WAIT_KEY, self.account), value)
        event(
            log,
            logging.WARNING,
            f"publishing{self._of()} waits until {to_db(until)}: {reason}",
            event="wait",
            until=to_db(until),
            account=self.account,
        )

    def _of(self) -> str:
        """`` for account events`` in log lines of another account than the default."""
        return "" if self.account == DEFAULT_ACCOUNT else f" for account {self.account}"

    def _stop(self, reason: str, refused: AuthFailed | None = None) -> None:
        """Stop publishing; ``refused``: X's refusal, kept as data (its status and words) so
        the console and the alerts can say it without the variable names of ``reason``."""
        stop(self.db, self.account, reason, refused)

    def _backoff(self, n: int) -> timedelta:
        base = self.config.backoff * (2 ** min(30, max(0, n - 1)))
        seconds = min(self.config.backoff_cap, base + random.uniform(0, base / 2))
        return timedelta(milliseconds=round(seconds * 1000))  # times are stored to the ms

    def _ready_at(self, post: Post) -> datetime:
        if post.id in self.retry_at:
            return self.retry_at[post.id]
        if (
            post.call_deadline is not None
        ):  # the claiming process's own timeout, even after a restart
            return post.call_deadline + timedelta(seconds=self.config.settle)
        claimed = post.claimed_at or post.updated_at
        return claimed + timedelta(seconds=self.config.x_timeout + self.config.settle)

    def _server_errors(self, post_id: int) -> int:
        """5xx answers for this post since a person last approved it."""
        return queue.server_errors(self.db, post_id)

    def _holds_lease(self) -> bool:
        info = lease.current(self.db, self.lease_name)
        return info is not None and info.holder == self.holder and info.alive

    # -- a round -----------------------------------------------------------------------------

    def run_due(
        self, *, until: datetime | None = None, should_stop: Callable[[], bool] = lambda: False
    ) -> list[Outcome]:
        """Settle what can be settled, mark what is too late, and send what is due.

        ``until``: send only posts due by then (``campaign publish``: the moment it started).
        """
        out: list[Outcome] = []
        if self.stopped() or self.blocked_until() is not None:
            return out
        out += self.reconcile_pending()
        if self.stopped() or self.blocked_until() is not None or self.pending():
            return out  # posts keep their order: nothing new while one is unsettled
        out += self.mark_overdue()
        while not should_stop() and not self.lease_lost:
            if self.stopped() or self.blocked_until() is not None:
                break
            post, reply_to = self._next_sendable(until)
            if post is None:
                break
            _, cap = self.limits()
            if cap_until(self.db, cap, None, self.campaign_ids(), self.unassigned) is not None:
                break  # held by the daily cap: status says until when
            outcome = self.publish_one(post, reply_to)
            if outcome is None:
                if not self._holds_lease():
                    self.lease_lost = True
                    event(
                        log,
                        logging.WARNING,
                        "lost the publishing lease: standing by",
                        event="lease_lost",
                        holder=self.holder,
                    )
                continue
            out.append(outcome)
            if outcome.status == _S.UNKNOWN:
                break  # settle it before anything later goes out
        return out

    def _next_sendable(self, until: datetime | None) -> tuple[Post | None, str | None]:
        at = now() if until is None else min(now(), until)
        ids = self.campaign_ids()
        for post in queue.sendable(self.db, at, campaign_ids=ids, unassigned=self.unassigned):
            # A reply in our own thread answers its parent's tweet; a reply to a collected post
            # answers that post (issue 11).
            return post, queue.parent(self.db, post).tweet_id or post.reply_to_tweet_id
        return None, None

    def mark_overdue(self) -> list[Outcome]:
        """Approved posts later than the overdue limit become ``missed`` (lateness in the audit)."""
        limit, _ = self.limits()
        cutoff = now() - timedelta(minutes=limit)
        out: list[Outcome] = []
        ids = self.campaign_ids()
        for post in queue.overdue(self.db, cutoff, campaign_ids=ids, unassigned=self.unassigned):
            minutes = (now() - post.scheduled_at).total_seconds() / 60
            detail = (
                f"{minutes:.0f} minutes late, over the overdue limit of {limit} minutes: not sent. "
                "Reschedule and approve it again to send it"
            )
            if queue.transition(
                self.db,
                post.id,
                _S.APPROVED,
                _S.MISSED,
                self.actor,
                detail,
                reason=Reason.MISSED_WINDOW,
            ):
                self._log_move(
                    logging.WARNING, post.id, _S.APPROVED, _S.MISSED, Reason.MISSED_WINDOW, detail
                )
                out.append(Outcome(post.id, _S.MISSED, None, detail))
        return out

    def publish_one(self, post: Post, reply_to: str | None) -> Outcome | None:
        """Claim, send and record one post. None if it could not be claimed.

        Its images are uploaded first, before the claim (scheduler/uploads.py): an upload posts
        nothing, so it is retried freely, and only the post itself is sent at most once.
        """
        from scheduler import uploads

        images = uploads.prepare(self, post)
        if not isinstance(images, list):
            return images
        claimed_at = queue.claim(
            self.db,
            post.id,
            self.holder,
            self.actor,
            timeout=self.config.x_timeout,
            guard=lease.guard(self.holder, self.lease_name),
        )
        if claimed_at is None:
            return None
        event(
            log,
            logging.INFO,
            f"claimed post {post.id}",
            post_id=post.id,
            from_=_S.APPROVED,
            to=_S.PUBLISHING,
            by=self.holder,
            attempt=post.attempts + 1,
        )
        if not self._holds_lease():
            # The claim's commit outlasted our lease (a stalled disk or process): a stand-by
            # may already hold the lease and be settling this claim. Send nothing; whoever
            # holds the lease checks the timeline for it after its deadline, as for a crash.
            self.lease_lost = True
            detail = "not sent: the publishing lease ran out while the post was being claimed"
            event(
                log,
                logging.WARNING,
                f"post {post.id} {detail}; it is checked against the timeline",
                post_id=post.id,
                status=_S.PUBLISHING,
                reason=Reason.LEASE_LOST,
            )
            return Outcome(post.id, _S.PUBLISHING, None, detail)
        # Send what the claimed row holds: a person may have edited the text or the time
        # between our read and the claim (the claim waited for their write lock). Once it is
        # ``publishing`` nobody can change it, so the text sent is the text reconciled.
        post = queue.get(self.db, post.id)
        if post.scheduled_at > now():
            return self._move(
                post.id,
                _S.PUBLISHING,
                _S.APPROVED,
                "not sent: rescheduled while being claimed",
                Reason.RESCHEDULED,
            )
        if not uploads.unchanged(self.db, post.id, images):
            return self._move(
                post.id,
                _S.PUBLISHING,
                _S.APPROVED,
                "not sent: its images changed while being claimed",
                Reason.RESCHEDULED,
            )
        try:
            if images:
                publisher = self.publisher
                assert isinstance(publisher, ImagePublisher)  # uploads.prepare made sure
                tweet_id = self._call(
                    partial(publisher.publish_with_images, quote=post.quote_tweet_id),
                    post.text,
                    reply_to,
                    images,
                )
            elif post.quote_tweet_id is None:
                tweet_id = self._call(self.publisher.publish, post.text, reply_to)
            else:  # a quote of a collected post (issue 11)
                tweet_id = self._call(
                    partial(self.publisher.publish, quote=post.quote_tweet_id), post.text, reply_to
                )
        except RateLimited as e:
            self._wait(_after_reset(e), f"rate limited by {self.publisher.name}")
            return self._move(
                post.id, _S.PUBLISHING, _S.APPROVED, f"not sent: {e}", Reason.RATE_LIMITED
            )
        except AuthFailed as e:
            self._stop(str(e), e)
            return self._move(post.id, _S.PUBLISHING, _S.APPROVED, f"not sent: {e}", Reason.AUTH)
        except DuplicateContent as e:
            self.retry_at[post.id] = from_db(to_db(now()))
            return self._move(
                post.id, _S.PUBLISHING, _S.UNKNOWN, DUPLICATE + str(e), Reason.DUPLICATE
            )
        except ServerError as e:
            n = self._server_errors(post.id) + 1
            # A gateway error can hide a post X made after all: give it the same settling
            # margin as a lost answer before the timeline is read, then back off.
            settle = timedelta(seconds=self.config.settle)
            when = from_db(to_db(now())) + settle + self._backoff(n)
            self.retry_at[post.id] = when
            self._wait(when, f"{self.publisher.name} server error {e.status}: retrying")
            return self._move(
                post.id, _S.PUBLISHING, _S.UNKNOWN, f"{SERVER}{e}", Reason.SERVER_ERROR
            )
        except NoAnswer as e:
            if not e.maybe_sent:
                self._wait(now() + self._backoff(self._unreachable), str(e))
                return self._move(
                    post.id, _S.PUBLISHING, _S.APPROVED, f"not sent: {e}", Reason.UNREACHABLE
                )
            # The settling margin counts from when the call ended if that was after its
            # deadline (a slow connect, the clock stepped forward): never reconcile at once.
            ended = max(claimed_at + timedelta(seconds=self.config.x_timeout), now())
            self.retry_at[post.id] = from_db(to_db(ended + timedelta(seconds=self.config.settle)))
            self._wait(self.retry_at[post.id], f"{e}: checking the timeline before sending again")
            return self._move(
                post.id, _S.PUBLISHING, _S.UNKNOWN, f"{NO_ANSWER}{e}", Reason.NO_ANSWER
            )
        except ReplyRefused as e:
            # The post it answers is gone, or its author limited replies: no retry (issue 11).
            why = Reason.REPLY_TARGET_GONE if e.gone else Reason.REPLIES_LIMITED
            return self._move(post.id, _S.PUBLISHING, _S.FAILED, str(e), why)
        except (Refused, XError) as e:
            return self._move(post.id, _S.PUBLISHING, _S.FAILED, str(e), Reason.REFUSED)
        except CampaignError as e:
            # The backend cannot work at all (e.g. credentials missing): not sent.
            self._stop(str(e))
            return self._move(
                post.id, _S.PUBLISHING, _S.APPROVED, f"not sent: {e}", Reason.UNAVAILABLE
            )
        stamp = now()
        if not queue.transition(
            self.db,
            post.id,
            _S.PUBLISHING,
            _S.PUBLISHED,
            self.actor,
            f"{self.publisher.name} id {tweet_id}",
            tweet_id=tweet_id,
            published_at=stamp,
            last_error=None,
        ):
            event(
                log,
                logging.ERROR,
                f"post {post.id} was sent as {tweet_id} but had been moved meanwhile",
                post_id=post.id,
                tweet_id=tweet_id,
            )
        late = (stamp - post.scheduled_at).total_seconds()
        event(
            log,
            logging.INFO,
            f"published post {post.id} as {tweet_id} ({late:.3f} s after its time)",
            post_id=post.id,
            from_=_S.PUBLISHING,
            to=_S.PUBLISHED,
            tweet_id=tweet_id,
            late_s=f"{late:.3f}",
        )
        return Outcome(post.id, _S.PUBLISHED, tweet_id, f"{late:.3f} s after its time")

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call X through the publisher, noting whether it answered at all (scheduler.health:
        "X unreachable since …", and how many tries in a row the backoff has seen)."""
        try:
            result = fn(*args)
        except NoAnswer as e:
            self._unreachable = health.x_failed(self.db, e.detail)
            raise
        except XError:
            health.x_answered(self.db)
            raise
        if health.x_answered(self.db):
            log.info("X answers again")
        self._unreachable = 0
        return result

    def _move(
        self, post_id: int, frm: PostStatus, to: PostStatus, detail: str, reason: Reason
    ) -> Outcome:
        if queue.transition(
            self.db, post_id, frm, to, self.actor, detail, reason=reason, last_error=detail
        ):
            queue.fold_repeats(self.db, post_id)  # identical tries: one history row, a count
        self._log_move(logging.WARNING, post_id, frm, to, reason, detail)
        return Outcome(post_id, to, None, detail)

    def _log_move(
        self,
        level: int,
        post_id: int,
        frm: PostStatus,
        to: PostStatus,
        reason: Reason | None,
        detail: str,
    ) -> None:
        if to == _S.APPROVED and reason != Reason.NOT_ON_TIMELINE:
            message = f"post {post_id} not sent, will try again: {detail}"
        else:
            message = f"post {post_id}: {frm} → {to}: {detail}"
        event(log, level, message, post_id=post_id, from_=frm, to=to, reason=reason)

    # -- reconcile ---------------------------------------------------------------------------

    def reconcile_pending(self) -> list[Outcome]:
        """Settle every claimed or unknown post whose time to be checked has come."""
        current = now()
        ready = [p for p in self.pending() if self._ready_at(p) <= current]
        if not ready:
            return []
        starts = [first_claim(self.db, p.id) or p.claimed_at or p.updated_at for p in ready]
        since = min(starts) - self.config.slack
        try:
            timeline = self._call(self.publisher.recent_own_posts, since)
        except RateLimited as e:
            self._wait(
                _after_reset(e), f"rate limited by {self.publisher.name} (reading the timeline)"
            )
            return []
        except AuthFailed as e:
            self._stop(str(e), e)
            return []
        except (XError, CampaignError) as e:
            n = max(self._server_errors(p.id) for p in ready) + 1
            if isinstance(e, NoAnswer):
                n = max(n, self._unreachable)
            when = from_db(to_db(now())) + self._backoff(n)
            for p in ready:
                self.retry_at[p.id] = when
            self._wait(when, f"cannot read the timeline to check unsettled posts: {e}")
            return []
        parents = {}
        for p in ready:
            if p.reply_to_post_id is not None or p.reply_to_tweet_id is not None:
                parents[p.id] = queue.parent(self.db, p).tweet_id or p.reply_to_tweet_id
        out: list[Outcome] = []
        event(
            log,
            logging.INFO,
            f"reconciling {len(ready)} post(s) against the timeline since {to_db(since)}",
            event="reconcile",
            post_ids=",".join(str(p.id) for p in ready),
            since=to_db(since),
        )
        for m in match_posts(ready, timeline, taken=taken_ids(self.db), parents=parents):
            post = next(p for p in ready if p.id == m.post_id)
            self.retry_at.pop(post.id, None)
            if m.tweet_id is not None:
                detail = f"found on the timeline as {m.tweet_id} by reconcile"
                if m.also:
                    detail += f" (also matching: {', '.join(m.also)})"
                if queue.transition(
                    self.db,
                    post.id,
                    post.status,
                    _S.PUBLISHED,
                    self.actor,
                    detail,
                    tweet_id=m.tweet_id,
                    published_at=m.created_at or now(),
                    last_error=None,
                ):
                    event(
                        log,
                        logging.INFO,
                        f"post {post.id}: {detail}",
                        post_id=post.id,
                        from_=post.status,
                        to=_S.PUBLISHED,
                        tweet_id=m.tweet_id,
                        event="reconcile",
                    )
                    out.append(Outcome(post.id, _S.PUBLISHED, m.tweet_id, detail))
                continue
            if post.reason == Reason.DUPLICATE:
                detail = (
                    f"X refused it as duplicate content and it is not on the account's timeline "
                    f"since {to_db(since)}: change the text and approve it again"
                )
                out.append(self._move(post.id, post.status, _S.FAILED, detail, Reason.DUPLICATE))
            elif (
                post.reason == Reason.SERVER_ERROR
                and self._server_errors(post.id) > self.config.retries
            ):
                detail = (
                    f"X had server errors on {self._server_errors(post.id)} tries and the post "
                    "is not on the timeline: approve it again to retry"
                )
                out.append(self._move(post.id, post.status, _S.FAILED, detail, Reason.SERVER_ERROR))
            else:
                detail = "not on the account's timeline: not sent, will send again"
                out.append(
                    self._move(post.id, post.status, _S.APPROVED, detail, Reason.NOT_ON_TIMELINE)
                )
        return out

    # -- when to wake ------------------------------------------------------------------------

    def next_action_at(self, *, until: datetime | None = None) -> datetime | None:
        """When a round next has something to do (None: nothing queued, or stopped)."""
        if self.stopped():
            return None
        pending = [self._ready_at(p) for p in self.pending()]
        if pending:
            blocked = self.blocked_until()
            return max(min(pending), blocked) if blocked else min(pending)
        # A reply whose parent is not out yet goes in the round that sends the parent.
        ids = self.campaign_ids()
        sendable = queue.sendable(self.db, until, campaign_ids=ids, unassigned=self.unassigned)
        if not sendable:
            return None
        first = sendable[0].scheduled_at
        _, cap = self.limits()
        held = cap_until(self.db, cap, max(first, now()), ids, self.unassigned)
        at = max(first, held) if held else first
        blocked = self.blocked_until()
        return max(at, blocked) if blocked else at


# -- campaign publish ---------------------------------------------------------------------


@dataclass
class PublishRun:
    """What ``campaign publish`` did."""

    outcomes: list[Outcome]
    stopped: dict[str, Any] | None  # the default account's stop (each account's: accounts)
    waiting: dict[str, Any] | None
    unsettled: list[int]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # {"stopped", "waiting"}


def publish_now(
    db: sqlite_utils.Database,
    publisher: Publisher | None,
    *,
    config: PublishConfig | None = None,
    resume_first: bool = False,
    max_wait: float | None = None,
    lease_ttl: float = 60.0,
    publishers: Callable[[str], Publisher] | None = None,
    missing_default: str = "",
) -> PublishRun:
    """Publish what is due now, then return (for cron). Takes each account's lease for the run.

    ``publisher`` posts as the default account (None: its keys are missing, ``missing_default``
    says which); ``publishers(name)`` makes another account's (CampaignError: its keys are
    missing). An account without keys that has posts due is stopped, its stop naming the
    variables; the other accounts publish. Waits (at most ``max_wait`` seconds at a time;
    default the call timeout plus settling plus the longest backoff) for posts that must be
    reconciled before it can finish.
    """
    cfg = config or PublishConfig()
    holder = lease.new_holder("publish")
    started = now()
    found: dict[str, Publisher] = {}
    missing: dict[str, str] = {}
    for name in accounts(db) if publishers is not None else [DEFAULT_ACCOUNT]:
        try:
            if name == DEFAULT_ACCOUNT:
                if publisher is None:
                    raise CampaignError(missing_default or "no publisher for the default account")
                found[name] = publisher
            else:
                assert publishers is not None
                found[name] = publishers(name)
        except CampaignError as e:
            missing[name] = str(e)
    taken: list[str] = []
    try:
        for name in found:
            if not lease.acquire(db, holder, ttl=lease_ttl, name=lease.name_for(name)):
                info = lease.current(db, lease.name_for(name))
                who = (
                    f"{info.holder} (pid {info.pid} on {info.host})" if info else "another process"
                )
                of = "" if name == DEFAULT_ACCOUNT else f" of account {name}"
                raise LeaseHeldError(
                    f"{who} holds the publishing lease{of}, so it is the one publishing: stop it "
                    "first, or let it do the work (`campaign status` shows it)"
                )
            taken.append(name)
    except LeaseHeldError:
        for name in taken:
            lease.release(db, holder, name=lease.name_for(name))
        raise
    if resume_first and resume(db):
        event(log, logging.INFO, "publishing resumed", event="resume", holder=holder)
    for name, why in missing.items():
        # Stopped, naming its variables, if it has posts due and no live process publishes it.
        ids = account_campaign_ids(db, name)
        due = queue.sendable(db, started, 1, campaign_ids=ids, unassigned=name == DEFAULT_ACCOUNT)
        info = lease.current(db, lease.name_for(name))
        if due and stopped(db, name) is None and (info is None or not info.alive):
            stop(db, name, f"account {name}: {why}", missing=True)
    for name in found:
        was = stopped(db, name)
        if was is not None and was.get("missing_credentials"):
            resume(db, name)  # its keys are there now
    wait_cap = (
        max_wait
        if max_wait is not None
        else cfg.x_timeout + cfg.settle + cfg.backoff * (2**cfg.retries) * 1.5
    )
    runs = [Publishing(db, p, holder, cfg, account=name) for name, p in found.items()]
    outcomes: list[Outcome] = []
    try:
        while True:
            new: list[Outcome] = []
            for run in runs:
                lease.renew(db, holder, ttl=lease_ttl, name=run.lease_name)
                if not run.stopped() and not run.lease_lost:
                    new += run.run_due(until=started)
            outcomes += new
            going = [r for r in runs if not r.stopped() and not r.lease_lost]
            # Each account goes on to its next action, unless that is further than wait_cap.
            ahead = [n for r in going if (n := r.next_action_at(until=started)) is not None]
            ahead = [n for n in ahead if (n - now()).total_seconds() <= wait_cap]
            if not ahead:
                break
            delay = (min(ahead) - now()).total_seconds()
            if delay <= 0 and not new:
                break
            time.sleep(max(0.0, delay) + 0.01)
    finally:
        for name in found:
            lease.release(db, holder, name=lease.name_for(name))
    return PublishRun(
        outcomes=outcomes,
        stopped=stopped(db),
        waiting=waiting(db),
        unsettled=[p.id for p in queue.pending(db)],
        accounts={
            name: {"stopped": stopped(db, name), "waiting": waiting(db, name)}
            for name in accounts(db)
        },
    )
