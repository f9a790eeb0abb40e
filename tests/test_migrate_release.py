"""A database made by release 0.1 (tests/fixtures/release-0.1.db, see make_release_0_1.py) opens
with this version, is migrated, and keeps working: list, approve, publish to the simulator."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.store import open_db
from tests.fixtures.simulator import FakeX

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "release-0.1.db"
MADE_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # the fixture's frozen clock


@pytest.fixture
def old_db(db_path: Path) -> Iterator[Path]:
    """A copy of the 0.1 database as the test's CAMPAIGN_DB, the clock 20 minutes after it was
    made (so the fixture's posts are due and not yet overdue)."""
    shutil.copyfile(FIXTURE, db_path)
    with time_machine.travel(MADE_AT + timedelta(minutes=20)):
        yield db_path


def _reasons(path: Path) -> dict[int, tuple[str, str | None]]:
    db = sqlite_utils.Database(path)
    found = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, status, reason FROM posts")}
    db.close()
    return found


def test_the_fixture_is_a_release_0_1_database() -> None:
    """The fixture has m001 and m002 and no reason column: it really is the old schema."""
    db = sqlite_utils.Database(FIXTURE)
    steps = [
        r[0]
        for r in db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'campaign'")
    ]
    columns = [c.name for c in db["posts"].columns]
    db.close()
    assert ["m001_initial", "m002_call_deadline"] == steps
    assert "reason" not in columns


def test_migration_backfills_reasons_from_old_messages(old_db: Path) -> None:
    """m003 gives each post of 0.1 the reason its message prefix named."""
    open_db(old_db).close()
    got = _reasons(old_db)
    assert {
        1: ("published", None),
        2: ("unknown", "duplicate"),
        3: ("unknown", "server_error"),
        4: ("unknown", "no_answer"),
        5: ("failed", "refused"),
        6: ("approved", "rate_limited"),
        7: ("published", None),
        8: ("missed", "missed_window"),
        9: ("approved", None),
    } == {k: v for k, v in got.items() if k <= 9}


def test_old_database_lists_approves_and_publishes(
    old_db: Path, run: Callable[..., Result], fake_x: FakeX
) -> None:
    """Listed as before; a draft approved; publish settles the unknown posts and sends the due."""
    listed = run("posts", "list", "--json")
    assert 0 == listed.exit_code
    posts = {p["id"]: p for p in json.loads(listed.output)}
    before = {i: p["status"] for i, p in posts.items()}
    assert "duplicate content: " == posts[2]["last_error"][:19]
    assert 0 == run("posts", "approve", "10").exit_code

    result = run("publish", "--json", "--timeout", "2", "--settle", "0.1", env=fake_x.env)

    assert 0 == result.exit_code, result.output
    after = {k: v[0] for k, v in _reasons(old_db).items()}
    assert ("unknown", "failed") == (before[2], after[2])  # duplicate, not on the timeline
    assert ["published"] * 3 == [after[3], after[4], after[6]]  # sent again
    assert "approved" == after[10]  # approved, not due yet
    sent = sorted(t["submitted_text"] for t in fake_x.tweets(source="api"))
    db = sqlite_utils.Database(old_db)
    texts = sorted(r[0] for r in db.execute("SELECT text FROM posts WHERE id IN (3, 4, 6)"))
    db.close()
    assert texts == sent
