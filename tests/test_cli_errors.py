"""Every mistake a comms person can make gets one clear line and exit code 2, never a traceback.

The answers are checked through the real command line (in-process with click's runner, or as a
subprocess where a second process or a signal is part of the situation).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from campaign.cli import cli

CAMPAIGN = str(Path(sys.executable).parent / "campaign")


def _cli(*args: object) -> Result:
    """The CLI in-process, with exceptions caught the way a terminal would see them."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def _clean_error(result: Result) -> str:
    """The error line, after checking the answer is exit code 2 with no traceback."""
    assert 2 == result.exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def locked_db(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The campaign database with another process holding its write lock (BEGIN IMMEDIATE)."""
    monkeypatch.setattr("campaign.store.BUSY_TIMEOUT_MS", 200)
    _cli("init")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert "held" == holder.stdout.readline().strip()
    try:
        yield db_path
    finally:
        holder.kill()
        holder.wait()


def test_a_database_locked_by_another_writer_is_one_line_saying_try_again(
    locked_db: Path,
) -> None:
    """A write blocked past the busy timeout says the database is busy and to run it again."""
    result = _cli("posts", "add", "--text", "Doors open at 9:30", "--at", "2026-12-06T09:00Z")

    out = _clean_error(result)
    assert out.startswith(f"Error: the database {locked_db} is busy:")
    assert "run the command again" in out
    assert "OperationalError" not in out


def test_a_read_only_database_says_so_instead_of_a_sqlite_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database the user may not write says it is read-only and what to check."""
    from campaign import store

    _cli("init")
    real_open = store.open_db

    def read_only(*args: object, **kwargs: object) -> object:
        db = real_open(*args, **kwargs)  # type: ignore[arg-type]
        db.conn.execute("PRAGMA query_only = ON")  # SQLite answers as for a read-only file
        return db

    monkeypatch.setattr(store, "open_db", read_only)
    result = _cli("posts", "add", "--text", "Doors open at 9:30", "--at", "2026-12-06T09:00Z")

    out = _clean_error(result)
    assert out.startswith(f"Error: cannot change the database {db_path}: it is read-only")


def test_a_file_that_is_not_sqlite_is_named_as_not_a_campaign_database(tmp_path: Path) -> None:
    """--db on a text file says it is not a campaign database (and no SQL error class)."""
    other = tmp_path / "notes.db"
    other.write_text("meeting notes\n" * 100)

    out = _clean_error(_cli("--db", other, "posts", "list"))

    assert "not a campaign database" in out or "cannot open" in out
    assert "DatabaseError" not in out


def test_writing_a_file_where_a_file_stands_in_the_path_is_one_line(tmp_path: Path) -> None:
    """report --output-dir under a plain file names the path and says what is wrong."""
    (tmp_path / "afile").write_text("x")

    out = _clean_error(_cli("report", "--output-dir", "afile/sub", "--json"))

    assert "Error: cannot use afile/sub: part of the path is a file, not a folder" in out


def test_export_to_a_place_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """mentions export into a folder that cannot hold files names the file and the reason."""
    target = tmp_path / "afile"
    target.write_text("x")

    out = _clean_error(_cli("mentions", "export", "--output", target / "out.csv"))

    assert f"Error: cannot use {target / 'out.csv'}:" in out


def test_the_daemon_keeps_its_crash_exit_code_for_database_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A database error in `daemon` stays a crash (not exit 2, which systemd would not restart)."""
    from scheduler import daemon

    for key in ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(key, "sim")

    def locked(self: object) -> int:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(daemon.Daemon, "run", locked)
    result = _cli("daemon", "--no-collect")

    assert 1 == result.exit_code
    assert isinstance(result.exception, sqlite3.OperationalError)


@pytest.mark.parametrize(
    "args",
    [
        ("posts", "show", "99999999999999999999999"),
        ("posts", "approve", "99999999999999999999"),
        ("posts", "cancel", "3", "99999999999999999999"),
        ("posts", "edit", "99999999999999999999", "--text", "x"),
        ("posts", "add", "--text", "x", "--at", "2026-12-06T09:00Z", "--reply-to", "10" * 12),
        ("mentions", "show", "99999999999999999999999"),
        ("mentions", "mark", "99999999999999999999999", "--status", "reviewed"),
    ],
)
def test_an_id_too_big_for_the_database_is_no_such_record(args: tuple[str, ...]) -> None:
    """An id beyond SQLite's integers is 'there is no … with id', not an OverflowError."""
    _cli("init")

    out = _clean_error(_cli(*args))

    assert "there is no " in out and "with id " in out
    assert "Overflow" not in out


def test_a_word_where_a_post_id_goes_says_to_use_the_number_from_the_list() -> None:
    """`posts approve next` says 'next' is not a post id and where the ids are."""
    out = _clean_error(_cli("posts", "approve", "next"))

    assert "'next' is not a post id: use the number shown by `campaign posts list`" in out


def test_calendar_days_beyond_the_calendar_is_refused_cleanly() -> None:
    """`calendar --days 99999999` is refused as out of range, not an OverflowError."""
    out = _clean_error(_cli("calendar", "--days", "99999999"))

    assert "Invalid value for '--days'" in out


@pytest.fixture
def new_york(sample_yaml: Path) -> None:
    """The sample campaign loaded (America/New_York)."""
    assert 0 == _cli("load", sample_yaml).exit_code


@pytest.mark.usefixtures("new_york")
def test_a_time_the_clocks_skip_is_refused_not_moved_an_hour() -> None:
    """`posts add --at 2026-03-08T02:30` (New York's spring-forward gap) says the time does not exist."""
    out = _clean_error(_cli("posts", "add", "--text", "Spring", "--at", "2026-03-08T02:30"))

    assert (
        "Error: 2026-03-08T02:30 does not exist in America/New_York (the clocks skip that hour "
        "for daylight saving): pick a time outside the skipped hour\n"
    ) == out


@pytest.mark.usefixtures("new_york")
def test_a_time_the_clocks_pass_twice_asks_for_the_offset() -> None:
    """`posts edit --at 2026-11-01T01:30` (fall back) names both offsets to choose from."""
    added = _cli("posts", "add", "--text", "Autumn", "--at", "2026-11-02T10:00")
    assert 0 == added.exit_code, added.output

    out = _clean_error(_cli("posts", "edit", added.stdout.strip(), "--at", "2026-11-01T01:30"))

    assert "happens twice in America/New_York" in out
    assert "2026-11-01T01:30-04:00 for the first or 2026-11-01T01:30-05:00 for the second" in out
    ok = _cli("posts", "edit", added.stdout.strip(), "--at", "2026-11-01T01:30-05:00")
    assert 0 == ok.exit_code, ok.output


@pytest.mark.usefixtures("new_york")
@pytest.mark.parametrize("when", ["9999-12-31T23:59", "3000-01-01T10:00Z", "1999-01-01T10:00"])
def test_a_post_time_in_an_implausible_year_is_refused(when: str) -> None:
    """A post time far in the past or future is a typo: refused with the year named."""
    out = _clean_error(_cli("posts", "add", "--text", "Typo", "--at", when))

    assert out.startswith("Error: the time ")
    assert "check the year" in out


@pytest.mark.usefixtures("new_york")
def test_adding_a_draft_whose_time_has_passed_warns_and_still_prints_the_id() -> None:
    """A draft added for a past time prints its id on stdout and a warning on stderr."""
    result = CliRunner().invoke(
        cli, ["posts", "add", "--text", "Late", "--at", "2020-01-01T10:00"], catch_exceptions=False
    )

    assert 0 == result.exit_code
    assert "1\n" == result.stdout
    assert "Warning: post 1 is set for 2020-01-01 10:00 EST, which has already passed" in (
        result.stderr
    )


@pytest.mark.parametrize("start", ["9999-12-31 23:30", "0001-01-20 00:30"])
def test_an_event_in_an_implausible_year_is_a_listed_problem(
    sample_yaml: Path, tmp_path: Path, start: str
) -> None:
    """`load` with the event in year 9999 or 1 lists the line and the year, no OverflowError."""
    text = sample_yaml.read_text(encoding="utf-8")
    bad = tmp_path / "typo.yaml"
    bad.write_text(text.replace("  start: 2026-12-06 10:00 ", f"  start: {start} "), "utf-8")

    out = _clean_error(_cli("load", bad))

    assert f"typo.yaml, line 54, event.start: '{start}' is in the year " in out
    assert "check the year" in out
