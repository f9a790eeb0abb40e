"""What was changed to keep a large workspace fast gives the answers it gave before: every
cost, count, listing and JSON document is checked against an independent computation (the
standard library's JSON encoder, a plain loop over every post)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.cli.common import indented_json
from campaign.metadata import parse_file, save
from campaign.web import create_app
from posts import queue
from posts.cost import TO_GO_OUT, estimate, estimate_tallied
from posts.queue import NewPost, PostStatus
from tests.web_helpers import SAMPLE, Browserish
from tests.workspace_helpers import event_yaml

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)

# Texts with a link, with a dot that is no link, and without a dot; one not in ASCII.
TEXTS = [
    "Read it at usip.org/publications #PolicingInConflict",
    "Version 1.2 is out, see https://example.com/a?b=c",
    "Doors open at 9.30 sharp",
    "No dot here at all",
    "Ünïcode “quotes” — and a tab\there, a backslash \\ and a newline\nto escape",
    "example.org",
]
STATUSES = [
    PostStatus.DRAFT,
    PostStatus.APPROVED,
    PostStatus.PUBLISHED,
    PostStatus.CANCELLED,
    PostStatus.FAILED,
    PostStatus.MISSED,
    PostStatus.UNKNOWN,
]


def fill(db: sqlite_utils.Database, count: int, campaign_ids: list[int | None]) -> None:
    """``count`` posts spread over ``campaign_ids``, TEXTS and STATUSES, some at equal times."""
    for n in range(count):
        at = NOW + timedelta(minutes=30 * (n // 2))  # pairs share a time: ids break the tie
        new = NewPost("manual", f"{TEXTS[n % len(TEXTS)]} {n}", 40, at, hand_edited=True)
        post_id = queue.insert_draft(db, new, "test", "test", at=NOW)
        db.execute(
            "UPDATE posts SET status = ?, campaign_id = ? WHERE id = ?",
            [STATUSES[n % len(STATUSES)], campaign_ids[n % len(campaign_ids)], post_id],
        )


def two_campaigns(db: sqlite_utils.Database, folder: Path) -> tuple[int, int]:
    first = save(db, parse_file(SAMPLE), str(SAMPLE)).id
    other = event_yaml(folder, "#PeaceTech2027", day="2026-12-20", name="Peace Tech 2027")
    return first, save(db, parse_file(other), str(other)).id


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        [[], {}, [[]], {"a": {}}],
        {"n": None, "t": True, "f": False, "i": -3, "x": 1.5, "big": 10**30, "tiny": 1e-300},
        {"zero": -0.0, "tenth": 0.1, "large": 1e16, "odd": 123456789.123},
        ['ünï “x” \n\t\\ " \u2028 \x00 \U0001f426‍⬛'],
        {1: "int key", None: "null key", 2.5: "float key"},
        {True: "bool key", False: "other"},
        ("a tuple", (1, 2), {"in": ("x",)}),
        {"status": PostStatus.DRAFT, "deep": [{"a": [1, {"b": [None]}]}]},
        [{"status": PostStatus.DRAFT, "x": 1.5, 2: None, "s": "“\n”"}, ("t", -0.0, 10**20)],
        {"flat": {"nan": float("nan"), True: 1}, "list": [1, "a", None, False]},
    ],
)
def test_indented_json_is_what_the_standard_library_writes(data: object) -> None:
    assert json.dumps(data, ensure_ascii=False, indent=2) == indented_json(data)


def test_indented_json_writes_what_json_cannot_hold_as_null_and_floats_shortest() -> None:
    """Two differences from json.dumps, both still JSON with the same meaning or more of it:
    NaN and the infinities, which JSON cannot hold (json writes NaN, which jq and JavaScript
    refuse), are null; a float with an exponent is written in its shortest form (1e-7, not
    1e-07)."""
    data = {"nan": float("nan"), "inf": float("inf"), "ninf": -float("inf"), "small": 1e-7}
    written = indented_json(data)
    assert '{\n  "nan": null,\n  "inf": null,\n  "ninf": null,\n  "small": 1e-7\n}' == written
    assert {"nan": None, "inf": None, "ninf": None, "small": 1e-7} == json.loads(written)


def test_indented_json_refuses_what_json_refuses() -> None:
    for bad in ({"when": datetime(2026, 1, 1)}, {(1, 2): "tuple key"}, [Decimal("1.5")]):
        with pytest.raises(TypeError):
            json.dumps(bad, ensure_ascii=False, indent=2)
        with pytest.raises(TypeError):
            indented_json(bad)


def test_posts_list_json_is_every_post_as_the_standard_library_writes_it(
    db: sqlite_utils.Database, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """`posts list --json` lists every post (no table limit) in the exact bytes json.dump gave."""
    first, second = two_campaigns(db, tmp_path)
    fill(db, 130, [first, second, None])
    result = run("posts", "list", "--json")
    assert 0 == result.exit_code, result.output
    rows = json.loads(result.stdout)
    assert json.dumps(rows, ensure_ascii=False, indent=2) + "\n" == result.stdout
    assert [p.id for p in queue.list_posts(db)] == [r["id"] for r in rows]
    assert 130 == len(rows)
    limited = json.loads(run("posts", "list", "--json", "--limit", "7").stdout)
    assert rows[:7] == limited


def test_posts_list_table_shows_the_first_hundred_and_counts_every_post(
    db: sqlite_utils.Database, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """Past 100 posts the table shows the first 100 in time order and says so; its counts and
    costs are still those of every post, as a loop over all of them gives."""
    first, second = two_campaigns(db, tmp_path)
    fill(db, 130, [first, second])
    everything = queue.list_posts(db)
    result = run("posts", "list")
    assert 0 == result.exit_code, result.output
    shown = [int(m) for m in re.findall(r"^\s*(\d+)\s+[a-z]+\s+20\d\d-", result.stdout, re.M)]
    assert [p.id for p in everything[:100]] == shown
    assert "Showing the first 100 of 130" in result.stderr
    counts = {s: sum(1 for p in everything if p.status == s) for s in queue.STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    assert f"130 posts: {summary}" in result.stdout
    all_rows = run("posts", "list", "--limit", "0")
    assert 130 == len(re.findall(r"^\s*\d+\s+[a-z]+\s+20\d\d-", all_rows.stdout, re.M))
    assert "Showing" not in all_rows.stderr
    # The footer's cost line is the same whether 100 or all rows are shown.
    assert result.stdout.splitlines()[-1] == all_rows.stdout.splitlines()[-1]


def test_costs_from_tallies_equal_costs_from_every_text(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """Counting in SQL and looking only at texts with a dot gives what estimate() gives over
    every text, for each status group and campaign, filtered or not."""
    from campaign.metadata import settings_for

    first, second = two_campaigns(db, tmp_path)
    fill(db, 84, [first, second, None])
    settings = settings_for(db, first)
    everything = queue.list_posts(db)
    for where in (None, queue.Filter(campaign_id=second), queue.Filter(text="dot")):
        tallies = queue.tallies(db, where)
        if where is None:
            matching = everything
        elif where.campaign_id is not None:
            matching = [p for p in everything if p.campaign_id == second]
        else:
            matching = [p for p in everything if "dot" in p.text.lower()]
        for statuses in (TO_GO_OUT, [PostStatus.PUBLISHED], queue.STATUSES):
            for campaigns in (None, {first}, {second}, {None}):
                chosen = [
                    p.text
                    for p in matching
                    if p.status in statuses and (campaigns is None or p.campaign_id in campaigns)
                ]
                expected = estimate(chosen, settings)
                assert expected == estimate_tallied(tallies, statuses, settings, campaigns)
    assert estimate([p.text for p in everything], settings).with_link > 0


def test_planner_reads_equal_the_whole_listing(db: sqlite_utils.Database, tmp_path: Path) -> None:
    """The planner's narrower reads (its own posts; other campaigns' times and texts) and the
    composer's newest posts hold what filtering the whole listing gives."""
    first, second = two_campaigns(db, tmp_path)
    fill(db, 60, [first, second])
    db.execute("UPDATE posts SET source_key = 'k' || id WHERE id % 3 = 0")
    everything = queue.list_posts(db)
    planned = queue.list_posts(db, campaign_id=first, planned=True)
    assert [p for p in everything if p.campaign_id == first and p.source_key] == planned
    active = [PostStatus.DRAFT, PostStatus.APPROVED, PostStatus.PUBLISHED]
    start, end = NOW + timedelta(hours=2), NOW + timedelta(hours=9)
    assert [
        (p.scheduled_at, p.text)
        for p in everything
        if p.status in active and p.campaign_id == second and start <= p.scheduled_at < end
    ] == queue.times_and_texts(db, active, [second], start, end)
    alive = [s for s in queue.STATUSES if s != PostStatus.CANCELLED]
    newest = queue.list_posts(db, alive, newest_first=True, limit=25)
    assert list(reversed(queue.list_posts(db, alive)))[:25] == newest


def test_time_order_reads_use_the_index(db: sqlite_utils.Database) -> None:
    """m010: every campaign's posts in time order, and their counts by campaign and status,
    come from an index, not a sort."""
    plan = " ".join(
        str(r[3])
        for r in db.execute("EXPLAIN QUERY PLAN SELECT * FROM posts ORDER BY scheduled_at, id")
    )
    assert "posts_scheduled" in plan and "TEMP B-TREE" not in plan
    grouped = " ".join(
        str(r[3])
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT campaign_id, status, count(*) FROM posts "
            "GROUP BY campaign_id, status"
        )
    )
    assert "COVERING INDEX posts_campaign_status" in grouped and "TEMP B-TREE" not in grouped


def test_month_calendar_shows_ten_posts_a_day_and_links_the_rest(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    """A day of 13 posts shows 10 in the month view and a link to its week, which shows all
    13; the day's approve button still counts all its drafts."""
    from posts import editing

    first, second = two_campaigns(db, tmp_path)
    with time_machine.travel(NOW, tick=False):
        for n in range(13):
            editing.add(
                db,
                f"Post number {n} of the busy day",
                WEDNESDAY + timedelta(minutes=20 * n),
                actor="test",
                campaign_id=(first, second)[n % 2],
            )
        web = Browserish(create_app(db_path))
        month = web.get("/calendar?view=month&date=2026-12-02").get_data(as_text=True)
        week = web.get("/calendar?view=week&date=2026-12-02").get_data(as_text=True)

    def day(html: str) -> str:
        return html.split('data-day="2026-12-02"', 1)[1].split("</section>", 1)[0]

    wanted = [f"Post number {n} of" for n in range(13)]
    assert wanted[:10] == re.findall(r"Post number \d+ of", day(month))
    assert "+3 more" in day(month)
    assert 'href="/calendar?view=week&amp;date=2026-12-02"' in day(month)
    assert wanted == re.findall(r"Post number \d+ of", day(week))
    assert "more</a>" not in day(week)
    assert "Approve 13 drafts" in day(month)


def test_library_modules_load_lazily_and_still_work() -> None:
    """Opening the database does not load numpy (sqlite-utils would) nor twitter-text's emoji
    table; both load as usual when asked for afterwards, and give the same answers."""
    code = (
        "import sys\n"
        "import campaign.cli\n"
        "assert 'sqlite_utils' not in sys.modules\n"
        "from campaign.store import open_db\n"
        "from posts.length import url_spans\n"
        "db = open_db(sys.argv[1])\n"
        "spans = url_spans('see usip.org/x and https://a.com/b')\n"
        "print(sorted(m for m in ('numpy', 'pkg_resources', 'twitter_text') if m in sys.modules))\n"
        "import numpy, sqlite_utils.db\n"
        "from twitter_text import parse_tweet, extract_urls_with_indices\n"
        "assert sqlite_utils.db.np is None and numpy.zeros(1)[0] == 0\n"
        "full = extract_urls_with_indices('see usip.org/x and https://a.com/b')\n"
        "assert [(s, e, u) for s, e, u in spans] == "
        "[(d['indices'][0], d['indices'][1], d['url']) for d in full], (spans, full)\n"
        "print(parse_tweet('see usip.org/x').weightedLength)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "campaign.db"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert ["[]", "27"] == out
