"""`posts list` without twitter-text's URL expression: whether a post has a link is stored with
its text (m011's ``has_link``), and each answer built from it is checked against the library
itself (its full ``extract_urls_with_indices`` on the whole text) and a plain loop over every
post."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result
from twitter_text import extract_urls_with_indices

from campaign.store import open_db
from posts import queue
from posts.queue import NewPost, PostStatus

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = "2026-11-01T12:00:00+00:00"

# With a link (bare domain, scheme, path), with dots that are no link, without a dot.
TEXTS = [
    "Read it at usip.org/publications",
    "Version 1.2 is out, see https://example.com/a?b=c",
    "Doors open at 9.30 sharp, U.S. time.",
    "No dot here at all",
    "Ünïcode “quotes” — and example.org at the end",
    "trailing dot.",
]


def library_link(text: str) -> bool:
    """Whether twitter-text (the library, not posts.length) finds a URL in ``text``."""
    return bool(extract_urls_with_indices(text))


def stored(db: sqlite_utils.Database) -> dict[int, tuple[str, int | None]]:
    return {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, text, has_link FROM posts")}


def expected_footer(db: sqlite_utils.Database) -> str:
    """The cost line of `posts list`, from every post's text through the library."""
    from campaign.metadata import settings_for
    from posts.cost import usd

    settings = settings_for(db)
    with_link, plain = (
        Decimal(str(settings.price_post_with_link)),
        Decimal(str(settings.price_post)),
    )
    ahead = {"draft", "approved", "publishing", "unknown"}
    rows = db.execute("SELECT status, text FROM posts").fetchall()
    going = [library_link(t) for s, t in rows if s in ahead]
    spent = [library_link(t) for s, t in rows if s == "published"]

    def total(links: list[bool]) -> Decimal:
        return sum((with_link if link else plain for link in links), Decimal(0))

    return (
        f"Cost on X: {usd(total(going))} for the {len(going)} listed drafts and approved posts "
        f"if they go out ({sum(going)} with links); {usd(total(spent))} for the "
        f"{len(spent)} published"
    )


@pytest.mark.parametrize("fixture", ["release-0.1.db", "before-workspace.db"])
@time_machine.travel(NOW, tick=False)
def test_a_database_of_an_earlier_release_gets_its_links_once_and_right(
    fixture: str, db_path: Path, run: Callable[..., Result]
) -> None:
    """m011 marks every text without a dot as linkless and leaves the others unknown; the first
    listing finds them (and writes them, so the next one runs no URL expression); every flag
    is what the library says, and the cost line is a loop over every post through the library."""
    shutil.copyfile(FIXTURES / fixture, db_path)
    db = open_db(db_path)
    before = stored(db)
    assert all(link == (None if "." in text else 0) for text, link in before.values())
    assert any(link is None for _, link in before.values())
    result = run("posts", "list")
    assert 0 == result.exit_code, result.output
    after = stored(db)
    assert {i: (t, int(library_link(t))) for i, (t, _) in before.items()} == after
    assert any(link for _, link in after.values())
    assert expected_footer(db) == result.stdout.splitlines()[-1]
    assert 0 == queue.settle_links(db)  # nothing left to find


@time_machine.travel(NOW, tick=False)
def test_every_write_of_a_text_writes_its_link(
    db: sqlite_utils.Database, run: Callable[..., Result], sample_yaml: Path
) -> None:
    """Posts added, edited (a link put in, then taken out) and planned carry the flag the
    library gives for their stored text."""
    assert 0 == run("load", sample_yaml).exit_code
    assert 0 == run("plan").exit_code
    ids = []
    for text in TEXTS:
        added = run("posts", "add", "--text", text, "--at", "2026-12-01T10:00Z")
        assert 0 == added.exit_code, added.output
        ids.append(int(added.stdout.strip()))
    for text in ("No link any more", "A link again: example.net/x", "Gone again"):
        assert 0 == run("posts", "edit", ids[0], "--text", text).exit_code
    rows = stored(db)
    assert len(rows) > len(TEXTS)
    assert {i: int(library_link(t)) for i, (t, _) in rows.items()} == {
        i: link for i, (_, link) in rows.items()
    }
    assert not rows[ids[0]][1] and rows[ids[1]][1]


def test_rows_written_without_the_flag_are_found_before_counting(
    db: sqlite_utils.Database,
) -> None:
    """A row stored by other means (no has_link) is looked at before links are counted: the
    tallies equal a loop over every text, whatever the filter."""
    from campaign.metadata import settings_for
    from posts.cost import TO_GO_OUT, estimate_tallied

    for n, text in enumerate(TEXTS * 3):
        new = NewPost("manual", f"{text} {n}", 40, datetime(2026, 12, 1, 10, tzinfo=UTC))
        queue.insert_draft(db, new, "test", "test")
    db.execute("UPDATE posts SET has_link = NULL WHERE id % 2 = 0")
    db.execute("UPDATE posts SET status = 'published' WHERE id % 3 = 0")
    settings = settings_for(db)
    for where in (None, queue.Filter(status=PostStatus.DRAFT), queue.Filter(text="at")):
        clause, params = where.where() if where else ("", [])
        texts = db.execute(f"SELECT status, text FROM posts {clause}", params).fetchall()
        for statuses in (TO_GO_OUT, [PostStatus.PUBLISHED]):
            links = [library_link(t) for s, t in texts if s in statuses]
            got = estimate_tallied(queue.tallies(db, where), statuses, settings)
            assert (len(links), sum(links)) == (got.count, got.with_link)
    assert [] == [r for r in stored(db).values() if r[1] is None]
