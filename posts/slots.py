"""Queue slots: the account's fixed posting times (``queue_slots`` on ``queue_days``, local),
filled in order as Buffer's queue does. ``posts add --next-slot`` and the console's "Add to
queue" take the first slot from now on that no post still to go out (or gone out) holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from campaign.clock import now, zone
from campaign.errors import CampaignError
from campaign.fields import WEEKDAYS
from campaign.models import CampaignSettings
from posts import queue

HORIZON_DAYS = 366  # a year of slots; none free in a year is a full queue
# A slot this close is not offered: a person needs a moment to read the post before it goes.
LEAD = timedelta(minutes=5)


def slots_between(settings: CampaignSettings, start: datetime, end: datetime) -> list[datetime]:
    """The slot times from ``start`` to ``end`` (aware), in order, in UTC."""
    tz = zone(settings.timezone)
    days = {WEEKDAYS.index(d) for d in settings.queue_days}
    out: list[datetime] = []
    day = start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        if day.weekday() in days:
            for t in settings.queue_slots:
                local = datetime.combine(day, t, tz)
                if local.astimezone(UTC).astimezone(tz).time() != t:
                    continue  # the clocks skip this time that day (daylight saving starts)
                at = local.astimezone(UTC)
                if start <= at < end:
                    out.append(at)
        day += timedelta(days=1)
    return out


def next_free(
    db: sqlite_utils.Database, settings: CampaignSettings, after: datetime | None = None
) -> datetime:
    """The first queue slot after ``after`` (now, plus a short lead) that no post holds."""
    if not settings.queue_slots or not settings.queue_days:
        raise CampaignError(
            "the campaign has no queue slots: set queue_slots (e.g. ['09:30', '12:00']) and "
            "queue_days in its YAML, or give the post a time with --at"
        )
    start = (after or now()) + LEAD
    end = start + timedelta(days=HORIZON_DAYS)
    taken = {p.scheduled_at for p in queue.between(db, start, end) if p.status != "cancelled"}
    for at in slots_between(settings, start, end):
        if at not in taken:
            return at
    raise CampaignError(
        f"every queue slot of the next {HORIZON_DAYS} days is taken: add slots (queue_slots, "
        "queue_days) or give the post a time with --at"
    )
