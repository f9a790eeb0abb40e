"""Coding the conversation: the scheme from the campaign YAML, codes from the CLI (by id and on
what a search matches), who and when, filters, exports, the report, retired values."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine

from campaign.mentions.coding import Assignment, code, codes_for, counts
from tests.web_helpers import SAMPLE, add_mentions

SCHEME = (
    "campaign:\n"
    "  coding:\n"
    "    stance: [supports, opposes, neutral, unclear]\n"
    "    theme: {choice: multiple, values: [accountability, training, gender]}\n"
    "    actor: [official, journalist, researcher, civil society, public]\n"
    "    summary: {choice: text}\n"
)
FROZEN = "2026-12-06T15:00:00+00:00"


def coded_yaml(tmp_path: Path, scheme: str = SCHEME) -> Path:
    path = tmp_path / "coded.yaml"
    path.write_text(SAMPLE.read_text(encoding="utf-8").replace("campaign:\n", scheme, 1))
    return path


@pytest.fixture
def coded(run: Callable[..., Any], db: sqlite_utils.Database, tmp_path: Path) -> Path:
    """A campaign with the scheme loaded and five posts (ids 101..105) stored."""
    assert 0 == run("init").exit_code
    path = coded_yaml(tmp_path)
    result = run("load", path)
    assert 0 == result.exit_code, result.output
    add_mentions(
        db,
        [
            {"id": 100 + i, "text": f"point {i} #PolicingInConflict", "username": f"user{i % 2}"}
            for i in range(1, 6)
        ],
    )
    return path


def test_scheme_errors_name_the_line_and_the_fix(run: Callable[..., Any], tmp_path: Path) -> None:
    """A choice that does not exist and a field without values are refused with their field."""
    bad = "campaign:\n  coding:\n    stance: {choice: several, values: [a]}\n    theme: {}\n"
    assert 0 == run("init").exit_code
    result = run("load", coded_yaml(tmp_path, bad))
    assert 2 == result.exit_code
    assert "campaign.coding.stance.choice" in result.output
    assert "'several' is not a choice: write one of single, multiple, text" in result.output
    assert "campaign.coding.theme" in result.output


@time_machine.travel(FROZEN, tick=False)
def test_code_by_id_records_who_and_when(
    run: Callable[..., Any], db: sqlite_utils.Database, coded: Path
) -> None:
    """`mentions code` sets codes on the posts named; each records the person and the time."""
    result = run(
        "mentions", "code", "101", "102", "--set", "stance=opposes", "--set", "theme=training"
    )
    assert 0 == result.exit_code, result.output
    assert "Coded 2 posts: 4 codes changed." == result.output.strip()
    got = codes_for(db, [101])[101]
    assert [("opposes", "cli:tester", FROZEN)] == [
        (c["value"], c["actor"], c["at"]) for c in got["stance"]
    ]


def test_single_choice_replaces_multiple_adds(
    run: Callable[..., Any], db: sqlite_utils.Database, coded: Path
) -> None:
    """A second stance replaces the first; a second theme is added beside the first."""
    run("mentions", "code", "101", "--set", "stance=opposes", "--set", "theme=training")
    run("mentions", "code", "101", "--set", "stance=supports", "--set", "theme=gender")
    listed = json.loads(run("mentions", "list", "--json").output)
    mine = next(m for m in listed if m["id"] == "101")
    assert {"stance": ["supports"], "theme": ["gender", "training"]} == mine["codes"]
    history = [
        (h["action"], h["field"], h["value"])
        for h in json.loads(run("mentions", "show", "101").output)["code_history"]
    ]
    assert ("unset", "stance", "opposes") in history


def test_unknown_values_are_refused_naming_the_allowed(
    run: Callable[..., Any], coded: Path
) -> None:
    """A value or field not in the scheme exits 2 and lists what is allowed."""
    result = run("mentions", "code", "101", "--set", "stance=angry")
    assert 2 == result.exit_code
    assert "use one of supports, opposes, neutral, unclear" in result.output
    result = run("mentions", "code", "101", "--set", "mood=ok")
    assert 2 == result.exit_code and "unknown coding field 'mood'" in result.output


def test_code_everything_a_search_matches(
    run: Callable[..., Any], db: sqlite_utils.Database, coded: Path
) -> None:
    """`--author user1 --set actor=official --yes` codes exactly that author's posts."""
    result = run("mentions", "code", "--author", "user1", "--set", "actor=official", "--yes")
    assert 0 == result.exit_code, result.output
    ids = sorted(
        r[0] for r in db.execute("SELECT mention_id FROM mention_codes WHERE field='actor'")
    )
    assert [101, 103, 105] == ids


def test_filters_exports_and_report_use_codes(
    run: Callable[..., Any], db: sqlite_utils.Database, coded: Path
) -> None:
    """`--code` filters the list; the CSV has a column per field; the report counts values."""
    run("mentions", "code", "101", "102", "--set", "stance=opposes")
    run("mentions", "code", "103", "--set", "theme=training", "--set", "theme=gender")
    listed = json.loads(run("mentions", "list", "--json", "--code", "stance=opposes").output)
    assert ["102", "101"] == [m["id"] for m in listed]
    assert 0 == run("mentions", "export", "-o", "out.csv").exit_code
    rows = list(csv.DictReader(io.StringIO(Path("out.csv").read_text(encoding="utf-8-sig"))))
    by_id = {r["id"]: r for r in rows}
    assert ("opposes", "gender; training") == (
        by_id["101"]["code:stance"],
        by_id["103"]["code:theme"],
    )
    report = json.loads(run("report", "--json").output)
    stance = {c["value"]: c["posts"] for c in report["codes"] if c["field"] == "stance"}
    assert {"supports": 0, "opposes": 2, "neutral": 0, "unclear": 0} == stance


def test_a_scheme_change_keeps_codes_and_marks_them_retired(
    run: Callable[..., Any], db: sqlite_utils.Database, coded: Path
) -> None:
    """After `gender` leaves the scheme, posts keep it, shown retired; it cannot be set again."""
    run("mentions", "code", "103", "--set", "theme=gender")
    coded.write_text(coded.read_text().replace("training, gender]", "training]"))
    assert 0 == run("load", coded).exit_code
    assert [{"field": "theme", "value": "gender", "posts": 1, "retired": True}] == [
        c for c in counts(db) if c["retired"]
    ]
    listed = json.loads(run("mentions", "list", "--json").output)
    mine = next(m for m in listed if m["id"] == "103")
    assert ({"theme": ["gender"]}, {"theme": ["gender"]}) == (mine["codes"], mine["retired"])
    assert 2 == run("mentions", "code", "104", "--set", "theme=gender").exit_code
    assert "(retired)" in run("mentions", "codes").output


def test_codes_are_idempotent_and_unset_works(db: sqlite_utils.Database, coded: Path) -> None:
    """Setting a code a post has changes nothing; unsetting a field removes all its values."""
    sets = [Assignment("theme", "training"), Assignment("theme", "gender")]
    assert 2 == code(db, [101], sets=sets, actor="ana")
    assert 0 == code(db, [101], sets=sets, actor="ana")
    assert 2 == code(db, [101], unsets=[Assignment("theme", None)], actor="ana")
    assert {} == codes_for(db, [101])
