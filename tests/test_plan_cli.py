"""`campaign plan`: drafts from the loaded campaign, a readable table, safe to run again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import time_machine
from click.testing import Result

from campaign.store import open_db
from posts.queue import list_posts
from posts.rules import count_hashtag, duplicate_key

Run = Callable[..., Result]
BEFORE_CAMPAIGN = "2026-10-01T12:00:00+00:00"


def _load(run: Run, sample_yaml: Path) -> None:
    assert 0 == run("init").exit_code
    result = run("load", sample_yaml)
    assert 0 == result.exit_code, result.output


@time_machine.travel(BEFORE_CAMPAIGN, tick=False)
def test_sample_campaign_plans_valid_distinct_drafts(
    run: Run, sample_yaml: Path, db_path: Path
) -> None:
    """The bundled campaign gives ≥ 12 drafts, each ≤ 280 with the hashtag once, none alike."""
    _load(run, sample_yaml)
    result = run("plan")
    assert 0 == result.exit_code, result.output
    posts = list_posts(open_db(db_path))
    assert len(posts) >= 12
    assert {"draft"} == {p.status for p in posts}
    assert all(p.weighted_length <= 280 for p in posts)
    assert all(1 == count_hashtag(p.text, "#PolicingInConflict") for p in posts)
    assert len(posts) == len({duplicate_key(p.text) for p in posts})
    assert f"Drafts created {len(posts)}, updated 0, unchanged 0, kept 0" in result.output
    assert "announcement" in result.output
    assert "already passed" not in result.output


@time_machine.travel(BEFORE_CAMPAIGN, tick=False)
def test_second_plan_changes_nothing(run: Run, sample_yaml: Path, db_path: Path) -> None:
    """Running plan again reports every draft unchanged and leaves the rows as they were."""
    _load(run, sample_yaml)
    run("plan")
    db = open_db(db_path)
    before = [p.to_json() | {"updated_at": p.updated_at} for p in list_posts(db)]
    result = run("plan")
    assert 0 == result.exit_code, result.output
    assert f"Drafts created 0, updated 0, unchanged {len(before)}, kept 0" in result.output
    assert before == [p.to_json() | {"updated_at": p.updated_at} for p in list_posts(db)]


@time_machine.travel(BEFORE_CAMPAIGN, tick=False)
def test_dry_run_writes_nothing(run: Run, sample_yaml: Path, db_path: Path) -> None:
    """--dry-run shows the plan and the counts but creates no post."""
    _load(run, sample_yaml)
    result = run("plan", "--dry-run")
    assert 0 == result.exit_code, result.output
    assert "Dry run, nothing written. It would be: created " in result.output
    assert [] == list_posts(open_db(db_path))


def test_posts_in_the_past_are_pointed_out(run: Run, sample_yaml: Path) -> None:
    """Planned times already passed are marked and explained."""
    _load(run, sample_yaml)
    with time_machine.travel("2027-06-01T12:00:00+00:00", tick=False):
        result = run("plan")
    assert 0 == result.exit_code, result.output
    assert "of these times have already passed" in result.output


def test_plan_without_a_campaign_says_how_to_load_one(run: Run) -> None:
    """With nothing loaded, plan exits 2 and tells the user to run `campaign load`."""
    assert 0 == run("init").exit_code
    result = run("plan")
    assert 2 == result.exit_code
    assert "Error: no campaign loaded: run `campaign load FILE` first" in result.output


@time_machine.travel(BEFORE_CAMPAIGN, tick=False)
def test_user_templates_override_defaults(
    run: Run, sample_yaml: Path, db_path: Path, tmp_path: Path
) -> None:
    """--templates DIR replaces a default template by its file name."""
    _load(run, sample_yaml)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "recap.j2").write_text("Thank you all for “{{ event.title }}”!\n", encoding="utf-8")
    result = run("plan", "--templates", folder)
    assert 0 == result.exit_code, result.output
    recap = next(p for p in list_posts(open_db(db_path)) if p.kind == "recap")
    assert recap.text.startswith("Thank you all for “")
    assert "recap.j2" == recap.template


def test_broken_template_is_reported_with_file_and_line(
    run: Run, sample_yaml: Path, tmp_path: Path
) -> None:
    """A template error exits 2 naming the template file and line, with no traceback."""
    _load(run, sample_yaml)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "starting.j2").write_text("Live now:\n{{ event.tittle }}\n", encoding="utf-8")
    result = run("plan", "--templates", folder)
    assert 2 == result.exit_code
    assert "starting.j2, line 2" in result.output
    assert "tittle" in result.output
    assert "Traceback" not in result.output


@time_machine.travel(BEFORE_CAMPAIGN, tick=False)
def test_plan_audits_each_new_draft_as_the_planner(
    run: Run, sample_yaml: Path, db_path: Path
) -> None:
    """Every draft plan creates has one audit row: no status → draft, actor "planner"."""
    _load(run, sample_yaml)
    run("plan")
    db = open_db(db_path)
    rows = db.execute("SELECT actor, from_status, to_status FROM post_audit").fetchall()
    assert len(list_posts(db)) == len(rows)
    assert {("planner", None, "draft")} == set(rows)
