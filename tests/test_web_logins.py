"""Password guessing against the console: throttled per address, counted in the database (so
across threads and restarts), every failure logged without the password given."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine

from campaign.web import create_app
from campaign.web.logins import MAX_FAILURES, WINDOW
from tests.web_helpers import load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _headers(password: str, name: str = "alice") -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Host": "127.0.0.1", "Authorization": f"Basic {token}"}


def _get(app: object, password: str, address: str = "192.0.2.7") -> int:
    client = app.test_client()  # type: ignore[attr-defined]
    answer = client.get(
        "/static/app.css", headers=_headers(password), environ_base={"REMOTE_ADDR": address}
    )
    return int(answer.status_code)


@pytest.fixture
def traveller(db: sqlite_utils.Database) -> Iterator[time_machine.Coordinates]:
    """The sample campaign loaded, time frozen at NOW (movable)."""
    load_campaign(db)
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def test_guessing_is_refused_after_too_many_wrong_passwords(
    traveller: time_machine.Coordinates, db_path: Path
) -> None:
    """After MAX_FAILURES wrong passwords, even the right one is refused (429) from that address."""
    app = create_app(db_path, password=PASSWORD)
    wrong = [_get(app, f"guess {i}") for i in range(MAX_FAILURES)]
    assert ([401] * MAX_FAILURES, 429) == (wrong, _get(app, PASSWORD))


def test_a_throttled_answer_says_when_to_try_again(
    traveller: time_machine.Coordinates, db_path: Path
) -> None:
    """The 429 carries Retry-After: the seconds until the last failure leaves the window."""
    app = create_app(db_path, password=PASSWORD)
    for i in range(MAX_FAILURES):
        _get(app, f"guess {i}")
    answer = app.test_client().get(
        "/calendar", headers=_headers("x"), environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert (429, str(int(WINDOW.total_seconds()))) == (
        answer.status_code,
        answer.headers["Retry-After"],
    )


def test_other_addresses_are_not_throttled(
    traveller: time_machine.Coordinates, db_path: Path
) -> None:
    """Guessing from one address does not lock out a colleague at another."""
    app = create_app(db_path, password=PASSWORD)
    for i in range(MAX_FAILURES):
        _get(app, f"guess {i}")
    assert 200 == _get(app, PASSWORD, address="192.0.2.8")


def test_the_count_survives_a_restart(traveller: time_machine.Coordinates, db_path: Path) -> None:
    """A console started again on the same database still refuses the guessing address."""
    first = create_app(db_path, password=PASSWORD)
    for i in range(MAX_FAILURES):
        _get(first, f"guess {i}")
    assert 429 == _get(create_app(db_path, password=PASSWORD), PASSWORD)


def test_the_address_may_try_again_after_the_window(
    traveller: time_machine.Coordinates, db_path: Path
) -> None:
    """Once the window has passed since the failures, the right password lets the address in."""
    app = create_app(db_path, password=PASSWORD)
    for i in range(MAX_FAILURES):
        _get(app, f"guess {i}")
    traveller.shift(WINDOW + timedelta(seconds=1))
    assert 200 == _get(app, PASSWORD)


def test_guesses_from_many_threads_are_counted_together(
    traveller: time_machine.Coordinates, db_path: Path
) -> None:
    """Forty guesses sent from eight threads at once: at most one round of threads gets past
    the limit before every further guess is refused."""
    app = create_app(db_path, password=PASSWORD)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: _get(app, f"guess {i}"), range(40)))
    assert (True, True) == (codes.count(401) <= MAX_FAILURES + 8, codes.count(429) >= 22)


def test_failures_are_logged_without_the_password(
    traveller: time_machine.Coordinates, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each wrong password is logged with the address and name given, never the password."""
    app = create_app(db_path, password=PASSWORD)
    with caplog.at_level(logging.WARNING, logger="campaign.web.logins"):
        _get(app, "hunter2-guess")
    lines = [r.getMessage() for r in caplog.records if r.name == "campaign.web.logins"]
    assert (
        ["console login failed address=192.0.2.7 name='alice' failures=1 window_minutes=15"],
        False,
    ) == (lines, any("hunter2" in line for line in lines))
