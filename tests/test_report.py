"""The conversation report: figures from the store, a PNG chart, a standalone HTML page."""

from __future__ import annotations

import base64
import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from campaign.mentions.report import build_report, render_html, render_png
from campaign.mentions.review import mark
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.mentions_factory import START, snowflake, tweet, user

NY = ZoneInfo("America/New_York")


@pytest.fixture
def filled(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Posts around New York midnight, links, hashtags, one of ours with a reply and a quote."""
    db.execute(
        "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, tweet_id, published_at, created_at, updated_at) "
        "VALUES ('manual', 'Our panel starts', 16, ?, 'published', ?, ?, 'x', 'x')",
        [
            "2026-12-06T04:00:00.000+00:00",
            str(snowflake(START - timedelta(hours=10))),
            "2026-12-06T04:00:00.000+00:00",
        ],
    )
    ours = snowflake(START - timedelta(hours=10))
    base = datetime(2026, 12, 7, 4, 30, tzinfo=ZoneInfo("UTC"))  # 23:30 in New York on the 6th
    tweets = []
    for i in range(6):
        at = base + timedelta(minutes=20 * i)  # 04:30 … 06:10 UTC
        tweets.append(
            tweet(
                snowflake(at, i),
                f"post {i} #PolicingInConflict #UN <script>alert(1)</script>",
                author_id=1 + (i % 2),
                at=at,
                hashtags=["PolicingInConflict", "UN"] + (["NATO"] if i < 2 else []),
                urls=["https://www.usip.org/a"] if i < 3 else ["https://news.example.org/b"],
                replied_to=ours if i == 0 else None,
                quoted=ours if i == 1 else None,
            )
        )
    with immediate(db):
        Writer(db, source="search").write(tweets, [user(1, "alice", followers=50), user(2, "bob")])
    mark(db, [int(tweets[0]["id"])], "reviewed", actor="t")
    return db


def test_report_counts_in_the_campaign_zone(filled: sqlite_utils.Database) -> None:
    """Volume per local hour and day, top authors, co-hashtags, links, domains, ours, review."""
    r = build_report(filled, "America/New_York")
    assert 6 == r.total
    assert [(date(2026, 12, 6), 2), (date(2026, 12, 7), 4)] == r.per_day
    assert [23, 0, 1] == [h.hour for h, _ in r.per_hour]
    assert [2, 3, 1] == [n for _, n in r.per_hour]
    assert [("alice", 3), ("bob", 3)] == [(a.username, a.posts) for a in r.top_authors]
    assert [("#un", 6), ("#nato", 2)] == r.hashtags
    assert [("usip.org", 3), ("news.example.org", 3)] == sorted(
        r.domains, key=lambda d: d[0] != "usip.org"
    )
    assert (1, 1) == (r.replies_to_ours, r.quotes_of_ours)
    assert [("Our panel starts", 1, 1)] == [(p.text, p.replies, p.quotes) for p in r.our_posts]
    assert 1 == r.review["reviewed"] and 5 == r.review["new"]


def test_report_of_an_empty_collection(db: sqlite_utils.Database, tmp_path: Path) -> None:
    """With nothing collected the report is zeros, and the chart and page still render."""
    r = build_report(db, "UTC")
    assert (0, [], []) == (r.total, r.per_hour, r.top_authors)
    render_png(r, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").read_bytes().startswith(b"\x89PNG")
    assert "No posts collected yet." in render_html(r)


def test_html_is_standalone_and_escapes_collected_text(filled: sqlite_utils.Database) -> None:
    """The page embeds the chart as a PNG data URI, uses no outside files and escapes posts."""
    page = render_html(build_report(filled, NY))
    assert "<script>" not in page
    chart = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(chart).startswith(b"\x89PNG")
    assert "<link" not in page and "http-equiv" not in page
    assert "#nato" in page and "usip.org" in page


def test_cli_report_prints_and_writes_files(
    filled: sqlite_utils.Database, run: Any, tmp_path: Path
) -> None:
    """`campaign report --output-dir DIR` prints the summary and writes report.png and report.html."""
    result = run("report", "--output-dir", tmp_path / "out")
    assert 0 == result.exit_code, result.output
    assert "#PolicingInConflict: 6 posts collected" in result.output
    assert "replies to our posts: 1; quotes of our posts: 1" in result.output
    assert (tmp_path / "out" / "report.png").read_bytes().startswith(b"\x89PNG")
    assert "<!doctype html>" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_cli_report_json(filled: sqlite_utils.Database, run: Any) -> None:
    """`campaign report --json` gives the same figures as data."""
    import json

    data = json.loads(run("report", "--json").output)
    assert 6 == data["total"]
    assert {"new": 5, "reviewed": 1, "flagged": 0, "needs-reply": 0, "ignored": 0} == data["review"]


def test_report_sees_new_posts_despite_its_cache(filled: sqlite_utils.Database) -> None:
    """A post added after a report shows up in the next one; review changes show at once."""
    first = build_report(filled, "UTC")
    later = tweet(
        2**62,
        "late #PolicingInConflict #Late",
        author_id=3,
        hashtags=["PolicingInConflict", "Late"],
    )
    with immediate(filled):
        Writer(filled, source="search").write([later], [user(3, "carol")])
    mark(filled, [2**62], "flagged", actor="t")
    second = build_report(filled, "UTC")
    assert first.total + 1 == second.total
    assert ("#late", 1) in second.hashtags
    assert 1 == second.review["flagged"]
    fresh = build_report(filled, "UTC", cached=False)
    assert second == dataclasses.replace(fresh, generated_at=second.generated_at)
