"""Health for monitors: `campaign status --check` (one line; exit 0 OK, 1 warning, 2 critical),
`GET /healthz` (JSON, no login, nothing private), and "X unreachable since …" in the status."""

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
from campaign.web import create_app
from scheduler import health, lease
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publish import STOPPED_KEY
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX
from tests.publishing import add_post
from tests.web_helpers import Browserish, load_campaign

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    """The clock stopped at NOW (an hour before the event starts)."""
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def test_check_ok_while_a_daemon_runs(
    db: sqlite_utils.Database, run: Callable[..., Result], frozen: time_machine.Coordinates
) -> None:
    """A live lease and nothing wrong: one OK line, exit 0."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=15)
    result = run("status", "--check")
    assert (0, "OK: daemon running, publishing is healthy\n") == (result.exit_code, result.output)


def test_check_warns_when_no_daemon_and_nothing_due(
    db: sqlite_utils.Database, run: Callable[..., Result], frozen: time_machine.Coordinates
) -> None:
    """No daemon and no post due within 15 minutes: a warning, exit 1."""
    add_post(db, "tomorrow #PolicingInConflict", now() + timedelta(days=1))
    result = run("status", "--check")
    assert (1, "WARNING: no daemon is running\n") == (result.exit_code, result.output)


def test_check_is_critical_when_a_post_is_due_and_no_daemon(
    db: sqlite_utils.Database, run: Callable[..., Result], frozen: time_machine.Coordinates
) -> None:
    """An approved post due within 15 minutes while no daemon holds the lease: exit 2."""
    add_post(db, "soon #PolicingInConflict", now() + timedelta(minutes=10))
    result = run("status", "--check")
    assert 2 == result.exit_code
    assert (
        "CRITICAL: no daemon is running and 1 approved post(s) are due within 15 minutes\n"
        == result.output
    )


def test_check_is_critical_when_publishing_stopped(
    db: sqlite_utils.Database, run: Callable[..., Result], frozen: time_machine.Coordinates
) -> None:
    """A stop is critical, and the line says so first."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=15)
    set_state(db, STOPPED_KEY, json.dumps({"reason": "X refused (401)", "at": to_db(now())}))
    result = run("status", "--check")
    assert (2, "CRITICAL: publishing is stopped\n") == (result.exit_code, result.output)


def test_x_unreachable_warns_then_is_critical_after_two_minutes(
    db: sqlite_utils.Database, run: Callable[..., Result], frozen: time_machine.Coordinates
) -> None:
    """X not answering is a warning at once and critical after two minutes; an answer clears it."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=600)
    assert 1 == health.x_failed(db, "the request to X failed (ConnectionError)")
    first = run("status", "--check")
    assert (1, "WARNING: X unreachable since 2026-12-06T15:00Z\n") == (
        first.exit_code,
        first.output,
    )
    frozen.shift(timedelta(minutes=2))
    assert 2 == health.x_failed(db, "the request to X failed (ConnectionError)")
    assert 2 == run("status", "--check").exit_code
    assert health.x_answered(db)
    assert 0 == run("status", "--check").exit_code


def test_status_says_x_unreachable_instead_of_running(
    db: sqlite_utils.Database, run: Callable[..., Result], frozen: time_machine.Coordinates
) -> None:
    """`campaign status` names the time X was last reachable, not "running"."""
    load_campaign(db)
    assert lease.acquire(db, "daemon:h:1:x", ttl=600)
    health.x_failed(db, "the request to X failed (ConnectionError)")
    result = run("status")
    assert "X unreachable since 2026-12-06 10:00 EST" in result.output
    assert "running" not in result.output.splitlines()[0]
    assert {"since", "last", "count", "detail"} == set(
        json.loads(run("status", "--json").output)["x_unreachable"]
    )


def test_check_on_a_damaged_database_is_critical(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    """A file that is not a database: one CRITICAL line, exit 2, no traceback."""
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    result = run("--db", bad, "status", "--check")
    assert 2 == result.exit_code
    assert result.output.startswith("CRITICAL: database: cannot open")
    assert 1 == len(result.output.splitlines())


def test_healthz_needs_no_login_and_shows_nothing_private(
    db: sqlite_utils.Database, db_path: Path, frozen: time_machine.Coordinates
) -> None:
    """With a password set, /healthz still answers; it holds no post text, host or reason."""
    load_campaign(db)
    add_post(db, "A private draft text #PolicingInConflict", now() + timedelta(minutes=5))
    set_state(db, STOPPED_KEY, json.dumps({"reason": "secret-ish reason", "at": to_db(now())}))
    web = Browserish(create_app(db_path, password="team-pass"))
    assert 401 == web.get("/status").status_code
    answer = web.get("/healthz")
    assert 503 == answer.status_code
    body = answer.get_json()
    assert "critical" == body["status"]
    assert {"publishing_stopped": "critical", "no_daemon": "critical"} == body["checks"]
    text = answer.get_data(as_text=True)
    for private in ("private draft", "secret-ish", "pid", "host"):
        assert private not in text


def test_healthz_ok_is_200(
    db: sqlite_utils.Database, db_path: Path, frozen: time_machine.Coordinates
) -> None:
    """A running daemon and nothing wrong: 200 and "ok"."""
    assert lease.acquire(db, "daemon:h:1:x", ttl=15)
    answer = Browserish(create_app(db_path)).get("/healthz")
    assert (200, "ok") == (answer.status_code, answer.get_json()["status"])
    assert answer.get_json()["daemon_running"]


def test_status_page_says_x_unreachable_since(
    db: sqlite_utils.Database, db_path: Path, frozen: time_machine.Coordinates
) -> None:
    """The console's status page shows "X unreachable since 10:00" in place of "Running"."""
    load_campaign(db)
    assert lease.acquire(db, "daemon:h:1:x", ttl=600)
    health.x_failed(db, "the request to X failed (ConnectionError)")
    page = Browserish(create_app(db_path)).get("/status").get_data(as_text=True)
    assert "X unreachable since 10:00" in page
    assert ">Running<" not in page


@pytest.mark.slow
def test_a_daemon_that_reaches_x_at_start_clears_an_old_unreachable(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX
) -> None:
    """ "X unreachable since …" left by a daemon stopped during a cut ends when the next daemon
    checks the account and X answers."""
    health.x_failed(db, "the request to X failed (ConnectionError)")
    client = XClient(Credentials.from_env(fake_x.env), timeout=2.0)
    daemon = Daemon(str(db_path), XPublisher(client), DaemonConfig(lease_ttl=30))
    daemon.start()
    try:
        assert health.unreachable(db) is None
    finally:
        daemon.shutdown()
