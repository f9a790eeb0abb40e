"""Incidents the team is told about, and the outbox of messages to each notifier.

Owns the ``incidents`` and ``notifications`` tables (migration m006). :func:`conditions` reads
what is wrong right now from the database; :func:`sync` opens an incident for each new
condition and clears the ones that are over, and each opening and clearing puts one message
per notifier in the outbox, in the same transaction. The alerts worker
(:mod:`scheduler.alerts`) delivers the outbox and retries what failed, so an incident is told
once when it starts and once when it clears, whoever noticed it (the daemon, or
``campaign notify watch`` from cron), and a failing notifier loses nothing.

Every message names the campaign, the post and what to do, in plain words; reasons that come
from X pass through :func:`redact` so no credential can reach a notifier.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, show, to_db
from campaign.metadata import settings_for
from campaign.models import CampaignSettings
from campaign.notify import Target
from campaign.store import get_state, immediate
from posts import queue
from posts.queue import Reason
from scheduler import health, lease

ACCOUNT_KEY = re.compile(
    r"X_\w+_(API_KEY|API_SECRET|ACCESS_TOKEN|ACCESS_TOKEN_SECRET|BEARER_TOKEN)"
)
RECENT = timedelta(hours=24)  # failed or missed posts older than this are not news
UNKNOWN_ALERT = timedelta(minutes=2)  # a post unsettled this long is an incident
LONG_429 = timedelta(minutes=15)  # a collection rate-limit wait this long is an incident
RETRY_FIRST = 30.0  # seconds before a failed delivery is tried again, doubled up to …
RETRY_CAP = 30 * 60.0  # … half an hour
SECRET_VARS = (
    "X_API_KEY",
    "X_API_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET",
    "X_BEARER_TOKEN",
    "CAMPAIGN_WEB_PASSWORD",
)

# kind -> the title of its message
TITLES = {
    "publishing_stopped": "Publishing to X has stopped",
    "x_unreachable": "X cannot be reached",
    "post_failed": "A post failed",
    "post_missed": "A post was missed",
    "post_unknown": "A post's fate is unclear",
    "no_daemon": "No daemon is running and a post is due soon",
    "collect_stopped": "Collecting the conversation has stopped",
    "daily_cap": "The daily cap is reached",
    "database": "The database cannot be written",
    "test": "Test message",
}


@dataclass(frozen=True)
class Condition:
    """Something wrong now: its kind and subject (a post id, or ''), and what to say."""

    kind: str
    subject: str
    summary: str
    advice: str
    post_id: int | None = None
    news: bool = True  # False: still true, but too old to open an incident for now

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.subject)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """``text`` with the value of every credential variable masked."""
    env = os.environ if environ is None else environ
    # Another account's keys too (X_EVENTS_API_KEY …: campaign.accounts.variable).
    names = [*SECRET_VARS, *(k for k in env if ACCOUNT_KEY.fullmatch(k))]
    for name in names:
        value = env.get(name, "")
        if len(value) >= 4:
            text = text.replace(value, "•••")
    return text


# -- what is wrong now ---------------------------------------------------------------------


def _post_line(db: sqlite_utils.Database, post_id: int, tz: str) -> tuple[str, str]:
    post = queue.find(db, post_id)
    if post is None:
        return f"post {post_id}", ""
    first = post.text.splitlines()[0] if post.text else ""
    short = first if len(first) <= 70 else first[:69] + "…"
    return f"post {post_id} (“{short}”)", show(post.scheduled_at, tz)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def conditions(
    db: sqlite_utils.Database, at: datetime | None = None, *, in_daemon: bool = False
) -> list[Condition]:
    """Every condition the team must hear about, as the database shows it at ``at``.

    ``in_daemon``: asked by a running daemon, which is a daemon even while its lease lapses
    (a full disk stops its heartbeat): "no daemon is running" is then never true."""
    from scheduler.publish import DEFAULT_ACCOUNT, cap_until, stops

    at = at or now()
    s = settings_for(db)
    tz = s.timezone
    found: list[Condition] = []
    for account, stop in stops(db).items():
        # The default account's incident keeps its subject ""; another's is the account.
        subject, of, option = "", "", ""
        if account != DEFAULT_ACCOUNT:
            subject, of, option = account, f" for account {account}", f" --account {account}"
        fix = {
            "locked": "X locked the campaign account: log in to it in the X app or on x.com and "
            "follow X's steps to unlock it (new keys do not help).",
            "suspended": "X suspended the campaign account: its owner must appeal in the X app "
            "or at help.x.com and wait until X lifts it (new keys do not help).",
        }.get(
            str(stop.get("account_state")),
            "Set the variables it names in the daemon's environment or credentials file and "
            "restart the daemon."
            if stop.get("missing_credentials")
            else "If X locked or suspended the account, unlock it on x.com. If the keys were "
            "revoked or changed, put the new keys in the daemon's credentials file and "
            "restart the daemon.",
        )
        found.append(
            Condition(
                "publishing_stopped",
                subject,
                f"Publishing{of} stopped at {show(stop.get('at'), tz)}: "
                f"{redact(health.stop_reason(stop))}. "
                "Nothing will be sent until it is resumed.",
                f"{fix} Then press Resume publishing on the console's status page "
                f"(or run `campaign resume{option}`). Approved posts wait meanwhile; posts more "
                f"than {s.overdue_limit_minutes} minutes late are marked missed."
                + (" The other accounts keep publishing." if subject else ""),
            )
        )
    u = health.unreachable(db)
    if u is not None and at - from_db(str(u["since"])) >= health.UNREACHABLE_ALERT:
        found.append(
            Condition(
                "x_unreachable",
                "",
                f"The daemon has not been able to reach X since {show(u['since'], tz)} "
                f"({u.get('count', 1)} tries; the last: {redact(str(u.get('detail', '')))}).",
                "Check that this machine is online (its network, a proxy or firewall). The "
                "daemon keeps trying on its own, less often as time goes on, and sends the "
                "waiting posts in order as soon as X answers: nothing is sent twice. Posts "
                f"more than {s.overdue_limit_minutes} minutes late are marked missed.",
            )
        )
    found += _post_conditions(db, at, s)
    info = lease.running(db)
    if not in_daemon and info is None:
        due = queue.first_approved_between(
            db, at - timedelta(minutes=s.overdue_limit_minutes), at + health.DUE_SOON
        )
        if due is not None:
            what, when = _post_line(db, due.id, tz)
            found.append(
                Condition(
                    "no_daemon",
                    "",
                    f"{_cap(what)} is approved for {when}, but no daemon is running, "
                    "so it will not go out.",
                    "Start the daemon on the campaign machine: `sudo systemctl start "
                    "campaign-daemon` (or `campaign daemon`). `campaign status` shows when it "
                    "is running again.",
                    post_id=due.id,
                )
            )
    found += _collect_conditions(db, at, s)
    held = cap_until(db, s.daily_cap, at)
    if held is not None:
        waiting = queue.first_approved_between(db, None, at)
        if waiting is not None:
            what, _ = _post_line(db, waiting.id, tz)
            found.append(
                Condition(
                    "daily_cap",
                    "",
                    f"The daily cap of {s.daily_cap} posts in 24 hours is reached: {what} and "
                    f"any later ones wait until {show(held, tz)}.",
                    "Nothing is lost: they go out then. If they must go out sooner, raise "
                    "daily_cap in the campaign's YAML file and load it again (`campaign load "
                    "FILE`).",
                    post_id=waiting.id,
                )
            )
    return found


def _post_conditions(
    db: sqlite_utils.Database, at: datetime, s: CampaignSettings
) -> list[Condition]:
    tz = s.timezone
    found: list[Condition] = []
    # A post in trouble since before RECENT (say, before alerts were set up) is not news and
    # opens no incident; one whose incident is open stays open, with the words it was opened
    # with, until the post moves on. sync() reads only the keys of both, so their words are not
    # made again at every look (that kept an idle daemon over a season's campaigns busy).
    still_open = {(r["kind"], r["subject"]) for r in open_incidents(db)}
    for trouble in queue.in_trouble(db, at - UNKNOWN_ALERT):
        post_id, status = trouble.id, trouble.status
        news = trouble.updated_at >= at - RECENT
        if not news or (f"post_{status}", str(post_id)) in still_open:
            found.append(Condition(f"post_{status}", str(post_id), "", "", post_id, news))
            continue
        post = queue.find(db, post_id)
        if post is None:
            continue
        last_error = post.last_error
        what, when = _post_line(db, post_id, tz)
        reason = redact(str(last_error or "")).rstrip(".")
        if status == "failed" and post.reason in (Reason.REPLY_TARGET_GONE, Reason.REPLIES_LIMITED):
            summary = f"{_cap(what)}, due {when}, failed: {reason}."
            advice = (
                "X will refuse this reply again whatever it says: cancel it (`campaign posts "
                f"cancel {post_id}`), or say it in a new post (`campaign posts add`)."
            )
        elif status == "failed":
            summary = f"{_cap(what)}, due {when}, failed: {reason}."
            advice = (
                "Open it on the console (or `campaign posts show "
                f"{post_id}`), change what X refused, and approve it again; or cancel it."
            )
        elif status == "missed":
            summary = f"{_cap(what)}, due {when}, was not sent: {reason}."
            advice = (
                f"If it still matters, give it a new time and approve it again (`campaign posts "
                f"edit {post_id} --at WHEN`, then `campaign posts approve {post_id}`); or cancel it."
            )
        else:
            summary = (
                f"{_cap(what)}, due {when}, may have gone out, but X's answer was lost "
                f"and it could not be checked yet ({reason})."
            )
            advice = (
                "Nothing is sent again until the daemon has found out from the account's own "
                "timeline. Look at the account on x.com: if the post is there, there is nothing "
                "to do."
            )
        found.append(Condition(f"post_{status}", str(post_id), summary, advice, post_id))
    return found


def _collect_conditions(
    db: sqlite_utils.Database, at: datetime, s: CampaignSettings
) -> list[Condition]:
    import json

    tz = s.timezone
    raw = get_state(db, "collect_last_error")
    if raw:
        try:
            message = str(json.loads(raw).get("message", raw))
        except (ValueError, AttributeError):
            message = raw
        lowered = message.lower()
        if "401" in lowered or "auth" in lowered or "credential" in lowered or "token" in lowered:
            advice = (
                "X refused the keys used to search. Check X_BEARER_TOKEN in the daemon's "
                "credentials file, then restart the daemon. Publishing goes on meanwhile."
            )
        else:
            advice = (
                "The daemon tries again at the next collection on its own; publishing goes "
                "on meanwhile. If it goes on failing, look at the daemon's log "
                "(`journalctl -u campaign-daemon`)."
            )
        return [
            Condition(
                "collect_stopped",
                "",
                f"Collecting the conversation under {s.hashtag} failed: {redact(message)}.",
                advice,
            )
        ]
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'collect_runs'"
    ).fetchone()
    if not exists:
        return []
    from scheduler.collect import read_budget

    budget = read_budget(db, s, at)
    if budget.until is not None:
        return [
            Condition(
                "collect_stopped",
                "",
                f"Collecting under {s.hashtag} is paused: the daily read budget of "
                f"{budget.limit:,} posts is used up until {show(budget.until, tz)}.",
                "It starts again by itself then. To collect more, raise "
                "collect_max_reads_per_day in the campaign's YAML file and load it again "
                "(`campaign load FILE`); every post read costs money on X.",
            )
        ]
    row = db.execute(
        "SELECT status, rate_reset_at, started_at FROM collect_runs ORDER BY rowid DESC LIMIT 1"
    ).fetchone()
    if row and row[0] == "rate-limited" and row[1] and row[2]:
        reset = from_db(row[1])
        if reset > at and reset - from_db(row[2]) >= LONG_429:
            return [
                Condition(
                    "collect_stopped",
                    "",
                    f"X is limiting searches: collecting under {s.hashtag} waits until "
                    f"{show(reset, tz)}.",
                    "It starts again by itself then. If this happens often, collect less "
                    "often (collect_every_minutes in the campaign's YAML file).",
                )
            ]
    return []


# -- incidents and the outbox ----------------------------------------------------------------


def _campaign_line(db: sqlite_utils.Database) -> str:
    s = settings_for(db)
    return f"Campaign: {s.name} ({s.hashtag})"


def message(
    db: sqlite_utils.Database, kind: str, summary: str, advice: str, *, cleared: bool = False
) -> tuple[str, str]:
    """The title and body of one message about an incident."""
    name = settings_for(db).name
    title = TITLES.get(kind, kind)
    if cleared:
        return (
            f"Resolved — {name}: {title}",
            f"{_campaign_line(db)}\nResolved at {show(now(), settings_for(db).timezone)}: "
            f"this is over.\nIt was: {summary}\nNothing more to do.",
        )
    return f"{name}: {title}", f"{_campaign_line(db)}\n{summary}\nWhat to do: {advice}"


def enqueue(
    db: sqlite_utils.Database,
    targets: Sequence[Target],
    title: str,
    body: str,
    *,
    event: str,
    incident_id: int | None = None,
) -> int:
    """One outbox row per notifier (the caller may hold the transaction); how many."""
    stamp = to_db(now())
    for t in targets:
        db.execute(
            "INSERT INTO notifications (incident_id, event, target, label, title, body, "
            "created_at, next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [incident_id, event, t.id, t.label, title, body, stamp, stamp],
        )
    return len(targets)


def open_incidents(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The incidents not cleared yet, oldest first."""
    return list(
        db.query(
            "SELECT id, kind, subject, post_id, summary, advice, opened_at FROM incidents "
            "WHERE cleared_at IS NULL ORDER BY id"
        )
    )


def sync(
    db: sqlite_utils.Database,
    found: Iterable[Condition],
    targets: Sequence[Target],
    *,
    kinds: Iterable[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Open an incident for each new condition and clear the open ones (of ``kinds``, default
    all but ``database``) that are no longer found; returns the kinds opened and cleared."""
    wanted = {c.key: c for c in found}
    managed = set(kinds) if kinds is not None else set(TITLES) - {"database", "test"}
    opened: list[str] = []
    cleared: list[str] = []
    with immediate(db):
        current = {(r["kind"], r["subject"]): r for r in open_incidents(db)}
        for key, c in wanted.items():
            if key in current or not c.news:
                continue
            cur = db.execute(
                "INSERT INTO incidents (kind, subject, post_id, summary, advice, opened_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [c.kind, c.subject, c.post_id, c.summary, c.advice, to_db(now())],
            )
            title, body = message(db, c.kind, c.summary, c.advice)
            enqueue(db, targets, title, body, event="opened", incident_id=cur.lastrowid)
            opened.append(c.kind)
        for key, row in current.items():
            if key in wanted or row["kind"] not in managed:
                continue
            db.execute(
                "UPDATE incidents SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL",
                [to_db(now()), row["id"]],
            )
            title, body = message(db, row["kind"], row["summary"], "", cleared=True)
            enqueue(db, targets, title, body, event="cleared", incident_id=row["id"])
            cleared.append(row["kind"])
    return opened, cleared


@dataclass(frozen=True)
class Pending:
    """One outbox row due for delivery."""

    id: int
    target: str
    label: str
    title: str
    body: str
    attempts: int
    next_try_at: str


SENDING = timedelta(minutes=2)  # a claimed message not marked by then is tried again


def claim(db: sqlite_utils.Database, pending: Pending) -> bool:
    """Take ``pending`` for sending, so that another process delivering the outbox at the same
    time (the daemon and `campaign notify watch`) does not send it too; False if it took it."""
    cur = db.execute(
        "UPDATE notifications SET next_try_at = ? WHERE id = ? AND next_try_at = ? "
        "AND sent_at IS NULL",
        [to_db(now() + SENDING), pending.id, pending.next_try_at],
    )
    return cur.rowcount == 1


def due(db: sqlite_utils.Database, limit: int = 50) -> list[Pending]:
    """Undelivered messages whose time to be tried has come, oldest first."""
    rows = db.execute(
        "SELECT id, target, label, title, body, attempts, next_try_at FROM notifications "
        "WHERE sent_at IS NULL AND next_try_at <= ? ORDER BY id LIMIT ?",
        [to_db(now()), limit],
    ).fetchall()
    return [Pending(*r) for r in rows]


def next_due_at(db: sqlite_utils.Database) -> datetime | None:
    """When the next undelivered message is to be tried."""
    row = db.execute("SELECT min(next_try_at) FROM notifications WHERE sent_at IS NULL").fetchone()
    return from_db(row[0]) if row and row[0] else None


def mark_sent(db: sqlite_utils.Database, notification_id: int) -> None:
    db.execute(
        "UPDATE notifications SET sent_at = ?, attempts = attempts + 1, last_error = NULL "
        "WHERE id = ?",
        [to_db(now()), notification_id],
    )


def retry_delay(attempts: int) -> timedelta:
    """How long after the ``attempts``-th failed delivery to try again (doubling, capped)."""
    return timedelta(seconds=min(RETRY_CAP, RETRY_FIRST * 2 ** max(0, attempts - 1)))


def mark_failed(db: sqlite_utils.Database, pending: Pending, error: str) -> datetime:
    """Record a failed delivery; when it is tried again."""
    attempts = pending.attempts + 1
    again = now() + retry_delay(attempts)
    db.execute(
        "UPDATE notifications SET attempts = ?, next_try_at = ?, last_error = ? WHERE id = ?",
        [attempts, to_db(again), error, pending.id],
    )
    return again


def sent(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every message, oldest first (for tests and `campaign notify list`)."""
    return list(
        db.query(
            "SELECT id, incident_id, event, label, title, body, attempts, sent_at, last_error "
            "FROM notifications ORDER BY id"
        )
    )
