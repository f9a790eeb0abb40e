"""Importing twarc2 output: search pages and flattened tweets, broken lines skipped and named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from campaign.mentions.importer import import_lines
from campaign.mentions.search import MentionFilter, search
from tests.mentions_factory import conversation, flat_line, page_line


def write(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "tweets.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_pages_and_flat_lines_both_import_with_authors(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """API pages (authors in includes) and flattened tweets (author embedded) are both read."""
    tweets, users = conversation(25)
    lines = [page_line(tweets[:10], users), page_line(tweets[10:20], users)]
    lines += [flat_line(t, users[int(t["author_id"]) - 100]) for t in tweets[20:]]
    with write(tmp_path, lines).open("rb") as fh:
        result = import_lines(db, fh)
    assert (25, 25, 0, 0) == (result.posts, result.new, result.updated, result.broken)
    got = {m["id"]: m for m in search(db, MentionFilter(limit=100))}
    assert {t["id"] for t in tweets} == set(got)
    assert all(m["author_username"] for m in got.values())
    assert "author" not in db.execute("SELECT raw FROM mentions LIMIT 1").fetchone()[0][:20]


def test_broken_lines_are_skipped_and_counted_by_number(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """A line that is not JSON, or JSON that is not twarc2 output, is skipped; the rest imports."""
    tweets, users = conversation(6)
    lines = [
        page_line(tweets[:3], users),
        '{"data": [',
        "[1, 2]",
        "",
        page_line(tweets[3:], users),
        '{"x": 1}',
    ]
    with write(tmp_path, lines).open("rb") as fh:
        result = import_lines(db, fh)
    assert (6, 3, [2, 3, 6]) == (result.new, result.broken, result.broken_lines)


def test_importing_again_updates_and_keeps_reviews(
    tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """The same file twice stores each post once; review status and notes survive."""
    from campaign.mentions.review import mark

    tweets, users = conversation(12)
    path = write(tmp_path, [page_line(tweets, users)])
    with path.open("rb") as fh:
        import_lines(db, fh, batch=5)
    mark(db, [int(tweets[0]["id"])], "needs-reply", actor="test", note="answer")
    with path.open("rb") as fh:
        again = import_lines(db, fh, batch=5)
    assert (0, 12) == (again.new, again.updated)
    assert 12 == db.execute("SELECT count(*) FROM mentions").fetchone()[0]
    assert ("needs-reply", "answer") == db.execute(
        "SELECT review_status, note FROM mentions WHERE id = ?", [int(tweets[0]["id"])]
    ).fetchone()


def test_stream_lines_with_a_single_tweet_import(db: sqlite_utils.Database) -> None:
    """A filtered-stream line (`data` is one tweet, not a list) imports too."""
    import json

    tweets, users = conversation(1)
    line = json.dumps(
        {"data": tweets[0], "includes": {"users": users}, "matching_rules": [{"id": "1"}]}
    )
    assert 1 == import_lines(db, [line.encode()]).new


def test_cli_import_from_file_and_stdin(
    tmp_path: Path, run: Any, db: sqlite_utils.Database
) -> None:
    """`campaign mentions import FILE` and `-` (stdin) report counts and broken line numbers."""
    tweets, users = conversation(8)
    path = write(tmp_path, [page_line(tweets[:4], users), "not json"])
    result = run("mentions", "import", path)
    assert 0 == result.exit_code
    assert "Imported 4 posts from 2 lines: 4 new" in result.output
    assert "Skipped 1 broken line (not twarc2 JSON): line 2" in result.output
    piped = run("mentions", "import", "-", input=page_line(tweets, users) + "\n")
    assert "Imported 8 posts from 1 line: 4 new, 4 already stored" in piped.output


def test_cli_import_of_a_missing_file_is_a_plain_error(run: Any) -> None:
    """Importing a file that does not exist says so (exit 2)."""
    result = run("mentions", "import", "nope.jsonl")
    assert 2 == result.exit_code
    assert "Error: cannot import nope.jsonl: no such file" in result.output


def test_links_leave_out_quoted_posts_and_media(db: sqlite_utils.Database) -> None:
    """Shared links count real links only: X's photo links and quoted-post links are left out."""
    from campaign.mentions.store import links_of

    t = {
        "entities": {
            "urls": [
                {"expanded_url": "https://www.usip.org/a", "display_url": "usip.org/a"},
                {
                    "expanded_url": "https://twitter.com/u/status/1",
                    "display_url": "twitter.com/u/…",
                },
                {
                    "expanded_url": "https://x.com/u/status/1/photo/1",
                    "display_url": "pic.x.com/abc",
                },
                {"expanded_url": "https://twitter.com/USIP", "display_url": "twitter.com/USIP"},
            ]
        }
    }
    assert [
        ("https://www.usip.org/a", "usip.org"),
        ("https://twitter.com/USIP", "twitter.com"),
    ] == links_of(t)
