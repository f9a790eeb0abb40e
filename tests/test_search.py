"""Searching the conversation: words, #hashtags and @handles, filters, and any typed text safe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.errors import SearchError
from campaign.mentions.search import MAX_TERMS, MentionFilter, count, fts_query, ids, search
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.mentions_factory import START, conversation, tweet, user


@pytest.fixture
def filled(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Thirty varied posts by seven authors, a minute apart."""
    tweets, users = conversation(30)
    with immediate(db):
        Writer(db, source="twarc").write(tweets, users)
    return db


def found_texts(db: sqlite_utils.Database, **kw: Any) -> list[str]:
    return [m["text"] for m in search(db, MentionFilter(limit=100, **kw))]


def test_results_come_newest_first_with_the_contract_fields(filled: sqlite_utils.Database) -> None:
    """Results are newest first and carry id (a string), text, author and review fields."""
    found = search(filled, MentionFilter(limit=5))
    assert sorted((m["created_at"] for m in found), reverse=True) == [
        m["created_at"] for m in found
    ]
    first = found[0]
    assert {
        "id",
        "text",
        "author_id",
        "author_username",
        "created_at",
        "review_status",
        "note",
        "url",
    } <= set(first)
    assert isinstance(first["id"], str)
    assert f"https://x.com/{first['author_username']}/status/{first['id']}" == first["url"]


def test_words_find_posts_whatever_the_script_or_accents(filled: sqlite_utils.Database) -> None:
    """Words match in any script and without accents; all the words typed must be present."""
    assert all("Полиция" in t for t in found_texts(filled, text="полиция"))
    assert 3 == len(found_texts(filled, text="полиция"))
    assert 3 == len(found_texts(filled, text="policia comunitaria"))  # Policía, unaccented
    assert [] == found_texts(filled, text="comunitaria Полиция")


def test_hashtag_and_handle_match_whole_tokens_in_any_case(filled: sqlite_utils.Database) -> None:
    """#tag finds the hashtag in any letter case but not the bare word; @handle finds mentions."""
    assert 30 == count(filled, MentionFilter(text="#policinginconflict"))
    assert 3 == count(filled, MentionFilter(text="#NATO"))
    assert 0 == count(filled, MentionFilter(text="#policing"))
    assert 6 == count(filled, MentionFilter(text="@usip"))


@pytest.mark.parametrize(
    "typed",
    ['c++', 'covid-19', '"stability policing"', 'said "', 'NEAR(police', 'police AND OR NOT',
     'NOT police', 'polic*', '^police', '(police', 'text:police', '{text} : police', "'", '\\'],
)  # fmt: skip
def test_hostile_text_returns_results_or_a_plain_error(
    filled: sqlite_utils.Database, typed: str
) -> None:
    """FTS syntax people may type is searched as plain words: results or SearchError, nothing else."""
    try:
        found = search(filled, MentionFilter(text=typed))
    except SearchError as e:
        assert "search" in str(e) or "word" in str(e)
    else:
        assert isinstance(found, list)


def test_words_with_symbols_match_their_parts(filled: sqlite_utils.Database) -> None:
    """`c++` and `covid-19` find the post that contains them."""
    assert 3 == count(filled, MentionFilter(text="c++"))
    assert 3 == count(filled, MentionFilter(text="covid-19"))
    assert 3 == count(filled, MentionFilter(text='"stability policing"'))


def test_a_long_paste_is_refused_plainly(filled: sqlite_utils.Database) -> None:
    """A 5,000-character paste with many words gets a message saying how many words are allowed."""
    paste = ("police conflict reform " * 300)[:5000]
    with pytest.raises(SearchError, match=f"at most {MAX_TERMS}"):
        search(filled, MentionFilter(text=paste))


def test_only_punctuation_is_refused_plainly() -> None:
    """Text with nothing to search for gets a plain message; spaces alone mean no text filter."""
    with pytest.raises(SearchError, match="type at least one word"):
        fts_query('" * ^ ( )')
    assert fts_query("   ") is None
    assert '"a""b"' == fts_query('a"b')


def test_filters_combine_with_text(filled: sqlite_utils.Database) -> None:
    """Status, author (with or without @, or id), language, time range and links all narrow."""
    from campaign.mentions.review import mark

    by_user1 = ids(filled, MentionFilter(author="@user1"))
    assert (
        by_user1
        == ids(filled, MentionFilter(author="USER1"))
        == ids(filled, MentionFilter(author="101"))
    )
    assert 5 == len(by_user1)
    mark(filled, by_user1[:2], "flagged", actor="test")
    assert by_user1[:2] == ids(filled, MentionFilter(status="flagged"))
    assert by_user1[:2] == ids(filled, MentionFilter(status="flagged", text="#policinginconflict"))
    assert 5 == count(filled, MentionFilter(lang="es"))
    window = MentionFilter(since=START + timedelta(minutes=10), until=START + timedelta(minutes=20))
    assert 10 == count(filled, window)
    assert 3 == count(filled, MentionFilter(has_link=True))
    assert 27 == count(filled, MentionFilter(has_link=False))


def test_replies_to_our_posts_are_recognised(db: sqlite_utils.Database) -> None:
    """A reply to a tweet id the queue published counts as a reply to ours."""
    db.execute(
        "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, tweet_id, created_at, updated_at) "
        "VALUES ('manual', 'ours', 4, '2026-12-06T10:00:00.000+00:00', 'published', '777', 'x', 'x')"
    )
    reply = tweet(900, "@PolicingConflict thanks! #PolicingInConflict", author_id=5, replied_to=777)
    other = tweet(901, "unrelated #PolicingInConflict", author_id=5, replied_to=12)
    with immediate(db):
        Writer(db, source="search").write([reply, other], [user(5, "someone")])
    assert ["900"] == [m["id"] for m in search(db, MentionFilter(replies_to_ours=True))]


def test_unknown_status_filter_is_refused(filled: sqlite_utils.Database) -> None:
    """Filtering by a status that does not exist lists the real ones."""
    from campaign.errors import CampaignError

    with pytest.raises(CampaignError, match="needs-reply"):
        search(filled, MentionFilter(status="done"))


def test_paging_with_offset_covers_everything_once(filled: sqlite_utils.Database) -> None:
    """Pages of 7 with growing offsets list every post exactly once, newest first."""
    seen: list[str] = []
    for offset in range(0, 35, 7):
        seen += [m["id"] for m in search(filled, MentionFilter(limit=7, offset=offset))]
    assert [str(i) for i in ids(filled, MentionFilter())] == seen


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=st.text(max_size=300) | st.text(alphabet='"*^()-+:{}NEARORADT #@ ', max_size=60))
def test_any_text_is_safe_and_changes_nothing(filled: sqlite_utils.Database, typed: str) -> None:
    """Arbitrary typed text never raises anything but SearchError and never changes the data."""
    before = (
        count(filled, MentionFilter()),
        filled.execute("SELECT count(*) FROM mentions_fts").fetchone()[0],
    )
    try:
        search(filled, MentionFilter(text=typed))
        count(filled, MentionFilter(text=typed))
    except SearchError:
        pass
    after = (
        count(filled, MentionFilter()),
        filled.execute("SELECT count(*) FROM mentions_fts").fetchone()[0],
    )
    assert before == after


def test_cli_list_json_is_the_contract(filled: sqlite_utils.Database, run: Any) -> None:
    """`campaign mentions list --search Q --json` prints an array newest first with the contract keys."""
    import json

    result = run("mentions", "list", "--search", "#nato", "--limit", "2", "--json")
    assert 0 == result.exit_code
    items = json.loads(result.output)
    assert 2 == len(items)
    assert items[0]["id"] > items[1]["id"]
    assert all("#NATO" in i["text"] for i in items)


def test_cli_hostile_search_is_one_plain_line(filled: sqlite_utils.Database, run: Any) -> None:
    """A search with nothing searchable is one `Error:` line and exit 2, no traceback."""
    result = run("mentions", "list", "--search", '"*"')
    assert 2 == result.exit_code
    assert result.output.startswith("Error: nothing to search for")


def test_cli_list_lines_and_empty_messages(db: sqlite_utils.Database, run: Any) -> None:
    """Plain `mentions list` says how to collect when empty, and prints one line a post."""
    empty = run("mentions", "list")
    assert "No posts collected yet: run `campaign collect`" in empty.output
    tweets, users = conversation(3)
    with immediate(db):
        Writer(db, source="twarc").write(tweets, users)
    listed = run("mentions", "list", "--since", "2026-12-06T14:01", "--lang", "es")
    assert [
        f"{tweets[1]['id']}  2026-12-06 14:01 UTC  new          @user1: {tweets[1]['text']}"
    ] == (listed.output.splitlines())
    assert "No posts match." in run("mentions", "list", "--author", "@nobody").output
