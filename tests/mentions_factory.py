"""Made-up X API v2 posts and twarc2 JSONL for the conversation tests (no real data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

TWITTER_EPOCH_MS = 1288834974657
START = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)

# Real-world variety: scripts, emoji (ZWJ too), newlines, URLs, symbols people search for.
TEXTS = [
    "Great panel on #PolicingInConflict today https://t.co/abc123XYZ0",
    "Policía comunitaria y estado de derecho #policinginconflict 🇨🇴",
    "الشرطة في مناطق النزاع #PolicingInConflict",
    "Полиция в зонах конфликта #POLICINGINCONFLICT",
    "紛争地域の警察活動について #PolicingInConflict",
    "संघर्ष क्षेत्रों में पुलिस #PolicingInConflict 👩🏽‍⚖️",
    "Thread 🧵\nfirst line\nsecond line #PolicingInConflict @USIP",
    'She said "stability policing" is the gap #PolicingInConflict #NATO',
    "Lessons from covid-19 for c++ programmers? no: for police #PolicingInConflict",
    "@USIP when is the recording out? #PolicingInConflict",
]


def snowflake(at: datetime, seq: int = 0) -> int:
    """A tweet id for time ``at`` (X's ids grow with time)."""
    ms = int(at.timestamp() * 1000) - TWITTER_EPOCH_MS
    return (ms << 22) | (seq & 0x3FFFFF)


def user(uid: int, username: str, name: str | None = None, followers: int = 10) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": username,
        "name": name or username.title(),
        "public_metrics": {"followers_count": followers, "following_count": 1},
    }


def tweet(
    tid: int,
    text: str,
    *,
    author_id: int,
    at: datetime | None = None,
    lang: str = "en",
    urls: list[str] | None = None,
    hashtags: list[str] | None = None,
    replied_to: int | None = None,
    quoted: int | None = None,
    likes: int = 0,
) -> dict[str, Any]:
    at = at or START
    refs = []
    if replied_to:
        refs.append({"type": "replied_to", "id": str(replied_to)})
    if quoted:
        refs.append({"type": "quoted", "id": str(quoted)})
    t: dict[str, Any] = {
        "id": str(tid),
        "text": text,
        "author_id": str(author_id),
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": lang,
        "conversation_id": str(replied_to or tid),
        "public_metrics": {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": likes,
            "quote_count": 0,
        },
        "entities": {
            "hashtags": [{"tag": h} for h in (hashtags or [])],
            "urls": [
                {"url": "https://t.co/x", "expanded_url": u, "display_url": u[8:30]}
                for u in (urls or [])
            ],
        },
    }
    if refs:
        t["referenced_tweets"] = refs
    return t


def conversation(
    n: int, *, start: datetime = START, authors: int = 7
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` posts a minute apart (oldest first) by ``authors`` users, with varied text."""
    users = [user(100 + i, f"user{i}", f"User Nº{i}", followers=i * 10) for i in range(authors)]
    tweets = []
    for i in range(n):
        at = start + timedelta(minutes=i)
        text = TEXTS[i % len(TEXTS)]
        tags = [w.strip("#,.!?") for w in text.split() if w.startswith("#")]
        urls = ["https://www.usip.org/events/policing"] if "https://" in text else []
        tweets.append(
            tweet(
                snowflake(at, i),
                text,
                author_id=100 + i % authors,
                at=at,
                lang=["en", "es", "ar", "ru", "ja", "hi"][i % 6],
                hashtags=tags,
                urls=urls,
            )
        )
    return tweets, users


def page_line(tweets: list[dict[str, Any]], users: list[dict[str, Any]]) -> str:
    """One twarc2 output line: an API page with includes and twarc's provenance."""
    return json.dumps(
        {
            "data": tweets,
            "includes": {"users": users},
            "meta": {"result_count": len(tweets)},
            "__twarc": {
                "url": "https://api.twitter.com/2/tweets/search/recent",
                "version": "2.14.0",
            },
        },
        ensure_ascii=False,
    )


def flat_line(t: dict[str, Any], author: dict[str, Any]) -> str:
    """One ``twarc2 flatten`` line: the tweet with its author embedded."""
    return json.dumps({**t, "author": author, "__twarc": {"version": "2.14.0"}}, ensure_ascii=False)
