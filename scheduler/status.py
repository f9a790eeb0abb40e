"""What ``campaign status`` shows: one snapshot of the publisher, read from the database only.

:func:`snapshot` is exactly what ``campaign status --json`` prints.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.metadata import settings_for
from campaign.metadata.store import campaigns
from campaign.models import CampaignSettings
from campaign.store import get_state
from posts import queue
from posts.cost import COMMITTED, dollars, estimate_tallied, read_cost, unit
from posts.queue import PostStatus
from scheduler import lease
from scheduler.health import unreachable
from scheduler.incidents import open_incidents
from scheduler.publish import (
    DEFAULT_ACCOUNT,
    account_campaign_ids,
    accounts,
    cap_until,
    stopped,
    waiting,
)

LAST_ERRORS = 10


def _counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {str(status): n for status, n in queue.counts(db).items()}


def _next_due(db: sqlite_utils.Database) -> dict[str, Any] | None:
    post = queue.next_due(db)
    if post is None:
        return None
    return {
        "id": post.id,
        "scheduled_at": to_db(post.scheduled_at),
        "text": post.text,
        "reply_to": post.reply_to_post_id,
    }


def _last_errors(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [e.to_json() for e in queue.last_troubles(db, LAST_ERRORS)]


def _last_collection(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The newest row of the collector's ``collect_runs`` table, if it exists."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'collect_runs'"
    ).fetchone()
    if not exists:
        return None
    cur = db.execute("SELECT * FROM collect_runs ORDER BY rowid DESC LIMIT 1")
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cur.description], row, strict=True))


def snapshot(db: sqlite_utils.Database) -> dict[str, Any]:
    """The publisher's state: lease and heartbeat, next post, counts, errors, stops and holds."""
    current = now()
    settings = settings_for(db)
    info = lease.running(db) or lease.current(db)
    daemon = info.to_json() if info is not None else None

    caps = {name: _daily_cap(db, name, settings.daily_cap, current) for name in accounts(db)}
    account_of = {c.id: c.account for c in campaigns(db)}
    held: list[dict[str, Any]] = []
    waiting_for_parent: list[dict[str, Any]] = []
    for post in queue.due(db, current, limit=200):
        cap = caps.get(
            account_of.get(post.campaign_id, DEFAULT_ACCOUNT)
            if post.campaign_id is not None
            else DEFAULT_ACCOUNT,
            caps[DEFAULT_ACCOUNT],
        )
        held_until = from_db(cap["held_until"]) if cap["held_until"] else None
        parent = queue.parent(db, post)
        parent_status, parent_tweet = parent.status, parent.tweet_id
        if post.reply_to_post_id is not None and not (
            parent_status == PostStatus.PUBLISHED and parent_tweet
        ):
            waiting_for_parent.append(
                {
                    "id": post.id,
                    "parent_id": post.reply_to_post_id,
                    "parent_status": parent_status,
                    "why": f"waits for post {post.reply_to_post_id} ({parent_status}) to be "
                    "published first",
                }
            )
        elif held_until is not None:
            held.append(
                {
                    "id": post.id,
                    "scheduled_at": to_db(post.scheduled_at),
                    "until": to_db(held_until),
                    "why": f"held by daily cap until {to_db(held_until)}",
                }
            )
    collect_error = _json_or_none(get_state(db, "collect_last_error"))
    return {
        "at": to_db(current),
        "daemon": daemon,
        "next_due": _next_due(db),
        "counts": _counts(db),
        "last_errors": _last_errors(db),
        "publishing_stopped": stopped(db),  # the default account's (each: "accounts")
        "accounts": _accounts(db, caps),
        "x_unreachable": unreachable(db),
        "incidents": open_incidents(db),
        "waiting": waiting(db),
        "daily_cap": caps[DEFAULT_ACCOUNT],  # the default account's (each: "accounts")
        "held_by_daily_cap": held,
        "waiting_for_parent": waiting_for_parent,
        "overdue_limit_minutes": settings.overdue_limit_minutes,
        "last_collection": _last_collection(db),
        "collect_last_error": collect_error,
        "cost": cost(db, settings, current),
    }


def _accounts(db: sqlite_utils.Database, caps: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each account's publishing: its lease (the daemon publishing for it), stop, wait and
    daily cap."""
    out = []
    for name in accounts(db):
        info = lease.current(db, lease.name_for(name))
        out.append(
            {
                "account": name,
                "daemon": info.to_json() if info is not None else None,
                "publishing_stopped": stopped(db, name),
                "waiting": waiting(db, name),
                "daily_cap": caps[name],
            }
        )
    return out


def _daily_cap(db: sqlite_utils.Database, account: str, cap: int, at: datetime) -> dict[str, Any]:
    """``account``'s daily cap as its publisher counts it: what its campaigns (and, for the
    default account, posts of no campaign) published in the 24 hours before ``at``."""
    ids = account_campaign_ids(db, account)
    unassigned = account == DEFAULT_ACCOUNT
    until = cap_until(db, cap, at, ids, unassigned)
    return {
        "cap": cap,
        "published_last_24h": queue.published_since(db, at - timedelta(hours=24), ids, unassigned),
        "held_until": to_db(until) if until else None,
    }


def cost(db: sqlite_utils.Database, settings: CampaignSettings, at: datetime) -> dict[str, Any]:
    """What the campaign costs on X at ``at``: ``spent`` (published posts), ``committed``
    (approved and on their way), ``reads`` (collected so far and our posts' metrics read, and the
    last 24 hours against the daily read budget). Dollars are strings with three decimals, e.g. ``"0.215"``."""
    from scheduler.collect import read_budget

    tallies = queue.tallies(db)  # counted in SQL; only texts with a dot are looked at

    def posts_in(*statuses: str) -> dict[str, Any]:
        return estimate_tallied(tallies, statuses, settings).to_json()

    has_runs = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'collect_runs'"
    ).fetchone()
    from posts.metrics import read_count

    total_reads = (
        int(db.execute("SELECT coalesce(sum(fetched), 0) FROM collect_runs").fetchone()[0])
        if has_runs
        else 0
    ) + read_count(db)  # and our posts' metrics, read one post a read (issue 11)
    budget = read_budget(db, settings, at) if has_runs else None
    limit = settings.collect_max_reads_per_day
    return {
        "spent": posts_in(PostStatus.PUBLISHED),
        "committed": posts_in(*COMMITTED),
        "reads": {
            "count": total_reads,
            "total_usd": unit(read_cost(total_reads, settings)),
            "last_24h": budget.used if budget else 0,
            "max_per_day": limit,
            "max_per_day_usd": unit(read_cost(limit, settings)) if limit is not None else None,
            "budget_until": to_db(budget.until) if budget and budget.until else None,
        },
        "prices": {
            "post": unit(dollars(settings.price_post)),
            "post_with_link": unit(dollars(settings.price_post_with_link)),
            "read": unit(dollars(settings.price_read)),
        },
    }


def _json_or_none(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"at": None, "message": raw}
