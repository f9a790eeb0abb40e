"""Exporting the conversation: CSV a spreadsheet opens cleanly, JSONL with the raw posts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.mentions.importer import import_lines
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.mentions_factory import conversation, tweet, user


@pytest.fixture
def filled(db: sqlite_utils.Database) -> sqlite_utils.Database:
    tweets, users = conversation(12)
    tricky = tweet(9, '=HYPERLINK("x")\nline two, "quoted"', author_id=100)
    with immediate(db):
        Writer(db, source="twarc").write([*tweets, tricky], users)
    return db


def test_csv_has_bom_keeps_newlines_and_defuses_formulas(
    filled: sqlite_utils.Database, run: Any, tmp_path: Path
) -> None:
    """The CSV starts with a UTF-8 BOM, keeps newlines inside quoted cells, and never starts a formula."""
    out = tmp_path / "all.csv"
    result = run("mentions", "export", "--format", "csv", "--output", out)
    assert 0 == result.exit_code
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert 13 == len(rows)
    tricky = next(r for r in rows if r["id"] == "9")
    assert '\'=HYPERLINK("x")\nline two, "quoted"' == tricky["text"]
    arabic = next(r for r in rows if "الشرطة" in r["text"])
    assert "user2" == arabic["author_username"]


def test_csv_export_of_a_search_only(filled: sqlite_utils.Database, run: Any) -> None:
    """`export --search` writes only what the search matched (to stdout by default)."""
    result = run("mentions", "export", "--search", "#nato")
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"), newline="")))
    assert ["#NATO" in r["text"] for r in rows] == [True] * len(rows) and rows


def test_jsonl_round_trips_through_import(
    filled: sqlite_utils.Database, tmp_path: Path, run: Any
) -> None:
    """JSONL lines are the raw tweets with author and review; importing them elsewhere restores the posts."""
    from campaign.store import open_db

    out = tmp_path / "all.jsonl"
    run("mentions", "export", "--format", "jsonl", "-o", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert {"id", "text", "author_id", "created_at", "author", "__campaign"} <= set(first)
    assert "new" == first["__campaign"]["review_status"]
    other = open_db(tmp_path / "other.db")
    with out.open("rb") as fh:
        result = import_lines(other, fh)
    assert (13, 0) == (result.new, result.broken)
    cols = "id, text, author_id, created_at, lang"
    assert (
        filled.execute(f"SELECT {cols} FROM mentions ORDER BY id").fetchall()
        == other.execute(f"SELECT {cols} FROM mentions ORDER BY id").fetchall()
    )


def test_export_pages_through_more_than_one_read(db: sqlite_utils.Database) -> None:
    """Exports read in pages; every post appears exactly once, newest first."""
    from campaign.mentions import export

    tweets = [tweet(i, f"post {i}", author_id=1) for i in range(1, 2 * export._PAGE + 7)]
    with immediate(db):
        Writer(db, source="twarc").write(tweets, [user(1, "a")])
    buf = io.StringIO()
    n = export.write_jsonl(db, export.MentionFilter(), buf)
    got = [json.loads(x)["id"] for x in buf.getvalue().splitlines()]
    assert n == len(tweets)
    assert [str(i) for i in range(len(tweets), 0, -1)] == got
