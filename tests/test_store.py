"""The store: one SQLite file, opened the same way everywhere."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from campaign.errors import CampaignError
from campaign.store import db_path, get_state, immediate, open_db, set_state


def test_open_sets_wal_foreign_keys_and_busy_timeout(db_path: Path) -> None:
    """A database is opened in WAL mode with foreign keys on and a busy timeout."""
    db = open_db(db_path)
    assert "wal" == db.execute("PRAGMA journal_mode").fetchone()[0]
    assert 1 == db.execute("PRAGMA foreign_keys").fetchone()[0]
    assert 10_000 == db.execute("PRAGMA busy_timeout").fetchone()[0]


def test_migrations_apply_once(db_path: Path) -> None:
    """Opening twice applies each migration exactly once and keeps the data."""
    db = open_db(db_path)
    set_state(db, "k", "v")
    first = [r["name"] for r in db["_sqlite_migrations"].rows]
    db2 = open_db(db_path)
    assert first == [r["name"] for r in db2["_sqlite_migrations"].rows]
    assert "v" == get_state(db2, "k")
    assert "m001_initial" in first


def test_db_path_prefers_option_then_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """--db beats CAMPAIGN_DB, which beats ./campaign.db."""
    monkeypatch.setenv("CAMPAIGN_DB", "/tmp/from-env.db")
    assert Path("x.db") == db_path("x.db")
    assert Path("/tmp/from-env.db") == db_path(None)
    monkeypatch.delenv("CAMPAIGN_DB")
    assert Path("campaign.db") == db_path(None)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A database in a folder that does not exist is refused with the folder named."""
    with pytest.raises(CampaignError, match="does not exist"):
        open_db(tmp_path / "nowhere" / "c.db")


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    """A file that is not SQLite is refused with a message, not a traceback from sqlite3."""
    bad = tmp_path / "notes.db"
    bad.write_text("this is not a database, just some notes\n" * 100)
    with pytest.raises(CampaignError, match="cannot open"):
        open_db(bad)


def test_immediate_rolls_back_on_error(db_path: Path) -> None:
    """A failed transaction leaves nothing behind."""
    db = open_db(db_path)
    with pytest.raises(RuntimeError), immediate(db):
        set_state(db, "half", "done")
        raise RuntimeError("boom")
    assert get_state(db, "half") is None


def test_state_can_be_cleared(db_path: Path) -> None:
    """Setting a state key to None removes it."""
    db = open_db(db_path)
    set_state(db, "stop", "auth")
    set_state(db, "stop", None)
    assert "gone" == get_state(db, "stop", "gone")


def test_connection_per_thread(db_path: Path) -> None:
    """Each thread opens its own connection and sees the others' committed writes."""
    open_db(db_path)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            db = open_db(db_path)
            with immediate(db):
                set_state(db, f"t{i}", str(i))
        except BaseException as e:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [] == errors
    db = open_db(db_path)
    assert [str(i) for i in range(8)] == [get_state(db, f"t{i}") for i in range(8)]


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    """An audit row for a post that does not exist is refused by the schema."""
    db = open_db(db_path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO post_audit (post_id, at, actor, to_status) VALUES (999, 'x', 'y', 'draft')"
        )
