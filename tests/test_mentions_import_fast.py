"""The import's fast paths store exactly what the plain ones did: raw JSON as json.dumps writes
it, numbers beyond 64 bits kept whole, X's times as to_db writes them, and the mentions CHECKs
back on after every write."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from campaign.mentions.importer import import_lines
from campaign.mentions.store import Writer, created_at_db
from campaign.store import immediate
from tests.mentions_factory import START, conversation, page_line, snowflake, tweet, user

AUTHOR = user(7, "someone", "Some “one” 🧵\u0001")


def compact(doc: object) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def test_raw_json_is_what_json_dumps_writes(db: sqlite_utils.Database) -> None:
    """Each post's and author's raw JSON is json.dumps's compact text with real Unicode."""
    tweets, users = conversation(10)
    tweets[0]["text"] = 'quotes " and \\ and \u0001 and \u2028 and 👩🏽‍⚖️ #PolicingInConflict'
    users[0] = {**users[0], "name": "Nº “quoted” \u0007"}
    import_lines(db, [page_line(tweets, users).encode()])
    raws = dict(db.execute("SELECT id, raw FROM mentions").fetchall())
    author_raws = dict(db.execute("SELECT id, raw FROM authors").fetchall())
    assert (
        {int(t["id"]): compact(t) for t in tweets},
        {int(u["id"]): compact(u) for u in users},
    ) == (
        raws,
        author_raws,
    )


@pytest.mark.parametrize("number", [10**25, -(2**63) - 1, 2**64 + 1])
def test_a_number_beyond_64_bits_is_kept_whole(db: sqlite_utils.Database, number: int) -> None:
    """A field holding an integer beyond 64 bits keeps every digit in the raw JSON (not a float)."""
    post = {**tweet(snowflake(START, 1), "big #PolicingInConflict", author_id=7), "x": number}
    import_lines(db, [json.dumps({"data": [post], "includes": {"users": [AUTHOR]}}).encode()])
    raw = db.execute("SELECT raw FROM mentions").fetchone()[0]
    assert (number, compact(post)) == (json.loads(raw)["x"], raw)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-12-06T14:00:00.123Z", "2026-12-06T14:00:00.123+00:00"),
        ("2000-01-01T00:00:00.000Z", "2000-01-01T00:00:00.000+00:00"),
        ("2999-12-30T23:59:59.999Z", "2999-12-30T23:59:59.999+00:00"),
        ("2026-12-06T14:00:00Z", "2026-12-06T14:00:00.000+00:00"),
        ("2026-12-06T15:00:00.000+01:00", "2026-12-06T14:00:00.000+00:00"),
        ("2026-W49-7T14:00:00.000Z", "2026-12-06T14:00:00.000+00:00"),
        ("2026-02-30T00:00:00.000Z", "2026-12-06T14:00:00.000+00:00"),  # no such day
        ("1999-12-31T23:59:59.999Z", "2026-12-06T14:00:00.000+00:00"),  # before 2000
        ("2026-12-06T24:00:00.000Z", "2026-12-06T14:00:00.000+00:00"),  # no such hour
    ],
)
def test_x_times_are_stored_as_to_db_writes_them(sent: str, stored: str) -> None:
    """A created_at as X writes it is stored as to_db writes it; another valid form is converted;
    an impossible one gives way to the time in the snowflake id."""
    assert stored == created_at_db(sent, snowflake(START))


def test_a_writer_refuses_a_source_the_table_does_not_allow(db: sqlite_utils.Database) -> None:
    """Writer checks its source itself, since its insert skips the table's CHECKs."""
    with pytest.raises(ValueError, match="unknown source 'csv'"):
        Writer(db, source="csv")


def test_checks_are_on_again_after_a_write_and_after_a_failed_one(
    db: sqlite_utils.Database,
) -> None:
    """After a write, and after a write that failed, the mentions CHECKs refuse a bad status."""
    writer = Writer(db, source="twarc")
    with immediate(db):
        writer.write([tweet(snowflake(START, 1), "ok", author_id=7)])
    with pytest.raises(OverflowError), immediate(db):
        writer.write([tweet(snowflake(START, 2), "too many likes", author_id=7, likes=10**30)])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE mentions SET review_status = 'bogus'")
    assert [("new",)] == db.execute("SELECT review_status FROM mentions").fetchall()
