"""Every mistake a comms person can make gets one clear line and exit code 2, never a traceback.

The answers are checked through the real command line (in-process with click's runner, or as a
subprocess where a second process or a signal is part of the situation).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True)
def initialised(migrated_db_file: Path) -> Path:
    """Every test here starts from a database as `campaign init` leaves it (only init creates
    one): a copy of the session's migrated template, which init's own tests make for real."""
    return migrated_db_file


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


@pytest.mark.parametrize(
    "args",
    [
        ("posts", "list"),
        ("posts", "add", "--text", "Doors open at 9:30", "--at", "2099-12-06T09:00Z"),
        ("load", "campaign.yaml"),
        ("plan",),
        ("calendar",),
        ("status",),
        ("collect",),
        ("mentions", "list"),
        ("mentions", "import", "posts.jsonl"),
        ("report",),
        ("publish",),
        ("daemon", "--no-collect"),
        ("web", "--port", "0"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_mistyped_db_is_refused_not_created(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_yaml: Path
) -> None:
    """Any command but init on a missing --db exits 2 naming the path and `campaign init`, and
    creates nothing (it made a new, empty database)."""
    for key in ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(key, "sim")  # so daemon and publish get as far as the database
    monkeypatch.setenv("X_BEARER_TOKEN", "sim")
    (tmp_path / "campaign.yaml").write_bytes(sample_yaml.read_bytes())
    (tmp_path / "posts.jsonl").write_text('{"data": []}\n')

    out = _clean_error(_cli("--db", "campaing.db", *args))

    assert (
        "Error: there is no campaign database at campaing.db: run `campaign init` to create it, "
        "or check the name given with --db or CAMPAIGN_DB\n"
    ) == out
    assert not (tmp_path / "campaing.db").exists()


def test_init_creates_the_database_a_mistyped_db_names(tmp_path: Path) -> None:
    """`campaign --db new.db init` creates new.db; the next command then uses it."""
    assert 0 == _cli("--db", "new.db", "init").exit_code
    assert (tmp_path / "new.db").is_file()
    assert 0 == _cli("--db", "new.db", "posts", "list").exit_code


def test_a_file_that_is_not_sqlite_is_named_as_not_a_campaign_database(tmp_path: Path) -> None:
    """--db on a text file says it is not a campaign database (and no SQL error class)."""
    other = tmp_path / "notes.db"
    other.write_text("meeting notes\n" * 100)

    out = _clean_error(_cli("--db", other, "posts", "list"))

    assert (
        f"Error: cannot open {other}: it is damaged or is not a campaign database; restore it "
        "from a backup, or use another file with --db\n"
    ) == out


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


@pytest.mark.dates
@pytest.mark.usefixtures("new_york")
def test_a_time_the_clocks_skip_is_refused_not_moved_an_hour() -> None:
    """`posts add --at 2026-03-08T02:30` (New York's spring-forward gap) says the time does not exist."""
    out = _clean_error(_cli("posts", "add", "--text", "Spring", "--at", "2026-03-08T02:30"))

    assert (
        "Error: 2026-03-08T02:30 does not exist in America/New_York (the clocks skip that hour "
        "for daylight saving): pick a time outside the skipped hour\n"
    ) == out


@pytest.mark.dates
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


@pytest.mark.dates
@pytest.mark.usefixtures("new_york")
@pytest.mark.parametrize("when", ["9999-12-31T23:59", "3000-01-01T10:00Z", "1999-01-01T10:00"])
def test_a_post_time_in_an_implausible_year_is_refused(when: str) -> None:
    """A post time far in the past or future is a typo: refused with the year named."""
    out = _clean_error(_cli("posts", "add", "--text", "Typo", "--at", when))

    assert out.startswith("Error: the time ")
    assert "check the year" in out


@pytest.mark.dates
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


def test_importing_an_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    """`mentions import` of an empty file is refused as empty, not 'Imported 0 posts'."""
    (tmp_path / "empty.jsonl").write_bytes(b"")

    out = _clean_error(_cli("mentions", "import", "empty.jsonl"))

    assert out.startswith("Error: empty.jsonl is empty: nothing to import")


def test_importing_a_json_array_says_how_to_make_json_lines(tmp_path: Path) -> None:
    """A JSON array instead of JSONL is named as such, with the jq line that converts it."""
    (tmp_path / "posts.json").write_text('[{"id": "1", "text": "hi"}, {"id": "2", "text": "x"}]')

    out = _clean_error(_cli("mentions", "import", "posts.json"))

    assert "Error: posts.json is one JSON array, not JSON Lines" in out
    assert "jq -c '.[]' posts.json > posts.jsonl" in out


def test_importing_a_file_with_no_usable_line_is_an_error_not_a_success(tmp_path: Path) -> None:
    """A pretty-printed JSON file imports nothing: exit 2 saying what the file should hold."""
    (tmp_path / "pretty.json").write_text('{\n  "id": "5",\n  "text": "x"\n}\n')

    out = _clean_error(_cli("mentions", "import", "pretty.json"))

    assert "Error: nothing imported from pretty.json: its 4 lines are not twarc2 JSON" in out


def test_a_file_with_some_broken_lines_still_imports_the_rest(tmp_path: Path) -> None:
    """One good line and one broken one: the good post is imported, the broken line listed."""
    (tmp_path / "mixed.jsonl").write_text('{"id": "7", "text": "ok"}\nnot json\n')

    result = _cli("mentions", "import", "mixed.jsonl")

    assert 0 == result.exit_code, result.output
    assert "Skipped 1 broken line (not twarc2 JSON): line 2" in result.output


def _count(db_path: Path, sql: str) -> int:
    con = sqlite3.connect(db_path, timeout=10)
    try:
        return int(con.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _interrupt_when(
    args: list[str], env: dict[str, str], ready: Callable[[], bool]
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI, send SIGINT (Ctrl-C) once ``ready()``, and return how it ended."""
    proc = subprocess.Popen(
        [CAMPAIGN, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_ctrl_c_during_import_keeps_whole_batches_and_says_to_run_it_again(
    tmp_path: Path, db_path: Path
) -> None:
    """SIGINT mid-import: exit 130, a line saying what is kept, and whole, indexed batches."""
    from campaign.mentions.importer import BATCH

    lines = (
        f'{{"id": "{1_900_000_000_000_000_000 + i}", "text": "post {i} #PolicingInConflict", '
        f'"author_id": "{100 + i % 50}", "created_at": "2026-11-20T10:00:00.000Z"}}\n'
        for i in range(BATCH * 12)
    )
    (tmp_path / "big.jsonl").write_text("".join(lines))
    _cli("init")
    env = {**os.environ, "CAMPAIGN_DB": str(db_path)}

    done = _interrupt_when(
        ["mentions", "import", "big.jsonl"],
        env,
        lambda: _count(db_path, "SELECT count(*) FROM mentions") > 0,
    )

    assert 130 == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    assert "Interrupted: the posts imported before the stop are kept" in done.stderr
    stored = _count(db_path, "SELECT count(*) FROM mentions")
    assert 0 == stored % BATCH
    assert stored == _count(db_path, "SELECT count(*) FROM mentions_fts")
    again = _cli("mentions", "import", "big.jsonl")
    assert 0 == again.exit_code, again.output
    assert BATCH * 12 == _count(db_path, "SELECT count(*) FROM mentions")


@pytest.mark.slow
def test_ctrl_c_during_collect_keeps_the_pages_and_the_next_run_continues(
    fake_x: Any, db_path: Path, sample_yaml: Path
) -> None:
    """SIGINT mid-collect: exit 130, a line saying to run it again, which fetches the rest."""
    _cli("load", sample_yaml)
    fake_x.add_conversation(1500, 3)
    fake_x.faults(latency=0.2)
    env = {**os.environ, **fake_x.env, "CAMPAIGN_DB": str(db_path)}

    done = _interrupt_when(
        ["collect", "--quiet"], env, lambda: _count(db_path, "SELECT count(*) FROM mentions") > 0
    )

    assert 130 == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    assert "Interrupted: the pages fetched before the stop are kept" in done.stderr
    kept = _count(db_path, "SELECT count(*) FROM mentions")
    assert kept == _count(db_path, "SELECT count(*) FROM mentions_fts")
    fake_x.clear_faults()
    again = subprocess.run(
        [CAMPAIGN, "collect", "--quiet"], env=env, capture_output=True, text=True, timeout=60
    )
    assert 0 == again.returncode, again.stderr
    reference = db_path.with_name("reference.db")
    _cli("--db", reference, "init")
    _cli("--db", reference, "load", sample_yaml)
    whole = subprocess.run(
        [CAMPAIGN, "--db", str(reference), "collect", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == whole.returncode, whole.stderr
    everything = "SELECT count(*) FROM mentions"
    assert _count(reference, everything) == _count(db_path, everything)


def test_import_page_of_an_empty_file_says_to_paste_the_page(tmp_path: Path) -> None:
    """`import-page` of an empty file is refused (it printed a YAML of placeholders, exit 0)."""
    (tmp_path / "page.txt").write_text("  \n\n")

    out = _clean_error(_cli("import-page", "page.txt"))

    assert "Error: page.txt is empty: paste the event page's text into it and save it\n" == out


def test_import_page_of_a_binary_file_says_it_is_not_text(tmp_path: Path) -> None:
    """A PDF-like binary file is refused as not text (cp1252 used to turn it into YAML)."""
    (tmp_path / "page.pdf").write_bytes(b"%PDF-1.7\n\x00\x01\x02\xff stream\x00endstream")

    out = _clean_error(_cli("import-page", "page.pdf"))

    assert out.startswith("Error: page.pdf is not text (a PDF, a Word document or an image?)")


def test_import_page_reads_a_notepad_unicode_file_like_utf8(tmp_path: Path) -> None:
    """A page saved as UTF-16 with a BOM gives the same YAML as the same page in UTF-8."""
    page = Path(__file__).resolve().parent.parent / "campaign/data/policing-in-conflict-page.txt"
    text = page.read_text(encoding="utf-8")
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))

    expected = _cli("import-page", page)
    actual = _cli("import-page", "utf16.txt")

    assert 0 == actual.exit_code, actual.output
    assert expected.stdout == actual.stdout


def test_import_page_without_a_date_warns_that_the_start_is_a_placeholder(tmp_path: Path) -> None:
    """A page in another language (no English date) still gives YAML, with a warning on stderr."""
    (tmp_path / "fr.txt").write_text(
        "Conférence sur la police\n\n6 décembre\n\nJean Dupont\nDirecteur, Institut\n", "utf-8"
    )

    result = _cli("import-page", "fr.txt")

    assert 0 == result.exit_code
    assert "event:" in result.stdout
    assert result.stderr.startswith("Warning: found no date in fr.txt")


def test_a_database_from_a_newer_version_is_refused_before_anything_is_written(
    db_path: Path,
) -> None:
    """A schema step this version does not know: refused, naming it, and the file is unchanged."""
    _cli("init")
    con = sqlite3.connect(db_path)
    with con:
        con.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('campaign', 'm099_from_the_future', '2027-01-01')"
        )
    con.close()

    out = _clean_error(_cli("posts", "add", "--text", "x", "--at", "2026-12-06T09:00Z"))

    assert out.startswith(f"Error: {db_path} was made by a newer version of campaign")
    assert "campaign.m099_from_the_future" in out
    assert 0 == _count(db_path, "SELECT count(*) FROM posts")


def test_web_on_a_port_already_taken_is_one_line() -> None:
    """`campaign web --port N` with N in use says so and suggests another port (no traceback)."""
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        out = _clean_error(_cli("web", "--port", port))
    finally:
        taken.close()

    assert out.startswith(f"Error: cannot listen on 127.0.0.1:{port} (")
    assert "pick another --port" in out


def test_status_prints_a_post_text_with_square_brackets_as_text() -> None:
    """An approved post saying "[/sarcasm]" shows in `status` (rich read it as markup and crashed)."""
    added = _cli(
        "posts", "add", "--text", "Great panel [/sarcasm]", "--at", "2099-12-10T10:00Z", "--approve"
    )
    assert 0 == added.exit_code, added.output

    result = _cli("status")

    assert 0 == result.exit_code, result.output
    assert "Great panel [/sarcasm]" in result.stdout


def test_report_prints_names_and_links_from_x_with_square_brackets_as_text(
    tmp_path: Path,
) -> None:
    """A collected author named "Ann [/bold]" and a link with "[/red]" show as typed in `report`."""
    (tmp_path / "m.jsonl").write_text(
        '{"data": [{"id": "1900000000000000001", "text": "hi #PolicingInConflict https://t.co/x",'
        ' "author_id": "5", "created_at": "2026-11-20T10:00:00.000Z", "entities": {"urls": '
        '[{"start": 23, "end": 37, "url": "https://t.co/x", "expanded_url": '
        '"https://example.org/[/red]"}]}}], "includes": {"users": [{"id": "5", "username": '
        '"ann", "name": "Ann [/bold]", "public_metrics": {"followers_count": 3}}]}}\n'
    )
    assert 0 == _cli("mentions", "import", "m.jsonl").exit_code

    result = _cli("report")

    assert 0 == result.exit_code, result.output
    assert "Ann [/bold]" in result.stdout
    assert "https://example.org/[/red]" in result.stdout


def test_plan_prints_a_campaign_name_with_square_brackets_as_text(
    sample_yaml: Path, tmp_path: Path
) -> None:
    """A campaign named "Policing [/2026]" plans and prints its table (no rich MarkupError)."""
    text = sample_yaml.read_text(encoding="utf-8").replace(
        "  name: Policing in Conflict-Affected Settings   #",
        "  name: Policing [/2026]   #",
        1,
    )
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    assert 0 == _cli("load", "c.yaml").exit_code

    result = _cli("plan", "--dry-run")

    assert 0 == result.exit_code, result.output
    assert "Policing [/2026]" in result.stdout


@pytest.mark.parametrize(
    ("text", "code", "at"),
    [("Doors\x0bopen at 9:30", "U+000B", 6), ("Doors open \x1b[31mnow", "U+001B", 12)],
)
def test_a_post_with_an_invisible_control_character_names_it_and_where(
    text: str, code: str, at: int
) -> None:
    """A vertical tab from Word or a terminal escape in the text is refused, with its position."""
    out = _clean_error(_cli("posts", "add", "--text", text, "--at", "2099-12-06T09:00Z"))

    assert (
        f"Error: the post contains an invisible control character ({code}) at character {at}"
        in (out)
    )


def test_line_breaks_and_tabs_are_not_control_characters_to_refuse() -> None:
    """A post on two lines with a tab is accepted: only invisible controls are refused."""
    result = _cli("posts", "add", "--text", "Line one\nLine\ttwo", "--at", "2099-12-06T09:00Z")

    assert 0 == result.exit_code, result.output


@pytest.mark.parametrize("text", ["#PolicingInConflict", "  #policinginconflict ! "])
def test_a_post_that_is_only_the_hashtag_is_refused(text: str) -> None:
    """`posts add --text "#PolicingInConflict"` asks for words (it queued a bare hashtag)."""
    out = _clean_error(_cli("posts", "add", "--text", text, "--at", "2099-12-06T09:00Z"))

    assert (
        "Error: the post is only the hashtag #PolicingInConflict: write what it should say "
        "(the hashtag is added for you)\n"
    ) == out


def test_calendar_ics_into_a_folder_that_cannot_be_written_names_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Permission denied on the .ics names the file asked for, not its hidden temporary file."""

    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    import campaign.cli.plan

    monkeypatch.setattr(campaign.cli.plan, "write_private", denied)  # the temporary file
    monkeypatch.setattr(Path, "unlink", denied)  # as in a folder the user may not write

    out = _clean_error(_cli("calendar", "--ics", "staff.ics"))

    assert "Error: cannot write staff.ics: Permission denied\n" == out


def test_another_programs_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    """`init --db` on another program's SQLite file refuses; it used to add campaign's tables."""
    other = tmp_path / "notes.sqlite"
    con = sqlite3.connect(other)
    with con:
        con.execute("CREATE TABLE notes (body TEXT)")
    con.close()

    out = _clean_error(_cli("--db", other, "init"))

    assert f"Error: {other} belongs to another program (it has tables, but not campaign's)" in out
    con = sqlite3.connect(other)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    con.close()
    assert ["notes"] == tables


def test_db_after_the_command_says_it_goes_first() -> None:
    """`campaign posts list --db x.db` says --db goes before the command (was 'No such option')."""
    result = _cli("posts", "list", "--db", "x.db")

    assert 2 == result.exit_code
    assert (
        "Error: --db goes before the command: `campaign --db FILE posts list …` "
        "(or set CAMPAIGN_DB)\n"
    ) in result.output


def test_a_mistyped_command_suggests_the_right_one() -> None:
    """`campaign mention list` suggests 'mentions' (the lazy group offered no suggestion)."""
    result = _cli("mention", "list")

    assert 2 == result.exit_code
    assert "Error: No such command 'mention'. Did you mean 'mentions'?" in result.output


def test_a_database_path_starting_with_a_quoted_tilde_is_in_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CAMPAIGN_DB='~/c.db' (not expanded by the shell) is the home folder's c.db, not './~'."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("CAMPAIGN_DB", "~/c.db")

    result = _cli("init")

    assert 0 == result.exit_code, result.output
    assert (tmp_path / "home" / "c.db").is_file()


def test_collect_warns_about_a_readable_credentials_file_once(
    tmp_path: Path, sample_yaml: Path
) -> None:
    """A world-readable, broken credentials file: one warning and one error (it warned twice)."""
    assert 0 == _cli("load", sample_yaml).exit_code
    creds = tmp_path / "x.env"
    creds.write_text("not a setting\n")
    creds.chmod(0o644)

    result = subprocess.run(
        [CAMPAIGN, "collect", "--credentials", str(creds)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert 2 == result.returncode
    assert 1 == result.stderr.count("can be read by other users")
    assert "Error: line 1 of the credentials file" in result.stderr


def test_import_reads_a_pipe_given_by_name(db_path: Path) -> None:
    """`mentions import /dev/stdin` (or a shell's <(…)) reads it (it said 'no such file')."""
    _cli("init")

    result = subprocess.run(
        [CAMPAIGN, "mentions", "import", "/dev/stdin"],
        input='{"id": "1900000000000000003", "text": "through a pipe"}\n',
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CAMPAIGN_DB": str(db_path)},
    )

    assert 0 == result.returncode, result.stderr
    assert 1 == _count(db_path, "SELECT count(*) FROM mentions")


def test_a_database_under_a_file_says_the_file_is_not_a_folder(tmp_path: Path) -> None:
    """`init --db notes.txt/c.db` says notes.txt is a file, not a folder (was 'a disk error')."""
    (tmp_path / "notes.txt").write_text("x")

    out = _clean_error(_cli("--db", "notes.txt/c.db", "init"))

    assert (
        f"Error: cannot create the database notes.txt/c.db: {tmp_path / 'notes.txt'} is a file, "
        "not a folder\n"
    ) == out


def test_a_database_that_cannot_be_created_names_the_folder(tmp_path: Path) -> None:
    """SQLite's 'unable to open' for a new file says the folder may not be written."""
    from campaign.store import explain

    try:
        sqlite3.connect(tmp_path / "afile" / "x.db")  # under a missing folder: CANTOPEN
    except sqlite3.OperationalError as e:
        error = e
    else:
        pytest.fail("SQLite opened a database in a folder that does not exist")

    message = explain(error, str(tmp_path / "new.db"))

    assert (
        f"cannot create the database {tmp_path / 'new.db'}: you may not write in the folder "
        f"{tmp_path}; work in a folder of yours, or use --db"
    ) == message


def test_a_reply_to_a_cancelled_post_is_refused() -> None:
    """`posts add --reply-to` a cancelled post says the reply would wait for ever (was accepted)."""
    assert "1\n" == _cli("posts", "add", "--text", "Parent", "--at", "2099-01-01T10:00Z").stdout
    assert 0 == _cli("posts", "cancel", "1").exit_code

    out = _clean_error(
        _cli("posts", "add", "--text", "Child", "--at", "2099-01-01T11:00Z", "--reply-to", "1")
    )

    assert out.startswith("Error: cannot reply to post 1: it is cancelled")


def test_cancelling_a_post_with_a_reply_waiting_warns_about_the_reply() -> None:
    """Cancelling a parent names the approved reply that can now never go out, and what to do."""
    _cli("posts", "add", "--text", "Parent", "--at", "2099-01-01T10:00Z")
    _cli("posts", "add", "--text", "Child", "--at", "2099-01-01T11:00Z", "--reply-to", "1")

    result = _cli("posts", "cancel", "1")

    assert 0 == result.exit_code, result.output
    assert "Cancelled post 1 (was draft).\n" == result.stdout
    assert result.stderr.startswith(
        "Warning: post 2 replies to post 1, so it can never go out now: cancel it too"
    )


def test_web_on_a_privileged_port_says_it_needs_administrator_rights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Permission denied on --port 80 says low ports need administrator rights, not 'in use'."""
    import errno

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("campaign.web.server.create_server", refused)

    out = _clean_error(_cli("web", "--port", "80"))

    assert (
        "Error: cannot listen on 127.0.0.1:80 (Permission denied): ports below 1024 need "
        "administrator rights; pick another --port, or 0 for any free one\n"
    ) == out


@pytest.mark.slow
def test_daemon_warns_about_a_readable_credentials_file_once(
    fake_x: Any, db_path: Path, tmp_path: Path
) -> None:
    """A world-readable credentials file: the daemon logs one warning (it read the file twice)."""
    creds = tmp_path / "x.env"
    creds.write_text(f"X_BEARER_TOKEN={fake_x.env['X_BEARER_TOKEN']}\n")
    creds.chmod(0o644)
    env = {**os.environ, **fake_x.env, "CAMPAIGN_DB": str(db_path)}

    done = _interrupt_when(
        ["daemon", "--credentials", str(creds), "--no-collect"],
        env,
        lambda: _count(db_path, "SELECT count(*) FROM lease") > 0,
    )

    assert "daemon stopped" in done.stderr
    assert 1 == done.stderr.count("can be read by other users")
