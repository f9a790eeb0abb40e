"""Time: the one module that owns conversions.

Aware datetimes everywhere; UTC ISO-8601 text in the database (fixed width, so text order is time
order); the campaign's zone on screen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaign.errors import CampaignError

__all__ = [
    "EARLIEST",
    "LATEST",
    "UTC",
    "from_db",
    "local",
    "now",
    "parse_when",
    "plausible",
    "show",
    "skipped",
    "to_db",
    "zone",
]


# The times a campaign can be about: nothing on X is older than 2000, nothing planned is later
# than 2999. Dates outside are refused (or clamped) on the way in, so every date stored can be
# shown, counted by day and moved a month either way without leaving what datetime can hold.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def plausible(dt: datetime) -> bool:
    """Whether ``dt`` (aware) lies between :data:`EARLIEST` and :data:`LATEST`."""
    return EARLIEST <= dt <= LATEST


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``America/New_York``), or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise CampaignError(
            f"unknown time zone {name!r}: use an IANA name such as 'America/New_York' or 'UTC'"
        ) from e


def to_db(dt: datetime) -> str:
    """``dt`` as stored: UTC, millisecond precision, e.g. ``2026-12-06T14:00:00.000+00:00``."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime cannot be stored; attach a time zone first")
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


def from_db(text: str) -> datetime:
    """A stored time back as an aware UTC datetime, within :data:`EARLIEST` ..
    :data:`LATEST`: an impossible one stored by an older version (year 1, year 9999) is
    clamped, so every report can still show it in any zone, count it by day and chart it."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return min(max(dt.astimezone(UTC), EARLIEST), LATEST)


def local(dt: datetime, tz: tzinfo | str) -> datetime:
    """``dt`` in the zone ``tz`` (a zone or its name)."""
    return dt.astimezone(zone(tz) if isinstance(tz, str) else tz)


def show(dt: datetime | str | None, tz: tzinfo | str) -> str:
    """A time as people read it in the campaign's zone: ``2026-12-06 09:00 EST``."""
    if dt is None:
        return ""
    if isinstance(dt, str):
        dt = from_db(dt)
    loc = local(dt, tz)
    return loc.strftime("%Y-%m-%d %H:%M %Z")


def parse_when(text: str, tz: tzinfo | str | None = None, *, strict: bool = False) -> datetime:
    """Parse a time a person typed: ISO 8601, e.g. ``2026-12-06T09:00-05:00``.

    Without an offset the time is read in ``tz`` (the campaign's zone) when given, else refused.
    ``strict`` also refuses a local time the clocks skip (daylight saving starts) or pass twice
    (it ends), instead of reading it as the earlier offset would.
    """
    raw = text.strip()
    try:
        dt = datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
    except ValueError as e:
        raise CampaignError(
            f"cannot read the time {text!r}: write it as ISO 8601 with an offset, "
            "e.g. 2026-12-06T09:00-05:00"
        ) from e
    if dt.tzinfo is None:
        if tz is None:
            raise CampaignError(
                f"the time {text!r} has no UTC offset: add one, e.g. 2026-12-06T09:00-05:00"
            )
        dt = dt.replace(tzinfo=zone(tz) if isinstance(tz, str) else tz)
        if strict:
            _refuse_unclear_local(text, dt)
    try:
        return dt.astimezone(UTC)
    except OverflowError as e:
        raise CampaignError(
            f"the time {text!r} is out of range: check the year, e.g. 2026-12-06T09:00"
        ) from e


def skipped(dt: datetime) -> bool:
    """Whether the local time of ``dt`` does not exist in its zone (the clocks skip it when
    daylight saving starts): it does not come back the same from UTC."""
    back = dt.replace(fold=0).astimezone(UTC).astimezone(dt.tzinfo)
    return back.replace(tzinfo=None) != dt.replace(tzinfo=None)


def _refuse_unclear_local(text: str, dt: datetime) -> None:
    """Refuse a naive local time that does not exist, or exists twice, in its zone."""
    try:
        first, second = dt.replace(fold=0).utcoffset(), dt.replace(fold=1).utcoffset()
        if first == second:
            return
        gap = skipped(dt)
    except OverflowError:
        return  # the caller says the year is out of range
    assert first is not None and second is not None
    wall = dt.replace(tzinfo=None)
    if gap:
        raise CampaignError(
            f"{text.strip()} does not exist in {dt.tzinfo} (the clocks skip that hour for "
            "daylight saving): pick a time outside the skipped hour"
        )
    raise CampaignError(
        f"{text.strip()} happens twice in {dt.tzinfo} (the clocks go back that night): add the "
        f"offset, {wall.isoformat(timespec='minutes')}{_offset(first)} for the first or "
        f"{wall.isoformat(timespec='minutes')}{_offset(second)} for the second"
    )


def _offset(td: timedelta) -> str:
    minutes = int(td.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
