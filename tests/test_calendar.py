"""`campaign calendar`: the schedule as an agenda by local day, or as an iCalendar file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine
from click.testing import Result
from icalendar import Calendar

from campaign.metadata import save
from campaign.models import CampaignSettings, Event, Metadata
from posts import editing, queue

Run = Callable[..., Result]
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
TAG = "#PolicingInConflict"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    """Every test here runs at NOW."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def new_york(db: sqlite_utils.Database) -> Metadata:
    """A loaded campaign in New York time."""
    md = Metadata(
        campaign=CampaignSettings(name="Policing in Conflict", timezone="America/New_York"),
        event=Event(title="Panel", start=datetime(2026, 12, 8, 14, 0, tzinfo=UTC)),
    )
    save(db, md, None)
    return md


def post(db: sqlite_utils.Database, text: str, at: datetime, *, approve: bool = False) -> int:
    return editing.add(db, text, at, actor="cli:tester", approve=approve).id


def events(path: Path) -> list[Any]:
    """The VEVENTs of an .ics file, parsed back with icalendar."""
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_ics_has_one_event_per_post_not_cancelled(
    run: Run, db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """The export parses back, with one 5-minute event per post that is not cancelled, in UTC."""
    times = [NOW + timedelta(days=d, hours=h) for d, h in ((1, 0), (2, 3), (3, 5))]
    ids = [post(db, f"Post {i}", t) for i, t in enumerate(times)]
    editing.approve(db, [ids[0]], actor="cli:tester")
    editing.cancel(db, [ids[2]], actor="cli:tester")
    result = run("calendar", "--ics", tmp_path / "plan.ics")
    assert (0, f"Wrote 2 posts to {tmp_path / 'plan.ics'}\n") == (result.exit_code, result.stdout)
    found = events(tmp_path / "plan.ics")
    assert [(t, t + timedelta(minutes=5)) for t in times[:2]] == [
        (e.decoded("dtstart"), e.decoded("dtend")) for e in found
    ]
    assert all(e.decoded("dtstart").utcoffset() == timedelta(0) for e in found)
    assert [
        (f"manual: Post 0 {TAG}", f"Post 0 {TAG}\n\nStatus: approved", "CONFIRMED"),
        (f"manual: Post 1 {TAG}", f"Post 1 {TAG}\n\nStatus: draft", "TENTATIVE"),
    ] == [(str(e["summary"]), str(e["description"]), str(e["status"])) for e in found]


def test_ics_summary_is_kind_and_first_words(
    run: Run, db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """A long post's summary is its kind and first eight words; the description has it all."""
    text = "one two three four five six seven eight nine ten"
    post(db, text, NOW + timedelta(days=1))
    run("calendar", "--ics", tmp_path / "c.ics")
    (event,) = events(tmp_path / "c.ics")
    assert "manual: one two three four five six seven eight…" == str(event["summary"])
    assert str(event["description"]).startswith(f"{text} {TAG}\n\nStatus: draft")


def test_ics_uids_are_stable_so_reimports_update(
    run: Run, db: sqlite_utils.Database, tmp_path: Path, new_york: Metadata
) -> None:
    """Exporting again after an edit keeps each post's UID and raises its SEQUENCE."""
    first = post(db, "Moves later", NOW + timedelta(days=1))
    post(db, "Stays", NOW + timedelta(days=2))
    run("calendar", "--ics", tmp_path / "a.ics")
    later = NOW + timedelta(days=1, hours=2)
    editing.edit(db, first, actor="cli:tester", at=later)
    run("calendar", "--ics", tmp_path / "b.ics")
    before, after = events(tmp_path / "a.ics"), events(tmp_path / "b.ics")
    assert [str(e["uid"]) for e in before] == [str(e["uid"]) for e in after]
    assert [
        "post-1.policing-in-conflict@campaign-tool",
        "post-2.policing-in-conflict@campaign-tool",
    ] == [str(e["uid"]) for e in after]
    assert later == after[0].decoded("dtstart")
    assert int(after[0]["sequence"]) == int(before[0]["sequence"]) + 1
    assert int(after[1]["sequence"]) == int(before[1]["sequence"])


def test_ics_of_a_published_post_names_the_tweet(
    run: Run, db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """A published post's event says so and carries its tweet id."""
    post_id = post(db, "Out", NOW + timedelta(minutes=1), approve=True)
    queue.transition(db, post_id, "approved", "publishing", "daemon:test")
    queue.transition(db, post_id, "publishing", "published", "daemon:test", tweet_id="42")
    run("calendar", "--ics", tmp_path / "c.ics")
    (event,) = events(tmp_path / "c.ics")
    assert f"Out {TAG}\n\nStatus: published\nTweet id: 42" == str(event["description"])


def test_ics_to_stdout(run: Run, db: sqlite_utils.Database) -> None:
    """`--ics -` writes the calendar itself to stdout."""
    post(db, "On stdout", NOW + timedelta(days=1))
    result = run("calendar", "--ics", "-")
    assert 0 == result.exit_code
    (event,) = Calendar.from_ical(result.stdout_bytes).walk("VEVENT")
    assert NOW + timedelta(days=1) == event.decoded("dtstart")


def test_ics_in_a_missing_folder_is_an_error(run: Run, tmp_path: Path) -> None:
    """Writing into a folder that does not exist is one clear error line, exit 2."""
    assert 0 == run("init").exit_code
    result = run("calendar", "--ics", tmp_path / "nowhere" / "c.ics")
    assert 2 == result.exit_code
    assert (
        f"Error: cannot write {tmp_path / 'nowhere' / 'c.ics'}: the folder "
        f"{tmp_path / 'nowhere'} does not exist; create it first\n"
    ) == result.stderr


def test_agenda_groups_by_local_day(
    run: Run, db: sqlite_utils.Database, new_york: Metadata
) -> None:
    """The agenda puts each post under its day in the campaign's zone, with the local time."""
    evening = post(db, "Evening in New York", datetime(2026, 12, 7, 3, 30, tzinfo=UTC))
    morning = post(db, "Morning", datetime(2026, 12, 6, 14, 0, tzinfo=UTC), approve=True)
    result = run("calendar")
    assert 0 == result.exit_code
    assert (
        f"Policing in Conflict {TAG}: times in America/New_York\n"
        "\n"
        "Sunday 6 December 2026\n"
        f"  09:00  #{morning:<4} approved   manual        Morning {TAG}\n"
        f"  22:30  #{evening:<4} draft      manual        Evening in New York {TAG}\n"
        "\n"
        "2 posts; first 2026-12-06 09:00 EST, last 2026-12-06 22:30 EST\n"
    ) == result.stdout


def test_days_limits_to_today_and_the_next(run: Run, db: sqlite_utils.Database) -> None:
    """`--days 2` shows today and tomorrow (local days), in both the agenda and the export."""
    post(db, "Yesterday", NOW - timedelta(days=1))
    post(db, "Today", NOW + timedelta(hours=1))
    post(db, "Tomorrow", NOW + timedelta(days=1))
    post(db, "Later", NOW + timedelta(days=2))
    agenda = run("calendar", "--days", "2").stdout
    assert ["Today", "Tomorrow"] == [
        w for w in ("Yesterday", "Today", "Tomorrow", "Later") if f" {w} " in agenda
    ]
    result = run("calendar", "--days", "2", "--ics", "two.ics")
    assert "Wrote 2 posts to two.ics\n" == result.stdout
    assert 2 == len(events(Path("two.ics")))


def test_days_must_be_positive(run: Run) -> None:
    """`--days 0` is refused with what to write instead."""
    assert 0 == run("init").exit_code
    result = run("calendar", "--days", "0")
    assert (2, "Error: --days must be 1 or more (1 is today), not 0\n") == (
        result.exit_code,
        result.stderr,
    )


def test_empty_agenda_says_what_to_do(run: Run) -> None:
    """An empty schedule says where posts come from."""
    assert 0 == run("init").exit_code
    assert (
        "Nothing scheduled: see `campaign posts list` or run `campaign plan`.\n"
        == run("calendar").stdout
    )
