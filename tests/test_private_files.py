"""The database (with its -wal and -shm files) and every file the tool writes are created
readable by their owner only (0600), whatever the umask lets through."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.store import open_db
from tests.mentions_factory import conversation
from tests.web_helpers import add_mentions, add_post, load_campaign


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def common_umask() -> Iterator[None]:
    """The usual umask (022), under which files are created world-readable (0644)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_init_creates_the_database_and_its_journal_owner_only(tmp_path: Path, run: Any) -> None:
    """`campaign init` makes campaign.db, -wal and -shm 0600."""
    path = tmp_path / "new.db"
    assert 0 == run("--db", path, "init").exit_code
    db = open_db(path)  # kept open: the -wal and -shm files exist while a connection does
    db.execute("CREATE TABLE IF NOT EXISTS t (x)")
    found = {p.name: mode(p) for p in tmp_path.glob("new.db*")}
    db.conn.close()
    assert {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600} == found


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    """A database the administrator shared with a group (0640) stays 0640."""
    path = tmp_path / "shared.db"
    open_db(path).conn.close()
    path.chmod(0o640)
    open_db(path).conn.close()
    assert 0o640 == mode(path)


@pytest.fixture
def collected(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """The sample campaign with a few collected posts and one approved post."""
    load_campaign(db)
    tweets, _ = conversation(5)
    add_mentions(db, [{"id": t["id"], "text": t["text"]} for t in tweets])
    add_post(db, "A post", datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=1), "approved")
    return db


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (("mentions", "export", "--format", "csv", "-o", "out.csv"), ["out.csv"]),
        (("mentions", "export", "--format", "jsonl", "-o", "out.jsonl"), ["out.jsonl"]),
        (("report", "--png", "chart.png", "--html", "report.html"), ["chart.png", "report.html"]),
        (("report", "--output-dir", "rep"), ["rep/report.png", "rep/report.html"]),
        (("calendar", "--ics", "plan.ics"), ["plan.ics"]),
    ],
)
def test_files_the_tool_writes_are_owner_only(
    collected: sqlite_utils.Database,
    run: Any,
    tmp_path: Path,
    args: tuple[str, ...],
    written: list[str],
) -> None:
    """Exports, reports and the calendar file are created 0600."""
    assert 0 == run(*args).exit_code
    assert [0o600] * len(written) == [mode(tmp_path / name) for name in written]


def test_an_in_memory_database_leaves_no_file(tmp_path: Path) -> None:
    """``open_db(":memory:")`` is SQLite's database with no file: nothing appears on disk."""
    from campaign.store import open_db

    db = open_db(":memory:")
    assert ([], ["posts"]) == (
        list(tmp_path.iterdir()),
        [t for t in db.table_names() if t == "posts"],
    )
