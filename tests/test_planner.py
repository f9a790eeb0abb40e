"""The planner: cadence, posting window, gaps, daylight-saving changes, and safe re-runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.errors import RuleError
from campaign.models import Cadence, CampaignSettings, Event, Metadata, Publication, Speaker
from posts.planner import PlannedPost, apply, plan, refresh
from posts.queue import history, list_posts, move
from posts.rules import count_hashtag, duplicate_key

TAG = "#PolicingInConflict"
NY = "America/New_York"


def _md(
    start: datetime,
    *,
    tz: str = NY,
    speakers: int = 6,
    publications: int = 4,
    window: tuple[time, time] = (time(8), time(18)),
    gap: int = 30,
    cadence: Cadence | None = None,
) -> Metadata:
    return Metadata(
        campaign=CampaignSettings(
            name="Policing in Conflict",
            timezone=tz,
            window_start=window[0],
            window_end=window[1],
            min_gap_minutes=gap,
            tracking={"utm_source": "x"},
            cadence=cadence or Cadence(),
        ),
        event=Event(
            title="Policing in Conflict-Affected Settings",
            start=start,
            registration_url="https://www.usip.org/events/policing",
            url="https://www.usip.org/events/policing",
            description="Police play a vital role in restoring public security after conflict.",
        ),
        speakers=tuple(
            Speaker(
                f"s{i}", f"Speaker Number{i}", "Director", f"Organisation {i}", moderator=i == 0
            )
            for i in range(speakers)
        ),
        publications=tuple(
            Publication(
                f"p{i}",
                f"Report number {i} on policing",
                f"https://www.usip.org/publications/{i}",
                authors=("Jason Tower",),
                summary="A long summary of the report. " * 10,
            )
            for i in range(publications)
        ),
    )


SAMPLE = _md(datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo(NY)))


def _local(p: PlannedPost, tz: str = NY) -> datetime:
    return p.scheduled_at.astimezone(ZoneInfo(tz))


def test_sample_campaign_plans_at_least_twelve_valid_distinct_drafts() -> None:
    """Six speakers and four publications give 15 posts, each ≤ 280, hashtag once, none alike."""
    planned = plan(SAMPLE)
    assert 15 == len(planned)
    assert all(p.weighted_length <= 280 for p in planned)
    assert all(1 == count_hashtag(p.text, TAG) for p in planned)
    assert len(planned) == len({duplicate_key(p.text, TAG) for p in planned})
    assert len(planned) == len({p.source_key for p in planned})


def test_cadence_places_each_kind_relative_to_the_event() -> None:
    """Announcement 14 days out, reminders 7 and 1, starting at the start, recap the day after."""
    by_key = {p.source_key: _local(p) for p in plan(SAMPLE)}
    assert datetime(2026, 11, 22, 10, 0) == by_key["announcement"].replace(tzinfo=None)
    assert datetime(2026, 11, 29, 10, 0) == by_key["reminder:7"].replace(tzinfo=None)
    assert datetime(2026, 12, 5, 10, 0) == by_key["reminder:1"].replace(tzinfo=None)
    assert SAMPLE.event.start == by_key["starting"]
    assert datetime(2026, 12, 7, 10, 0) == by_key["recap"].replace(tzinfo=None)
    assert datetime(2026, 12, 8, 10, 0) == by_key["publication:p0"].replace(tzinfo=None)
    assert datetime(2026, 12, 14, 10, 0) == by_key["publication:p3"].replace(tzinfo=None)
    spot = sorted(v for k, v in by_key.items() if k.startswith("spotlight:"))
    assert datetime(2026, 11, 26).date() == spot[0].date()  # 10 days before
    assert datetime(2026, 12, 4).date() == spot[-1].date()  # 2 days before


def test_clashing_posts_are_pushed_later_by_the_gap() -> None:
    """The day-7 reminder and a spotlight on the same day are min_gap_minutes apart."""
    by_key = {p.source_key: _local(p) for p in plan(SAMPLE)}
    same_day = sorted(v for v in by_key.values() if v.date() == by_key["reminder:7"].date())
    assert [time(10, 0), time(10, 30)] == [v.time() for v in same_day]


def test_starting_now_is_at_the_start_even_outside_the_window() -> None:
    """An evening event still gets its "starting now" at the start; others stay in the window."""
    md = _md(datetime(2026, 12, 6, 19, 30, tzinfo=ZoneInfo(NY)))
    planned = plan(md)
    starting = next(p for p in planned if p.kind == "starting")
    assert md.event.start == starting.scheduled_at
    others = [_local(p).time() for p in planned if p.kind != "starting"]
    assert all(time(8) <= t <= time(18) for t in others)


def test_post_time_before_the_window_moves_to_its_start() -> None:
    """A 06:00 post time is moved to the window's 09:00 start."""
    md = _md(
        datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo(NY)),
        window=(time(9), time(17)),
        cadence=Cadence(post_time=time(6, 0)),
    )
    announcement = next(p for p in plan(md) if p.kind == "announcement")
    assert time(9, 0) == _local(announcement).time()


def test_full_day_spills_to_the_next_days_window() -> None:
    """When a day's window is full, the next post goes to the next day's window start."""
    md = _md(
        datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo(NY)),
        speakers=4,
        window=(time(9), time(10)),
        gap=60,
        cadence=Cadence(spotlight_days_before=(3, 3), reminder_days_before=()),
    )
    spots = sorted(_local(p) for p in plan(md) if p.kind == "spotlight")
    assert [datetime(2026, 12, 3, 10, 0), datetime(2026, 12, 4, 9, 0)] == [
        s.replace(tzinfo=None) for s in spots[:2]
    ]


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        # New York falls back on 1 November 2026: the campaign straddles the change.
        (NY, datetime(2026, 11, 3, 10, 0)),
        # London springs forward on 29 March 2026.
        ("Europe/London", datetime(2026, 3, 31, 10, 0)),
    ],
)
def test_wall_clock_times_survive_a_daylight_saving_change(tz: str, start: datetime) -> None:
    """Day-based posts are at 10:00 local on both sides of the change; UTC offsets differ."""
    md = _md(start.replace(tzinfo=ZoneInfo(tz)), tz=tz, speakers=2, publications=2)
    planned = plan(md)
    day_based = [p for p in planned if p.source_key in {"announcement", "recap", "reminder:1"}]
    assert all(time(10, 0) == _local(p, tz).time() for p in day_based)
    offsets = {_local(p, tz).utcoffset() for p in planned}
    assert 2 == len(offsets)


def test_nonexistent_local_time_moves_forward() -> None:
    """A 02:30 post time on the spring-forward day becomes 03:30 (it never happens at 02:30)."""
    md = _md(
        datetime(2026, 3, 22, 10, 0, tzinfo=ZoneInfo(NY)),
        window=(time(0), time(23, 59)),
        cadence=Cadence(announcement_days_before=14, post_time=time(2, 30)),
        speakers=0,
        publications=0,
    )
    announcement = next(p for p in plan(md) if p.kind == "announcement")
    assert datetime(2026, 3, 8, 7, 30, tzinfo=UTC) == announcement.scheduled_at


def test_post_that_cannot_fit_is_refused_naming_it() -> None:
    """A template result over 280 after the hashtag is refused with the post's name."""
    long_title = "A very long event title " * 12
    md = replace(SAMPLE, event=replace(SAMPLE.event, title=long_title))
    with pytest.raises(RuleError, match=r"announcement.*weighted characters"):
        plan(md)


zones = st.sampled_from([NY, "Europe/London", "Australia/Sydney", "UTC"])
dst_dates = st.sampled_from(
    [
        datetime(2026, 11, 2, 9, 0),
        datetime(2026, 3, 9, 8, 0),
        datetime(2026, 3, 30, 17, 30),
        datetime(2026, 10, 26, 12, 0),
        datetime(2026, 4, 6, 10, 0),
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=zones,
    start=dst_dates,
    speakers=st.integers(0, 8),
    publications=st.integers(0, 5),
    window_start=st.integers(6, 10),
    window_hours=st.integers(2, 10),
    gap=st.sampled_from([15, 30, 60, 90]),
    post_hour=st.integers(5, 20),
    spotlight=st.tuples(st.integers(4, 12), st.integers(1, 3)),
)
def test_plan_properties(
    tz: str,
    start: datetime,
    speakers: int,
    publications: int,
    window_start: int,
    window_hours: int,
    gap: int,
    post_hour: int,
    spotlight: tuple[int, int],
) -> None:
    """Whatever the zone and cadence: every post but "starting" is in the window, gaps hold, count is stable."""
    window = (time(window_start), time(window_start + window_hours))
    md = _md(
        start.replace(tzinfo=ZoneInfo(tz)),
        tz=tz,
        speakers=speakers,
        publications=publications,
        window=window,
        gap=gap,
        cadence=Cadence(post_time=time(post_hour), spotlight_days_before=spotlight),
    )
    planned = plan(md)
    assert 1 + 2 + speakers + 1 + 1 + publications == len(planned)
    for p in planned:
        if p.kind != "starting":
            assert window[0] <= _local(p, tz).time() <= window[1]
        assert p.scheduled_at.tzinfo is not None
    for a, b in combinations(planned, 2):
        assert abs(a.scheduled_at - b.scheduled_at) >= timedelta(minutes=gap)
    assert [p.source_key for p in planned] == [p.source_key for p in plan(md)]


# --- apply ---------------------------------------------------------------------------------


def _rows(db: sqlite_utils.Database) -> list[tuple[object, ...]]:
    return list(db.execute("SELECT * FROM posts ORDER BY id").fetchall())


def test_apply_creates_drafts_with_audit_rows(db: sqlite_utils.Database) -> None:
    """New posts are drafts, not hand-edited, each with a NULL → draft audit row by the planner."""
    result = apply(db, plan(SAMPLE))
    assert (15, 0, 0, 0) == (
        result.created,
        result.updated,
        result.unchanged,
        result.skipped_protected,
    )
    posts = list_posts(db)
    assert {"draft"} == {p.status for p in posts}
    assert not any(p.hand_edited for p in posts)
    trail = history(db, posts[0].id)
    assert [(None, "draft", "planner")] == [
        (h["from_status"], h["to_status"], h["actor"]) for h in trail
    ]


def test_second_run_changes_nothing(db: sqlite_utils.Database) -> None:
    """Planning again from the same metadata leaves every row and the audit trail as they were."""
    refresh(db, SAMPLE)
    before = _rows(db)
    audits = db.execute("SELECT COUNT(*) FROM post_audit").fetchone()[0]
    _, result = refresh(db, SAMPLE)
    assert (0, 0, 15) == (result.created, result.updated, result.unchanged)
    assert before == _rows(db)
    assert audits == db.execute("SELECT COUNT(*) FROM post_audit").fetchone()[0]


def test_changed_source_updates_drafts(db: sqlite_utils.Database) -> None:
    """A new event title rewrites the drafts that mention it, with a 'replanned' audit row;
    the drafts it does not change are counted unchanged."""
    refresh(db, SAMPLE)
    md = replace(SAMPLE, event=replace(SAMPLE.event, title="Policing After Conflict"))
    _, result = refresh(db, md)
    mention = sum("Policing After Conflict" in p.text for p in list_posts(db))
    assert (mention, 15 - mention) == (result.updated, result.unchanged)
    post = next(p for p in list_posts(db) if p.source_key == "announcement")
    assert "Policing After Conflict" in post.text
    assert "replanned" == history(db, post.id)[-1]["detail"]


def test_approved_and_hand_edited_posts_are_never_touched(db: sqlite_utils.Database) -> None:
    """Posts that are approved or edited by hand keep their text when the source changes."""
    refresh(db, SAMPLE)
    posts = {p.source_key: p for p in list_posts(db)}
    move(db, posts["announcement"].id, "approved", "cli:tester")
    db.execute(
        "UPDATE posts SET text = 'My own words', hand_edited = 1 WHERE id = ?", [posts["recap"].id]
    )
    md = replace(SAMPLE, event=replace(SAMPLE.event, title="Policing After Conflict"))
    _, result = refresh(db, md)
    assert 2 == result.skipped_protected
    after = {p.source_key: p for p in list_posts(db)}
    assert posts["announcement"].text == after["announcement"].text
    assert "approved" == after["announcement"].status
    assert "My own words" == after["recap"].text


def test_protected_post_keeps_its_time_and_others_do_not_move(db: sqlite_utils.Database) -> None:
    """Approving one post and planning again moves nothing else."""
    refresh(db, SAMPLE)
    spot = next(p for p in list_posts(db) if p.source_key == "spotlight:s2")
    move(db, spot.id, "approved", "cli:tester")
    _, result = refresh(db, SAMPLE)
    assert (0, 0, 14, 1) == (
        result.created,
        result.updated,
        result.unchanged,
        result.skipped_protected,
    )


def test_plan_keeps_clear_of_posts_added_by_hand(db: sqlite_utils.Database) -> None:
    """A manual post at 10:00 on the announcement day pushes the announcement to 10:30."""
    at = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo(NY))
    db.execute(
        "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, created_at, updated_at) "
        "VALUES ('manual', 'A post of our own', 17, ?, 'approved', ?, ?)",
        [at.astimezone(UTC).isoformat(), at.isoformat(), at.isoformat()],
    )
    planned, _ = refresh(db, SAMPLE)
    announcement = next(p for p in planned if p.kind == "announcement")
    assert time(10, 30) == _local(announcement).time()


def test_dry_run_writes_nothing(db: sqlite_utils.Database) -> None:
    """A dry run counts what it would create but leaves the queue empty."""
    _, result = refresh(db, SAMPLE, dry_run=True)
    assert 15 == result.created
    assert [] == list_posts(db)


def test_a_changed_template_that_writes_the_same_post_leaves_it_unchanged(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """A template whose source changes but renders the same text counts as unchanged: no
    'replanned' row, nothing rewritten (an upgrade's template changes re-plan only what they
    change)."""
    from posts.templates import DEFAULTS_DIR

    refresh(db, SAMPLE)
    before = {p.source_key: (p.text, p.updated_at) for p in list_posts(db)}
    own = tmp_path / "templates"
    own.mkdir()
    source = (DEFAULTS_DIR / "recap.j2").read_text(encoding="utf-8")
    (own / "recap.j2").write_text("{#- the same words -#}\n" + source, encoding="utf-8")
    _, result = refresh(db, SAMPLE, templates_dir=own)
    after = {p.source_key: (p.text, p.updated_at) for p in list_posts(db)}
    recap = next(p for p in list_posts(db) if p.source_key == "recap")
    assert (0, 15, before) == (result.updated, result.unchanged, after)
    assert "replanned" not in [h["detail"] for h in history(db, recap.id)]
