"""Hostile files given to `mentions import`: every bad line is skipped and reported by its
number, every good line is kept, reading is bounded in memory, impossible dates never reach
the store, and the reports read whatever an older version stored."""

from __future__ import annotations

import json
import resource
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.mentions.importer import import_lines
from campaign.web import create_app
from tests.fixtures.simulator import campaign_command
from tests.mentions_factory import START, flat_line, snowflake, tweet, user
from tests.web_helpers import Browserish, load_campaign

AUTHOR = user(7, "someone")


def good(i: int) -> str:
    """A flattened twarc2 line holding one storable post, its id made from ``i``."""
    return flat_line(
        tweet(snowflake(START, i), f"#PolicingInConflict good {i}", author_id=7), AUTHOR
    )


def stored_ids(db: sqlite_utils.Database) -> set[int]:
    return {r[0] for r in db.execute("SELECT id FROM mentions")}


HOSTILE_LINES = {
    "deep JSON": "[" * 100_000 + "]" * 100_000,
    "data is a number": '{"data": 5}',
    "data is a string": '{"data": "x", "includes": {"users": 3}}',
    "tweet id is a list": '{"id": [1, 2], "text": "hi"}',
    "tweet id is 2**63": json.dumps({"id": str(2**63), "text": "hi"}),
    "tweet id of forty digits": json.dumps({"id": "9" * 40, "text": "hi"}),
    "tweet id is negative": '{"id": -5, "text": "hi"}',
    "text is a number": '{"id": "5", "text": 5}',
    "metrics beyond SQLite": json.dumps(
        {"data": [{**tweet(12, "hi", author_id=7), "public_metrics": {"like_count": 10**30}}]}
    ),
    "lang is an object": json.dumps({"data": [{**tweet(13, "hi", author_id=7), "lang": {}}]}),
    "references are a number": json.dumps(
        {"data": [{**tweet(14, "hi", author_id=7), "referenced_tweets": 5}]}
    ),
    "not UTF-8": b"\xff\xfe{}".decode("latin-1"),
    "a JSON string": '"just text"',
    "null": "null",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LINES))
def test_a_bad_line_is_reported_and_its_neighbours_kept(
    db: sqlite_utils.Database, name: str
) -> None:
    """A hostile line between two good ones is reported as line 2; both good posts are stored."""
    lines = [good(1), HOSTILE_LINES[name], good(2)]
    result = import_lines(
        db, [line.encode("latin-1" if name == "not UTF-8" else "utf-8") for line in lines]
    )
    assert ([2], {snowflake(START, 1), snowflake(START, 2)}) == (
        result.broken_lines,
        stored_ids(db) - {11, 12, 13, 14},
    )


def test_an_author_with_a_list_for_an_id_is_left_out_and_the_post_kept(
    db: sqlite_utils.Database,
) -> None:
    """A page whose author record has an unusable id stores its post (without that author)."""
    line = json.dumps(
        {"data": [tweet(11, "hi", author_id=7)], "includes": {"users": [{"id": [1]}]}}
    )
    result = import_lines(db, [line.encode()])
    assert ([], {11}, 0) == (
        result.broken_lines,
        stored_ids(db),
        db.execute("SELECT count(*) FROM authors").fetchone()[0],
    )


def test_a_lone_surrogate_is_kept_as_a_replacement_character(db: sqlite_utils.Database) -> None:
    """Half an emoji's escape (a lone surrogate) becomes U+FFFD and the post is stored."""
    line = '{"id": "21", "text": "bad \\ud83d half", "author_id": "7"}'
    result = import_lines(db, [line.encode(), good(1).encode()])
    text = db.execute("SELECT text FROM mentions WHERE id = 21").fetchone()[0]
    assert ([], "bad \ufffd half") == (result.broken_lines, text)


def test_a_whole_surrogate_pair_is_kept_as_its_character(db: sqlite_utils.Database) -> None:
    """A correct escape pair (an emoji) is stored as the emoji."""
    import_lines(db, [b'{"id": "22", "text": "ok \\ud83d\\ude00", "author_id": "7"}'])
    assert "ok 😀" == db.execute("SELECT text FROM mentions WHERE id = 22").fetchone()[0]


def test_bad_lines_in_one_batch_lose_no_good_line(db: sqlite_utils.Database) -> None:
    """Two unstorable pages inside a batch of good lines: only their two numbers are lost."""
    bad = HOSTILE_LINES["metrics beyond SQLite"]
    lines = [good(i) if i not in (3, 7) else bad for i in range(1, 11)]
    result = import_lines(db, [line.encode() for line in lines], batch=100)
    expected = {snowflake(START, i) for i in range(1, 11) if i not in (3, 7)}
    assert ([3, 7], expected) == (result.broken_lines, stored_ids(db))


def test_a_line_longer_than_the_limit_is_skipped_in_chunks(
    tmp_path: Path, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line over MAX_LINE bytes is reported and the lines after it are imported."""
    from campaign.mentions import importer

    monkeypatch.setattr(importer, "MAX_LINE", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text(good(1) + "\n" + "x" * 50_000 + "\n" + good(2) + "\n")
    with path.open("rb") as fh:
        result = import_lines(db, fh)
    assert ([2], 2) == (result.broken_lines, len(stored_ids(db)))


def _limit_memory() -> None:
    limit = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_dev_zero_is_refused_in_bounded_memory(db: sqlite_utils.Database) -> None:
    """`mentions import /dev/zero` in a process limited to 1 GiB of memory ends with one
    plain error line and exit code 2 (it once grew to 6 GB)."""
    done = subprocess.run(
        [*campaign_command(), "mentions", "import", "/dev/zero"],
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,
        timeout=60,
        check=False,
    )
    assert (2, "Error: nothing imported from /dev/zero: line 1 runs on for more than") == (
        done.returncode,
        done.stderr[:68],
    )


def test_standard_input_is_read_in_bounded_lines(db: sqlite_utils.Database) -> None:
    """Zeros piped to `mentions import -` stop the same way, without a traceback."""
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [*campaign_command(), "mentions", "import", "-"],
            stdin=zero,
            capture_output=True,
            text=True,
            preexec_fn=_limit_memory,
            timeout=60,
            check=False,
        )
    assert (2, False) == (done.returncode, "Traceback" in done.stderr)


@pytest.mark.parametrize(
    "created_at", ["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.000Z", "2026-13-45T99:00:00Z"]
)
def test_impossible_dates_take_the_time_from_the_id(
    db: sqlite_utils.Database, created_at: str
) -> None:
    """A created_at before 2000, after 2999 or unreadable is replaced by the time the id holds."""
    tid = snowflake(START, 1)
    line = json.dumps({"id": str(tid), "text": "hi", "author_id": "7", "created_at": created_at})
    import_lines(db, [line.encode()])
    stored = db.execute("SELECT created_at FROM mentions WHERE id = ?", [tid]).fetchone()[0]
    assert START.isoformat(timespec="milliseconds") == stored


@pytest.fixture
def old_dates(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """A collection where an older version stored a post dated year 1 and one dated 9999."""
    load_campaign(db)
    import_lines(db, [good(1).encode(), good(2).encode()])
    db.execute(
        "UPDATE mentions SET created_at = '0001-01-01T00:00:00.000+00:00' WHERE id = ?",
        [snowflake(START, 1)],
    )
    db.execute(
        "UPDATE mentions SET created_at = '9999-12-31T23:59:59.999+00:00' WHERE id = ?",
        [snowflake(START, 2)],
    )
    return db


@pytest.mark.parametrize(
    "args",
    [
        ("report",),
        ("report", "--json"),
        ("report", "--output-dir", "out"),
        ("mentions", "list"),
        ("mentions", "list", "--search", "good"),
        ("mentions", "export", "--format", "csv", "-o", "x.csv"),
    ],
)
def test_reports_read_impossible_stored_dates(
    old_dates: sqlite_utils.Database, run: Any, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Reports, lists, searches and exports run over stored year-1 and year-9999 dates."""
    (tmp_path / "out").mkdir()
    assert 0 == run(*args).exit_code


@pytest.mark.parametrize("path", ["/report", "/report/chart.png", "/inbox", "/inbox?q=good"])
def test_the_console_reads_impossible_stored_dates(
    old_dates: sqlite_utils.Database, db_path: Path, path: str
) -> None:
    """The console's report, chart and inbox answer over stored year-1 and year-9999 dates."""
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        assert 200 == Browserish(create_app(db_path)).get(path).status_code


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
SHAPES = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON | st.integers(min_value=2**62, max_value=2**70).map(str),
        "text": JSON,
        "data": JSON | st.lists(JSON, max_size=3),
        "includes": JSON,
        "author_id": JSON,
        "created_at": JSON | st.sampled_from(["0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z"]),
        "public_metrics": JSON,
    },
)
HOSTILE = (
    SHAPES.map(lambda d: json.dumps(d).encode())
    | JSON.map(lambda d: json.dumps(d).encode())
    | st.binary(max_size=200)
    | st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n)
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.tuples(st.booleans(), HOSTILE), min_size=1, max_size=12))
def test_fuzzed_files_keep_every_good_line(
    db: sqlite_utils.Database, lines: list[tuple[bool, bytes]]
) -> None:
    """Any mix of good lines and random or hostile shapes: no exception, every good post
    stored, and no good line reported as broken."""
    db.execute("DELETE FROM mentions")
    feed: list[bytes] = []
    good_lines: dict[int, int] = {}
    for i, (is_good, hostile) in enumerate(lines, start=1):
        if is_good:
            good_lines[i] = snowflake(START, 10_000 + i)
            feed.append(flat_line(tweet(good_lines[i], f"good {i}", author_id=7), AUTHOR).encode())
        else:
            feed.append(hostile.replace(b"\n", b" "))
    result = import_lines(db, feed, batch=4)
    assert (set(), True) == (
        set(good_lines) & set(result.broken_lines),
        set(good_lines.values()) <= stored_ids(db),
    )
