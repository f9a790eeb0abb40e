"""Collecting from a hostile or broken X server on 127.0.0.1: paging in circles stops, reads are
counted from what was stored, no run is left "running", and `campaign collect` keeps no secret
and honours CAMPAIGN_X_TIMEOUT."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlite_utils
from click.testing import Result

from campaign.models import CampaignSettings
from scheduler.collect import EMPTY_PAGES_LIMIT, collect_once
from scheduler.xanswer import MAX_RATE_WAIT
from scheduler.xclient import Credentials, XClient
from tests.fixtures.hostile import Hostile, answer, delayed, search_page, tweet
from tests.web_helpers import load_campaign

SETTINGS = CampaignSettings(name="test")
SEARCH = ("GET", "/2/tweets/search/recent")


def client(server: Hostile, timeout: float = 2.0) -> XClient:
    return XClient(Credentials.from_env(server.env(), need_bearer=True), timeout=timeout)


def runs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    cur = db.execute("SELECT * FROM collect_runs ORDER BY id")
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def stored(db: sqlite_utils.Database) -> list[str]:
    return [str(r[0]) for r in db.execute("SELECT id FROM mentions ORDER BY id")]


def test_empty_pages_with_a_token_stop(hostile: Hostile, db: sqlite_utils.Database) -> None:
    """Endless empty pages, each with a new next_token, stop after a few requests, no cursor kept."""
    hostile.on(*SEARCH, *[answer(search_page([], f"token{i}")) for i in range(1000)])
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert EMPTY_PAGES_LIMIT == result.requests == len(hostile.requests(*SEARCH))
    [run] = runs(db)
    assert ("done", None) == (run["status"], run["next_token"])
    assert "empty pages" in run["error"]
    again = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert EMPTY_PAGES_LIMIT == again.requests  # a fresh start, not a poisoned cursor


def test_a_repeated_token_stops(hostile: Hostile, db: sqlite_utils.Database) -> None:
    """Pages that keep sending the same next_token stop at the first repeat; posts are kept."""
    hostile.on(
        *SEARCH,
        answer(search_page([tweet(30), tweet(29)], "loop")),
        answer(search_page([tweet(28)], "loop")),
    )
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert 2 == result.requests
    assert ["28", "29", "30"] == stored(db)
    assert "already sent" in runs(db)[0]["error"]


def test_paging_stops_at_the_read_budget(hostile: Hostile, db: sqlite_utils.Database) -> None:
    """Full pages with ever new tokens stop at the daily read budget."""
    pages = [
        answer(search_page([tweet(10_000 - 100 * i - k) for k in range(100)], f"t{i}"))
        for i in range(50)
    ]
    hostile.on(*SEARCH, *pages)
    settings = CampaignSettings(name="test", collect_max_reads_per_day=500)
    result = collect_once(db, client(hostile), settings, retry_delays=())
    assert ("budget", 500, 5) == (result.status, result.fetched, result.requests)


def test_reads_are_counted_from_what_was_stored(
    hostile: Hostile, db: sqlite_utils.Database
) -> None:
    """Of a page of 100 items with 60 invalid ones, 40 reads are counted and 40 posts stored."""
    good = [tweet(500 + i) for i in range(40)]
    bad: list[Any] = [{"id": [1]}, {"id": "7" * 40, "text": "x"}, {"text": 5, "id": "9"}, 3, None]
    page = search_page(good)
    page["data"] = good + bad * 12
    hostile.on(*SEARCH, answer(page))
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert (40, 40) == (result.fetched, len(stored(db)))
    assert 40 == runs(db)[0]["fetched"]


def test_a_page_of_millions_is_not_billed(hostile: Hostile, db: sqlite_utils.Database) -> None:
    """A page with far more posts than asked for is malformed: nothing stored, nothing billed."""
    page = search_page([tweet(10**6 + i) for i in range(5000)])
    hostile.on(*SEARCH, answer(page))
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert ("interrupted", 0, []) == (result.status, result.fetched, stored(db))
    assert "malformed" in (result.error or "")


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": "1"}},
        {"data": [tweet(1)], "meta": [1]},
        {"data": [tweet(1)], "includes": "x"},
        {"data": [tweet(1)], "includes": {"users": {"id": "1"}}},
        {"data": [tweet(1)], "meta": {"next_token": {"a": 1}}},
        {"data": [tweet(1)], "meta": {"newest_id": "1" * 40}},
        [tweet(1)],
    ],
)
def test_a_page_of_the_wrong_shape_ends_the_run_cleanly(
    hostile: Hostile, db: sqlite_utils.Database, body: Any
) -> None:
    """Wrong JSON types in a search answer end the run as interrupted, no traceback, no row
    left running."""
    hostile.on(*SEARCH, answer(body))
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert "interrupted" == result.status
    assert ["interrupted"] == [r["status"] for r in runs(db)]


def test_odd_items_are_dropped_and_good_ones_kept(
    hostile: Hostile, db: sqlite_utils.Database
) -> None:
    """Huge ids, wrong types and lone surrogates in items: the good posts and users are stored."""
    odd_tweet = {**tweet(41), "public_metrics": {"like_count": "many"}, "lang": ["en"]}
    surrogate = {**tweet(42), "text": "broken \ud800 text #PolicingInConflict"}
    page = {
        "data": [odd_tweet, surrogate, tweet(43), {"id": 2**64, "text": "too big"}],
        "includes": {"users": [{"id": "99", "username": "ok"}, {"id": "9" * 30}, 7]},
        "meta": {"result_count": 4},
    }
    hostile.on(*SEARCH, answer(page))
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert ("done", ["41", "42", "43"]) == (result.status, stored(db))
    assert [(99, "ok")] == list(db.execute("SELECT id, username FROM authors"))
    text = db.execute("SELECT text FROM mentions WHERE id = 42").fetchone()[0]
    assert "broken \ufffd text #PolicingInConflict" == text


def test_a_far_future_reset_is_capped(hostile: Hostile, db: sqlite_utils.Database) -> None:
    """A 429 with a reset in the far future ends the run rate-limited until at most 24 h on."""
    from campaign.clock import from_db, now

    hostile.on(*SEARCH, answer({"title": "Too Many"}, 429, {"x-rate-limit-reset": "9" * 19}))
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert "rate-limited" == result.status
    [run] = runs(db)
    assert from_db(run["rate_reset_at"]) <= now() + MAX_RATE_WAIT


def test_an_interrupted_run_is_not_left_running(
    hostile: Hostile, db: sqlite_utils.Database
) -> None:
    """Ctrl-C between pages (raised by the progress display) marks the run interrupted."""
    hostile.on(*SEARCH, answer(search_page([tweet(60)], "more")), answer(search_page([tweet(59)])))

    def interrupt(requests: int, fetched: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        collect_once(db, client(hostile), SETTINGS, retry_delays=(), progress=interrupt)
    [run] = runs(db)
    assert ("interrupted", "more") == (run["status"], run["next_token"])
    result = collect_once(db, client(hostile), SETTINGS, retry_delays=())
    assert ["59", "60"] == stored(db)
    assert "done" == result.status


def test_collect_stores_the_base_url_without_its_password(
    hostile: Hostile, run: Callable[..., Result], db: sqlite_utils.Database
) -> None:
    """`campaign collect` with a password in X_API_BASE_URL stores the URL without it."""
    load_campaign(db)  # collect refuses without a campaign
    url = hostile.base_url.replace("http://", "http://admin:hunter2-secret@")
    result = run("collect", "--quiet", env=hostile.env(X_API_BASE_URL=url))
    assert 0 == result.exit_code, result.output
    assert [hostile.base_url] == [r["api_base_url"] for r in runs(db)]
    assert "hunter2" not in result.output


@pytest.mark.parametrize("command", [["collect"], ["publish"], ["daemon"]])
def test_plain_http_to_another_machine_needs_insecure(
    run: Callable[..., Result], db: sqlite_utils.Database, command: list[str]
) -> None:
    """Every command that talks to X refuses a plain-http base URL off this machine, naming
    --insecure (exit 2, nothing sent)."""
    load_campaign(db)  # collect refuses without a campaign before it reads the URL
    env = Hostile.env_for("http://192.0.2.1:8080")
    result = run(*command, env=env)
    assert 2 == result.exit_code
    assert "--insecure" in result.output
    assert f"`campaign {command[0]}`" in result.output


def test_collect_honours_campaign_x_timeout(
    hostile: Hostile, run: Callable[..., Result], db: sqlite_utils.Database
) -> None:
    """CAMPAIGN_X_TIMEOUT bounds collect's calls: an answer 3 s late is given up at 0.5 s and
    the search asked again."""
    load_campaign(db)  # collect refuses without a campaign
    hostile.on(
        *SEARCH, delayed(3, answer(search_page([tweet(70)]))), answer(search_page([tweet(71)]))
    )
    result = run("collect", "--quiet", env={**hostile.env(), "CAMPAIGN_X_TIMEOUT": "0.5"})
    assert 0 == result.exit_code, result.output
    assert (2, ["71"]) == (len(hostile.requests(*SEARCH)), stored(db))
