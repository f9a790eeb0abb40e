"""CSV export escapes every cell a spreadsheet could read as a formula (OWASP's rule), also
behind leading blanks, and nothing else."""

from __future__ import annotations

import csv
import io

import pytest
import sqlite_utils
from hypothesis import given
from hypothesis import strategies as st

from campaign.mentions.export import FORMULA_STARTS, _cell, write_csv
from campaign.mentions.search import MentionFilter
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.mentions_factory import tweet, user

HOSTILE = [
    "=1+1",
    "= 1+1",
    " =1+1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "+1",
    "-2+3",
    "- 2+3",
    "@SUM(A1:A2)",
    "@",
    "=",
    "\tplain",
    "\rplain",
    "  @cmd",
    "\u00a0=1+1",
    "＝1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_could_be_a_formula_is_kept_as_text(
    db: sqlite_utils.Database, text: str
) -> None:
    """The exported cell starts with ' and then the text exactly as written."""
    with immediate(db):
        Writer(db, source="twarc").write([tweet(5, text, author_id=7)], [user(7, "someone")])
    out = io.StringIO(newline="")
    write_csv(db, MentionFilter(), out)
    row = next(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"), newline="")))
    assert "'" + text.replace("\r\n", "\n") == row["text"]


@pytest.mark.parametrize("text", ["hello =1+1", "#PolicingInConflict", "1-2", "a@b", ""])
def test_ordinary_text_is_left_as_written(text: str) -> None:
    """Text that does not start like a formula gets no quote mark."""
    assert text == _cell(text)


@given(st.text(max_size=30))
def test_no_exported_cell_starts_like_a_formula(text: str) -> None:
    """Whatever the text, the cell never starts (after blanks) with a formula character
    unless it starts with the quote mark."""
    cell = _cell(text)
    start = cell.lstrip(" \t\r\n\u00a0\u3000")[:1]
    assert cell.startswith("'") or (cell[:1] not in FORMULA_STARTS and start not in FORMULA_STARTS)
