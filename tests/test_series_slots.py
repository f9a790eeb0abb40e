"""Evergreen series (every N days until a date, variants rotating, approved once) and queue
slots (`posts add --next-slot` takes the next free slot on the slot days)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from posts import queue, series

Run = Callable[..., Result]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday
TAG = "#PolicingInConflict"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    """Every test here runs at NOW (a Friday, 15:00 UTC)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _ok(result: Result) -> Result:
    assert 0 == result.exit_code, result.output
    return result


def test_next_slot_takes_the_next_free_weekday_slot(run: Run, db: sqlite_utils.Database) -> None:
    """With the default slots (09:30, 12:00, 16:00 UTC here, weekdays), posts fill Friday
    16:00, then Monday 09:30 (the weekend has no slots), then Monday 12:00."""
    _ok(run("init"))
    for text in ("One", "Two", "Three"):
        _ok(run("posts", "add", "--text", text, "--next-slot"))
    got = [p.scheduled_at for p in queue.list_posts(db)]
    assert [
        datetime(2026, 11, 20, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
    ] == got


def test_a_cancelled_post_frees_its_slot(run: Run, db: sqlite_utils.Database) -> None:
    """A slot held by a cancelled post is free again."""
    _ok(run("init"))
    first = int(_ok(run("posts", "add", "--text", "One", "--next-slot")).stdout)
    _ok(run("posts", "cancel", first))
    second = int(_ok(run("posts", "add", "--text", "Two", "--next-slot")).stdout)
    assert queue.get(db, first).scheduled_at == queue.get(db, second).scheduled_at


def test_at_or_next_slot_is_required(run: Run) -> None:
    """Neither --at nor --next-slot (or both) is refused saying what to give."""
    _ok(run("init"))
    result = run("posts", "add", "--text", "One")
    assert 2 == result.exit_code
    assert "give --at WHEN or --next-slot" in result.output


def test_series_rotates_variants_every_n_days(run: Run, db: sqlite_utils.Database) -> None:
    """Weekly for five weeks with five variants: five drafts a week apart, each text once."""
    _ok(run("init"))
    texts = [f"Read our report, part {i}" for i in range(1, 6)]
    args = [a for t in texts for a in ("--text", t)]
    out = _ok(
        run(
            "posts",
            "series",
            "add",
            *args,
            "--at",
            "2026-11-23T10:00Z",
            "--every",
            "7",
            "--until",
            "2026-12-21",
        )
    ).stdout
    assert out.startswith("Series 1: 5 posts, every 7 days")
    posts = queue.list_posts(db)
    assert [f"{t} {TAG}" for t in texts] == [p.text for p in posts]
    assert [23, 30, 7, 14, 21] == [p.scheduled_at.day for p in posts]
    assert {"draft"} == {p.status for p in posts}
    assert (1, 2, 5) == series.of_post(db, posts[1].id)


def test_series_refuses_repeats_x_would_refuse(run: Run, db: sqlite_utils.Database) -> None:
    """Two variants every 3 days would repeat a text after 6 days: refused, saying how many
    variants are needed; nothing is queued."""
    _ok(run("init"))
    result = run(
        "posts",
        "series",
        "add",
        "--text",
        "A",
        "--text",
        "B",
        "--at",
        "2026-11-23T10:00Z",
        "--every",
        "3",
        "--until",
        "2026-12-31",
    )
    assert 2 == result.exit_code
    assert "give at least 10 variants" in result.output
    assert [] == queue.list_posts(db)


def test_series_is_approved_once(run: Run, db: sqlite_utils.Database) -> None:
    """`posts series approve ID` approves every draft of the series."""
    _ok(run("init"))
    _ok(
        run(
            "posts",
            "series",
            "add",
            "--text",
            "Monthly digest",
            "--at",
            "2026-11-23T10:00Z",
            "--every",
            "30",
            "--until",
            "2027-02-01",
        )
    )
    assert (
        "Approved 3 posts of series 1." == _ok(run("posts", "series", "approve", 1)).stdout.strip()
    )
    assert ["approved"] * 3 == [
        p["status"] for p in json.loads(run("posts", "list", "--json").stdout)
    ]


def test_series_goes_to_the_campaign_named(
    run: Run, db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """With two campaigns `--campaign SLUG` picks the series' campaign (and hashtag); without
    it the command is refused (exit 2) and nothing is queued."""
    from campaign.metadata import parse_file, save
    from tests.web_helpers import SAMPLE
    from tests.workspace_helpers import event_yaml

    save(db, parse_file(SAMPLE), str(SAMPLE))
    other = event_yaml(tmp_path, "#PeaceTech2027", day="2026-12-20", name="Peace Tech 2027")
    second = save(db, parse_file(other), str(other)).id
    args = ["posts", "series", "add", "--text", "Monthly digest", "--at", "2026-11-23T10:00Z"]
    args += ["--every", "30", "--until", "2027-01-10"]
    assert 2 == run(*args).exit_code
    assert [] == queue.list_posts(db)
    _ok(run(*args, "--campaign", "peacetech2027"))
    assert [(second, "Monthly digest #PeaceTech2027")] * 2 == [
        (p.campaign_id, p.text) for p in queue.list_posts(db)
    ]
