"""Searching finds words, #hashtags and @handles written right against an emoji or a symbol."""

from __future__ import annotations

import pytest
import sqlite_utils

from campaign.mentions.schema import migrations
from campaign.mentions.search import MentionFilter, ids
from campaign.mentions.store import Writer
from campaign.store import immediate
from tests.mentions_factory import START, snowflake, tweet, user

# Emoji and symbols from after Unicode 6.1, the table SQLite's unicode61 tokenizer knows.
# Each case: the post, a word in it, and the #hashtag or @handle in it (as typed in a search).
GLUED = [
    ("thanks\U0001f3c5#PolicingInConflict", "thanks", "#policinginconflict"),  # medal (Unicode 7)
    ("watching\U0001f914#PolicingInConflict", "watching", "#PolicingInConflict"),  # Unicode 8
    ("love it\U0001faf6@USIP", "it", "@usip"),  # heart hands (Unicode 14)
    ("agreed\U0001f44d\U0001f3fd#PolicingInConflict", "agreed", "#POLICINGINCONFLICT"),  # skin tone
    ("costs\u20bd#PolicingInConflict", "costs", "#policinginconflict"),  # ruble sign (Unicode 7)
]


def store(db: sqlite_utils.Database, texts: list[str]) -> list[int]:
    tweets = [
        tweet(snowflake(START, i), text, author_id=7, hashtags=[]) for i, text in enumerate(texts)
    ]
    with immediate(db):
        Writer(db, source="search").write(tweets, [user(7, "someone")])
    return [int(t["id"]) for t in tweets]


def found(db: sqlite_utils.Database, text: str) -> set[int]:
    return set(ids(db, MentionFilter(text=text)))


@pytest.mark.parametrize(("text", "word", "tag"), GLUED)
def test_hashtag_handle_and_word_next_to_a_newer_emoji_are_found(
    db: sqlite_utils.Database, text: str, word: str, tag: str
) -> None:
    """A post whose word and #hashtag or @handle touch a post-2012 emoji is found by each."""
    [tid] = store(db, [text])
    assert ({tid}, {tid}) == (found(db, word), found(db, tag))


def test_an_index_built_before_the_fix_is_rebuilt(db: sqlite_utils.Database) -> None:
    """Posts stored under the old tokenizer are found once the migration has rebuilt the index."""
    db.execute("DROP TABLE mentions_fts")
    db.execute(
        "CREATE VIRTUAL TABLE mentions_fts USING fts5(text, content='mentions', "
        "content_rowid='id', tokenize=\"unicode61 remove_diacritics 2 tokenchars '#@'\")"
    )
    tids = store(db, [text for text, _, _ in GLUED])
    assert set() == found(db, "#policinginconflict")  # the old index glued them
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm002_fts_emoji_separators'")
    migrations.apply(db)
    assert set(tids) - {tids[2]} == found(db, "#policinginconflict")


def test_underscores_stay_inside_hashtags_and_handles(db: sqlite_utils.Database) -> None:
    """#covid does not find #Covid_19, nor "the" @Pi_In_The_Sky; the whole tag and handle do."""
    tagged, handled = store(db, ["stay home #Covid_19", "RT @Pi_In_The_Sky: a question"])
    assert (set(), set()) == (found(db, "#covid"), found(db, "the"))
    assert ({tagged}, {handled}) == (found(db, "#covid_19"), found(db, "@pi_in_the_sky"))
