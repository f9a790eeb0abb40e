"""Four eyes: nobody approves a post they wrote or last edited, an edit to an approved post sends
it back to draft, `approval.four_eyes: false` turns the rule off, and the history names people."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign import people
from posts import editing, queue

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost, so a test's dozen hashes take milliseconds, not seconds
    (the real cost is pinned once, in test_people.py)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        people, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def team(run: Run, sample_yaml: Path, db: sqlite_utils.Database) -> sqlite_utils.Database:
    """The sample campaign with a team: dana (editor), ed and ann (approvers); time frozen."""
    run("load", sample_yaml)
    for name, role in (("dana", "editor"), ("ed", "approver"), ("ann", "approver")):
        people.add(db, name, role, PASSWORD)
    return db


def as_(name: str) -> dict[str, str]:
    return {"CAMPAIGN_USER": name}


def add_post(run: Run, who: str, text: str = "Doors open at 9:30") -> int:
    result = run("posts", "add", "--text", text, "--at", "2026-12-06T09:00", env=as_(who))
    assert 0 == result.exit_code, result.output
    return int(result.output.split()[0])


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_author_cannot_approve_their_own_post(run: Run, team: sqlite_utils.Database) -> None:
    """An approver who wrote a post is refused (exit 2); another approver approves it."""
    pid = add_post(run, "ed")
    refused = run("posts", "approve", str(pid), env=as_("ed"))
    assert 2 == refused.exit_code
    assert (
        f"Error: ed cannot approve post {pid}: they wrote it, and another approver must approve "
        "it (four eyes). Nothing was changed\n"
    ) == refused.output
    assert "draft" == queue.get(team, pid).status
    assert 0 == run("posts", "approve", str(pid), env=as_("ann")).exit_code
    assert "approved" == queue.get(team, pid).status


def test_the_last_editor_cannot_approve(run: Run, team: sqlite_utils.Database) -> None:
    """An approver who last edited someone else's draft cannot approve it either."""
    pid = add_post(run, "dana")
    run("posts", "edit", str(pid), "--text", "Doors open at 9:45", env=as_("ann"))
    refused = run("posts", "approve", str(pid), env=as_("ann"))
    assert 2 == refused.exit_code
    assert "ann cannot approve" in refused.output
    assert "they last edited it" in refused.output


def test_editing_an_approved_post_sends_it_back_to_draft_with_who_and_why(
    run: Run, team: sqlite_utils.Database
) -> None:
    """An edit of an approved post's text makes it a draft again; the history says who and why."""
    pid = add_post(run, "dana")
    run("posts", "approve", str(pid), env=as_("ed"))
    edited = run("posts", "edit", str(pid), "--text", "Policing is a joke lol", env=as_("dana"))
    assert "it is a draft again: another approver must approve it (four eyes)" in edited.output
    assert "draft" == queue.get(team, pid).status
    history = json.loads(run("posts", "history", str(pid), "--json").output)
    last = history[-1]
    assert ("cli:dana", "approved", "draft") == (
        last["actor"],
        last["from_status"],
        last["to_status"],
    )
    assert (
        "edited: text; back to draft: dana changed it after it was approved, so it needs "
        "approval again (four eyes)"
    ) == last["detail"]


def test_history_names_every_person(run: Run, team: sqlite_utils.Database) -> None:
    """`posts history` lists each change with the person who made it, oldest first."""
    pid = add_post(run, "dana")
    run("posts", "approve", str(pid), env=as_("ed"))
    lines = run("posts", "history", str(pid)).output.splitlines()
    assert ["cli:dana  draft  added by hand", "cli:ed  draft -> approved  approved by hand"] == [
        line.split("  ", 1)[1] for line in lines
    ]


def test_approve_all_skips_own_posts_and_says_how_many(
    run: Run, team: sqlite_utils.Database
) -> None:
    """`approve --all` approves the others' drafts and names the ones left for someone else."""
    mine = add_post(run, "ed", "First")
    theirs = add_post(run, "dana", "Second")
    result = run("posts", "approve", "--all", env=as_("ed"))
    assert 0 == result.exit_code
    assert (
        f"Skipped 1 draft that ed wrote or last edited (ids {mine}): another approver must "
        "approve them (four eyes)."
    ) in result.output
    assert ("draft", "approved") == (queue.get(team, mine).status, queue.get(team, theirs).status)


def test_four_eyes_false_lets_a_one_person_team_approve_its_own(
    run: Run, team: sqlite_utils.Database, sample_yaml: Path, tmp_path: Path
) -> None:
    """With `approval: {four_eyes: false}` in the YAML the author may approve their post."""
    relaxed = tmp_path / "relaxed.yaml"
    relaxed.write_text(
        sample_yaml.read_text(encoding="utf-8") + "\napproval:\n  four_eyes: false\n",
        encoding="utf-8",
    )
    assert 0 == run("load", relaxed).exit_code
    pid = add_post(run, "ed")
    assert 0 == run("posts", "approve", str(pid), env=as_("ed")).exit_code
    run("posts", "edit", str(pid), "--text", "Doors open at 9:45", env=as_("ed"))
    assert "approved" == queue.get(team, pid).status


def test_a_bad_four_eyes_value_is_refused_with_its_line(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """`four_eyes: maybe` is refused naming the file, line and field."""
    text = sample_yaml.read_text(encoding="utf-8") + "\napproval:\n  four_eyes: maybe\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    result = run("load", bad)
    assert 2 == result.exit_code
    line = len(text.splitlines())
    assert f"line {line}" in result.output
    assert "approval.four_eyes" in result.output
    assert "'maybe' is not true or false" in result.output


def test_no_people_keeps_the_one_person_setup(
    run: Run, sample_yaml: Path, db: sqlite_utils.Database
) -> None:
    """Without people the same person adds, approves and edits; an approved post stays approved."""
    run("load", sample_yaml)
    pid = add_post(run, "tester")
    assert 0 == run("posts", "approve", str(pid)).exit_code
    run("posts", "edit", str(pid), "--text", "Doors open at 9:45")
    assert "approved" == queue.get(db, pid).status


def test_approve_drafts_in_the_library_reports_skipped(team: sqlite_utils.Database) -> None:
    """`editing.approve_drafts` returns the approved posts and the drafts left to others."""
    at = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
    own = editing.add(team, "Mine", at, actor="web:ann", by="ann")
    other = editing.add(team, "Theirs", at, actor="web:dana", by="dana")
    result = editing.approve_drafts(team, actor="web:ann", by="ann", day=at.date())
    assert ([other.id], [own.id]) == (
        [p.id for p in result.approved],
        [p.id for p in result.skipped],
    )


def test_a_new_reply_target_also_sends_an_approved_post_back(
    run: Run, team: sqlite_utils.Database
) -> None:
    """`posts edit --reply-to` on an approved post makes it a draft again, the history says so."""
    parent = add_post(run, "dana", "The panel is on")
    pid = add_post(run, "dana", "Doors open at 9:30")
    run("posts", "approve", str(pid), env=as_("ed"))
    result = run("posts", "edit", str(pid), "--reply-to", str(parent), env=as_("dana"))
    assert 0 == result.exit_code, result.output
    post = queue.get(team, pid)
    assert ("draft", parent) == (post.status, post.reply_to_post_id)
    assert queue.history(team, pid)[-1]["detail"].startswith(f"edited: reply to post - -> {parent}")
