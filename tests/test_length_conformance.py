"""X's weighted length by the v3 rules its own conformance suite checks, in cases written here.

twitter-text's conformance file also holds cases for its older configurations (140 characters,
emoji counted per code point); X counts by v3 today, so where those disagree these pin v3.
"""

from __future__ import annotations

import pytest

from posts.length import check

FAMILY = "\U0001f469\u200d\U0001f467\u200d\U0001f466"  # woman, girl, boy joined by ZWJ
WAVING_DARK = "\U0001f44b\U0001f3ff"  # waving hand with a skin tone
SINGER = "\U0001f469\u200d\U0001f3a4"  # woman + ZWJ + microphone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Q{FAMILY}", 3),  # a ZWJ sequence is one emoji: 2, not its code points' 8
        (f"{WAVING_DARK}{SINGER}", 4),  # a skin tone and a ZWJ profession: 2 each
        ("\U0001f600" * 140, 280),  # 140 emoji fill the post exactly
        ("\u3042" * 140, 280),  # 140 kana too
        ("\u00e9t\u00e9", 3),  # Latin-1 letters weigh 1
        ("\u2014\u2018\u2019\u201c\u201d", 5),  # dashes and curly quotes weigh 1
        ("\u2026\u2122", 4),  # ellipsis and trade mark sign are outside the light ranges
    ],
)
def test_v3_weights_by_class(text: str, expected: int) -> None:
    """Emoji sequences count 2, CJK 2, Latin and common punctuation 1, other symbols 2."""
    assert (expected, True) == (check(text).weighted_length, check(text).valid)


def test_one_more_heavy_character_past_the_limit_is_invalid() -> None:
    """141 emoji weigh 282: over the limit by two, so not valid."""
    assert (282, False) == (
        check("\U0001f600" * 141).weighted_length,
        check("\U0001f600" * 141).valid,
    )


def test_directional_marks_weigh_two_and_are_allowed() -> None:
    """Isolates and embeddings around a link weigh 2 each; the link still counts 23."""
    text = "\u2067\u202bhttps://example.org/page\u202c\u2069"
    assert (23 + 4 * 2, True) == (check(text).weighted_length, check(text).valid)


def test_a_refused_character_anywhere_makes_the_post_invalid_but_counted() -> None:
    """A noncharacter (U+FFFF) or byte-order mark is counted like any symbol and refused."""
    result = check("abc\u202ddef\uffff")
    assert (6 + 2 + 2, False) == (result.weighted_length, result.valid)


def test_a_long_link_counts_23_wherever_it_sits() -> None:
    """A 300-character link counts 23 at the start, the middle, or the end of a post."""
    link = "https://example.org/" + "p" * 280
    for text in (f"{link} end", f"start {link} end", f"start {link}"):
        expected = len(text) - len(link) + 23
        assert (expected, True) == (check(text).weighted_length, check(text).valid)
