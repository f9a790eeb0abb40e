"""The X client against a hostile or broken server on 127.0.0.1 (tests/fixtures/hostile.py):
the timeout is a deadline for the whole call, redirects are not followed where they could do
harm, answers are capped and checked, and the base URL keeps no secret and no clear text."""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from datetime import timedelta

import pytest

from campaign.clock import now
from campaign.errors import CredentialsError
from scheduler.xanswer import MAX_RATE_WAIT, MalformedAnswer
from scheduler.xclient import MAX_ANSWER_BYTES, Credentials, XClient
from scheduler.xerrors import NoAnswer, RateLimited
from tests.fixtures.hostile import (
    ACCOUNT,
    Hostile,
    answer,
    delayed,
    hang,
    huge,
    redirect,
    search_page,
    trickle,
    tweet,
)

POST = ("POST", "/2/tweets")
SEARCH = ("GET", "/2/tweets/search/recent")


def client(server: Hostile, timeout: float = 1.0) -> XClient:
    return XClient(Credentials.from_env(server.env()), timeout=timeout)


def test_trickled_answer_ends_at_the_deadline(hostile: Hostile) -> None:
    """A body trickled a byte every 0.2 s (each read well within the timeout) ends at the
    timeout as a lost answer, not after the 8 s the server would take."""
    hostile.on(*POST, trickle(json.dumps({"data": {"id": "1234567"}}).encode(), 0.2))
    started = time.monotonic()
    with pytest.raises(NoAnswer) as e:
        client(hostile).create_post("trickled")
    assert time.monotonic() - started < 2.5
    assert e.value.maybe_sent
    assert "timed out after 1 s" in str(e.value)


def test_trickled_headers_end_at_the_deadline(hostile: Hostile) -> None:
    """Headers trickled a byte at a time end at the timeout too."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    hostile.on(*SEARCH, trickle(head, 0.2, headers_too=True))
    started = time.monotonic()
    with pytest.raises(NoAnswer, match="timed out"):
        client(hostile).search_recent("#PolicingInConflict")
    assert time.monotonic() - started < 2.5


def test_redirects_share_one_deadline(hostile: Hostile) -> None:
    """A read redirected on its own host, each hop slow but within the timeout, still ends
    when the whole call has used its timeout."""
    slow = "/2/tweets/search/slow"
    hostile.on(*SEARCH, delayed(0.7, redirect(302, slow)))
    hostile.on("GET", slow, delayed(0.7, answer(search_page([]))))
    started = time.monotonic()
    with pytest.raises(NoAnswer, match="timed out"):
        client(hostile, timeout=1.0).search_recent("#PolicingInConflict")
    assert time.monotonic() - started < 2.5


def test_a_redirected_read_on_the_same_host_is_followed(hostile: Hostile) -> None:
    """A GET redirected to another path of the same host is followed, within the deadline."""
    hostile.on(*SEARCH, redirect(302, "/2/tweets/search/moved"))
    hostile.on("GET", "/2/tweets/search/moved", answer(search_page([tweet(5)])))
    page = client(hostile).search_recent("#PolicingInConflict")
    assert ["5"] == [t["id"] for t in page.tweets]


def test_a_post_is_never_redirected(hostile: Hostile) -> None:
    """A 307 to a POST, even on the same host, is not followed: an unclear outcome."""
    hostile.on(*POST, redirect(307, "/2/tweets/again"))
    with pytest.raises(NoAnswer) as e:
        client(hostile).create_post("only once")
    assert e.value.maybe_sent
    assert "redirect (307)" in str(e.value)
    assert [] == hostile.requests(path="/2/tweets/again")
    assert 1 == len(hostile.requests(*POST))


def test_a_post_is_never_sent_to_another_host(hostile: Hostile, elsewhere: Hostile) -> None:
    """A 307 to another host does not re-send the post there (nor its signed headers)."""
    hostile.on(*POST, redirect(307, elsewhere.url("/2/tweets")))
    with pytest.raises(NoAnswer):
        client(hostile).create_post("stay home")
    assert [] == elsewhere.hits


def test_a_read_is_never_sent_to_another_host(hostile: Hostile, elsewhere: Hostile) -> None:
    """A 302 on a search to another host is not followed (the bearer token stays home)."""
    hostile.on(*SEARCH, redirect(302, elsewhere.url("/2/tweets/search/recent")))
    with pytest.raises(NoAnswer, match="redirect"):
        client(hostile).search_recent("#PolicingInConflict")
    assert [] == elsewhere.hits


def test_redirect_loops_end(hostile: Hostile) -> None:
    """A read redirected to itself again and again ends after a few hops."""
    hostile.on(*SEARCH, redirect(302, "/2/tweets/search/recent"))
    with pytest.raises(NoAnswer, match="redirected more than"):
        client(hostile).search_recent("#PolicingInConflict")
    assert len(hostile.requests(*SEARCH)) <= 4


def test_a_huge_answer_is_refused_in_bounded_memory(hostile: Hostile) -> None:
    """A 64 MB answer is refused after the cap, holding no more than about the cap in memory."""
    hostile.on(*SEARCH, huge(64 * 1024 * 1024))
    c = client(hostile, timeout=20)
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(NoAnswer, match="over 8 MB"):
            c.search_recent("#PolicingInConflict")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_ANSWER_BYTES


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": [1, 2]}},
        {"data": {"id": "1" * 40}},
        {"data": {"id": 2**64}},
        {"data": {"id": True}},
        {"data": "1234"},
        {"data": None},
        [{"data": {"id": "1"}}],
        "1234",
    ],
)
def test_a_malformed_answer_to_a_post_is_unclear(hostile: Hostile, body: object) -> None:
    """A 201 without a valid id (wrong types, forty digits, above 2**63) is an unclear outcome."""
    hostile.on(*POST, answer(body, 201))
    with pytest.raises(MalformedAnswer) as e:
        client(hostile).create_post("what happened?")
    assert e.value.maybe_sent


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000 + b"]" * 100_000, b"not json", b"\xff\xfe\x00", b'{"data": {"id": "1"}'],
)
def test_garbled_answer_to_a_post_is_unclear(hostile: Hostile, raw: bytes) -> None:
    """Deep nesting, bytes that are not JSON, a cut answer: an unclear outcome, no traceback."""
    hostile.on(*POST, answer(raw, 201, raw=True))
    with pytest.raises(NoAnswer):
        client(hostile).create_post("garbled")


@pytest.mark.parametrize("body", [[1, 2], {"errors": 5}, {"errors": [1, None]}, {"error": 3}])
def test_error_answers_of_the_wrong_shape_are_no_traceback(hostile: Hostile, body: object) -> None:
    """A 400 whose body tweepy cannot read (a list, errors of the wrong type) is a NoAnswer."""
    hostile.on(*POST, answer(body, 400))
    with pytest.raises(NoAnswer):
        client(hostile).create_post("refused oddly")


def test_a_far_future_reset_is_capped(hostile: Hostile) -> None:
    """A 429 whose reset is in the year 30 billion waits X's longest window, 24 hours."""
    hostile.on(*POST, answer({"title": "Too Many Requests"}, 429, {"x-rate-limit-reset": "9" * 18}))
    before = now()
    with pytest.raises(RateLimited) as e:
        client(hostile).create_post("later")
    assert before + MAX_RATE_WAIT <= e.value.reset_at <= now() + MAX_RATE_WAIT


@pytest.mark.parametrize("reset", ["soon", "-5", "1e400", "9" * 400])
def test_a_garbled_reset_waits_a_minute(hostile: Hostile, reset: str) -> None:
    """A 429 whose reset is not a whole number (or absurdly long) is still a rate limit."""
    hostile.on(*POST, answer({"title": "Too Many Requests"}, 429, {"x-rate-limit-reset": reset}))
    with pytest.raises(RateLimited) as e:
        client(hostile).create_post("later")
    assert e.value.reset_at <= now() + MAX_RATE_WAIT


def test_garbled_rate_headers_on_a_good_answer_are_ignored(hostile: Hostile) -> None:
    """A good search page with nonsense rate headers is used; the headers read as unknown."""
    headers = {
        "x-rate-limit-reset": "9" * 40,
        "x-rate-limit-remaining": "-1",
        "x-rate-limit-limit": "lots",
    }
    hostile.on(*SEARCH, answer(search_page([tweet(7)]), 200, headers))
    page = client(hostile).search_recent("#PolicingInConflict")
    assert (["7"], None, None) == (
        [t["id"] for t in page.tweets],
        page.rate_remaining,
        page.rate_reset_at,
    )


def test_a_timeline_that_pages_in_circles_ends(hostile: Hostile) -> None:
    """The account's timeline sending the same next_token again stops paging at once."""
    path = f"/2/users/{ACCOUNT}/tweets"
    hostile.on("GET", path, answer({"data": [tweet(11)], "meta": {"next_token": "same"}}))
    posts = client(hostile).user_posts(ACCOUNT, start_time=now() - timedelta(hours=1))
    assert ["11", "11"] == [p["id"] for p in posts]
    assert 2 == len(hostile.requests("GET", path))


def test_base_url_credentials_are_not_kept(caplog: pytest.LogCaptureFixture) -> None:
    """A user name and password in X_API_BASE_URL are dropped, and never logged."""
    creds = Credentials.from_env({"X_API_BASE_URL": "https://user:pa55word-secret@x.example/"})
    assert "https://x.example" == creds.base_url
    assert "pa55word-secret" not in repr(XClient(creds)) + caplog.text


@pytest.mark.parametrize(
    "url", ["http://x.example", "http://10.1.2.3:8080", "http://[2001:db8::1]/", "http://0.0.0.0"]
)
def test_plain_http_beyond_this_machine_is_refused(url: str) -> None:
    """Plain http to another machine is refused, naming --insecure and the commands."""
    with pytest.raises(CredentialsError, match="--insecure") as e:
        Credentials.from_env({"X_API_BASE_URL": url})
    assert "campaign collect" in str(e.value)
    assert url.rstrip("/") == Credentials.from_env({"X_API_BASE_URL": url}, insecure=True).base_url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.example"]
)
def test_loopback_and_https_are_accepted(url: str) -> None:
    """http to this machine (the simulator) and https anywhere need no --insecure."""
    assert url == Credentials.from_env({"X_API_BASE_URL": url}).base_url


@pytest.mark.parametrize(
    "url", ["localhost:8080", "ftp://x.example", "http://", "http://h:port", "https://[x.example"]
)
def test_base_url_must_be_a_url(url: str) -> None:
    """An X_API_BASE_URL that is not an http(s) URL is refused with an example."""
    with pytest.raises(CredentialsError, match=r"such as https://api\.twitter\.com"):
        Credentials.from_env({"X_API_BASE_URL": url})


def test_a_hanging_server_is_a_lost_answer(hostile: Hostile) -> None:
    """A server that reads the post and says nothing: NoAnswer at the timeout."""
    hostile.on(*POST, hang())
    with pytest.raises(NoAnswer) as e:
        client(hostile, timeout=0.5).create_post("silence")
    assert e.value.maybe_sent
