"""Fuzzing the X answer parser (scheduler/xanswer.py) and the client around it with random and
hostile shapes: no traceback, nothing good lost, bounded time and memory."""

from __future__ import annotations

import contextlib
import json
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.store import open_db
from scheduler.xanswer import MAX_ID, MalformedAnswer, Page, parse_page, reset_time
from scheduler.xclient import Credentials, SearchPage, XClient
from scheduler.xerrors import XError
from tests.fixtures.hostile import Hostile, answer

# Every shape JSON can take, hostile ones weighted in: huge and negative numbers, lone
# surrogates, deep nesting, long strings.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.sampled_from(["", "0", "-1", "1" * 40, "12345", "\ud800", "NaN", "1e400"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ids = st.integers(min_value=1, max_value=MAX_ID).map(str)
good_tweets = st.fixed_dictionaries(
    {"id": ids, "text": st.text(max_size=80)},
    optional={
        "author_id": ids,
        "created_at": st.just("2026-12-01T10:00:00.000Z"),
        "lang": st.sampled_from(["en", "fr", "und"]),
        "public_metrics": st.fixed_dictionaries(
            {"like_count": st.integers(0, 10**6), "retweet_count": st.integers(0, 10**6)}
        ),
        "referenced_tweets": st.lists(
            st.fixed_dictionaries({"type": st.sampled_from(["replied_to", "quoted"]), "id": ids}),
            max_size=2,
        ),
    },
)
# A good post with some fields replaced by anything at all: it may or may not stay good.
hostile_tweets = st.builds(
    lambda t, extra: {**t, **extra},
    good_tweets,
    st.dictionaries(
        st.sampled_from(
            [
                *("id", "text", "author_id", "public_metrics", "referenced_tweets", "lang"),
                *("entities", "created_at", "conversation_id", "in_reply_to_user_id"),
            ]
        ),
        json_values,
        max_size=3,
    ),
)
items = st.one_of(good_tweets, hostile_tweets, json_values)
pages = st.fixed_dictionaries(
    {"data": st.lists(items, max_size=30)},
    optional={
        "includes": st.one_of(
            json_values, st.fixed_dictionaries({"users": st.lists(json_values, max_size=5)})
        ),
        "meta": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"next_token": st.one_of(st.text(max_size=20), json_values)},
                optional={"newest_id": st.one_of(ids, json_values)},
            ),
        ),
        "errors": json_values,
    },
)
bodies = st.one_of(pages, json_values)


GOOD_KEYS = {"id", "text", "author_id", "created_at", "lang", "public_metrics", "referenced_tweets"}


def _good(item: Any) -> bool:
    """A post every parser must keep: an id X could send, text in valid Unicode, known keys."""
    if not isinstance(item, dict) or set(item) - GOOD_KEYS:
        return False
    tid, text = item.get("id"), item.get("text")
    if not isinstance(tid, str) or not isinstance(text, str):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return tid.isascii() and tid.isdigit() and 0 < int(tid) <= MAX_ID


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite_utils.Database]:
    """One real database for all the examples (each stores its posts by id)."""
    db = open_db(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db")
    yield db
    db.close()


@settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_parser_never_crashes_and_keeps_every_good_post(
    body: Any, store: sqlite_utils.Database
) -> None:
    """Any JSON: a Page or MalformedAnswer, never another exception; a page of sound frame
    keeps every good post, and whatever it keeps can be stored."""
    from campaign.mentions.store import Writer

    try:
        page = parse_page(body, "search recent posts", max_items=100)
    except MalformedAnswer:
        return
    assert isinstance(page, Page)
    kept = [(t["id"], t["text"]) for t in page.tweets]
    data = body.get("data") if isinstance(body, dict) else None
    for item in data or []:
        if _good(item):
            assert (str(int(item["id"])), item["text"]) in kept
    for t in page.tweets:
        assert t["id"].isdigit() and 0 < int(t["id"]) <= MAX_ID
        json.dumps(t, ensure_ascii=False).encode("utf-8")
    with store.conn:
        Writer(store, source="search").write(page.tweets, page.users.values(), page.included_tweets)
    for tid, _ in kept:
        assert store.execute("SELECT 1 FROM mentions WHERE id = ?", [int(tid)]).fetchone()


@given(value=st.one_of(json_values, st.text(alphabet="0123456789-+e. ", max_size=40)))
def test_reset_time_never_crashes(value: Any) -> None:
    """Any x-rate-limit-reset value is a time no later than 24 hours on, or None."""
    from campaign.clock import now

    at = now()
    got = reset_time(value, at)
    assert got is None or got <= at + timedelta(hours=24)


def test_the_largest_legal_page_parses_in_bounded_memory() -> None:
    """100 posts of 25,000 characters, each nested 30 deep: parsed holding at most a few times
    the answer's size."""
    nest: Any = "leaf"
    for _ in range(28):
        nest = {"n": nest}
    page = {
        "data": [
            {"id": str(10**17 + i), "text": "é" * 25_000, "entities": nest} for i in range(100)
        ],
        "meta": {"result_count": 100, "next_token": "b26v89c19zqg8o3fr"},
    }
    size = len(json.dumps(page).encode())
    tracemalloc.start()
    try:
        parsed = parse_page(page, "search recent posts", max_items=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 100 == len(parsed.tweets)
    assert peak < 4 * size


def test_nesting_past_the_limit_drops_only_that_post() -> None:
    """A post nested 5,000 deep is dropped; the good post beside it is kept."""
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    page = {
        "data": [{"id": "5", "text": "deep", "entities": {"x": deep}}, {"id": "6", "text": "ok"}]
    }
    parsed = parse_page(page, "search recent posts", max_items=100)
    assert (["6"], 1) == ([t["id"] for t in parsed.tweets], parsed.skipped)


statuses = st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 429, 500, 503])
raw_bodies = st.one_of(
    bodies.map(lambda b: json.dumps(b).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"", b"[" * 5000, b'{"data": [', b"\xff\xfe", b"null"]),
)
headers = st.dictionaries(
    st.sampled_from(["x-rate-limit-reset", "x-rate-limit-remaining", "Location"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
    max_size=3,
)


@pytest.fixture(scope="module")
def server() -> Iterator[Hostile]:
    """One hostile server for all the HTTP examples."""
    s = Hostile()
    yield s
    s.stop()


@settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(status=statuses, raw=raw_bodies, extra=headers)
def test_any_answer_over_http_is_a_page_or_an_x_error(
    server: Hostile, status: int, raw: bytes, extra: dict[str, str]
) -> None:
    """Any status, headers and bytes from the server: search and post end in a result or one
    of our X errors, never a traceback."""
    server.on("GET", "/2/tweets/search/recent", answer(raw, status, extra, raw=True))
    server.on("POST", "/2/tweets", answer(raw, status, extra, raw=True))
    client = XClient(Credentials.from_env(server.env()), timeout=2)
    try:
        with contextlib.suppress(XError):
            assert isinstance(client.search_recent("#PolicingInConflict"), SearchPage)
        with contextlib.suppress(XError):
            tweet_id = client.create_post("fuzzed")
            assert tweet_id.isdigit() and int(tweet_id) <= MAX_ID
    finally:
        client.close()
