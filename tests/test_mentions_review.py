"""Reviewing posts: statuses, notes, the audit trail, and marking what a search matched."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlite_utils

from campaign.errors import CampaignError, NotFoundError
from campaign.mentions.review import counts_by_status, history, mark, mark_matching
from campaign.mentions.search import MentionFilter, ids
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.mentions_factory import conversation


@pytest.fixture
def filled(db: sqlite_utils.Database) -> sqlite_utils.Database:
    tweets, users = conversation(20)
    with immediate(db):
        Writer(db, source="twarc").write(tweets, users)
    return db


def test_mark_sets_status_and_note_with_an_audit_row(filled: sqlite_utils.Database) -> None:
    """Marking records who, when, from, to and the note; the same mark again changes nothing."""
    one = ids(filled, MentionFilter())[0]
    assert 1 == mark(filled, [one], "needs-reply", actor="cli:ana", note="ask the speaker")
    assert 0 == mark(filled, [one], "needs-reply", actor="cli:ana")
    trail = history(filled, one)
    assert [("cli:ana", "new", "needs-reply", "ask the speaker")] == [
        (h["actor"], h["from_status"], h["to_status"], h["note"]) for h in trail
    ]
    assert {
        "new": 19,
        "reviewed": 0,
        "flagged": 0,
        "needs-reply": 1,
        "ignored": 0,
    } == counts_by_status(filled)


def test_unknown_status_or_id_is_refused_before_any_change(filled: sqlite_utils.Database) -> None:
    """An unknown status lists the valid ones; an unknown id changes nothing at all."""
    all_ids = ids(filled, MentionFilter())
    with pytest.raises(CampaignError, match="new, reviewed, flagged, needs-reply, ignored"):
        mark(filled, all_ids[:1], "done", actor="t")
    with pytest.raises(NotFoundError, match="12345"):
        mark(filled, [all_ids[0], 12345], "reviewed", actor="t")
    assert 20 == counts_by_status(filled)["new"]


def test_mark_matching_marks_everything_a_search_found(filled: sqlite_utils.Database) -> None:
    """Marking by search reaches every match across pages, and only them."""
    f = MentionFilter(text="#NATO", limit=1)
    assert 2 == mark_matching(filled, f, "ignored", actor="t")
    assert ids(filled, MentionFilter(text="#NATO")) == ids(filled, MentionFilter(status="ignored"))


def test_cli_mark_ids_and_unknown_status_exit_2(filled: sqlite_utils.Database, run: Any) -> None:
    """`mentions mark ID… --status S --note T` marks; an unknown status exits 2 with the list."""
    a, b = ids(filled, MentionFilter())[:2]
    ok = run("mentions", "mark", a, b, "--status", "flagged", "--note", "rude")
    assert (0, "Marked 2 posts flagged.\n") == (ok.exit_code, ok.output)
    listed = json.loads(run("mentions", "list", "--status", "flagged", "--json").output)
    assert [(str(a), "rude"), (str(b), "rude")] == [(m["id"], m["note"]) for m in listed]
    bad = run("mentions", "mark", a, "--status", "done")
    assert 2 == bad.exit_code
    assert "Error: unknown review status 'done': use one of new, reviewed" in bad.output


def test_cli_bulk_mark_needs_yes(filled: sqlite_utils.Database, run: Any) -> None:
    """Marking by search says how many match and asks for --yes before marking them all."""
    refused = run("mentions", "mark", "--search", "#policinginconflict", "--status", "reviewed")
    assert 2 == refused.exit_code
    assert "20 posts match: add --yes" in refused.output
    done = run(
        "mentions", "mark", "--search", "#policinginconflict", "--status", "reviewed", "--yes"
    )
    assert "20 posts matched; marked 20 reviewed." in done.output
    assert 20 == counts_by_status(filled)["reviewed"]
