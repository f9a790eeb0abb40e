"""The composer's preview is the library's prepare step: what it shows is what ``add`` stores,
and a refused text is counted as it would have been sent."""

from __future__ import annotations

from datetime import timedelta

import sqlite_utils

from campaign.clock import now
from posts import editing, length


def test_preview_shows_what_add_stores(db: sqlite_utils.Database) -> None:
    """The preview's text and length are the stored post's, hashtag and tracking included."""
    text = "Read the report https://www.usip.org/publications/x"
    shown = editing.preview(db, text)
    post = editing.add(db, text, now() + timedelta(days=1), actor="tester")
    assert (True, post.text, post.weighted_length) == (
        shown.valid,
        shown.text,
        shown.weighted_length,
    )


def test_preview_refuses_a_duplicate_but_not_the_post_itself(db: sqlite_utils.Database) -> None:
    """The duplicate rule sees the other posts; editing a post does not clash with itself."""
    post = editing.add(db, "Same words twice", now() + timedelta(days=1), actor="tester")
    assert (False, True) == (
        editing.preview(db, "Same words twice").valid,
        editing.preview(db, "Same words twice", exclude=post.id).valid,
    )


def test_refused_text_is_counted_as_it_would_go_out(db: sqlite_utils.Database) -> None:
    """Too long: refused, with the length of the text plus the hashtag the tool would add."""
    text = "x" * 275
    shown = editing.preview(db, text)
    assert (False, 275, length.check(text + " #PolicingInConflict").weighted_length) == (
        shown.valid,
        shown.typed_length,
        shown.weighted_length,
    )
    assert shown.error is not None and "shorten the text" in shown.error
