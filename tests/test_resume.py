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
from scheduler.publish import STOPPED_KEY, stopped
from tests.web_helpers import Browserish, load_campaign


def _stop(db: sqlite_utils.Database) -> None:
    set_state(
        db,
        STOPPED_KEY,
        json.dumps({"reason": "X refused the credentials (401 Unauthorized)", "at": to_db(now())}),
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
