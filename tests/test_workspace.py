"""Many campaigns in one workspace: loading, refusals, --campaign, listing and archiving."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import time_machine
from click.testing import Result

from campaign.metadata.store import campaigns
from campaign.store import open_db
from posts.queue import claim, list_posts, move, transition
from posts.rules import count_hashtag
from tests.workspace_helpers import event_yaml

Run = Callable[..., Result]
BEFORE = "2026-10-01T12:00:00+00:00"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "release-0.1.db"


def _two(run: Run, sample_yaml: Path, tmp_path: Path) -> Path:
    assert 0 == run("init").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    second = event_yaml(tmp_path, "#PeaceTech2027")
    result = run("load", second)
    assert 0 == result.exit_code, result.output
    return second


def _snapshot(db_path: Path) -> list[object]:
    db = open_db(db_path)
    rows: list[object] = []
    for table in ("campaigns", "posts", "speakers", "publications"):
        rows.append(db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall())
    db.conn.close()
    return rows


@time_machine.travel(BEFORE, tick=False)
def test_a_second_file_adds_a_second_campaign(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """Loading another event's YAML adds a campaign; the first keeps id 1 and its slug."""
    _two(run, sample_yaml, tmp_path)
    found = campaigns(open_db(db_path))
    assert [
        (1, "policinginconflict", "#PolicingInConflict"),
        (2, "peacetech2027", "#PeaceTech2027"),
    ] == [(c.id, c.slug, c.hashtag) for c in found]
    assert ["default", "default"] == [c.account for c in found]


@time_machine.travel(BEFORE, tick=False)
def test_plan_plans_every_campaign_with_its_own_hashtag(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """`plan` without --campaign drafts both campaigns, each post with its campaign's hashtag."""
    _two(run, sample_yaml, tmp_path)
    assert 0 == run("plan").exit_code
    db = open_db(db_path)
    first, second = list_posts(db, campaign_id=1), list_posts(db, campaign_id=2)
    assert (True, True) == (len(first) >= 12, len(second) >= 12)
    assert all(1 == count_hashtag(p.text, "#PolicingInConflict") for p in first)
    assert all(1 == count_hashtag(p.text, "#PeaceTech2027") for p in second)


@time_machine.travel(BEFORE, tick=False)
def test_loading_and_planning_one_campaign_never_touches_the_other(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """Loading and planning the second campaign leaves the first one's drafts as they were."""
    assert 0 == run("init").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    assert 0 == run("plan").exit_code
    before = [(p.id, p.text, p.scheduled_at) for p in list_posts(open_db(db_path))]
    second = event_yaml(tmp_path, "#PeaceTech2027")
    assert 0 == run("load", second).exit_code
    assert 0 == run("plan", "--campaign", "peacetech2027").exit_code
    after = [(p.id, p.text, p.scheduled_at) for p in list_posts(open_db(db_path), campaign_id=1)]
    assert before == after


@time_machine.travel(BEFORE, tick=False)
def test_posts_list_json_names_each_rows_campaign(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """`posts list --json` rows carry `campaign` (slug); --campaign keeps one campaign's rows."""
    _two(run, sample_yaml, tmp_path)
    assert 0 == run("plan").exit_code
    every = json.loads(run("posts", "list", "--json").output)
    one = json.loads(run("posts", "list", "--json", "--campaign", "peacetech2027").output)
    assert {"policinginconflict", "peacetech2027"} == {r["campaign"] for r in every}
    assert {"peacetech2027"} == {r["campaign"] for r in one}
    assert len(every) > len(one) > 0


@time_machine.travel(BEFORE, tick=False)
def test_posts_add_with_several_campaigns_needs_campaign(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """With two campaigns `posts add` without --campaign exits 2 listing the slugs."""
    _two(run, sample_yaml, tmp_path)
    result = run("posts", "add", "--text", "Doors open", "--at", "2026-12-19T10:00")
    assert 2 == result.exit_code
    assert (
        "Error: this workspace has 2 campaigns: say which with --campaign SLUG "
        "(one of policinginconflict, peacetech2027)\n"
    ) == result.output


@time_machine.travel(BEFORE, tick=False)
def test_posts_add_with_campaign_uses_its_hashtag(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """`posts add --campaign SLUG` stores the post in that campaign, with its hashtag added."""
    _two(run, sample_yaml, tmp_path)
    added = run(
        "posts",
        "add",
        "--campaign",
        "peacetech2027",
        "--text",
        "Doors open",
        "--at",
        "2026-12-19T10:00",
    )
    assert 0 == added.exit_code, added.output
    rows = json.loads(run("posts", "list", "--json").output)
    assert [("peacetech2027", "Doors open #PeaceTech2027")] == [
        (r["campaign"], r["text"]) for r in rows
    ]


@time_machine.travel(BEFORE, tick=False)
def test_an_unknown_campaign_exits_2_with_the_list(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """An unknown --campaign exits 2 naming the workspace's slugs."""
    _two(run, sample_yaml, tmp_path)
    result = run("posts", "list", "--campaign", "peace")
    assert 2 == result.exit_code
    assert (
        "Error: there is no campaign 'peace': the campaigns are policinginconflict, "
        "peacetech2027 (see `campaign campaigns list`)\n"
    ) == result.output


@time_machine.travel(BEFORE, tick=False)
def test_same_hashtag_on_one_account_is_refused_naming_both(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """A second campaign with the first one's hashtag on the same account is refused, changing nothing."""
    _two(run, sample_yaml, tmp_path)
    before = _snapshot(db_path)
    clash = event_yaml(tmp_path, "#PolicingInConflict", slug="policing-again")
    result = run("load", clash)
    assert 2 == result.exit_code
    assert (
        "'policinginconflict' and 'policing-again' would both use #PolicingInConflict"
        in result.output
    )
    assert before == _snapshot(db_path)


@time_machine.travel(BEFORE, tick=False)
def test_same_hashtag_on_another_account_is_a_campaign_of_its_own(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """The same hashtag on another account is allowed: X limits per account."""
    _two(run, sample_yaml, tmp_path)
    other = event_yaml(tmp_path, "#PolicingInConflict", slug="policing-events", account="events")
    assert 0 == run("load", other).exit_code
    assert ["default", "default", "events"] == [c.account for c in campaigns(open_db(db_path))]


@time_machine.travel(BEFORE, tick=False)
def test_a_slug_of_another_campaign_with_another_hashtag_is_refused(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """A YAML whose slug names a live campaign with another hashtag is refused, changing nothing."""
    _two(run, sample_yaml, tmp_path)
    assert 0 == run("plan").exit_code
    before = _snapshot(db_path)
    typo = event_yaml(tmp_path, "#PeaceTek2027", slug="peacetech2027")
    result = run("load", typo)
    assert 2 == result.exit_code
    assert (
        "the campaign 'peacetech2027' has the hashtag #PeaceTech2027, not #PeaceTek2027"
        in result.output
    )
    assert before == _snapshot(db_path)


@time_machine.travel(BEFORE, tick=False)
def test_a_campaign_with_a_post_x_has_not_confirmed_does_not_move_to_another_account(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """Its unsettled post is checked against the timeline of the account that sent it: moving
    the campaign first could send it twice. Refused, changing nothing, until it is settled."""
    _two(run, sample_yaml, tmp_path)
    assert 0 == run("plan", "--campaign", "peacetech2027").exit_code
    db = open_db(db_path)
    post = list_posts(db, campaign_ids=[2])[0]
    move(db, post.id, "approved", "dana")
    assert claim(db, post.id, "daemon-1", "daemon", timeout=10)
    before = _snapshot(db_path)
    moved = event_yaml(tmp_path, "#PeaceTech2027", account="events")
    result = run("load", moved)
    assert 2 == result.exit_code, result.output
    assert (
        "the campaign 'peacetech2027' cannot move from the account 'default' to 'events' yet: "
        f"X has not confirmed post {post.id}"
    ) in result.output
    assert before == _snapshot(db_path)
    assert transition(db, post.id, "publishing", "published", "daemon", tweet_id="1001")
    assert 0 == run("load", moved).exit_code
    assert "events" == campaigns(open_db(db_path))[1].account


def test_a_bad_slug_is_refused_with_its_line(run: Run, tmp_path: Path) -> None:
    """A slug with capitals or spaces is refused at its line, with a suggestion."""
    assert 0 == run("init").exit_code
    bad = event_yaml(tmp_path, "#PeaceTech2027", slug="'Peace Tech'")
    result = run("load", bad)
    assert 2 == result.exit_code
    assert "'Peace Tech' is not a short name" in result.output
    assert "e.g. peace-tech" in result.output


@time_machine.travel(BEFORE, tick=False)
def test_campaigns_list_json_and_archive(run: Run, sample_yaml: Path, tmp_path: Path) -> None:
    """`campaigns list --json` shows each campaign; `archive` marks one and plan then skips it."""
    _two(run, sample_yaml, tmp_path)
    assert 0 == run("campaigns", "archive", "peacetech2027").exit_code
    rows = json.loads(run("campaigns", "list", "--json").output)
    assert [("policinginconflict", "active"), ("peacetech2027", "archived")] == [
        (r["slug"], r["state"]) for r in rows
    ]
    assert 0 == run("plan").exit_code
    rows = json.loads(run("campaigns", "list", "--json").output)
    assert [True, False] == [bool(r["posts"]) for r in rows]


@time_machine.travel(BEFORE, tick=False)
def test_a_workspace_without_campaigns_keeps_the_default_hashtag(run: Run) -> None:
    """With no campaign loaded, `posts add` and `posts list` work as before (#PolicingInConflict)."""
    assert 0 == run("init").exit_code
    added = run("posts", "add", "--text", "Hello", "--at", "2026-12-01T10:00Z")
    assert 0 == added.exit_code, added.output
    rows = json.loads(run("posts", "list", "--json").output)
    assert [(None, "Hello #PolicingInConflict")] == [(r["campaign"], r["text"]) for r in rows]


@time_machine.travel(BEFORE, tick=False)
def test_the_first_campaign_loaded_takes_the_posts_added_before(
    run: Run, sample_yaml: Path
) -> None:
    """Posts added before any campaign was loaded belong to the first campaign loaded."""
    assert 0 == run("init").exit_code
    assert 0 == run("posts", "add", "--text", "Hello", "--at", "2026-12-01T10:00Z").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    rows = json.loads(run("posts", "list", "--json").output)
    assert ["policinginconflict"] == [r["campaign"] for r in rows]


def test_the_release_database_is_a_workspace_of_one(tmp_path: Path) -> None:
    """A database of release 0.1 opens as a workspace with its campaign as id 1, its posts in it."""
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    db = open_db(copy)
    assert [(1, "policinginconflict")] == [(c.id, c.slug) for c in campaigns(db)]
    assert [(1,)] == db.execute("SELECT DISTINCT campaign_id FROM posts").fetchall()
    assert [] == db.execute("PRAGMA foreign_key_check").fetchall()
    assert 6 == db.execute("SELECT count(*) FROM speakers WHERE campaign_id = 1").fetchone()[0]


@time_machine.travel(BEFORE, tick=False)
def test_two_campaigns_of_one_account_keep_the_minimum_gap(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """Planned on one account, no two campaigns' drafts are closer than min_gap_minutes (30)."""
    assert 0 == run("init").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    same_day = event_yaml(tmp_path, "#PeaceTech2027", day="2026-12-06")
    assert 0 == run("load", same_day).exit_code
    assert 0 == run("plan").exit_code
    times = sorted(p.scheduled_at for p in list_posts(open_db(db_path)) if p.kind != "starting")
    gaps = [(b - a).total_seconds() / 60 for a, b in pairwise(times)]
    assert len(times) >= 24
    assert [] == [g for g in gaps if g < 30]


@time_machine.travel(BEFORE, tick=False)
def test_another_accounts_campaign_may_post_at_the_same_time(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """The gap is per account: a campaign on another account may take the same times."""
    assert 0 == run("init").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    other = event_yaml(tmp_path, "#PeaceTech2027", day="2026-12-06", account="events")
    assert 0 == run("load", other).exit_code
    assert 0 == run("plan").exit_code
    db = open_db(db_path)
    first = {p.scheduled_at for p in list_posts(db, campaign_id=1)}
    second = {p.scheduled_at for p in list_posts(db, campaign_id=2)}
    assert first == second


@time_machine.travel(BEFORE, tick=False)
def test_the_same_text_on_one_account_is_refused_across_campaigns(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """X refuses a repeated text on an account whichever campaign sent it: so does posts add."""
    _two(run, sample_yaml, tmp_path)
    text = "Doors open at 9:30 #PolicingInConflict #PeaceTech2027"
    at = "2026-12-05T10:00"
    first = run("posts", "add", "--campaign", "policinginconflict", "--text", text, "--at", at)
    assert 0 == first.exit_code, first.output
    again = run("posts", "add", "--campaign", "peacetech2027", "--text", text, "--at", at)
    assert 2 == again.exit_code
    assert "already has a post with this text" in again.output


@time_machine.travel(BEFORE, tick=False)
def test_the_default_publisher_never_sends_another_accounts_post(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """Posts of a campaign on the account `events` are not sendable under the default keys."""
    from posts.queue import sendable
    from scheduler.publish import Publishing

    assert 0 == run("init").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    other = event_yaml(tmp_path, "#PeaceTech2027", account="events")
    assert 0 == run("load", other).exit_code
    at = "2026-10-01T11:00Z"
    for slug in ("policinginconflict", "peacetech2027"):
        added = run(
            "posts", "add", "--campaign", slug, "--text", f"Hi {slug}", "--at", at, "--approve"
        )
        assert 0 == added.exit_code, added.output
    db = open_db(db_path)
    publishing = Publishing(db, publisher=None, holder="test")  # type: ignore[arg-type]
    due = sendable(db, limit=10, campaign_ids=publishing.campaign_ids())
    assert ["Hi policinginconflict #PolicingInConflict"] == [p.text for p in due]
    assert 2 == len(sendable(db, limit=10))


BEFORE_WORKSPACE = Path(__file__).resolve().parent / "fixtures" / "before-workspace.db"


@time_machine.travel("2026-11-01T12:00:00+00:00", tick=False)
def test_a_database_of_the_version_before_workspaces_opens_unchanged(
    run: Run, tmp_path: Path, sample_yaml: Path
) -> None:
    """A database made before workspaces (its campaign planned, a post added by hand, five
    collected posts) opens as a workspace of one: ids kept, posts and collected posts in
    campaign 1, and planning again changes nothing."""
    copy = tmp_path / "campaign.db"
    shutil.copy(BEFORE_WORKSPACE, copy)
    before = sqlite3_rows(copy, "SELECT id, text, scheduled_at, status FROM posts ORDER BY id")
    db = open_db(copy)
    assert [(1, "policinginconflict", "#PolicingInConflict")] == [
        (c.id, c.slug, c.hashtag) for c in campaigns(db)
    ]
    assert [(1, 16)] == db.execute(
        "SELECT campaign_id, count(*) FROM posts GROUP BY campaign_id"
    ).fetchall()
    assert [(1, 5)] == db.execute(
        "SELECT campaign_id, count(*) FROM mention_campaigns GROUP BY campaign_id"
    ).fetchall()
    db.conn.close()
    result = run("plan")
    assert 0 == result.exit_code, result.output
    assert "Drafts created 0, updated 0, unchanged 15" in result.output
    assert before == sqlite3_rows(
        copy, "SELECT id, text, scheduled_at, status FROM posts ORDER BY id"
    )


def sqlite3_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@time_machine.travel(BEFORE, tick=False)
def test_the_daily_cap_counts_one_accounts_posts(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """Another account's published posts do not use the default account's daily cap; its own do."""
    from campaign.clock import now, to_db
    from posts.queue import cap_usage

    assert 0 == run("init").exit_code
    assert 0 == run("load", sample_yaml).exit_code
    assert 0 == run("load", event_yaml(tmp_path, "#PeaceTech2027", account="events")).exit_code
    for slug, n in (("policinginconflict", 1), ("peacetech2027", 3)):
        for i in range(n):
            text = f"Sent {i} by {slug}"
            added = run(
                "posts", "add", "--campaign", slug, "--text", text, "--at", "2026-10-01T11:00Z"
            )
            assert 0 == added.exit_code, added.output
    db = open_db(db_path)
    db.execute(  # as if published an hour ago (the test stands in for X)
        "UPDATE posts SET status = 'published', published_at = ?",
        [to_db(now() - timedelta(hours=1))],
    )
    assert (1, 3, 4) == (
        cap_usage(db, 100, now(), [1]).used,
        cap_usage(db, 100, now(), [2]).used,
        cap_usage(db, 100, now()).used,
    )
    assert cap_usage(db, 1, now(), [1]).until is not None
    assert cap_usage(db, 4, now(), [1]).until is None
