"""The local X API simulator answers like X: through tweepy over real HTTP, and raw requests."""

from __future__ import annotations

import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import time_machine
import tweepy
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.simulator import SimState, frozen
from scheduler.simulator.conversation import generate
from scheduler.simulator.faults import FAULT_KEYS
from scheduler.simulator.query import index_tag
from scheduler.simulator.state import User
from tests.fixtures.simulator import FakeX, FakeXProcess, start_fake_x_process


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_bearer() -> dict[str, str]:
    return bearer("sim-user-bearer")


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
        headers=bearer("sim-bearer"),
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


@pytest.mark.parametrize(("value", "status"), [(4, 400), (5, 200), (100, 200), (101, 400)])
def test_timeline_max_results_must_be_5_to_100(fake_x: FakeX, value: int, status: int) -> None:
    """The timeline's max_results outside 5–100 is X's 400."""
    answer = requests.get(
        f"{fake_x.base_url}/2/users/{fake_x.user_id}/tweets",
        params={"max_results": value},
        headers=user_bearer(),
        timeout=5,
    )
    assert status == answer.status_code


@pytest.mark.dates
def test_timeline_start_time_and_exclude_replies(fake_x: FakeX) -> None:
    """start_time drops older posts; exclude=replies drops the account's replies."""
    client = fake_x.client()
    first = client.create_tweet(text="before").data["id"]
    fake_x.clock(advance_seconds=60)
    middle = datetime.now(UTC) + timedelta(seconds=30)
    second = client.create_tweet(text="after").data["id"]
    client.create_tweet(text="a reply", in_reply_to_tweet_id=first)
    got = client.get_users_tweets(
        fake_x.user_id, start_time=middle, exclude=["replies"], user_auth=True
    )
    assert [second] == [str(t.id) for t in got.data]


def test_concurrent_identical_posts_make_one_tweet(fake_x: FakeX) -> None:
    """Eight simultaneous posts of one text: exactly one is created, the others get 403."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda _: post(fake_x, "at once").status_code, range(8)))
    assert [201] + [403] * 7 == statuses
    assert 1 == len(fake_x.tweets())


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


# -- search -------------------------------------------------------------------------------------


@pytest.fixture
def corpus(fake_x: FakeX) -> dict[str, str]:
    """A small conversation with known authors: label -> tweet id."""
    state = fake_x.state
    assert state is not None
    alice = User(id="11", username="alice", name="Alice")
    bob = User(id="12", username="bob", name="Bob")
    carol = User(id="13", username="carol", name="Carol")
    for u in (alice, bob, carol):
        state.add_user(u)
    a = state.make_tweet(alice, "Panel on policing today #PolicingInConflict")
    b = state.make_tweet(
        bob, "Great panel, well worth it https://example.org #PolicingInConflict #RuleOfLaw"
    )
    c = state.make_tweet(bob, f"RT @alice: {a.text}", retweet_of=a)
    d = state.make_tweet(
        carol, "@alice agree, community policing matters #PolicingInConflict", reply_to=a
    )
    e = state.make_tweet(carol, "nothing to see here")
    f = state.make_tweet(alice, "See this 'community policing' idea", quote_of=b)
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id, "f": f.id}


def search(fake_x: FakeX, **params: Any) -> requests.Response:
    return requests.get(
        fake_x.base_url + "/2/tweets/search/recent",
        params=params,
        headers=bearer("sim-bearer"),
        timeout=5,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("#PolicingInConflict", "abcd"),
        ("#policinginconflict -is:retweet", "abd"),
        ("#POLICINGINCONFLICT is:reply", "d"),
        ("from:bob", "bc"),
        ("from:bob -is:retweet", "b"),
        ("panel", "abc"),
        ('"community policing"', "df"),
        ("#RuleOfLaw OR from:carol", "bde"),
        ("(from:alice OR from:carol) #PolicingInConflict", "ad"),
        ("from:alice OR from:carol #PolicingInConflict", "adf"),
        ("policing -#PolicingInConflict", "f"),
        ("@alice", "cd"),
        ("policing is:quote", "f"),
        ("-(from:alice OR from:bob) policing", "d"),
    ],
)
def test_search_operators_select_like_x(
    fake_x: FakeX, corpus: dict[str, str], query: str, expected: str
) -> None:
    """Hashtags (any case), words, phrases, from:, is:, @, OR, groups and negation select as X does."""
    answer = search(fake_x, query=query, max_results=100).json()
    by_id = {v: k for k, v in corpus.items()}
    assert expected == "".join(sorted(by_id[t["id"]] for t in answer.get("data", [])))


def test_hashtag_search_does_not_match_longer_tags_or_plain_words(fake_x: FakeX) -> None:
    """#PolicingInConflict matches the tag in any case, not #PolicingInConflicts or the bare word."""
    client = fake_x.client()
    texts = [
        "one #PolicingInConflict",
        "two #policinginconflict",
        "three #POLICINGINCONFLICT",
        "four #PolicingInConflicts",
        "five PolicingInConflict",
        "six #PolicingInConflict2026",
    ]
    for text in texts:
        client.create_tweet(text=text)
    found = client.search_recent_tweets("#PolicingInConflict", max_results=10)
    assert texts[:3] == [t.text for t in sorted(found.data, key=lambda t: t.id)]


@pytest.mark.parametrize(
    ("query", "tag"),
    [
        ("#PolicingInConflict -is:retweet", "policinginconflict"),
        ("from:bob (#RuleOfLaw panel)", "ruleoflaw"),
        ("-#RuleOfLaw #PolicingInConflict", "policinginconflict"),
        ("-(#RuleOfLaw panel) policing", None),
        ("#RuleOfLaw OR panel", None),
        ("panel", None),
    ],
)
def test_index_tag_is_a_hashtag_every_match_needs(query: str, tag: str | None) -> None:
    """Search narrows by a hashtag index only for a tag outside any OR or negation."""
    assert tag == index_tag(query)


@pytest.mark.parametrize(
    "query", ["(panel", "panel)", "", "foo:bar panel", "-is:retweet", "panel OR", '"open']
)
def test_malformed_queries_are_400(fake_x: FakeX, query: str) -> None:
    """Queries X would refuse get a 400 Invalid Request naming the query parameter."""
    answer = search(fake_x, query=query)
    assert 400 == answer.status_code
    assert "Invalid Request" == answer.json()["title"]
    assert ["query"] == list(answer.json()["errors"][0]["parameters"])


@pytest.mark.parametrize(("value", "status"), [(9, 400), (10, 200), (100, 200), (101, 400)])
def test_search_max_results_must_be_10_to_100(fake_x: FakeX, value: int, status: int) -> None:
    """max_results outside 10–100 is X's 400, with the message tweepy shows."""
    answer = search(fake_x, query="panel", max_results=value)
    assert status == answer.status_code
    if status == 400:
        assert (
            f"The `max_results` query parameter value [{value}] is not between 10 and 100"
            == answer.json()["errors"][0]["message"]
        )


def test_search_pages_through_a_conversation_with_next_token(fake_x: FakeX) -> None:
    """Paging with next_token returns every tagged post of the last 7 days once, newest first."""
    fake_x.add_conversation(300, seed=3)
    expected = [
        t["id"]
        for t in fake_x.tweets()
        if any(h["tag"].lower() == "policinginconflict" for h in t["entities"].get("hashtags", []))
    ]
    client = fake_x.client()
    seen: list[str] = []
    pages = 0
    for response in tweepy.Paginator(
        client.search_recent_tweets, "#PolicingInConflict", max_results=100
    ):
        pages += 1
        seen.extend(str(t.id) for t in response.data or [])
    assert sorted(expected, key=int, reverse=True) == seen
    assert (len(expected) + 99) // 100 == pages


def test_since_id_returns_only_posts_added_after(fake_x: FakeX) -> None:
    """After add_now, a search with since_id of the newest seen post returns exactly the new ones."""
    fake_x.add_conversation(100, seed=4)
    newest = search(fake_x, query="#PolicingInConflict", max_results=10).json()["meta"]["newest_id"]
    added = fake_x.add_now(5)
    answer = search(fake_x, query="#PolicingInConflict", since_id=newest, max_results=100).json()
    assert sorted(added, key=int, reverse=True) == [t["id"] for t in answer["data"]]
    assert {"newest_id": added[-1], "oldest_id": added[0], "result_count": 5} == answer["meta"]


@pytest.mark.dates
def test_search_sees_only_the_last_seven_days(fake_x: FakeX) -> None:
    """Posts older than 7 days by the simulator's clock are not found; an older start_time is 400."""
    fake_x.client().create_tweet(text="old news #PolicingInConflict")
    fake_x.clock(advance_seconds=8 * 86400)
    assert {"meta": {"result_count": 0}} == search(fake_x, query="#PolicingInConflict").json()
    answer = search(fake_x, query="#PolicingInConflict", start_time="2001-01-01T00:00:00Z")
    assert 400 == answer.status_code


def test_search_expansions_and_fields(fake_x: FakeX, corpus: dict[str, str]) -> None:
    """expansions fill includes.users and includes.tweets; tweet.fields and user.fields are honoured."""
    answer = search(
        fake_x,
        query="from:carol OR from:bob",
        max_results=10,
        expansions="author_id,referenced_tweets.id",
        **{
            "tweet.fields": "created_at,lang,conversation_id,public_metrics,entities,referenced_tweets,in_reply_to_user_id,author_id",
            "user.fields": "public_metrics",
        },
    ).json()
    reply = next(t for t in answer["data"] if t["id"] == corpus["d"])
    assert corpus["a"] == reply["conversation_id"]
    assert "11" == reply["in_reply_to_user_id"]
    assert [{"type": "replied_to", "id": corpus["a"]}] == reply["referenced_tweets"]
    assert ["alice"] == [m["username"] for m in reply["entities"]["mentions"]]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reply["created_at"])
    assert {"retweet_count", "reply_count", "like_count", "quote_count"} <= set(
        reply["public_metrics"]
    )
    assert {"12", "13"} == {u["id"] for u in answer["includes"]["users"]}
    assert all("followers_count" in u["public_metrics"] for u in answer["includes"]["users"])
    assert {corpus["a"]} == {t["id"] for t in answer["includes"]["tweets"]}


def test_default_fields_only_when_none_asked(fake_x: FakeX, corpus: dict[str, str]) -> None:
    """Without tweet.fields a tweet has only id, text and edit_history_tweet_ids, as on X."""
    answer = search(fake_x, query="from:alice").json()
    assert [{"edit_history_tweet_ids", "id", "text"}] * 2 == [set(t) for t in answer["data"]]


# -- other endpoints ----------------------------------------------------------------------------


def test_reply_joins_the_conversation_and_missing_parent_is_403(fake_x: FakeX) -> None:
    """A reply carries the parent's conversation; replying to an unknown tweet is X's 403."""
    client = fake_x.client()
    parent = client.create_tweet(text="first").data["id"]
    child = client.create_tweet(text="second", in_reply_to_tweet_id=parent).data["id"]
    got = client.get_tweet(child, tweet_fields=["conversation_id", "referenced_tweets"])
    assert (parent, [("replied_to", int(parent))]) == (
        str(got.data.conversation_id),
        [(r.type, r.id) for r in got.data.referenced_tweets],
    )
    with pytest.raises(tweepy.Forbidden):
        client.create_tweet(text="orphan", in_reply_to_tweet_id="123")


def test_lookup_of_missing_tweet_is_200_with_errors(fake_x: FakeX) -> None:
    """GET /2/tweets/:id for an unknown id answers 200 with a Not Found Error, like X."""
    answer = fake_x.client().get_tweet("42", user_auth=True)
    assert (None, "Not Found Error") == (answer.data, answer.errors[0]["title"])


def test_delete_removes_from_timeline_and_frees_the_text(fake_x: FakeX) -> None:
    """A deleted tweet leaves the timeline and the same text may be posted again."""
    client = fake_x.client()
    tweet_id = client.create_tweet(text="oops").data["id"]
    assert {"deleted": True} == client.delete_tweet(tweet_id).data
    assert None is client.get_users_tweets(fake_x.user_id, user_auth=True).data
    client.create_tweet(text="oops")
    assert [True, False] == [t["deleted"] for t in fake_x.tweets()]


def test_too_long_text_is_refused(fake_x: FakeX) -> None:
    """A text over 280 weighted characters is refused with 403 and nothing is stored."""
    answer = post(fake_x, "x" * 281)
    assert 403 == answer.status_code
    assert answer.json()["detail"].startswith("Your Tweet text is too long.")
    assert 201 == post(fake_x, "界" * 140).status_code
    assert 403 == post(fake_x, "界" * 141).status_code


def _upload(fake_x: FakeX, alt: str) -> str:
    """Upload a tiny PNG (bytes need only start like one) and set its alt text; its media id."""
    import base64

    client = fake_x.client()
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    body = {"media": png, "media_category": "tweet_image", "media_type": "image/png"}
    media_id: str = client.request("POST", "/2/media/upload", json=body, user_auth=True).json()[
        "data"
    ]["id"]
    meta = {"id": media_id, "metadata": {"alt_text": {"text": alt}}}
    client.request("POST", "/2/media/metadata", json=meta, user_auth=True)
    return media_id


def test_media_ids_are_kept(fake_x: FakeX) -> None:
    """Uploaded media ids are accepted, shown as attachments, and keep their alt text."""
    media_id = _upload(fake_x, "A chart of incidents by month")
    tweet_id = fake_x.client().create_tweet(text="with picture", media_ids=[media_id]).data["id"]
    got = fake_x.client().get_tweet(tweet_id, tweet_fields=["attachments"], user_auth=True)
    assert {"media_keys": [f"3_{media_id}"]} == got.data.attachments
    (kept,) = fake_x.tweets(source="api")
    assert ["A chart of incidents by month"] == kept["media_alt"]


def test_unknown_media_id_is_refused(fake_x: FakeX) -> None:
    """A media id that was never uploaded is refused with X's 400 and no post is made."""
    import tweepy

    with pytest.raises(tweepy.errors.BadRequest, match="media"):
        fake_x.client().create_tweet(text="with picture", media_ids=["555"])
    assert [] == fake_x.tweets(source="api")


def test_search_window_is_per_app_and_per_user(fake_x: FakeX) -> None:
    """The app's search window is separate from the user's: one exhausted leaves the other."""
    fake_x.limits(search={"limit": 1, "window": 900})
    assert [200, 429] == [search(fake_x, query="x").status_code for _ in range(2)]
    as_user = requests.get(
        fake_x.base_url + "/2/tweets/search/recent",
        params={"query": "x"},
        headers=user_bearer(),
        timeout=5,
    )
    assert 200 == as_user.status_code


def test_forced_429_until_reset_then_answers(fake_x: FakeX) -> None:
    """A rate_limit fault without count holds every request until its reset time passes."""
    fake_x.faults(rate_limit={"group": "post", "reset_in": 60})
    assert [429, 429] == [post(fake_x, f"try {i}").status_code for i in range(2)]
    fake_x.clock(advance_seconds=61)
    assert 201 == post(fake_x, "after reset").status_code


def test_daily_cap_is_429_with_24_hour_headers(fake_x: FakeX) -> None:
    """Past the app's 24-hour cap posting is 429 while the 15-minute window still has room."""
    fake_x.limits(post_day={"limit": 2, "window": 86400})
    answers = [post(fake_x, f"day {i}") for i in range(3)]
    assert [201, 201, 429] == [a.status_code for a in answers]
    assert ["1", "0", "0"] == [a.headers["x-app-limit-24hour-remaining"] for a in answers]
    assert "98" == answers[2].headers["x-rate-limit-remaining"]
    reset = int(answers[2].headers["x-app-limit-24hour-reset"])
    assert 86390 <= reset - time.time() <= 86401


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(
                alphabet=st.characters(categories=["L", "N", "So"], exclude_characters="#@"),
                min_size=1,
                max_size=8,
            ),
            st.builds(
                "https://{}.example.{}/{}".format,
                st.from_regex(r"[a-z]{1,10}", fullmatch=True),
                st.sampled_from(["org", "com", "co.uk"]),
                st.from_regex(r"[a-z0-9/_=?-]{0,30}", fullmatch=True),
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_tco_rewriting_keeps_everything_but_the_links(parts: list[str]) -> None:
    """Putting each url entity's expanded_url back in place of its t.co link gives the text sent."""
    text = " ".join(parts)
    state = SimState()
    tweet = state.make_tweet(state.account, text)
    rebuilt, pos = [], 0
    for url in tweet.entities.get("urls", []):
        rebuilt.append(tweet.text[pos : url["start"]])
        rebuilt.append(url["expanded_url"])
        pos = url["end"]
    rebuilt.append(tweet.text[pos:])
    assert text == "".join(rebuilt)
    assert sum("://" in p for p in parts) == tweet.text.count("https://t.co/")


# -- faults -------------------------------------------------------------------------------------


def test_every_third_answer_is_503(fake_x: FakeX) -> None:
    """error_every=3 makes answers 3 and 6 a 503 (tweepy's TwitterServerError); none is stored."""
    fake_x.faults(error_every=3)
    statuses = [post(fake_x, f"n{i}").status_code for i in range(6)]
    assert [201, 201, 503, 201, 201, 503] == statuses
    assert ["n0", "n1", "n3", "n4"] == [t["text"] for t in fake_x.tweets()]
    fake_x.faults(error_next=1)
    with pytest.raises(tweepy.TwitterServerError):
        fake_x.client().get_me()


def test_error_groups_limit_errors_to_some_endpoints(fake_x: FakeX) -> None:
    """error_next with error_groups=["search"] fails searches and leaves posting alone."""
    fake_x.faults(error_next=2, error_groups=["search"])
    assert 201 == post(fake_x, "fine").status_code
    assert [503, 503, 200] == [search(fake_x, query="x").status_code for _ in range(3)]


def test_delay_holds_the_answer_not_the_action(fake_x: FakeX) -> None:
    """With a delay on posting, a client that gives up early still finds the tweet made."""
    fake_x.faults(delay={"post": 1.0})
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            fake_x.base_url + "/2/tweets",
            json={"text": "slow"},
            headers=user_bearer(),
            timeout=0.3,
        )
    assert ["slow"] == [t["text"] for t in fake_x.tweets()]


def test_hang_mode_answers_after_the_client_gave_up(fake_x: FakeX) -> None:
    """drop_mode "hang" creates the tweet and answers only after hang_seconds."""
    fake_x.faults(drop_every=1, drop_mode="hang", hang_seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            fake_x.base_url + "/2/tweets",
            json={"text": "hung"},
            headers=user_bearer(),
            timeout=0.3,
        )
    assert ["hung"] == [t["text"] for t in fake_x.tweets()]


def test_drop_probability_is_repeatable_with_a_seed(fake_x: FakeX) -> None:
    """The same drop_seed drops the same posts; every post is created either way."""

    def run() -> list[bool]:
        fake_x.reset()
        fake_x.faults(drop_probability=0.3, drop_seed=7)
        dropped = []
        for i in range(12):
            try:
                post(fake_x, f"p{i}")
                dropped.append(False)
            except requests.ConnectionError:
                dropped.append(True)
        assert 12 == len(fake_x.tweets())
        return dropped

    first = run()
    assert first == run()
    assert any(first) and not all(first)


def test_unknown_fault_is_refused(fake_x: FakeX) -> None:
    """A fault the simulator does not know is a 400 naming it, and nothing changes."""
    before = fake_x.faults()
    answer = requests.post(
        fake_x.base_url + "/_sim/faults", json={"error_every": 2, "explode": 1}, timeout=5
    )
    assert (400, {"error": "unknown fault 'explode'"}) == (answer.status_code, answer.json())
    assert before == fake_x.faults()


def test_unreadable_limits_are_refused(fake_x: FakeX) -> None:
    """Limits that are not numbers are a 400, and no group changes (not a 500 half applied)."""
    before = requests.get(fake_x.base_url + "/_sim/limits", timeout=5).json()
    answer = requests.post(
        fake_x.base_url + "/_sim/limits",
        json={"post": {"limit": 3}, "search": {"limit": "many"}},
        timeout=5,
    )
    after = requests.get(fake_x.base_url + "/_sim/limits", timeout=5).json()
    assert (400, before) == (answer.status_code, after)


def test_latency_slows_every_answer(fake_x: FakeX) -> None:
    """A latency set through the control API delays every API answer."""
    fake_x.faults(latency=0.2)
    started = time.monotonic()
    assert 200 == search(fake_x, query="x").status_code
    assert time.monotonic() - started >= 0.2


def test_request_log_and_reset(fake_x: FakeX) -> None:
    """/_sim/requests lists answered calls; reset forgets tweets, faults and the log."""
    fake_x.faults(accept_duplicates=True)
    post(fake_x, "logged")
    search(fake_x, query="logged")
    log = fake_x.requests()
    assert [("POST", "post", 201, "oauth2-user"), ("GET", "search", 200, "app")] == [
        (r["method"], r["group"], r["status"], r["auth"]) for r in log
    ]
    fake_x.reset()
    assert ([], [], False) == (
        fake_x.tweets(),
        fake_x.requests(),
        fake_x.faults()["accept_duplicates"],
    )


# -- the conversation generator -----------------------------------------------------------------


@pytest.mark.dates
def test_conversation_is_deterministic_for_a_seed() -> None:
    """The same seed at the same clock gives the same authors, texts and ids; another seed differs."""

    def make(seed: int) -> list[tuple[str, str, str]]:
        state = SimState(seed=seed)
        return [(t.id, t.author_id, t.text) for t in generate(state, 120, seed=seed)]

    with time_machine.travel(datetime(2026, 12, 6, 12, 0, tzinfo=UTC), tick=False):
        assert make(5) == make(5)
        assert make(5) != make(6)


@pytest.mark.dates
def test_a_frozen_clock_dates_the_conversation_from_it_and_moves_only_when_told() -> None:
    """SimState(clock=frozen(at)) reads `at` whatever the real time; the conversation is dated in
    the days before it; /_sim/clock's offset still moves it."""
    at = datetime(2028, 2, 29, 23, 30, tzinfo=UTC)
    state = SimState(clock=frozen(at))
    made = generate(state, 50, seed=3, days=2)
    assert at == state.now()
    assert all(at - timedelta(days=2) <= t.created_at < at for t in made)
    state.clock_offset = timedelta(hours=1)
    assert datetime(2028, 3, 1, 0, 30, tzinfo=UTC) == state.now()


def test_a_frozen_clock_needs_a_time_zone() -> None:
    """frozen() refuses a naive datetime, which would be read in no particular zone."""
    with pytest.raises(ValueError, match="aware datetime"):
        frozen(datetime(2026, 12, 6, 14, 0))


@pytest.mark.dates
@pytest.mark.fake_x_now(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC))
def test_fake_x_now_marker_freezes_the_thread_simulator(fake_x: FakeX) -> None:
    """The fake_x_now marker freezes fake_x's clock: a post made now carries that moment."""
    assert "2026-12-31T23:59:30.000Z" == fake_x.clock()["now"]
    post(fake_x, "At the turn of the year")
    assert ["2026-12-31T23:59:30.000Z"] == [t["created_at"] for t in fake_x.tweets()]


@pytest.mark.slow
@pytest.mark.fake_x_now(datetime(2027, 11, 7, 6, 30, tzinfo=UTC))
def test_fake_x_now_option_freezes_the_process_clock(fake_x_process: FakeXProcess) -> None:
    """`campaign fake-x --now WHEN` stands its clock still at WHEN (the fake_x_now marker passes
    it): generated posts are dated before WHEN, and time moves only through /_sim/clock."""
    assert "2027-11-07T06:30:00.000Z" == fake_x_process.clock()["now"]
    fake_x_process.add_conversation(20, seed=4)
    times = [t["created_at"] for t in fake_x_process.tweets()]
    assert 24 == len(times)
    assert all("2027-11-04T06:30:00.000Z" <= t < "2027-11-07T06:30:00.000Z" for t in times)
    assert "2027-11-07T06:31:00.000Z" == fake_x_process.clock(advance_seconds=60)["now"]


def test_fake_x_refuses_a_now_it_cannot_read(run: Any) -> None:
    """`campaign fake-x --now` with no UTC offset is refused with exit code 2, naming --now."""
    result = run("fake-x", "--now", "2026-12-06 14:00")
    assert 2 == result.exit_code
    assert "Error: --now: the time '2026-12-06 14:00' has no UTC offset" in result.output


def test_conversation_has_real_world_variety() -> None:
    """A generated conversation mixes scripts, emoji, links, mentions, tag cases and post kinds."""
    state = SimState()
    made = generate(state, 300, seed=1)
    texts = "\n".join(t.text for t in made)
    authors = {t.author_id for t in made} - {state.account.id}
    assert 40 <= len(authors) <= 80
    assert 304 == len(made)
    for needle in ("\u200d", "https://t.co/", "\n", "@", "é", "ي", "д", "の", "क"):
        assert needle in texts, needle
    tags = {h["tag"] for t in made for h in t.entities.get("hashtags", [])}
    assert {"PolicingInConflict", "policinginconflict", "POLICINGINCONFLICT"} <= tags
    assert len(tags) > 6
    kinds = {r["type"] for t in made for r in t.referenced_tweets}
    assert {"replied_to", "quoted", "retweeted"} == kinds
    assert any(t.text.startswith("RT @") for t in made if t.is_type("retweeted"))
    own = {t.id for t in made if t.author_id == state.account.id}
    assert any(r["id"] in own for t in made for r in t.referenced_tweets)
    untagged = [
        t
        for t in made
        if not any(h["tag"].lower() == "policinginconflict" for h in t.entities.get("hashtags", []))
    ]
    assert 5 <= len(untagged) <= 60
    followers = [u.followers_count for u in state.users.values()]
    assert max(followers) > 50 * min(followers) + 50


def test_added_posts_are_newer_than_everything(fake_x: FakeX) -> None:
    """add_now makes posts whose ids are above every stored id and whose time is now."""
    fake_x.add_conversation(60, seed=2)
    before = max(int(t["id"]) for t in fake_x.tweets())
    added = fake_x.add_now(7)
    assert 7 == len(added)
    assert all(int(i) > before for i in added)


# -- the command --------------------------------------------------------------------------------


def test_fake_x_help_documents_the_controls(run: Any) -> None:
    """`campaign fake-x --help` names the control API and the fault switches."""
    result = run("fake-x", "--help")
    for needle in (
        "/_sim/faults",
        "/_sim/conversation",
        "drop_every",
        "--accept-duplicates",
        "--latency-ms",
    ):
        assert needle in result.output


def test_every_fault_key_is_documented_and_accepted(run: Any, fake_x: FakeX) -> None:
    """Each fault key is in `campaign fake-x --help` and the package docstring, and is accepted."""
    import scheduler.simulator

    help_text = run("fake-x", "--help").output
    docs = scheduler.simulator.__doc__ or ""
    for key in FAULT_KEYS:
        assert f'"{key}"' in help_text, key
        assert f'"{key}"' in docs, key
    sample = {
        "delay": 0,
        "delay_before": 0,
        "latency": 0,
        "rate_limit": [],
        "error_every": 0,
        "error_next": 0,
        "error_status": 502,
        "error_groups": ["*"],
        "drop_every": 0,
        "drop_probability": 0,
        "drop_seed": 3,
        "drop_mode": "hang",
        "hang_seconds": 1,
        "accept_duplicates": False,
        "clear": False,
    }
    assert set(FAULT_KEYS) == set(sample)
    assert 502 == fake_x.faults(**sample)["error_status"]


def test_fake_x_refuses_a_non_loopback_host(run: Any) -> None:
    """A non-loopback --host is refused with exit code 2 and a message saying to use 127.0.0.1."""
    result = run("fake-x", "--host", "192.0.2.10")
    assert 2 == result.exit_code
    assert "use 127.0.0.1" in result.output


def test_fake_x_says_when_the_port_is_taken(run: Any, fake_x: FakeX) -> None:
    """A port already in use is refused with exit code 2 and advice to pick another."""
    port = fake_x.base_url.rsplit(":", 1)[1]
    result = run("fake-x", "--port", port)
    assert 2 == result.exit_code
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.output
    assert "pick another --port" in result.output


@pytest.mark.slow
def test_process_with_conversation_and_latency(tmp_path: Any) -> None:
    """`campaign fake-x --conversation 40 --latency-ms 200` serves the conversation, slowly, and
    Ctrl-C (SIGINT) stops it with exit code 0."""
    handle = start_fake_x_process(
        None, "--conversation", "40", "--latency-ms", "200", log_dir=tmp_path
    )
    try:
        started = time.monotonic()
        found = handle.client().search_recent_tweets("#PolicingInConflict", max_results=100)
        assert time.monotonic() - started >= 0.2
        tagged = [
            t
            for t in handle.tweets()
            if any(
                h["tag"].lower() == "policinginconflict" for h in t["entities"].get("hashtags", [])
            )
        ]
        assert 44 == len(handle.tweets())
        assert sorted(t["id"] for t in tagged) == sorted(str(t.id) for t in found.data)
        handle.process.send_signal(signal.SIGINT)
        handle.process.wait(timeout=10)
    finally:
        handle.stop()
    assert 0 == handle.process.returncode
