"""A search is bounded before and while it runs: tokens as the index splits them, characters,
and SQLite's time; within the bounds, every stored post with the typed words is still found."""

from __future__ import annotations

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.errors import SearchError
from campaign.mentions import search as search_module
from campaign.mentions.search import (
    MAX_QUERY_CHARS,
    MAX_TOKENS,
    MentionFilter,
    count,
    fts_query,
    search,
)
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


def test_one_hyphenated_word_of_thousands_of_tokens_is_refused() -> None:
    """A single 'word' that the index splits into 400 tokens is refused, naming the limit."""
    with pytest.raises(SearchError, match=f"400 words or parts of words.*at most {MAX_TOKENS}"):
        fts_query("-".join(["a"] * 400))


def test_tokens_are_counted_across_words() -> None:
    """Short hyphenated words count every part: 20 words of 4 parts are 80 tokens."""
    with pytest.raises(SearchError, match="80 words or parts"):
        fts_query(" ".join(["covid-19-long-covid"] * 20))


def test_a_very_long_search_is_refused() -> None:
    """A search of few words but more than MAX_QUERY_CHARS characters is refused."""
    with pytest.raises(SearchError, match=f"at most {MAX_QUERY_CHARS}"):
        fts_query("a" * 2000)


def test_a_search_at_the_token_limit_still_runs(filled: sqlite_utils.Database) -> None:
    """MAX_TOKENS tokens in hyphenated words is a search, not a refusal: it finds the posts
    with covid-19."""
    typed = " ".join(["covid-19"] * (MAX_TOKENS // 2))
    found = search(filled, MentionFilter(text=typed))
    assert (3, True) == (len(found), all("covid-19" in m["text"] for m in found))


def test_a_search_running_past_its_time_is_stopped(
    db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time left, a search over a collection is interrupted with a SearchError
    asking for fewer words, instead of holding the thread."""
    tweets, users = conversation(3000)
    with immediate(db):
        Writer(db, source="twarc").write(tweets, users)
    monkeypatch.setattr(search_module, "SEARCH_SECONDS", -1.0)
    with pytest.raises(SearchError, match="was stopped"):
        count(db, MentionFilter(has_link=False))


def test_the_connection_is_usable_after_a_stopped_search(
    db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped search leaves no progress handler behind: the next query runs."""
    tweets, users = conversation(3000)
    with immediate(db):
        Writer(db, source="twarc").write(tweets, users)
    monkeypatch.setattr(search_module, "SEARCH_SECONDS", -1.0)
    with pytest.raises(SearchError):
        count(db, MentionFilter(has_link=False))
    assert 3000 == db.execute("SELECT count(*) FROM mentions WHERE has_link >= 0").fetchone()[0]


HOSTILE = (
    st.text(max_size=2000)
    | st.text(alphabet="-.a_'’·", min_size=100, max_size=3000)
    | st.text(alphabet=st.characters(codec=None, categories=None), max_size=80)
    | st.builds("-".join, st.lists(st.text(alphabet="ab1é", min_size=1, max_size=3), max_size=900))
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=HOSTILE)
def test_hostile_searches_are_refused_or_answered(
    filled: sqlite_utils.Database, typed: str
) -> None:
    """Long runs of hyphens, lone surrogates, any Unicode: a result or a SearchError, and a
    query that runs never has more than MAX_TOKENS tokens."""
    try:
        query = fts_query(typed)
        search(filled, MentionFilter(text=typed))
    except SearchError:
        return
    assert query is None or query.count('"') // 2 <= MAX_TOKENS


WORD = st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Nd"]), min_size=1, max_size=12)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(WORD, min_size=1, max_size=6), joiner=st.sampled_from([" ", "-", "."]))
def test_stored_words_are_always_found(
    db: sqlite_utils.Database, words: list[str], joiner: str
) -> None:
    """A post holding the typed words (joined by spaces, hyphens or dots) is found by them."""
    text = joiner.join(words)
    tid = 1_900_000_000_000_000_000 + abs(hash(text)) % 10**15
    with immediate(db):
        Writer(db, source="twarc").write(
            [tweet(tid, f"#PolicingInConflict {text} end", author_id=7, at=START)],
            [user(7, "someone")],
        )
    found = [m["id"] for m in search(db, MentionFilter(text=text, limit=1000))]
    assert str(tid) in found
