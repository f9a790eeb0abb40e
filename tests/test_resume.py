"""Resuming publishing after a stop: `campaign resume` works while a daemon holds the lease, and
an approver resumes from the console's banner (a POST with the CSRF token, like every form)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import sqlite_utils
from click.testing import Result

from campaign.clock import now, to_db
from campaign.store import set_state
from campaign.web import create_app
from scheduler import lease
from scheduler.health import stop_reason
from scheduler.publish import STOPPED_KEY, stopped
from tests.fixtures.simulator import FakeX
from tests.web_helpers import Browserish, load_campaign


def _stop(db: sqlite_utils.Database) -> None:
    """Stop publishing as the publisher does on a 401 (scheduler.publish.Publishing._stop)."""
    reason = (
        "X refused the credentials (401: Unauthorized): check X_API_KEY, X_API_SECRET, "
        "X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET"
    )
    set_state(
        db,
        STOPPED_KEY,
        json.dumps({"reason": reason, "at": to_db(now()), "status": 401, "detail": "Unauthorized"}),
    )


def test_resume_works_while_a_daemon_holds_the_lease(
    db: sqlite_utils.Database, run: Callable[..., Result]
) -> None:
    """`campaign resume` clears the stop though a daemon holds the lease, and says it goes on."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=60)
    _stop(db)
    result = run("resume")
    assert 0 == result.exit_code
    assert "Publishing resumed: the running daemon goes on within a second or two.\n" == (
        result.output
    )
    assert stopped(db) is None
    assert "Publishing was not stopped: nothing to resume.\n" == run("resume").output


def test_banner_names_the_fix_and_offers_resume(db: sqlite_utils.Database, db_path: Path) -> None:
    """The banner says what to do in plain words (not variable names) and has the button."""
    load_campaign(db)
    _stop(db)
    page = Browserish(create_app(db_path)).get("/queue").get_data(as_text=True)
    assert "unlock it on x.com" in page
    assert "put the new keys in the" in page
    assert 'id="resume-publishing"' in page
    assert "X refused the campaign account’s keys (401: Unauthorized)." in page
    assert "X_API_KEY" not in page


def test_console_resume_needs_the_csrf_token(db: sqlite_utils.Database, db_path: Path) -> None:
    """POST /status/resume without the form's token is refused and changes nothing; with it the
    stop is cleared and the banner is gone."""
    load_campaign(db)
    _stop(db)
    web = Browserish(create_app(db_path))
    assert 403 == web.post("/status/resume", csrf=False).status_code
    assert stopped(db) is not None
    answer = web.post("/status/resume")
    assert 302 == answer.status_code
    assert stopped(db) is None
    page = web.get("/status").get_data(as_text=True)
    assert "Publishing resumed" in page
    assert 'id="publishing-stopped"' not in page


def test_a_refusal_is_kept_as_data(db: sqlite_utils.Database, fake_x: FakeX) -> None:
    """A 401 from X stops publishing with X's status and words kept apart from the message."""
    from scheduler.publish import PublishConfig, Publishing
    from scheduler.publisher import XPublisher
    from scheduler.xclient import Credentials, XClient
    from tests.publishing import add_post

    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=60)
    client = XClient(Credentials.from_env({**fake_x.env, "X_API_KEY": "revoked"}), timeout=2)
    add_post(db, "Doors open #PolicingInConflict", now())
    Publishing(db, XPublisher(client), holder, PublishConfig()).run_due()
    stop = stopped(db)
    assert stop is not None
    assert 401 == stop["status"]
    assert "X refused the campaign account’s keys (401" in stop_reason(stop)
    assert "X_API_KEY" not in stop_reason(stop)
