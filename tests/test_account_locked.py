"""X refusing a locked or suspended account (issue 13: "publishing stopped (credentials
refused, account locked)"): publishing stops as for refused keys, the post stays approved, the
status, the console and an alert say the account is locked and how to unlock it, and after
`campaign resume` the post goes out once. A 403 about one post stays that post's failure.

Over real HTTP through tweepy: the simulator answers as a locked account (``set_user(id,
locked=True)``); X's other shapes of the same answer come from a scripted server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import Result

from campaign.clock import now
from campaign.web import create_app
from posts import queue
from scheduler import incidents, lease
from scheduler.alerts import watch_once
from scheduler.health import stop_reason
from scheduler.publish import PublishConfig, Publishing, stopped
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from scheduler.xerrors import AccountLocked, AuthFailed, DuplicateContent, Refused, ReplyRefused
from tests.fixtures.hostile import Hostile, answer
from tests.fixtures.simulator import FakeX
from tests.fixtures.webhook import Webhook
from tests.publishing import add_post, wait_for
from tests.test_daemon import start_daemon, stop
from tests.web_helpers import Browserish, load_campaign

CAMPAIGN = "Policing in Conflict-Affected Settings"
LOCKED = "To protect our users from spam and other malicious activity, this account is temporarily"


def post_requests(fake_x: FakeX, status: int | None = None) -> int:
    return len(
        [
            r
            for r in fake_x.requests()
            if r["group"] == "post" and (status is None or r["status"] == status)
        ]
    )


def test_campaign_publish_stops_on_a_locked_account_and_resumes_once(
    db: sqlite_utils.Database,
    db_path: Path,
    fake_x: FakeX,
    webhook: Webhook,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two posts due, the account locked: the first is refused, publishing stops (exit 2, the
    fix in plain words), neither post failed and the second was never sent; status, the
    check line, the console banner and the alert name the lock. Unlocked and resumed: each post
    goes out once."""
    load_campaign(db)
    for k, v in {**fake_x.env, "CAMPAIGN_NOTIFY": webhook.url}.items():
        monkeypatch.setenv(k, v)
    first = add_post(db, "Doors open at 9:30 #PolicingInConflict", now() - timedelta(seconds=2))
    second = add_post(db, "Panel one starts #PolicingInConflict", now() - timedelta(seconds=1))
    fake_x.set_user(fake_x.user_id, locked=True)

    refused = run("publish")
    assert 2 == refused.exit_code
    assert "publishing is stopped: the X account is locked (403: " + LOCKED in refused.output
    assert "unlock it in the X app" in refused.output
    assert "then run `campaign resume`" in refused.output
    assert "Fix the credentials" not in refused.output
    assert "X_API_KEY" not in refused.output
    assert ["approved", "approved"] == [queue.get(db, p).status for p in (first, second)]
    assert (1, 1) == (post_requests(fake_x), post_requests(fake_x, 403))
    stop = stopped(db)
    assert stop is not None and "locked" == stop["account_state"] and 403 == stop["status"]

    status = " ".join(run("status").output.split())  # as read, whatever the terminal's width
    assert "Publishing STOPPED" in status
    assert "X says the campaign account is locked (403:" in status
    assert "follow X's steps to unlock it; new keys do not help" in status
    check = run("status", "--check")
    assert 2 == check.exit_code
    assert "publishing is stopped: the X account is locked" in check.output

    html = Browserish(create_app(db_path)).get("/queue").get_data(as_text=True)
    page = " ".join(unescape(html).split())
    assert "X says the campaign account is locked (403:" in page
    assert "follow X's steps to unlock it; new keys do not help" in page
    assert "refused the campaign account’s keys" not in page
    assert 'id="resume-publishing"' in page

    opened, _ = watch_once(str(db_path))  # as `campaign notify watch` from cron (no daemon)
    assert "publishing_stopped" in opened
    assert webhook.wait(len(opened))
    titles = webhook.titles()
    assert 1 == titles.count(f"{CAMPAIGN}: Publishing to X has stopped")
    body = webhook.messages[titles.index(f"{CAMPAIGN}: Publishing to X has stopped")]["message"]
    assert "X says the campaign account is locked" in body
    assert "What to do: X locked the campaign account: log in to it in the X app" in body
    assert "Resume publishing" in body

    fake_x.set_user(fake_x.user_id, locked=False)
    assert 2 == run("publish").exit_code  # still stopped until a person resumes
    assert 1 == post_requests(fake_x)
    assert 0 == run("resume").exit_code
    resumed = run("publish")
    assert 0 == resumed.exit_code, resumed.output
    assert ["published", "published"] == [queue.get(db, p).status for p in (first, second)]
    texts = [t["submitted_text"] for t in fake_x.tweets(source="api")]
    assert [
        "Doors open at 9:30 #PolicingInConflict",
        "Panel one starts #PolicingInConflict",
    ] == texts
    assert "publishing_stopped" in watch_once(str(db_path))[1]
    assert wait_for(
        lambda: f"Resolved — {CAMPAIGN}: Publishing to X has stopped" in webhook.titles(), 10
    )


@pytest.mark.slow
def test_the_daemon_stops_on_a_locked_account_alerts_and_resumes(
    db: sqlite_utils.Database,
    db_path: Path,
    fake_x: FakeX,
    webhook: Webhook,
    run: Callable[..., Result],
    tmp_path: Path,
) -> None:
    """A running daemon whose account X locks: the due post is refused and stays approved,
    publishing stops, an alert arrives; unlocked and `campaign resume`: it goes out once."""
    load_campaign(db)
    log = tmp_path / "daemon.log"
    env = {"CAMPAIGN_NOTIFY": webhook.url, "CAMPAIGN_ALERTS_INTERVAL": "0.3"}
    daemon = start_daemon(fake_x, db_path, log, env=env)  # type: ignore[arg-type]
    try:
        assert wait_for(lambda: lease.current(db) is not None, timeout=15)
        fake_x.set_user(fake_x.user_id, locked=True)
        post = add_post(db, "Doors open at 9:30 #PolicingInConflict", now())
        assert wait_for(lambda: stopped(db) is not None, timeout=10), log.read_text()
        assert "approved" == queue.get(db, post).status
        assert 1 == post_requests(fake_x, 403)
        assert webhook.wait(1), log.read_text()
        assert [f"{CAMPAIGN}: Publishing to X has stopped"] == webhook.titles()
        assert "X locked the campaign account" in webhook.messages[0]["message"]
        assert "publishing STOPPED: the X account is locked" in log.read_text()

        fake_x.set_user(fake_x.user_id, locked=False)
        assert 0 == run("resume", env={"CAMPAIGN_DB": str(db_path)}).exit_code
        assert wait_for(lambda: queue.get(db, post).status == "published", timeout=10)
        assert webhook.wait(2)
    finally:
        assert 0 == stop(daemon)
    assert ["Doors open at 9:30 #PolicingInConflict"] == [
        t["submitted_text"] for t in fake_x.tweets(source="api")
    ]
    assert f"Resolved — {CAMPAIGN}: Publishing to X has stopped" == webhook.titles()[-1]


def test_a_suspended_account_stops_publishing_with_its_own_advice(
    db: sqlite_utils.Database, fake_x: FakeX
) -> None:
    """X's v2 ``user-suspended`` answer: the same stop, said as a suspension (appeal, not keys)."""
    load_campaign(db)
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=60)
    post = add_post(db, "Doors open #PolicingInConflict", now())
    fake_x.set_user(fake_x.user_id, suspended=True)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    Publishing(db, XPublisher(client), holder, PublishConfig()).run_due()
    stop = stopped(db)
    assert stop is not None and "suspended" == stop["account_state"]
    assert "approved" == queue.get(db, post).status
    assert (
        "X says the campaign account is suspended (403: The user used for authentication is "
        "suspended)" == stop_reason(stop)
    )
    (found,) = [c for c in incidents.conditions(db) if c.kind == "publishing_stopped"]
    assert found.advice.startswith("X suspended the campaign account: its owner must appeal")


SUSPENDED_V11 = {
    "errors": [
        {
            "code": 64,
            "message": "Your account is suspended and is not permitted to access this feature.",
        }
    ]
}
LOCKED_V11 = {"errors": [{"code": 326, "message": LOCKED + " locked."}]}
LOCKED_BY_CODE = {"errors": [{"code": 326, "message": "Forbidden"}]}
SUSPENDED_V2 = {
    "detail": "The user used for authentication is suspended",
    "title": "Forbidden",
    "status": 403,
    "type": "https://api.twitter.com/2/problems/user-suspended",
}


@pytest.mark.parametrize(
    ("body", "kind", "state"),
    [
        (SUSPENDED_V11, AccountLocked, "suspended"),
        (LOCKED_V11, AccountLocked, "locked"),
        (LOCKED_BY_CODE, AccountLocked, "locked"),
        (SUSPENDED_V2, AccountLocked, "suspended"),
        (
            {
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
            },
            DuplicateContent,
            None,
        ),
        (
            {
                "detail": "Reply to this conversation is not allowed because you have not been "
                "mentioned or otherwise engaged by the author of the post you are replying to.",
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
            },
            ReplyRefused,
            None,
        ),
        (
            {
                "detail": "You are not permitted to perform this action.",
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
            },
            Refused,
            None,
        ),
    ],
)
def test_how_x_words_a_403_decides_stop_or_post_failure(
    hostile: Hostile, body: dict[str, Any], kind: type[Exception], state: str | None
) -> None:
    """X's shapes of "the account is locked/suspended" (v1.1 codes 326 and 64 with or without
    their words, v2's ``user-suspended``) are AccountLocked, an AuthFailed (publishing stops);
    a 403 about the post itself (duplicate, reply not allowed, other) is not."""
    hostile.on("POST", "/2/tweets", answer(body, 403))
    client = XClient(Credentials.from_env(hostile.env()), timeout=2)
    with pytest.raises(kind) as e:
        client.create_post("Doors open #PolicingInConflict")
    assert type(e.value) is kind
    assert isinstance(e.value, AuthFailed) == (state is not None)
    assert state == getattr(e.value, "account_state", None)
    if state is not None:
        assert f"the X account is {state} (403" in str(e.value)
        assert "campaign resume" in str(e.value)
        assert "X_API_KEY" not in str(e.value)


def test_keys_refused_still_speak_of_keys(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A 401 (revoked keys) is not mistaken for a lock: the stop names the keys."""
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=60)
    add_post(db, "Doors open #PolicingInConflict", now())
    client = XClient(Credentials.from_env({**fake_x.env, "X_API_KEY": "revoked"}), timeout=2)
    Publishing(db, XPublisher(client), holder, PublishConfig()).run_due()
    stop = stopped(db)
    assert stop is not None and "account_state" not in stop
    assert stop_reason(stop).startswith("X refused the campaign account’s keys (401")


def test_the_simulator_refuses_every_request_as_a_locked_account(fake_x: FakeX) -> None:
    """Locked: posting and reading as the account get 403 code 326; the app's bearer token
    still searches; unlocking (or a reset) lets the account post again."""
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    fake_x.set_user(fake_x.user_id, locked=True)
    with pytest.raises(AccountLocked):
        client.me()
    with pytest.raises(AccountLocked):
        client.create_post("Doors open #PolicingInConflict")
    client.search_recent("#PolicingInConflict")
    assert [] == fake_x.tweets(source="api")
    fake_x.set_user(fake_x.user_id, locked=False)
    assert client.create_post("Doors open #PolicingInConflict")
    fake_x.set_user(fake_x.user_id, locked=True)
    fake_x.reset()
    assert client.me()["id"] == fake_x.user_id
