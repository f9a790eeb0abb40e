"""X's weighted length (twitter-text v3), including emoji newer than the library's table."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from posts.length import LIMIT, LengthCheck, check, weighted_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am a post", 11),
        ("https://www.usip.org/events/policing-conflict-affected-settings", 23),
        ("read http://bit.ly/abc", 5 + 23),
        ("usip.org", 23),
        ("日本語", 6),
        ("한국어", 6),
        ("😷", 2),
        ("café", 4),
        ("cafe\u0301", 4),  # combining accent: NFC makes it one character
        ("a\nb", 3),
        ("a\r\nb", 3),  # a Windows line ending counts once
        ("“quoted” — dash", 15),
    ],
)
def test_weighted_length_of_known_texts(text: str, expected: int) -> None:
    """URLs count 23, CJK and emoji 2, Latin letters and typographic punctuation 1."""
    assert expected == weighted_length(text)


@pytest.mark.parametrize(
    "emoji",
    [
        "🫠",  # melting face, Unicode 14
        "🫶",  # heart hands, Unicode 14
        "🪿",  # goose, Unicode 15
        "🫶🏽",  # new emoji with a skin tone
        "🐦‍⬛",  # black bird, a Unicode 15 ZWJ sequence
        "🧑‍🧑‍🧒",  # family, Unicode 15.1
        "👩🏽‍💻",
        "🏳️‍🌈",
        "🇺🇦",
        "🏴󠁧󠁢󠁳󠁣󠁴󠁿",  # Scotland: tag sequence
        "#️⃣",
        "❤️",
        "👍🏿",
    ],
)
def test_every_emoji_counts_two(emoji: str) -> None:
    """Any emoji, however many code points and however new, counts 2."""
    assert 2 == weighted_length(emoji)
    assert 2 + 7 == weighted_length(f"abc {emoji} de")


def test_new_zwj_sequence_is_corrected_where_the_library_is_wrong() -> None:
    """The 2019 table counts the black bird as 5; the corrected count is 2."""
    from twitter_text import parse_tweet

    assert 5 == parse_tweet("🐦‍⬛").weightedLength  # the library's own count, for the record
    assert 2 == weighted_length("🐦‍⬛")


def test_emoji_next_to_a_url_keeps_the_url_at_23() -> None:
    """An emoji sequence glued to a link does not change how the link is counted."""
    assert 2 + 23 + 1 + 2 == weighted_length("🫶🏽https://usip.org/x 🐦‍⬛")


def test_limit_is_280_inclusive() -> None:
    """280 weighted characters are valid, 281 are not."""
    assert LengthCheck(280, True) == check("a" * 280)
    assert LengthCheck(281, False) == check("a" * 281)
    assert LengthCheck(280, True) == check("日" * 140)
    assert LengthCheck(282, False) == check("日" * 141)
    assert LIMIT == check("x").limit


def test_many_urls_count_23_each() -> None:
    """Ten links are 230 plus the spaces between them, whatever their real length."""
    text = " ".join(f"https://example.org/{'p' * 60}/{i}" for i in range(10))
    assert 230 + 9 == weighted_length(text)


@pytest.mark.parametrize("text", ["", " ", "\n\t  \n"])
def test_blank_text_is_not_valid(text: str) -> None:
    """Empty or whitespace-only text is never a valid post."""
    assert not check(text).valid


def test_refused_characters_make_text_invalid() -> None:
    """X refuses U+FFFE, U+FEFF and U+FFFF anywhere in a post."""
    assert not check("hello\ufeff").valid
    assert check("hello\u202a world\u202c").valid  # directional marks are allowed


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=400))
def test_plain_ascii_without_links_counts_one_per_character(text: str) -> None:
    """ASCII text with no link counts exactly its length."""
    if "." in text:  # a dot can make a link (example.com); those are covered above
        text = text.replace(".", " ")
    assert len(text) == weighted_length(text)


@given(st.lists(st.sampled_from(["a", "日", "😷", "🫠", "🐦‍⬛", "🫶🏽", " ", "\n"]), max_size=200))
def test_length_is_additive_over_known_pieces(pieces: list[str]) -> None:
    """The length of a concatenation is the sum of its pieces' lengths (no links involved)."""
    weights = {"a": 1, "日": 2, "😷": 2, "🫠": 2, "🐦‍⬛": 2, "🫶🏽": 2, " ": 1, "\n": 1}
    assert sum(weights[p] for p in pieces) == weighted_length("".join(pieces))


_PIECES = st.sampled_from(
    [
        "a",
        "Z",
        "9",
        " ",
        "\n",
        "\r\n",
        ".",
        ",",
        "(",
        ")",
        "/",
        "?",
        "&",
        "=",
        "#",
        "@",
        "-",
        "é",
        "e\u0301",
        "ø",
        "ß",
        "Ж",
        "“",
        "”",
        "—",
        "…",
        "日",
        "の",
        "한",
        "😷",
        "🐱",
        "©",
        "™",
        "☺",
        "❤",
        "\u2066",
        "\u202a",
        "\u3000",
        "\u00a0",
        "https://",
        "http://",
        "www.",
        "usip.org",
        "example.com",
        "t.co/abc",
        "/path",
        "?q=1",
        ".jp",
        ".co.uk",
        "日本語.jp",
    ]
)


def _library_agrees_with_itself(text: str) -> bool:
    """twitter-text-parser's URL spans cover the URL it reports (not so for a domain with CJK
    inside, e.g. ``usip.org日本語.jp/path``: the span is 19 code points but the URL it reports is
    ``usip.org/path``, and its ``parse_tweet`` then skips 13 and counts the rest as text)."""
    from twitter_text.extract_urls import extract_urls_with_indices

    return all(
        text[e["indices"][0] : e["indices"][1]] == e["url"] for e in extract_urls_with_indices(text)
    )


@given(st.lists(_PIECES, max_size=60))
@example(["usip.org", "日本語.jp", "/path"])
def test_same_as_twitter_text_where_its_emoji_table_suffices(pieces: list[str]) -> None:
    """On text without emoji sequences, the count equals twitter-text-parser's exactly wherever
    the library's URL spans agree with its URLs."""
    from twitter_text import parse_tweet

    text = "".join(pieces)
    assume(_library_agrees_with_itself(text))
    assert parse_tweet(text).weightedLength == weighted_length(text)


def test_a_url_whose_domain_holds_cjk_counts_once_as_a_url() -> None:
    """The whole span twitter-text marks as a URL weighs 23, where its parse_tweet disagrees
    with its own extractor."""
    assert 23 == weighted_length("usip.org日本語.jp/path")


def test_rare_spaces_are_twitter_texts_spaces_but_space_and_newline() -> None:
    """The fast URL scan's list of other spaces is exactly twitter-text's, less " " and "\\n"."""
    import re

    from twitter_text.regexp.spaces_group import spaces_group

    from posts.length import _RARE_SPACE

    theirs = re.compile(f"[{spaces_group}]")
    for cp in range(0x3001):
        ch = chr(cp)
        assert (bool(theirs.match(ch)) and ch not in " \n") == bool(_RARE_SPACE.match(ch))


@given(st.lists(_PIECES | st.sampled_from(["\t", "\u00a0", "\u2003"]), max_size=60))
def test_url_spans_match_twitter_text(pieces: list[str]) -> None:
    """The token-wise URL scan finds exactly the URLs twitter-text-parser finds."""
    from twitter_text.extract_urls import extract_urls_with_indices

    from posts.length import url_spans

    text = "".join(pieces)
    expected = [
        (e["indices"][0], e["indices"][1], e["url"]) for e in extract_urls_with_indices(text)
    ]
    assert expected == url_spans(text)


@given(st.lists(_PIECES, max_size=40), st.sampled_from(["?utm_source=x", "&a=b", "/more", ""]))
def test_rewritten_urls_are_found_where_a_fresh_scan_finds_them(
    pieces: list[str], suffix: str
) -> None:
    """rewrite_urls reports the same URLs as scanning its result afresh."""
    from posts.length import rewrite_urls, url_spans

    text, spans = rewrite_urls("".join(pieces), lambda url: url + suffix)
    assert url_spans(text) == spans
