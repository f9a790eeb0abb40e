"""Reading how our posts did from X: ``GET /2/tweets?ids=`` for up to 100 posts a lookup, so n
posts take ceil(n/100) lookups (issue 11).

Each post read is billed by X like a collected one and counts against the campaign's daily read
budget (``collect_max_reads_per_day``, :func:`scheduler.collect.read_budget`): a lookup that would
go over it is not sent. Where X allows it (user context, the account's own posts under 30 days
old) the same lookup reads the non-public counts too (link and profile clicks); X's refusal of
those for a post is data, and the post's public counts are still kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.models import CampaignSettings
from posts import metrics
from posts.cost import read_cost
from posts.queue import Post
from scheduler.collect import read_budget

LOOKUP_SIZE = 100  # X's most ids in one GET /2/tweets


class MetricsClient(Protocol):
    """What reading metrics needs of :class:`scheduler.xclient.XClient`."""

    def tweet_metrics(self, ids: list[str], *, non_public: bool = False) -> Any: ...


@dataclass
class MetricsRun:
    """What one reading did: ``status`` done, or budget (the read budget stopped it)."""

    status: str = "done"
    lookups: int = 0
    read: int = 0  # posts read (billed)
    stored: int = 0
    missing: list[int] = field(default_factory=list)  # posts X no longer has
    private_refused: int = 0  # posts X refused the non-public counts of
    cost: Decimal = Decimal(0)
    budget_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "lookups": self.lookups,
            "read": self.read,
            "stored": self.stored,
            "missing": self.missing,
            "private_refused": self.private_refused,
            "cost_usd": str(self.cost),
            "budget_until": to_db(self.budget_until) if self.budget_until else None,
        }


def read_metrics(
    db: sqlite_utils.Database,
    client: MetricsClient,
    settings: CampaignSettings,
    posts: Sequence[Post],
    *,
    non_public: bool = True,
) -> MetricsRun:
    """Read and store the metrics of ``posts`` (published ones, with a tweet id) in lookups of
    100; ``non_public``: ask for the non-public counts too (needs user context)."""
    run = MetricsRun()
    todo = [p for p in posts if p.tweet_id]
    for i in range(0, len(todo), LOOKUP_SIZE):
        chunk = todo[i : i + LOOKUP_SIZE]
        budget = read_budget(db, settings, need=len(chunk))
        if budget.exhausted:
            run.status, run.budget_until = "budget", budget.until
            break
        page = client.tweet_metrics([str(p.tweet_id) for p in chunk], non_public=non_public)
        run.lookups += 1
        at = from_db(to_db(now()))
        by_id = {str(t["id"]): t for t in page.tweets}
        refused = {
            str(e.get("resource_id") or e.get("value"))
            for e in page.errors
            if e.get("field") == "non_public_metrics"
        }
        run.private_refused += len(refused)
        found: list[metrics.Reading] = []
        for post in chunk:
            tweet = by_id.get(str(post.tweet_id))
            if tweet is None or "public_metrics" not in tweet:
                run.missing.append(post.id)
                continue
            found.append(
                metrics.Reading.from_x(
                    post.id, at, tweet["public_metrics"], tweet.get("non_public_metrics")
                )
            )
        run.read += len(found)
        run.stored += metrics.record(db, found)
    run.cost = read_cost(run.read, settings)
    return run


def read_due(
    db: sqlite_utils.Database, client: MetricsClient, settings: CampaignSettings
) -> MetricsRun:
    """The daemon's reading: the posts whose 1 h, 24 h or 7 day checkpoint has passed."""
    return read_metrics(db, client, settings, metrics.due(db, now()))
