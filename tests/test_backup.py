"""Backups: `campaign backup PATH` while another process writes, checked and counted;
`campaign restore PATH` refused while a daemon runs and keeping the replaced file; the daily
backup's retention; and `kill -9` in the middle of a backup."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.backup import backups_in, daily, inspect
from campaign.clock import now
from campaign.store import open_db
from scheduler import lease
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX, campaign_command
from tests.publishing import add_post, wait_for

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def _posts(db: sqlite_utils.Database, n: int) -> None:
    for i in range(n):
        add_post(db, f"post {i} #PolicingInConflict", now() + timedelta(hours=i))


def test_backup_while_another_process_writes(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """A copy made while a writer commits is whole: integrity ok, its counts printed."""
    _posts(db, 20)
    stop = threading.Event()

    def writer() -> None:
        other = open_db(db_path)
        while not stop.is_set():
            add_post(other, "written meanwhile #PolicingInConflict", now())

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = run("backup", tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    assert 0 == result.exit_code
    assert result.output.startswith(f"Backup written: {tmp_path / 'copy.db'}: ")
    assert "integrity ok" in result.output
    info = inspect(tmp_path / "copy.db")
    assert "ok" == info.integrity
    assert info.counts["posts"] >= 20
    assert f"{info.size:,} bytes" in result.output
    assert f"{info.counts['posts']:,} posts" in result.output


def test_backup_into_a_folder_and_never_over_a_file(
    db: sqlite_utils.Database, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """A folder gets a dated file; an existing file is refused with exit 2."""
    folder = tmp_path / "backups"
    folder.mkdir()
    with time_machine.travel(NOW, tick=False):
        assert 0 == run("backup", folder).exit_code
    assert [folder / "campaign-20261206T150000Z.db"] == [p for _, p in backups_in(folder)]
    again = run("backup", folder / "campaign-20261206T150000Z.db")
    assert 2 == again.exit_code
    assert "already exists: give a new file name, or a folder" in again.output


def test_restore_is_refused_while_a_daemon_holds_the_lease(
    db: sqlite_utils.Database, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """With a live lease, restore exits 2 naming the daemon and how to stop it; nothing moves."""
    assert 0 == run("backup", tmp_path / "b.db").exit_code
    assert lease.acquire(db, "daemon:h:1:x", ttl=60)
    result = run("restore", tmp_path / "b.db")
    assert 2 == result.exit_code
    assert "stop it first (`sudo systemctl stop campaign-daemon`), then restore" in result.output
    assert [] == list(tmp_path.glob("campaign.db.replaced-*"))


def test_restore_keeps_the_replaced_database(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """Restore brings back the backup's rows and keeps the database it replaced, whole."""
    _posts(db, 3)
    assert 0 == run("backup", tmp_path / "b.db").exit_code
    _posts(db, 4)
    db.close()
    result = run("restore", tmp_path / "b.db")
    assert 0 == result.exit_code
    assert 3 == open_db(db_path).execute("SELECT count(*) FROM posts").fetchone()[0]
    kept = list(tmp_path.glob("campaign.db.replaced-*"))
    assert 1 == len(kept)
    assert f"The database it replaced is kept as {kept[0]}" in result.output
    assert {"ok": 7} == {inspect(kept[0]).integrity: inspect(kept[0]).counts["posts"]}


def test_restore_refuses_what_is_not_a_campaign_backup(
    db: sqlite_utils.Database, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """A file that is not a database: exit 2, the current database untouched."""
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 200)
    result = run("restore", bad)
    assert 2 == result.exit_code
    assert "is not a usable database" in result.output
    assert [] == list(tmp_path.glob("campaign.db.replaced-*"))


def test_daily_backup_keeps_fourteen(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    """One backup a day whatever the calls in between; only the newest 14 stay."""
    folder = tmp_path / "daily"
    with time_machine.travel(NOW, tick=False) as t:
        for _ in range(20):
            assert daily(db_path, folder) is not None
            assert daily(db_path, folder) is None  # not a day yet
            t.shift(timedelta(days=1))
    kept = backups_in(folder)
    assert 14 == len(kept)
    assert NOW + timedelta(days=19) == kept[-1][0]
    assert NOW + timedelta(days=6) == kept[0][0]


@pytest.mark.slow
def test_kill_9_during_a_backup_leaves_database_and_last_backup_intact(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    """`kill -9` while `campaign backup` copies: the database and the last good backup pass
    their integrity checks with every row; the half copy is never taken for a backup."""
    _posts(db, 50)
    folder = tmp_path / "backups"
    folder.mkdir()
    assert 0 == run("backup", folder / "good.db").exit_code
    # Make the database big enough (about 200 MB) that the copy takes a while.
    db.execute("CREATE TABLE ballast (b BLOB)")
    db.execute(
        "INSERT INTO ballast SELECT zeroblob(1000000) FROM "
        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
        "SELECT i FROM n)"
    )
    partial = folder / "next.db.partial"
    process = subprocess.Popen(
        [*campaign_command(), "--db", str(db_path), "backup", str(folder / "next.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (partial.exists() and partial.stat().st_size):
        time.sleep(0.002)
    assert partial.exists(), "the backup never started copying"
    process.send_signal(signal.SIGKILL)
    assert -signal.SIGKILL == process.wait(timeout=10)
    assert not (folder / "next.db").exists()
    assert ("ok", 50) == (
        inspect(folder / "good.db").integrity,
        inspect(folder / "good.db").counts["posts"],
    )
    check = sqlite3.connect(db_path)
    assert [("ok",)] == check.execute("PRAGMA integrity_check").fetchall()
    assert 50 == check.execute("SELECT count(*) FROM posts").fetchone()[0]
    check.close()
    assert 0 == run("backup", folder / "next.db").exit_code  # the leftover is cleared
    assert not partial.exists()
    assert "ok" == inspect(folder / "next.db").integrity


@pytest.mark.slow
def test_the_daemon_makes_its_daily_backup(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path, fake_x: FakeX
) -> None:
    """A minute after it starts the daemon writes a checked backup into its folder, and not
    another one an hour later."""
    folder = tmp_path / "backups"
    client = XClient(Credentials.from_env(fake_x.env), timeout=2.0)
    config = DaemonConfig(lease_ttl=30, watch_interval=0.2, backup_dir=str(folder))
    with time_machine.travel(NOW, tick=True) as clock:
        daemon = Daemon(str(db_path), XPublisher(client), config)
        daemon.start()
        try:
            clock.shift(timedelta(seconds=61))
            assert wait_for(lambda: 1 == len(backups_in(folder)), timeout=10)
            clock.shift(timedelta(hours=1))
            time.sleep(1.0)
        finally:
            daemon.shutdown()
    found = backups_in(folder)
    assert 1 == len(found)
    assert "ok" == inspect(found[0][1]).integrity
