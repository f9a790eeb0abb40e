"""Rules and watch lists: a saved search acts on every matching post, old and new as they
arrive; watch lists badge their accounts' posts in listings, filters and the report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tests.test_coding import coded_yaml
from tests.web_helpers import add_mentions


@pytest.fixture
def store(run: Callable[..., Any], db: sqlite_utils.Database, tmp_path: Path) -> None:
    """A coded campaign with posts by @un_police (101, 102), @nato (103) and @someone (104)."""
    assert 0 == run("init").exit_code
    assert 0 == run("load", coded_yaml(tmp_path)).exit_code
    add_mentions(
        db,
        [
            {"id": 101, "text": "Patrol update #PolicingInConflict", "username": "un_police"},
            {"id": 102, "text": "Training done #PolicingInConflict", "username": "un_police"},
            {"id": 103, "text": "Statement #PolicingInConflict", "username": "nato"},
            {"id": 104, "text": "My view #PolicingInConflict", "username": "someone"},
        ],
    )


def _listed(run: Callable[..., Any], *args: str) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in json.loads(run("mentions", "list", "--json", *args).output)}


def test_rule_applies_to_old_posts_and_to_new_ones_as_they_arrive(
    run: Callable[..., Any], db: sqlite_utils.Database, store: None
) -> None:
    """A rule 'from @un_police → actor=official, flagged' acts on the stored posts at once and
    on a post stored later, recorded as the rule; other posts are untouched."""
    result = run(
        "mentions", "rules", "add", "officials", "--author", "un_police",
        "--set", "actor=official", "--set-status", "flagged",
    )  # fmt: skip
    assert 0 == result.exit_code, result.output
    assert "Applied to the stored posts: 2 changed." in result.output
    add_mentions(
        db, [{"id": 105, "text": "New patrol #PolicingInConflict", "username": "un_police"}]
    )
    listed = _listed(run)
    assert {"101", "102", "105"} == {
        i for i, m in listed.items() if m["review_status"] == "flagged"
    }
    assert {"101", "102", "105"} == {
        i for i, m in listed.items() if m["codes"].get("actor") == ["official"]
    }
    actors = {r[0] for r in db.execute("SELECT actor FROM mention_codes")}
    assert {"rule:officials"} == actors


def test_a_rule_never_overrides_a_reviewers_mark(run: Callable[..., Any], store: None) -> None:
    """A post a reviewer already marked keeps its status when a rule matches it."""
    run("mentions", "mark", "101", "--status", "ignored")
    run("mentions", "rules", "add", "officials", "--author", "un_police", "--set-status", "flagged")
    listed = _listed(run)
    assert ("ignored", "flagged") == (
        listed["101"]["review_status"],
        listed["102"]["review_status"],
    )


def test_rule_needs_a_search_and_an_action(run: Callable[..., Any], store: None) -> None:
    """A rule without a search, or that does nothing, is refused with exit code 2."""
    result = run("mentions", "rules", "add", "all", "--set-status", "flagged")
    assert 2 == result.exit_code and "a rule needs a search" in result.output
    result = run("mentions", "rules", "add", "none", "--author", "nato")
    assert 2 == result.exit_code and "a rule must do something" in result.output


def test_watch_list_badges_past_and_future_posts_and_filters(
    run: Callable[..., Any], db: sqlite_utils.Database, store: None
) -> None:
    """Accounts on a watch list carry its badge (past posts too), `--badge` filters by it, and
    the report lists the list's accounts with their post counts."""
    assert (
        "Added 2 accounts to officials."
        == run("mentions", "watch", "officials", "@UN_police", "nato").output.strip()
    )
    listed = _listed(run)
    assert ["officials"] == listed["101"]["badges"] == listed["103"]["badges"]
    assert [] == listed["104"]["badges"]
    assert {"101", "102", "103"} == set(_listed(run, "--badge", "officials"))
    report = json.loads(run("report", "--json").output)
    assert [("officials", "UN_police", 2), ("officials", "nato", 1)] == [
        (w["list"], w["username"], w["posts"]) for w in report["watchlists"]
    ]
    assert "<officials>" in run("mentions", "list", "--author", "nato").output


def test_rule_badge_shows_and_goes_with_the_rule(run: Callable[..., Any], store: None) -> None:
    """A rule's badge is shown on what it matches and removed with the rule."""
    run(
        "mentions",
        "rules",
        "add",
        "statements",
        "--search",
        "statement",
        "--set-badge",
        "statement",
    )
    assert ["statement"] == _listed(run)["103"]["badges"]
    assert "statements: words 'statement'" in run("mentions", "rules", "list").output
    assert 0 == run("mentions", "rules", "remove", "statements").exit_code
    assert [] == _listed(run)["103"]["badges"]
