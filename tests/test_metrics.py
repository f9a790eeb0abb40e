"""How our posts did: `campaign metrics` reads every published post's metrics in ceil(n/100)
lookups against the read budget, keeps them as a time series, the daemon's checkpoints (1 h,
24 h, 7 days, then none), the simulator's growing metrics and its 30-day refusal, and the
report, CSV and pages built from them."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlite_utils
import time_machine

from campaign.clock import to_db
from campaign.store import immediate
from posts import metrics
from scheduler.metrics import read_due
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX
from tests.web_helpers import load_campaign

NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


def _published(
    db: sqlite_utils.Database,
    fake_x: FakeX,
    n: int,
    *,
    age: timedelta = timedelta(hours=2),
    kind: str = "manual",
    template: str | None = None,
) -> list[int]:
    """``n`` posts made on the simulator ``age`` before NOW and recorded as published."""
    state = fake_x.state
    assert state is not None
    ids: list[int] = []
    with immediate(db):
        for i in range(n):
            at = NOW - age + timedelta(seconds=i)
            tweet = state.make_tweet(state.account, f"{kind} post {i} {age}", created_at=at)
            cur = db.execute(
                "INSERT INTO posts (kind, template, text, weighted_length, scheduled_at, status, "
                "tweet_id, published_at, created_at, updated_at) "
                "VALUES (?, ?, ?, 20, ?, 'published', ?, ?, ?, ?)",
                [
                    kind,
                    template,
                    tweet.submitted_text,
                    to_db(at),
                    tweet.id,
                    to_db(at),
                    to_db(at),
                    to_db(at),
                ],
            )
            assert cur.lastrowid is not None
            ids.append(cur.lastrowid)
    return ids


def _env(fake_x: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)


def _lookups(fake_x: FakeX) -> list[dict[str, Any]]:
    return [r for r in fake_x.requests() if r["path"].startswith("/2/tweets?")]


@pytest.mark.fake_x_now(NOW)
def test_metrics_reads_every_published_post_in_ceil_n_over_100_lookups(
    fake_x: FakeX, run: Any, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 published posts: 3 lookups, one reading each, its reads and cost printed."""
    _env(fake_x, monkeypatch)
    load_campaign(db)
    ids = _published(db, fake_x, 250)
    with time_machine.travel(NOW, tick=False):
        result = run("metrics")
    assert 0 == result.exit_code, result.output
    assert math.ceil(250 / 100) == len(_lookups(fake_x))
    assert (
        "Read the metrics of 250 posts in 3 lookups (250 reads, $1.25)"
        == (result.output.splitlines()[0])
    )
    assert set(ids) == set(metrics.latest(db))


@pytest.mark.fake_x_now(NOW)
def test_posts_list_json_carries_the_latest_metrics_and_when(
    fake_x: FakeX, run: Any, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each row of `posts list --json` has `metrics` (the seven counts) and `metrics_at`."""
    _env(fake_x, monkeypatch)
    load_campaign(db)
    [post_id] = _published(db, fake_x, 1, age=timedelta(hours=4))
    with time_machine.travel(NOW, tick=False):
        assert 0 == run("metrics").exit_code
    [row] = json.loads(run("posts", "list", "--json").output)
    assert post_id == row["id"]
    assert NOW.isoformat() == row["metrics_at"]
    m = row["metrics"]
    assert ["impressions", "likes", "reposts", "replies", "quotes", "bookmarks", "link_clicks"] == (
        list(m)
    )
    assert m["impressions"] > 0
    assert m["impressions"] // 60 == m["link_clicks"]


@pytest.mark.fake_x_now(NOW)
def test_metrics_grow_with_age_and_posts_show_lists_the_readings(
    fake_x: FakeX, run: Any, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two readings a day apart: the second has more impressions; `posts show` lists both."""
    _env(fake_x, monkeypatch)
    load_campaign(db)
    [post_id] = _published(db, fake_x, 1, age=timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        assert 0 == run("metrics", "--post", post_id).exit_code
    fake_x.clock(advance_seconds=86_400)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert 0 == run("metrics", "--post", post_id).exit_code
    first, second = metrics.readings(db, post_id)
    assert (first.impressions or 0) < (second.impressions or 0)
    from posts.performance import report

    assert [(NOW, first.impressions), (NOW + timedelta(days=1), second.impressions)] == (
        report(db, "UTC").over_time
    )
    shown = json.loads(run("posts", "show", post_id, "--json").output)["metrics"]
    assert [NOW.isoformat(), (NOW + timedelta(days=1)).isoformat()] == [r["at"] for r in shown]
    text = run("posts", "show", post_id).output
    assert "Metrics (impressions, likes, reposts, replies, quotes, bookmarks, link clicks):" in text


@pytest.mark.fake_x_now(NOW)
def test_the_simulator_refuses_non_public_metrics_past_30_days(fake_x: FakeX) -> None:
    """A 31-day-old post: public counts served, non-public refused as a field error."""
    state = fake_x.state
    assert state is not None
    old = state.make_tweet(state.account, "old", created_at=NOW - timedelta(days=31))
    young = state.make_tweet(state.account, "young", created_at=NOW - timedelta(days=29))
    client = XClient(Credentials.from_env(fake_x.env))
    page = client.tweet_metrics([old.id, young.id], non_public=True)
    by_id = {t["id"]: t for t in page.tweets}
    assert ("non_public_metrics" in by_id[old.id], "non_public_metrics" in by_id[young.id]) == (
        False,
        True,
    )
    assert by_id[old.id]["public_metrics"]["impression_count"] > 0
    assert [(old.id, "non_public_metrics")] == [(e["resource_id"], e["field"]) for e in page.errors]


@pytest.mark.fake_x_now(NOW)
def test_metrics_stop_at_the_read_budget(
    fake_x: FakeX,
    run: Any,
    db: sqlite_utils.Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """With 150 reads a day, 250 posts: one lookup of 100, the rest left, said on stderr."""
    import yaml

    from tests.web_helpers import SAMPLE

    _env(fake_x, monkeypatch)
    data = yaml.safe_load(SAMPLE.read_text())
    data["campaign"]["collect_max_reads_per_day"] = 150
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    assert 0 == run("load", tmp_path / "c.yaml").exit_code
    _published(db, fake_x, 250)
    with time_machine.travel(NOW, tick=False):
        result = run("metrics")
    assert 0 == result.exit_code, result.output
    assert 1 == len(_lookups(fake_x))
    assert 100 == len(metrics.latest(db))
    assert "The daily read budget is used up" in result.stderr


def test_the_daemon_reads_at_1_hour_24_hours_and_7_days_then_stops(
    fake_x: FakeX, db: sqlite_utils.Database
) -> None:
    """A post's readings are due after 1 h, 24 h and 7 days since it went out, and never after."""
    load_campaign(db)
    [post_id] = _published(db, fake_x, 1, age=timedelta(0))
    client = XClient(Credentials.from_env(fake_x.env))
    from campaign.metadata import settings_for

    settings = settings_for(db)
    read_at: list[timedelta] = []
    for minutes in range(0, 9 * 24 * 60, 30):
        at = NOW + timedelta(minutes=minutes)
        with time_machine.travel(at, tick=False):
            if metrics.due(db, at):
                assert 1 == read_due(db, client, settings).stored
                read_at.append(at - NOW)
    assert [timedelta(hours=1), timedelta(hours=24), timedelta(days=7)] == read_at
    assert 3 == len(metrics.readings(db, post_id))


@pytest.mark.fake_x_now(NOW)
def test_report_ranks_posts_compares_kinds_and_exports_csv(
    fake_x: FakeX,
    run: Any,
    db: sqlite_utils.Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """Older posts rank first; kinds are compared; the CSV has one row per post; HTML written."""
    _env(fake_x, monkeypatch)
    load_campaign(db)
    spot = _published(db, fake_x, 2, age=timedelta(days=3), kind="spotlight", template="spotlight")
    remind = _published(db, fake_x, 2, age=timedelta(hours=2), kind="reminder", template="reminder")
    with time_machine.travel(NOW, tick=False):
        result = run(
            "metrics", "--json", "--csv", tmp_path / "perf.csv", "--html", tmp_path / "p.html"
        )
    assert 0 == result.exit_code, result.output
    report = json.loads(result.output)["report"]
    assert set(spot) == {r["post_id"] for r in report["ranked"][:2]}
    assert {"spotlight", "reminder"} == {k["name"] for k in report["kinds"]}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "perf.csv").read_text())))
    assert [str(i) for i in (*spot, *remind)] == sorted(
        (r["post_id"] for r in rows), key=lambda i: [*spot, *remind].index(int(i))
    )
    assert "Our posts, ranked" in (tmp_path / "p.html").read_text()


@pytest.mark.fake_x_now(NOW)
def test_the_daemons_metrics_job_reads_due_posts_once(
    fake_x: FakeX, db: sqlite_utils.Database, db_path: Any
) -> None:
    """The daemon's job reads a post an hour old once; the next look sends no request."""
    from scheduler.daemon import Daemon, DaemonConfig
    from scheduler.publisher import XPublisher

    load_campaign(db)
    [post_id] = _published(db, fake_x, 1, age=timedelta(hours=1))
    creds = Credentials.from_env(fake_x.env)
    daemon = Daemon(
        str(db_path),
        XPublisher(XClient(creds)),
        DaemonConfig(collect=True, alerts_interval=0),
        search_client=lambda: XClient(creds),
    )
    with time_machine.travel(NOW, tick=False):
        daemon._metrics()
        daemon._metrics()
    assert (1, 1) == (len(metrics.readings(db, post_id)), len(_lookups(fake_x)))


@pytest.mark.fake_x_now(NOW)
def test_campaign_report_adds_how_our_posts_did_once_there_are_metrics(
    fake_x: FakeX, run: Any, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`campaign report` ranks our posts under the conversation report after a reading."""
    _env(fake_x, monkeypatch)
    load_campaign(db)
    assert "Our posts, by impressions:" not in run("report").output
    [post_id] = _published(db, fake_x, 1, age=timedelta(hours=5))
    with time_machine.travel(NOW, tick=False):
        assert 0 == run("metrics").exit_code
    assert f"  1. post {post_id} (manual)" in run("report").output


@pytest.mark.fake_x_now(NOW)
def test_status_counts_the_metrics_reads_and_their_cost(
    fake_x: FakeX, run: Any, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`campaign status --json` counts the posts read for metrics with the collected ones."""
    _env(fake_x, monkeypatch)
    load_campaign(db)
    _published(db, fake_x, 3)
    with time_machine.travel(NOW, tick=False):
        assert 0 == run("metrics").exit_code
        reads = json.loads(run("status", "--json").output)["cost"]["reads"]
    assert (3, "0.015", 3) == (reads["count"], reads["total_usd"], reads["last_24h"])
