"""The local X API simulator answers like X: through tweepy over real HTTP, and raw requests."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests
import tweepy

from tests.fixtures.simulator import FakeX, FakeXProcess

USER_HEADERS_NOTE = "tweepy signs user-context requests with OAuth 1.0a"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_bearer() -> dict[str, str]:
    return bearer("sim-user-bearer-token")


def post(fake_x: FakeX, text: str, **extra: Any) -> requests.Response:
    return requests.post(
        fake_x.base_url + "/2/tweets",
        json={"text": text, **extra},
        headers=user_bearer(),
        timeout=5,
    )


def test_create_tweet_through_tweepy_returns_id_and_text(fake_x: FakeX) -> None:
    """POST /2/tweets through tweepy answers 201 with the id, text and edit history, and stores it."""
    response = fake_x.client().create_tweet(text="Panel today #PolicingInConflict")
    stored = fake_x.tweets()
    assert [response.data["id"]] == [t["id"] for t in stored]
    assert "Panel today #PolicingInConflict" == response.data["text"]
    assert [response.data["id"]] == response.data["edit_history_tweet_ids"]
    assert fake_x.user_id == stored[0]["author_id"]


def test_duplicate_text_is_forbidden_like_x(fake_x: FakeX) -> None:
    """The same text twice from one account is a 403 with X's duplicate-content detail."""
    client = fake_x.client()
    client.create_tweet(text="Same words")
    with pytest.raises(tweepy.Forbidden) as caught:
        client.create_tweet(text="Same words")
    assert [
        "You are not allowed to create a Tweet with duplicate content."
    ] == caught.value.api_messages
    assert 1 == len(fake_x.tweets())


def test_accept_duplicates_lets_a_blind_retry_show(fake_x: FakeX) -> None:
    """With accept_duplicates on, the same text is stored twice."""
    fake_x.faults(accept_duplicates=True)
    client = fake_x.client()
    client.create_tweet(text="Same words")
    client.create_tweet(text="Same words")
    assert ["Same words", "Same words"] == [t["text"] for t in fake_x.tweets()]


def test_links_become_tco_with_url_entities(fake_x: FakeX) -> None:
    """Every link in a posted text is rewritten to a t.co link, with entities for the original."""
    answer = post(
        fake_x, "Read https://www.example.org/report?id=7. And www.example.com too"
    ).json()
    text = answer["data"]["text"]
    assert re.fullmatch(
        r"Read https://t\.co/[A-Za-z0-9]{10}\. And https://t\.co/[A-Za-z0-9]{10} too", text
    )
    urls = fake_x.tweets()[0]["entities"]["urls"]
    assert ["https://www.example.org/report?id=7", "http://www.example.com"] == [
        u["expanded_url"] for u in urls
    ]
    assert ["www.example.org/report…", "www.example.com"] == [u["display_url"] for u in urls]
    assert [text[u["start"] : u["end"]] for u in urls] == [u["url"] for u in urls]


def test_rate_limit_headers_count_down_and_429_when_exhausted(fake_x: FakeX) -> None:
    """Every answer carries x-rate-limit-*; past the limit the answer is X's 429 until the reset."""
    fake_x.limits(post={"limit": 2, "window": 900})
    first = post(fake_x, "one")
    second = post(fake_x, "two")
    third = post(fake_x, "three")
    assert ["2", "2", "2"] == [r.headers["x-rate-limit-limit"] for r in (first, second, third)]
    assert ["1", "0", "0"] == [r.headers["x-rate-limit-remaining"] for r in (first, second, third)]
    assert [201, 201, 429] == [r.status_code for r in (first, second, third)]
    assert {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    } == third.json()
    reset = int(third.headers["x-rate-limit-reset"])
    assert 895 <= reset - time.time() <= 901


def test_forced_429_reaches_tweepy_with_reset_time(fake_x: FakeX) -> None:
    """A rate_limit fault gives tweepy a TooManyRequests carrying the reset time asked for."""
    fake_x.faults(rate_limit={"group": "post", "reset_in": 30, "count": 1})
    with pytest.raises(tweepy.TooManyRequests) as caught:
        fake_x.client().create_tweet(text="held back")
    assert 28 <= caught.value.reset_time - time.time() <= 31
    assert [] == fake_x.tweets()
    fake_x.client().create_tweet(text="goes out")
    assert ["goes out"] == [t["text"] for t in fake_x.tweets()]


def test_missing_or_wrong_credentials_are_401(fake_x: FakeX) -> None:
    """No Authorization header, or keys that do not match, get X's 401."""
    none = requests.get(fake_x.base_url + "/2/tweets/search/recent?query=x", timeout=5)
    assert 401 == none.status_code
    assert {
        "title": "Unauthorized",
        "detail": "Unauthorized",
        "type": "about:blank",
        "status": 401,
    } == none.json()
    with pytest.raises(tweepy.Unauthorized):
        fake_x.client(access_token="someone-else").create_tweet(text="nope")
    with pytest.raises(tweepy.Unauthorized):
        fake_x.client(bearer_token="wrong").search_recent_tweets("#PolicingInConflict")


def test_app_bearer_cannot_post(fake_x: FakeX) -> None:
    """The app bearer token on a user-context endpoint is 403 Unsupported Authentication."""
    answer = requests.post(
        fake_x.base_url + "/2/tweets",
        json={"text": "x"},
        headers=bearer("sim-bearer-token"),
        timeout=5,
    )
    assert 403 == answer.status_code
    assert "Unsupported Authentication" == answer.json()["title"]
    with pytest.raises(tweepy.Forbidden):
        fake_x.client(access_token=None).get_me(user_auth=False)


def test_users_me_with_user_context(fake_x: FakeX) -> None:
    """GET /2/users/me answers the simulated account, with public metrics when asked."""
    me = fake_x.client().get_me(user_fields=["public_metrics"])
    assert (fake_x.user_id, fake_x.username) == (str(me.data.id), me.data.username)
    assert 1250 == me.data.public_metrics["followers_count"]


def test_timeline_newest_first_with_paging_and_since_id(fake_x: FakeX) -> None:
    """The account's timeline is newest first, pages with pagination_token, and honours since_id."""
    client = fake_x.client()
    ids = [client.create_tweet(text=f"post {i}").data["id"] for i in range(7)]
    first = client.get_users_tweets(fake_x.user_id, max_results=5, user_auth=True)
    assert ids[::-1][:5] == [str(t.id) for t in first.data]
    second = client.get_users_tweets(
        fake_x.user_id, max_results=5, pagination_token=first.meta["next_token"], user_auth=True
    )
    assert ids[::-1][5:] == [str(t.id) for t in second.data]
    assert "next_token" not in second.meta
    since = client.get_users_tweets(fake_x.user_id, since_id=ids[4], user_auth=True)
    assert ids[:4:-1] == [str(t.id) for t in since.data]


def test_dropped_answer_still_creates_the_tweet(fake_x: FakeX) -> None:
    """With drop_every=2 the second post is stored but its connection closes without an answer."""
    fake_x.faults(drop_every=2)
    client = fake_x.client()
    client.create_tweet(text="answered")
    with pytest.raises(requests.ConnectionError):
        client.create_tweet(text="lost answer")
    assert ["answered", "lost answer"] == [t["text"] for t in fake_x.tweets()]


@pytest.mark.slow
def test_process_fixture_serves_and_takes_controls(fake_x_process: FakeXProcess) -> None:
    """`campaign fake-x` as a subprocess answers X calls and its control API, and stops on SIGTERM."""
    fake_x_process.faults(accept_duplicates=True)
    client = fake_x_process.client()
    client.create_tweet(text="twice")
    client.create_tweet(text="twice")
    assert ["twice", "twice"] == [t["text"] for t in fake_x_process.tweets()]
    fake_x_process.stop()
    assert 0 == fake_x_process.process.returncode
