"""Alerts through Apprise to a real webhook on 127.0.0.1: `campaign notify test`, the `notify:`
setting and CAMPAIGN_NOTIFY, each incident told once when it starts and once when it clears,
plain words naming the campaign, the post and what to do, never a secret, and a failing
notifier retried later."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.clock import now, to_db
from campaign.store import set_state
from posts import queue
from scheduler import incidents, lease
from scheduler.alerts import Alerts, watch_once
from scheduler.publish import STOPPED_KEY
from tests.fixtures.webhook import Webhook
from tests.publishing import add_post
from tests.web_helpers import SAMPLE, load_campaign

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
CAMPAIGN = "Policing in Conflict-Affected Settings"


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    """The clock stopped at NOW (an hour before the event starts)."""
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def notified(
    db: sqlite_utils.Database, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> Webhook:
    """The sample campaign loaded, its alerts going to the webhook through CAMPAIGN_NOTIFY."""
    load_campaign(db)
    monkeypatch.setenv("CAMPAIGN_NOTIFY", webhook.url)
    return webhook


def _stop(db: sqlite_utils.Database, reason: str) -> None:
    set_state(db, STOPPED_KEY, json.dumps({"reason": reason, "at": to_db(now())}))


def test_notify_test_reaches_every_notifier(
    db: sqlite_utils.Database, webhook: Webhook, run: Callable[..., Result]
) -> None:
    """CAMPAIGN_NOTIFY holds two URLs (space-separated): each gets the test message."""
    load_campaign(db)
    env = {"CAMPAIGN_NOTIFY": f"{webhook.url} {webhook.form_url}"}
    result = run("notify", "test", env=env)
    assert 0 == result.exit_code
    assert (
        "Sent a test message to json://127.0.0.1/…\nSent a test message to form://127.0.0.1/…\n"
        == result.output
    )
    assert webhook.wait(2)
    assert [f"{CAMPAIGN}: Test message"] * 2 == webhook.titles()
    assert (
        "Campaign: Policing in Conflict-Affected Settings (#PolicingInConflict)"
        in (webhook.messages[0]["message"])
    )


def test_notify_test_without_notifiers_says_how_to_add_one(
    run: Callable[..., Result], db: sqlite_utils.Database
) -> None:
    """No `notify:` and no CAMPAIGN_NOTIFY: exit 2 naming both places."""
    assert 0 == run("init").exit_code  # only init creates a database
    result = run("notify", "test")
    assert 2 == result.exit_code
    assert "add Apprise URLs to `notify:`" in result.output
    assert "CAMPAIGN_NOTIFY" in result.output


def test_notify_test_reports_a_notifier_that_fails(
    notified: Webhook, run: Callable[..., Result]
) -> None:
    """A notifier answering 500: exit 2, naming it masked, never its whole URL."""
    notified.failing = True
    result = run("notify", "test", env={"CAMPAIGN_NOTIFY": notified.url + "?token=s3cr3t"})
    assert 2 == result.exit_code
    assert "Not delivered to json://127.0.0.1/…" in result.output
    assert "s3cr3t" not in result.output


def test_notify_setting_in_the_yaml(
    tmp_path: Path, webhook: Webhook, run: Callable[..., Result]
) -> None:
    """`notify:` takes Apprise URLs; one Apprise does not know is refused at its line, masked."""
    text = SAMPLE.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace("campaign:\n", "campaign:\n  notify:\n    - nosuch://user:pw@host/x\n", 1)
    )
    refused = run("init") and run("load", bad)
    assert 2 == refused.exit_code
    assert "campaign.notify[1]" in refused.output
    assert "nosuch://host/… is not a URL Apprise understands" in refused.output
    assert "pw@" not in refused.output
    good = tmp_path / "good.yaml"
    good.write_text(text.replace("campaign:\n", f"campaign:\n  notify: ['{webhook.url}']\n", 1))
    assert 0 == run("load", good).exit_code
    assert 0 == run("notify", "test").exit_code
    assert webhook.wait(1)


def test_publishing_stopped_is_told_once_and_again_when_cleared(
    db: sqlite_utils.Database,
    db_path: Path,
    notified: Webhook,
    frozen: time_machine.Coordinates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop: one message with the fix in plain words and no secret; looking again sends
    nothing; resumed: one "Resolved" message."""
    monkeypatch.setenv("X_API_KEY", "key-SECRET-1234")
    assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
    _stop(db, "X refused the credentials key-SECRET-1234 (401 Unauthorized)")
    assert (["publishing_stopped"], []) == watch_once(str(db_path))
    assert ([], []) == watch_once(str(db_path))
    assert [f"{CAMPAIGN}: Publishing to X has stopped"] == notified.titles()
    body = notified.messages[0]["message"]
    assert "Campaign: Policing in Conflict-Affected Settings (#PolicingInConflict)" in body
    assert "What to do: If X locked or suspended the account, unlock it on x.com." in body
    assert "press Resume publishing" in body
    assert "key-SECRET-1234" not in body
    set_state(db, STOPPED_KEY, None)
    assert ([], ["publishing_stopped"]) == watch_once(str(db_path))
    assert f"Resolved — {CAMPAIGN}: Publishing to X has stopped" == notified.titles()[-1]
    assert 2 == len(notified.messages)


def test_a_failed_post_names_the_post_and_what_to_do(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """A post that failed: its id, text and time, X's reason, and how to fix it."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
    post = add_post(db, "Doors open at 9:30 #PolicingInConflict", now() - timedelta(minutes=1))
    assert queue.claim(db, post, "d", "d", timeout=10) is not None
    assert queue.transition(
        db, post, "publishing", "failed", "d", "too long", last_error="X refused it: too long"
    )
    assert (["post_failed"], []) == watch_once(str(db_path))
    body = notified.messages[0]["message"]
    assert f"Post {post} (“Doors open at 9:30 #PolicingInConflict”), due 2026-12-06 09:59 EST" in (
        body
    )
    assert "failed: X refused it: too long." in body
    assert f"`campaign posts show {post}`" in body


def test_a_post_due_soon_without_a_daemon(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """An approved post due within 15 minutes while no daemon holds the lease is told, with how
    to start the daemon; a daemon taking the lease clears it."""
    add_post(db, "Starting soon #PolicingInConflict", now() + timedelta(minutes=20))
    assert ([], []) == watch_once(str(db_path))
    frozen.shift(timedelta(minutes=6))
    assert (["no_daemon"], []) == watch_once(str(db_path))
    assert "sudo systemctl start campaign-daemon" in notified.messages[0]["message"]
    assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
    assert ([], ["no_daemon"]) == watch_once(str(db_path))


def test_the_daily_cap_and_collection_stopping_are_told(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """The cap reached with a post held, and collecting failing: one message each."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
    for i in range(100):
        p = add_post(db, f"out {i} #PolicingInConflict", now() - timedelta(hours=2))
        assert queue.claim(db, p, "d", "d", timeout=10) is not None
        queue.transition(db, p, "publishing", "published", "d", published_at=now(), tweet_id=str(i))
    add_post(db, "held #PolicingInConflict", now())
    set_state(db, "collect_last_error", json.dumps({"at": to_db(now()), "message": "timed out"}))
    assert (["daily_cap", "collect_stopped"], []) == sorted_kinds(watch_once(str(db_path)))
    titles = notified.titles()
    assert f"{CAMPAIGN}: The daily cap is reached" in titles
    assert f"{CAMPAIGN}: Collecting the conversation has stopped" in titles


def sorted_kinds(result: tuple[list[str], list[str]]) -> tuple[list[str], list[str]]:
    return (sorted(result[0], reverse=True), sorted(result[1]))


def test_a_failing_notifier_is_retried_later_and_nothing_is_lost(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """While the notifier answers 500 the message waits in the outbox (attempts, last error);
    once it works again the message arrives, once."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
    _stop(db, "X refused the credentials (401 Unauthorized)")
    notified.failing = True
    watch_once(str(db_path))
    assert (1, []) == (notified.refused, notified.messages)
    row = incidents.sent(db)[0]
    assert (1, None) == (row["attempts"], row["sent_at"])
    assert "did not take the message" in row["last_error"]
    watch_once(str(db_path))
    assert 1 == notified.refused  # not before its retry time
    notified.failing = False
    frozen.shift(timedelta(seconds=31))
    watch_once(str(db_path))
    watch_once(str(db_path))
    assert [f"{CAMPAIGN}: Publishing to X has stopped"] == notified.titles()


def test_a_database_incident_is_told_once_from_memory(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook
) -> None:
    """A database that cannot be written: told once however often the round fails, and once
    more when a round succeeds; the worker thread sends them."""
    alerts = Alerts(str(db_path), interval=0.1)
    alerts.run_once()  # learns the campaign and its notifiers
    alerts.start()
    try:
        alerts.database_error("the disk holding campaign.db is full")
        alerts.database_error("the disk holding campaign.db is full")
        assert notified.wait(1)
        alerts.database_ok()
        assert notified.wait(2)
    finally:
        alerts.stop()
    assert [
        f"{CAMPAIGN}: The database cannot be written",
        f"Resolved — {CAMPAIGN}: The database cannot be written",
    ] == notified.titles()
    assert "free disk space" in notified.messages[0]["message"]


def test_a_failed_post_stays_open_until_it_moves_on(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """A day later the failed post is no longer news but not resolved either: no message; it
    is resolved when a person approves it again."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=86400 * 3)
    post = add_post(db, "Doors open #PolicingInConflict", now() + timedelta(hours=1))
    assert queue.claim(db, post, "d", "d", timeout=10) is not None
    assert queue.transition(db, post, "publishing", "failed", "d", last_error="too long")
    assert (["post_failed"], []) == watch_once(str(db_path))
    frozen.shift(timedelta(days=2))
    assert ([], []) == watch_once(str(db_path))
    queue.move(db, post, "approved", "cli:tester")
    assert ([], ["post_failed"]) == watch_once(str(db_path))
    assert [
        f"{CAMPAIGN}: A post failed",
        f"Resolved — {CAMPAIGN}: A post failed",
    ] == notified.titles()


def test_a_failed_post_from_before_is_not_news(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """Posts that failed days before alerts were set up open no incident."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=86400 * 3)
    post = add_post(db, "Old one #PolicingInConflict", now() - timedelta(days=3))
    assert queue.claim(db, post, "d", "d", timeout=10) is not None
    assert queue.transition(db, post, "publishing", "failed", "d", last_error="too long")
    frozen.shift(timedelta(days=2))
    assert ([], []) == watch_once(str(db_path))
    assert [] == notified.messages


def test_open_incidents_show_in_status_and_on_the_status_page(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, run: Callable[..., Result]
) -> None:
    """An open incident is listed by `campaign status` (and --json) and on the status page."""
    from campaign.web import create_app
    from tests.web_helpers import Browserish

    _stop(db, "X refused the credentials (401 Unauthorized)")
    watch_once(str(db_path))
    assert ["publishing_stopped"] == [
        i["kind"] for i in json.loads(run("status", "--json").output)["incidents"]
    ]
    assert "Incident since " in run("status").output
    page = Browserish(create_app(db_path)).get("/status").get_data(as_text=True)
    assert 'id="incidents"' in page
    assert "What to do: If X locked or suspended the account" in page


def _collect_run(
    db: sqlite_utils.Database, fetched: int, status: str = "done", reset: datetime | None = None
) -> None:
    db.execute(
        "INSERT INTO collect_runs (started_at, finished_at, query, fetched, status, "
        "rate_reset_at) VALUES (?, ?, '#PolicingInConflict', ?, ?, ?)",
        [to_db(now()), to_db(now()), fetched, status, to_db(reset) if reset else None],
    )


def test_collection_paused_by_the_read_budget_is_told(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """The daily read budget used up: told with until when and how to raise it; over when a day
    has passed."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=86400 * 3)
    _collect_run(db, 9_950)
    assert (["collect_stopped"], []) == watch_once(str(db_path))
    body = notified.messages[0]["message"]
    assert "the daily read budget of 10,000 posts is used up until 2026-12-07 10:00 EST" in body
    assert "collect_max_reads_per_day" in body
    frozen.shift(timedelta(hours=24, minutes=1))
    assert ([], ["collect_stopped"]) == watch_once(str(db_path))


def test_a_long_rate_limit_on_search_is_told_and_a_short_one_is_not(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook, frozen: time_machine.Coordinates
) -> None:
    """A 429 that stops collecting for 5 minutes is routine; for 20 minutes it is an incident."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=86400)
    _collect_run(db, 100, "rate-limited", now() + timedelta(minutes=5))
    assert ([], []) == watch_once(str(db_path))
    frozen.shift(timedelta(minutes=6))
    _collect_run(db, 100, "rate-limited", now() + timedelta(minutes=20))
    assert (["collect_stopped"], []) == watch_once(str(db_path))
    assert "X is limiting searches" in notified.messages[0]["message"]


def test_two_processes_delivering_send_each_message_once(
    db: sqlite_utils.Database, db_path: Path, notified: Webhook
) -> None:
    """The daemon's worker and `campaign notify watch` delivering at the same moment: each
    message goes out once (a message is claimed before it is sent)."""
    import threading

    from campaign.notify import targets

    assert lease.acquire(db, "daemon:h:1:x", ttl=3600)
    _stop(db, "X refused the credentials (401 Unauthorized)")
    incidents.sync(db, incidents.conditions(db), targets())  # one message waiting
    notified.delay = 0.3
    workers = [threading.Thread(target=watch_once, args=(str(db_path),)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [f"{CAMPAIGN}: Publishing to X has stopped"] == notified.titles()
