"""Times: UTC in the database, the campaign's zone on screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.clock import EARLIEST, LATEST, from_db, parse_when, show, to_db
from campaign.errors import CampaignError


@given(
    st.datetimes(
        timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 30)
    )
)
def test_db_round_trip_keeps_the_instant_to_the_millisecond(dt: datetime) -> None:
    """A time stored and read back is the same instant, to the millisecond."""
    back = from_db(to_db(dt))
    assert abs(back - dt) < timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("0001-01-01T00:00:00.000+00:00", EARLIEST),
        ("1999-12-31T23:59:59.999+00:00", EARLIEST),
        ("9999-12-31T23:59:59.999+00:00", LATEST),
    ],
)
def test_impossible_stored_times_are_read_clamped(stored: str, read: datetime) -> None:
    """A time before 2000 or after 2999 left by an older version reads as the nearest bound,
    so it can be shown in any zone."""
    assert read == from_db(stored)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
)
def test_stored_text_sorts_like_time(a: datetime, b: datetime) -> None:
    """Stored text orders the same way as the instants (millisecond precision)."""
    a, b = from_db(to_db(a)), from_db(to_db(b))
    assert (a < b) == (to_db(a) < to_db(b))


def test_naive_datetime_is_never_stored() -> None:
    """Storing a time without a zone is a programming error, caught at once."""
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 12, 6, 10, 0))


def test_parse_when_with_offset() -> None:
    """An ISO time with an offset is read as that instant."""
    assert datetime(2026, 12, 6, 15, 0, tzinfo=UTC) == parse_when("2026-12-06T10:00-05:00")


def test_parse_when_without_offset_uses_the_campaign_zone() -> None:
    """A time without an offset is read in the campaign's zone, across DST correctly."""
    assert datetime(2026, 12, 6, 15, 0, tzinfo=UTC) == parse_when(
        "2026-12-06 10:00", "America/New_York"
    )
    assert datetime(2026, 7, 6, 14, 0, tzinfo=UTC) == parse_when(
        "2026-07-06T10:00", "America/New_York"
    )


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01T10:00+00:00", ""])
def test_parse_when_refuses_unreadable_times(text: str) -> None:
    """An unreadable time is refused with an example of the right form."""
    with pytest.raises(CampaignError, match="2026-12-06T09:00-05:00"):
        parse_when(text)


def test_parse_when_without_offset_or_zone_is_refused() -> None:
    """Without an offset and without a campaign zone, the time is ambiguous and refused."""
    with pytest.raises(CampaignError, match="no UTC offset"):
        parse_when("2026-12-06T10:00")


def test_show_uses_the_campaign_zone() -> None:
    """Times are shown in the campaign's zone with its abbreviation."""
    dt = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    assert "2026-12-06 10:00 EST" == show(dt, "America/New_York")
    assert "2026-12-06 10:00 EST" == show(to_db(dt), "America/New_York")
    assert "" == show(None, "UTC")


def test_unknown_zone_is_a_clear_error() -> None:
    """An unknown zone name is refused with an example of a valid one."""
    with pytest.raises(CampaignError, match="America/New_York"):
        show(datetime(2026, 1, 1, tzinfo=UTC), "Mars/Olympus")
