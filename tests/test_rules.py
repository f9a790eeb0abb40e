"""The rules applied before a post is queued: tracking, the hashtag once, length, no duplicates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.errors import RuleError
from campaign.models import CampaignSettings
from posts.rules import Prepared, count_hashtag, domain_of, duplicate_key, prepare

SETTINGS = CampaignSettings(
    name="Policing in Conflict",
    hashtag="#PolicingInConflict",
    tracking={"utm_source": "x", "utm_campaign": "pic"},
    tracked_domains=("usip.org",),
)
TAG = "#PolicingInConflict"


def test_hashtag_is_appended_when_absent() -> None:
    """A post without the hashtag gets it after a space."""
    assert Prepared("Join us today. " + TAG, 15 + len(TAG)) == prepare("Join us today.", SETTINGS)


def test_hashtag_goes_on_its_own_line_in_a_multi_line_post() -> None:
    """A post written as lines gets the hashtag on a new line."""
    assert f"Line one\nLine two\n{TAG}" == prepare("Line one\nLine two\n", SETTINGS).text


def test_hashtag_present_in_another_case_is_kept_as_written() -> None:
    """The hashtag is compared case-insensitively and never doubled."""
    text = "Talking #policinginconflict today"
    assert text == prepare(text, SETTINGS).text


@pytest.mark.parametrize(
    "text",
    [
        f"{TAG} and again {TAG}",
        f"{TAG} and #POLICINGINCONFLICT",
    ],
)
def test_hashtag_twice_is_refused(text: str) -> None:
    """A post with the hashtag twice or more is refused with the count, not changed."""
    with pytest.raises(RuleError, match="appears 2 times"):
        prepare(text, SETTINGS)


def test_longer_hashtag_is_not_the_campaign_hashtag() -> None:
    """#PolicingInConflictZones is a different tag, so the campaign's is still appended."""
    assert (
        f"See #PolicingInConflictZones {TAG}"
        == prepare("See #PolicingInConflictZones", SETTINGS).text
    )


def test_hashtag_inside_a_link_does_not_count() -> None:
    """A '#…' fragment of a URL is not a hashtag."""
    assert 0 == count_hashtag("https://example.org/page#PolicingInConflict", TAG)


def test_tracking_is_added_to_the_campaigns_own_links_only() -> None:
    """Own links gain the tracking parameters; other sites' links are untouched."""
    text = "Read https://www.usip.org/publications/x and https://example.com/y"
    expected = (
        "Read https://www.usip.org/publications/x?utm_source=x&utm_campaign=pic "
        f"and https://example.com/y {TAG}"
    )
    assert expected == prepare(text, SETTINGS).text


def test_tracking_keeps_existing_query_and_fragment() -> None:
    """Existing parameters stay, a parameter already set is not overridden, the fragment stays last."""
    text = "See https://usip.org/e?id=7&utm_source=news#speakers"
    expected = f"See https://usip.org/e?id=7&utm_source=news&utm_campaign=pic#speakers {TAG}"
    assert expected == prepare(text, SETTINGS).text


def test_tracking_uses_event_domains_when_none_are_configured() -> None:
    """With no tracked domains set, the event's domains are the campaign's own."""
    settings = CampaignSettings(name="c", tracking={"utm_source": "x"})
    text = "Register: https://events.example.org/r and https://usip.org/p"
    got = prepare(text, settings, event_url_domains=["example.org"]).text
    assert (
        f"Register: https://events.example.org/r?utm_source=x and https://usip.org/p {TAG}" == got
    )


def test_no_tracking_parameters_leave_links_alone() -> None:
    """Without tracking parameters configured, links are sent as written."""
    settings = CampaignSettings(name="c", tracked_domains=("usip.org",))
    assert f"https://usip.org/p {TAG}" == prepare("https://usip.org/p", settings).text


def test_too_long_is_refused_with_the_numbers() -> None:
    """A post over 280 after the hashtag is added is refused, saying by how much."""
    text = "a" * 270  # + space + 19-character hashtag = 290
    with pytest.raises(RuleError) as caught:
        prepare(text, SETTINGS)
    assert "290/280 weighted characters after adding the hashtag: shorten the text by 10" in str(
        caught.value
    )


def test_exactly_280_after_the_hashtag_is_accepted() -> None:
    """A post that reaches 280 with the hashtag is accepted."""
    text = "a" * (280 - 1 - len(TAG))
    assert 280 == prepare(text, SETTINGS).weighted_length


def test_links_count_23_in_the_limit() -> None:
    """A long link counts 23 whatever its real length (with tracking added)."""
    url = "https://www.usip.org/" + "p" * 200
    assert 23 + 1 + len(TAG) == prepare(url, SETTINGS).weighted_length


def test_duplicate_of_another_post_is_refused() -> None:
    """The same text (any case, any spacing, with or without the hashtag) is refused, naming it."""
    others = [f"Join  US   today! {TAG}"]
    with pytest.raises(RuleError, match="already has a post with this text"):
        prepare("join us today!", SETTINGS, others=others)
    with pytest.raises(RuleError, match="Join us today!"):
        prepare("join us today!", SETTINGS, others=["Join us today!"])


def test_different_text_is_not_a_duplicate() -> None:
    """Texts that differ in words are both allowed."""
    assert prepare("Join us tomorrow!", SETTINGS, others=["Join us today!"]).text


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_post_is_refused(text: str) -> None:
    """A post with no text is refused."""
    with pytest.raises(RuleError, match="no text"):
        prepare(text, SETTINGS)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.USIP.org/x", "usip.org"),
        ("usip.org/events", "usip.org"),
        ("http://events.usip.org:8080/a", "events.usip.org"),
        ("", None),
    ],
)
def test_domain_of(url: str, expected: str | None) -> None:
    """Hosts are compared in lower case without www."""
    assert expected == domain_of(url)


def test_duplicate_key_ignores_case_space_and_hashtag() -> None:
    """Two texts that differ only by case, spacing and the hashtag have the same key."""
    assert duplicate_key(f"A  b\nC {TAG}", TAG) == duplicate_key("a B c", TAG)


words = st.lists(
    st.sampled_from(
        [
            "Join",
            "us",
            "on",
            "Dec",
            "6",
            "https://usip.org/e?id=1",
            "https://example.com/x",
            "usip.org/p",
            "日本",
            "🫶🏽",
            "\n",
            "—",
            "speakers:",
        ]
    ),
    min_size=1,
    max_size=10,  # at most 10 × 24 + the hashtag: always within 280
)


@given(words, st.booleans())
def test_prepare_is_idempotent(parts: list[str], with_tag: bool) -> None:
    """Preparing prepared text gives the same text and length."""
    text = "Panel " + " ".join(parts) + (" #policinginconflict" if with_tag else "")
    first = prepare(text, SETTINGS)
    assert first == prepare(first.text, SETTINGS)
    assert 1 == count_hashtag(first.text, TAG)


def test_case_odd_characters_are_all_that_match_ascii_case_insensitively() -> None:
    """The quick hashtag test knows every non-ASCII character re.IGNORECASE matches to ASCII."""
    import re
    import string

    from posts.rules import _CASE_ODD

    for cp in [*range(0x80, 0x3000), 0x212A, 0x212B, 0xFB00, 0xFF21]:
        ch = chr(cp)
        matches = any(re.fullmatch(c, ch, re.IGNORECASE) for c in string.ascii_letters)
        assert matches == bool(_CASE_ODD.match(ch))


def test_hashtag_with_dotless_i_counts_as_present() -> None:
    """A hashtag written with a character that matches case-insensitively is still found once."""
    text = "Talking #PolıcingInConflict today"
    assert 1 == count_hashtag(text, TAG)
